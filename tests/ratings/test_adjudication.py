"""Adjudication: the queue, the item page, decisions that supersede, sending back, and who may do what."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.models import Assignment, Campaign, CampaignItem, Membership
from ratings.adjudication import Decision, adjudication_record, adjudication_send
from ratings.adjudication_queue import adjudication_queue
from ratings.final_labels import final_labels
from ratings.models import Adjudication, AdjudicationLease
from ratings.pseudonyms import rater_pseudonym
from tests.factories import MembershipFactory, RatingFactory, UserFactory

# In the `rated` campaign (1-5 helpfulness, three raters) the items' labels are:
# item 0: 1 1 2   item 1: 2 2 2   item 2: 3 3 4   item 3: 3 4 4   item 4: 5 4 5
# Each item's population standard deviation is 0.47 (0 for item 1); the default threshold is 0.8 steps.


def _items(campaign: Campaign) -> list[CampaignItem]:
    return list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))


def _url(name: str, campaign: Campaign, *args: object) -> str:
    return reverse(f"ratings:{name}", args=[campaign.slug, *args])


@pytest.fixture
def split(rated):
    """The rated campaign with a threshold low enough that every 2-1 split enters the queue."""
    rated.adjudication_thresholds = {"helpful": 0.4}
    rated.save()
    return rated


def test_items_whose_raters_disagree_past_the_threshold_wait_most_disputed_first(split):
    entries = adjudication_queue(split)
    items = _items(split)
    assert [e.campaign_item_id for e in entries] == [items[i].pk for i in (0, 2, 3, 4)]
    assert all(r.kind == "disagreement" and r.criterion_key == "helpful" for e in entries for r in e.reasons)


def test_default_threshold_leaves_out_mild_disagreement(rated):
    assert adjudication_queue(rated) == []


def test_flags_skips_and_sent_items_enter_with_their_reason(rated, owner):
    items = _items(rated)
    rater = UserFactory(username="flagger")
    now = timezone.now()
    Assignment.objects.create(
        campaign_item=items[1],
        rater=rater,
        status=Assignment.Status.SKIPPED,
        flag="unsafe",
        flag_note="contains a slur",
        leased_at=now,
        expires_at=now,
    )
    Assignment.objects.create(
        campaign_item=items[3],
        rater=rater,
        status=Assignment.Status.SKIPPED,
        skip_reason="cannot read Welsh",
        leased_at=now,
        expires_at=now,
    )
    adjudication_send(campaign=rated, campaign_item=items[4], user=owner, note="check the numbers")
    reasons = {e.campaign_item_id: [(r.kind, r.detail) for r in e.reasons] for e in adjudication_queue(rated)}
    assert reasons[items[1].pk] == [("flagged", "Unsafe: contains a slur")]
    assert reasons[items[3].pk] == [("skipped", "cannot read Welsh")]
    assert reasons[items[4].pk] == [("sent", "curator: check the numbers")]


def test_a_missed_gold_answer_brings_the_gold_item(rated):
    gold = _items(rated)[1]
    gold.is_gold, gold.gold_answer = True, {"helpful": 3}
    gold.save()
    entries = {e.campaign_item_id: e for e in adjudication_queue(rated)}
    assert [(r.kind, r.criterion_key, r.detail) for r in entries[gold.pk].reasons] == [
        ("gold_missed", "helpful", "3 raters missed it")
    ]


def test_a_decision_settles_the_item_and_a_later_rating_reopens_it(split, adjudicator):
    item = _items(split)[0]
    adjudication_record(
        campaign=split,
        campaign_item=item,
        adjudicator=adjudicator,
        decisions=[Decision("helpful", "final", 1)],
    )
    assert item.pk not in [e.campaign_item_id for e in adjudication_queue(split)]
    late = UserFactory(username="late")
    RatingFactory(campaign_item=item, rater=late, values={"helpful": 5})
    assert item.pk in [e.campaign_item_id for e in adjudication_queue(split)]


def test_an_adjudication_overrides_the_majority_and_says_so(split, adjudicator):
    item = _items(split)[0]
    before = final_labels(split, [item.pk])[item.pk]["helpful"]
    assert (before.value, before.method) == (1, "majority")
    adjudication_record(
        campaign=split,
        campaign_item=item,
        adjudicator=adjudicator,
        decisions=[Decision("helpful", "final", 2, "the answer is partly helpful")],
    )
    after = final_labels(split, [item.pk])[item.pk]["helpful"]
    assert (after.value, after.method, after.aggregate, after.aggregate_method) == (2, "adjudicated", 1, "majority")
    assert after.adjudication.rationale == "the answer is partly helpful"


def test_a_later_decision_supersedes_and_keeps_the_earlier_one(split, adjudicator, owner):
    item = _items(split)[0]
    adjudication_record(
        campaign=split, campaign_item=item, adjudicator=adjudicator, decisions=[Decision("helpful", "final", 1)]
    )
    AdjudicationLease.objects.all().delete()
    adjudication_record(
        campaign=split,
        campaign_item=item,
        adjudicator=owner,
        decisions=[Decision("helpful", "ambiguous", None, "the prompt can be read two ways")],
    )
    decisions = list(Adjudication.objects.filter(campaign_item=item).order_by("decided_at", "pk"))
    assert [(d.outcome, d.is_current, d.decided_by_id) for d in decisions] == [
        ("final", False, adjudicator.pk),
        ("ambiguous", True, owner.pk),
    ]
    label = final_labels(split, [item.pk])[item.pk]["helpful"]
    assert (label.value, label.method) == (None, "ambiguous")
    assert decisions[0].seen["aggregate"] == 1
    assert sorted(v for _, _, v in decisions[0].seen["ratings"]) == [1, 1, 2]


def test_a_decision_keeps_the_raters_under_their_pseudonyms(split, adjudicator):
    item = _items(split)[0]
    [decision] = adjudication_record(
        campaign=split, campaign_item=item, adjudicator=adjudicator, decisions=[Decision("helpful", "final", 1)]
    )
    names = {name for _, name, _ in decision.seen["ratings"]}
    assert all(name.startswith("rater-") for name in names)
    assert "r1" not in str(decision.seen)


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision("helpful", "ambiguous", None, ""), "rationale is required"),
        (Decision("helpful", "final", 4, ""), "differs from the raters' aggregate needs a rationale"),
        (Decision("helpful", "final", 9, "why not"), "final value: 9 is not one of"),
        (Decision("helpful", "final", None, ""), "choose the final value"),
        (Decision("nonsense", "final", 1, ""), "'nonsense' is not a criterion"),
        (Decision("helpful", "maybe", 1, ""), "outcome: 'maybe' is not one of"),
    ],
)
def test_a_decision_that_cannot_stand_is_refused_and_nothing_is_written(split, adjudicator, decision, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        adjudication_record(
            campaign=split, campaign_item=_items(split)[0], adjudicator=adjudicator, decisions=[decision]
        )
    assert message in str(raised.value)
    assert not Adjudication.objects.exists()


def test_sending_back_asks_for_more_raters_and_the_item_returns_to_the_rating_queue(split, adjudicator):
    split.status = Campaign.Status.ACTIVE
    split.save()
    item = _items(split)[0]
    adjudication_record(
        campaign=split,
        campaign_item=item,
        adjudicator=adjudicator,
        decisions=[Decision("helpful", "send_back")],
        more_raters=2,
    )
    item.refresh_from_db()
    assert item.extra_overlap == 2
    assert item.pk not in [e.campaign_item_id for e in adjudication_queue(split)]
    # A fourth rater gets it although three raters (k) have rated it.
    from ratings.queue import assignment_next

    newcomer = UserFactory(username="newcomer")
    MembershipFactory(campaign=split, user=newcomer, role=Membership.Role.RATER)
    served = {assignment_next(campaign=split, rater=newcomer).campaign_item_id for _ in range(1)}
    assert served == {item.pk}


def test_a_closed_campaign_cannot_send_items_back(split, adjudicator):
    from django.core.exceptions import ValidationError

    split.status = Campaign.Status.CLOSED
    split.save()
    with pytest.raises(ValidationError, match="cannot be sent back"):
        adjudication_record(
            campaign=split,
            campaign_item=_items(split)[0],
            adjudicator=adjudicator,
            decisions=[Decision("helpful", "send_back")],
        )


def test_two_adjudicators_never_hold_one_item(split, adjudicator, owner, client):
    item = _items(split)[0]
    client.force_login(adjudicator)
    client.get(_url("adjudicate-item", split, item.pk))
    client.force_login(owner)
    page = client.get(_url("adjudicate-item", split, item.pk))
    assert "adjudicator is adjudicating this item" in page.content.decode()
    assert 'id="adjudicate-form"' not in page.content.decode()
    refused = client.post(_url("adjudicate-item", split, item.pk), {"outcome-helpful": "final", "c-helpful": "1"})
    assert refused.status_code == 400
    assert not Adjudication.objects.exists()
    # The queue's next item for the owner is another one.
    nxt = client.get(_url("adjudicate-next", split))
    assert nxt.url.endswith(f"/adjudicate/{_items(split)[2].pk}/")


def test_an_expired_hold_lets_another_adjudicator_in(split, adjudicator, owner, client):
    item = _items(split)[0]
    AdjudicationLease.objects.create(
        campaign_item=item, campaign=split, adjudicator=adjudicator, expires_at=timezone.now() - timedelta(seconds=1)
    )
    client.force_login(owner)
    page = client.get(_url("adjudicate-item", split, item.pk))
    assert 'id="adjudicate-form"' in page.content.decode()


def test_the_page_posts_a_decision_and_goes_on_to_the_next_item(split, adjudicator, client):
    items = _items(split)
    client.force_login(adjudicator)
    response = client.post(
        _url("adjudicate-item", split, items[0].pk),
        {"outcome-helpful": "final", "c-helpful": "1", "rationale-helpful": ""},
    )
    assert response.status_code == 302
    assert response.url == _url("adjudicate-next", split) + f"?after={items[0].pk}"
    nxt = client.get(response.url)
    assert nxt.url.endswith(f"/adjudicate/{items[2].pk}/")
    assert Adjudication.objects.get().value == 1


def test_an_invalid_post_re_renders_the_page_with_the_error(split, adjudicator, client):
    client.force_login(adjudicator)
    response = client.post(
        _url("adjudicate-item", split, _items(split)[0].pk), {"outcome-helpful": "ambiguous", "rationale-helpful": ""}
    )
    assert response.status_code == 400
    assert "a rationale is required" in response.content.decode()


def test_the_page_shows_raters_by_pseudonym_and_owners_may_reveal_names(split, owner, adjudicator, client):
    item = _items(split)[0]
    r1 = Membership.objects.get(campaign=split, user__username="r1").user
    client.force_login(adjudicator)
    page = client.get(_url("adjudicate-item", split, item.pk)).content.decode()
    assert rater_pseudonym(split, r1.pk) in page
    assert ">r1<" not in page
    assert client.get(_url("adjudicate-item", split, item.pk) + "?names=1").content.decode().count(">r1<") == 0
    AdjudicationLease.objects.all().delete()
    client.force_login(owner)
    revealed = client.get(_url("adjudicate-item", split, item.pk) + "?names=1").content.decode()
    assert ">r1<" in revealed


def test_one_rating_has_undefined_disagreement_not_zero(campaign):
    rater = UserFactory(username="solo")
    item = _items(campaign)[0]
    RatingFactory(campaign_item=item, rater=rater, values={"helpful": 4})
    label = final_labels(campaign, [item.pk])[item.pk]["helpful"]
    assert (label.value, label.method, label.disagreement) == (4, "single_rating", None)


def test_a_tie_is_reported_not_broken(campaign):
    item = _items(campaign)[0]
    for name, value in (("a", 2), ("b", 4)):
        RatingFactory(campaign_item=item, rater=UserFactory(username=name), values={"helpful": value})
    label = final_labels(campaign, [item.pk])[item.pk]["helpful"]
    assert (label.value, label.method) == (None, "tie")
    assert label.distribution == {2: 1, 4: 1}


def test_every_rater_disagreeing_is_a_tie_with_the_full_distribution(campaign):
    item = _items(campaign)[0]
    for name, value in (("a", 1), ("b", 3), ("c", 5)):
        RatingFactory(campaign_item=item, rater=UserFactory(username=name), values={"helpful": value})
    label = final_labels(campaign, [item.pk])[item.pk]["helpful"]
    assert (label.value, label.method, label.n_raters) == (None, "tie", 3)
    assert label.disagreement == pytest.approx(((4 + 0 + 4) / 3) ** 0.5)


@pytest.mark.parametrize("role", ["rater", "outsider"])
def test_raters_and_outsiders_never_reach_the_queue_or_the_labels(split, request, client, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    item = _items(split)[0]
    for url in (
        _url("adjudicate", split),
        _url("adjudicate-next", split),
        _url("adjudicate-item", split, item.pk),
        _url("campaign-flags", split),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(_url("adjudicate-item", split, item.pk), {"outcome-helpful": "final", "c-helpful": "1"}).status_code
        == 404
    )
    assert client.post(_url("adjudicate-send", split, item.pk), {"note": "x"}).status_code == 404
    assert not Adjudication.objects.exists()


def test_viewers_read_the_queue_and_items_but_cannot_decide(split, viewer, client):
    client.force_login(viewer)
    item = _items(split)[0]
    assert client.get(_url("adjudicate", split)).status_code == 200
    page = client.get(_url("adjudicate-item", split, item.pk))
    assert page.status_code == 200
    assert 'id="adjudicate-form"' not in page.content.decode()
    assert not AdjudicationLease.objects.exists()
    assert (
        client.post(_url("adjudicate-item", split, item.pk), {"outcome-helpful": "final", "c-helpful": "1"}).status_code
        == 404
    )
    assert client.get(_url("adjudicate-next", split)).status_code == 404
    assert not Adjudication.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(split, client):
    response = client.get(_url("adjudicate", split))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_queue_page_counts_filters_and_explains(split, adjudicator, client):
    client.force_login(adjudicator)
    page = client.get(_url("adjudicate", split)).content.decode()
    assert '4</div><div class="muted small">items waiting' in page.replace("\n", "").replace("  ", "")
    filtered = client.get(_url("adjudicate", split) + "?reason=flagged").content.decode()
    assert "No waiting item matches these filters." in filtered
    assert client.get(_url("adjudicate", split) + "?reason=<script>&criterion=zzz").status_code == 200


def test_owners_set_thresholds_and_the_final_label_method(split, owner, client):
    client.force_login(owner)
    response = client.post(
        _url("adjudicate-settings", split), {"threshold-helpful": "1.5", "final_label_method": "dawid_skene"}
    )
    assert response.status_code == 302
    split.refresh_from_db()
    assert split.adjudication_thresholds == {"helpful": 1.5}
    assert split.final_label_method == "dawid_skene"
    bad = client.post(_url("adjudicate-settings", split), {"threshold-helpful": "-1", "final_label_method": "x"})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()


def test_adjudicators_cannot_change_the_settings(split, adjudicator, client):
    client.force_login(adjudicator)
    response = client.post(
        _url("adjudicate-settings", split), {"threshold-helpful": "0", "final_label_method": "majority"}
    )
    assert response.status_code == 404


def test_the_flags_page_lists_flags_and_skips_with_reasons(split, owner, client):
    items = _items(split)
    now = timezone.now()
    rater = UserFactory(username="flagger")
    Assignment.objects.create(
        campaign_item=items[1],
        rater=rater,
        status=Assignment.Status.SKIPPED,
        flag="broken",
        flag_note="<b>truncated</b>",
        leased_at=now,
        expires_at=now,
    )
    client.force_login(owner)
    page = client.get(_url("campaign-flags", split)).content.decode()
    assert "flag: broken" in page
    assert "&lt;b&gt;truncated&lt;/b&gt;" in page
    assert rater_pseudonym(split, rater.pk) in page
    assert "No rater has skipped" in client.get(_url("campaign-flags", split) + "?kind=skip").content.decode()


def test_dawid_skene_final_labels_settle_a_split_by_rater_reliability(campaign):
    """Three raters agree on four items; on the fifth the two reliable ones split from the third."""
    campaign.final_label_method = "dawid_skene"
    campaign.save()
    items = _items(campaign)
    table = {"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, 4, 5], "c": [5, 4, 3, 2, 1]}
    for name, values in table.items():
        rater = UserFactory(username=name)
        for item, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=item, rater=rater, values={"helpful": value})
    labels = final_labels(campaign, [i.pk for i in items])
    assert [labels[i.pk]["helpful"].method for i in items] == ["dawid_skene"] * 2 + ["unanimous"] + ["dawid_skene"] * 2
    assert [labels[i.pk]["helpful"].value for i in items] == [1, 2, 3, 4, 5]


def test_a_flag_or_a_request_after_the_queue_was_read_shows_at_once(rated, owner):
    items = _items(rated)
    assert adjudication_queue(rated) == []
    now = timezone.now()
    Assignment.objects.create(
        campaign_item=items[2],
        rater=UserFactory(username="late-flagger"),
        status=Assignment.Status.SKIPPED,
        flag="needs_expert",
        leased_at=now,
        expires_at=now,
        submitted_at=now,
    )
    assert [e.campaign_item_id for e in adjudication_queue(rated)] == [items[2].pk]
    adjudication_send(campaign=rated, campaign_item=items[0], user=owner)
    assert {e.campaign_item_id for e in adjudication_queue(rated)} == {items[0].pk, items[2].pk}
    rated.adjudication_thresholds = {"helpful": 0.1}
    rated.save()
    assert {e.campaign_item_id for e in adjudication_queue(rated)} == {items[i].pk for i in (0, 2, 3, 4)}


def test_a_settled_item_can_be_sent_back_to_the_queue_from_its_page(split, owner, client):
    item = _items(split)[1]
    client.force_login(owner)
    page = client.get(_url("adjudicate-item", split, item.pk)).content.decode()
    assert "Send to adjudication" in page
    response = client.post(_url("adjudicate-send", split, item.pk), {"note": "the flag deserves a second look"})
    assert response.status_code == 302
    [entry] = [e for e in adjudication_queue(split) if e.campaign_item_id == item.pk]
    assert [(r.kind, r.detail) for r in entry.reasons] == [("sent", "curator: the flag deserves a second look")]
    too_long = client.post(_url("adjudicate-send", split, item.pk), {"note": "x" * 5001}, follow=True)
    assert "note: at most 5000 characters" in too_long.content.decode()


def test_the_queue_page_shows_each_raters_reliability_as_dawid_skene_estimates_it(campaign, adjudicator, client):
    items = _items(campaign)
    table = {"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, 4, 5], "c": [5, 4, 3, 2, 1]}
    names = {}
    for username, values in table.items():
        rater = UserFactory(username=username)
        names[username] = rater_pseudonym(campaign, rater.pk)
        for item, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=item, rater=rater, values={"helpful": value})
    client.force_login(adjudicator)
    page = client.get(_url("adjudicate", campaign)).content.decode()
    assert "Raters as Dawid–Skene sees them" in page
    assert all(name in page for name in names.values())
    # Most reliable first: the two raters who agree, then the one who reverses the scale.
    assert page.index(names["c"]) > max(page.index(names["a"]), page.index(names["b"]))
    assert ">c<" not in page


HX = {"HTTP_HX_REQUEST": "true"}


def test_with_htmx_a_decision_brings_the_next_items_panel_in_place(split, adjudicator, client):
    items = _items(split)
    client.force_login(adjudicator)
    url = _url("adjudicate-item", split, items[0].pk)
    response = client.post(url, {"outcome-helpful": "final", "c-helpful": "1"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert f'data-item="{items[2].pk}"' in body
    assert "Recorded 1 decision on item" in body
    assert response["HX-Push-Url"] == _url("adjudicate-item", split, items[2].pk)
    assert AdjudicationLease.objects.get(campaign_item=items[2]).adjudicator == adjudicator


def test_with_htmx_an_invalid_decision_comes_back_in_the_panel_with_its_error(split, adjudicator, client):
    client.force_login(adjudicator)
    url = _url("adjudicate-item", split, _items(split)[0].pk)
    response = client.post(url, {"outcome-helpful": "ambiguous", "rationale-helpful": ""}, **HX)
    assert response.status_code == 200
    assert "a rationale is required" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert not Adjudication.objects.exists()


def test_with_htmx_the_last_decision_returns_to_the_cleared_queue(split, adjudicator, client):
    client.force_login(adjudicator)
    for entry in adjudication_queue(split)[:-1]:
        adjudication_record(
            campaign=split,
            campaign_item=CampaignItem.objects.get(pk=entry.campaign_item_id),
            adjudicator=adjudicator,
            decisions=[Decision("helpful", "ambiguous", None, "two readings")],
        )
    last = adjudication_queue(split)[0].campaign_item_id
    response = client.post(
        _url("adjudicate-item", split, last), {"outcome-helpful": "ambiguous", "rationale-helpful": "x"}, **HX
    )
    assert response["HX-Redirect"] == _url("adjudicate", split)
    assert "the queue is clear" in client.get(_url("adjudicate", split)).content.decode()


def test_the_item_page_is_a_whole_page_and_its_panel_for_htmx(split, adjudicator, client):
    client.force_login(adjudicator)
    url = _url("adjudicate-item", split, _items(split)[0].pk)
    assert "<html" in client.get(url).content.decode()
    fragment = client.get(url, **HX)
    assert "<html" not in fragment.content.decode() and 'id="adjudicate-panel"' in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]


def test_the_item_page_shows_its_final_labels_once_and_a_plain_title(split, owner, client):
    client.force_login(owner)
    item = _items(split)[0]
    page = client.get(reverse("ratings:agreement-item", args=[split.slug, item.pk])).content.decode()
    title = page[page.index("<title>") : page.index("</title>")]
    assert "<section" not in title and "Final labels" not in title
    assert page.count("<h2>Final labels</h2>") == 1
    assert page.count('action="' + _url("adjudicate-send", split, item.pk) + '"') == 1
