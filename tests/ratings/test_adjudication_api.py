"""/api/v1/campaigns/<slug>/adjudication/…: the queue, an item's labels side by side, decisions and sending back."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import Assignment, Campaign, CampaignItem
from annotate.services.api_tokens import api_token_create
from ratings.adjudication import MAX_EXTRA_OVERLAP, MAX_RATIONALE_LENGTH
from ratings.models import Adjudication, AdjudicationLease, AdjudicationRequest, Rating
from ratings.pseudonyms import rater_pseudonym
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

# In the `rated` campaign (1-5 helpfulness, raters r1, r2, r3) the items' labels are:
# item 0: 1 1 2   item 1: 2 2 2   item 2: 3 3 4   item 3: 3 4 4   item 4: 5 4 5
OTHER_RATER_COMMENT = "r2-private-note-5d1e"


@pytest.fixture
def split(rated: Campaign) -> Campaign:
    """The rated campaign with a threshold low enough that every 2-1 split enters the queue; r2 commented item 0."""
    rated.adjudication_thresholds = {"helpful": 0.4}
    rated.save()
    Rating.objects.filter(campaign_item=_items(rated)[0], rater__username="r2").update(comment=OTHER_RATER_COMMENT)
    return rated


def _items(campaign: Campaign) -> list[CampaignItem]:
    return list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))


def _client(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def _queue_url(campaign: Campaign) -> str:
    return reverse("ratings-api:adjudication-list", args=[campaign.slug])


def _item_url(campaign: Campaign, item: CampaignItem, action: str = "") -> str:
    name = {
        "": "adjudication-detail",
        "decisions": "adjudication-decisions-create",
        "send-back": "adjudication-send-back",
        "send": "adjudication-send",
    }
    return reverse(f"ratings-api:{name[action]}", args=[campaign.slug, item.pk])


def _flag(item: CampaignItem, rater: User, flag: str, note: str) -> None:
    now = timezone.now()
    Assignment.objects.create(
        campaign_item=item,
        rater=rater,
        status=Assignment.Status.SKIPPED,
        flag=flag,
        flag_note=note,
        leased_at=now,
        expires_at=now,
    )


def _error(response: object) -> dict:
    """The error of a refused call, after checking its shape: the first problem is repeated at the top."""
    error = response.json()["error"]
    first = error["details"][0]
    assert (error["message"], error["field"], error["row"]) == (first["message"], first["field"], first["row"])
    return error


# --------------------------------------------------------------------------- the queue


@pytest.mark.parametrize("role", ["owner", "adjudicator", "viewer"])
def test_readers_get_the_queue_most_disputed_first_with_every_reason(split, request, role) -> None:
    items = _items(split)
    AdjudicationRequest.objects.create(
        campaign=split,
        campaign_item=items[1],
        note="check the reference",
        sent_by=split.created_by,
        sent_at=timezone.now(),
    )

    response = _client(request.getfixturevalue(role)).get(_queue_url(split))

    assert response.status_code == 200
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    # The four 2-1 splits are equally disputed (then by item); the unanimous item waits only for the request.
    assert [e["item"] for e in body["results"]] == [items[i].pk for i in (0, 2, 3, 4, 1)]
    first = body["results"][0]
    assert first["external_id"] == items[0].item.external_id
    assert first["status"] == "open" and first["score"] == pytest.approx(0.4714 / 0.4, rel=1e-3)
    assert first["reasons"] == [
        {"kind": "disagreement", "label": "Raters disagree", "criterion": "helpful", "detail": "0.47 (threshold 0.4)"}
    ]
    sent = body["results"][-1]
    assert sent["score"] == 0
    assert sent["reasons"] == [
        {"kind": "sent", "label": "Sent for adjudication", "criterion": None, "detail": "curator: check the reference"}
    ]


def test_the_queue_is_filtered_by_reason_and_criterion(split, adjudicator) -> None:
    items = _items(split)
    _flag(items[2], adjudicator, Assignment.Flag.UNSAFE, "a slur")
    client = _client(adjudicator)

    flagged = client.get(_queue_url(split), {"reason": "flagged"}).json()["results"]
    on_helpful = client.get(_queue_url(split), {"criterion": "helpful"}).json()["results"]

    assert [e["item"] for e in flagged] == [items[2].pk]
    assert {"kind": "flagged", "label": "Flagged by a rater", "criterion": None, "detail": "Unsafe: a slur"} in (
        flagged[0]["reasons"]
    )
    assert [e["item"] for e in on_helpful] == [items[i].pk for i in (0, 2, 3, 4)]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"reason": "boredom"}, "reason", '"boredom" is not a valid choice.'),
        ({"criterion": "speed"}, "criterion", "'speed' is not a criterion the queue settles (its criteria: helpful)"),
        ({"criterion": "x" * 65}, "criterion", "no more than 64 characters"),
        ({"limit": "0"}, "limit", "from 1 to 1000"),
        ({"cursor": "not-ours"}, "cursor", "Not a cursor this API gave"),
    ],
)
def test_a_bad_queue_parameter_is_a_400_naming_it(split, adjudicator, query, field, words) -> None:
    response = _client(adjudicator).get(_queue_url(split), query)

    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["field"], error["row"]) == ("invalid", field, None)
    assert words in error["message"]


def test_the_queue_comes_a_page_at_a_time_following_next(split, viewer) -> None:
    client = _client(viewer)
    seen, url = [], _queue_url(split) + "?limit=3"
    while url:
        body = client.get(url).json()
        seen += [e["item"] for e in body["results"]]
        url = body["next"]

    assert seen == [item.pk for i, item in enumerate(_items(split)) if i != 1]
    back = client.get(client.get(_queue_url(split) + "?limit=3").json()["next"]).json()["previous"]
    assert [e["item"] for e in client.get(back).json()["results"]] == seen[:3]


def test_the_queue_says_which_items_are_held_and_by_whom_only_for_you(split, adjudicator, owner) -> None:
    items = _items(split)
    until = timezone.now() + timedelta(minutes=10)
    AdjudicationLease.objects.create(campaign_item=items[0], campaign=split, adjudicator=adjudicator, expires_at=until)
    AdjudicationLease.objects.create(campaign_item=items[2], campaign=split, adjudicator=owner, expires_at=until)

    results = _client(adjudicator).get(_queue_url(split)).json()["results"]

    assert [e["status"] for e in results] == ["held_by_you", "held", "open", "open"]


@pytest.mark.parametrize("role", ["rater", "outsider"])
def test_raters_and_outsiders_get_404_and_never_a_label(split, request, role) -> None:
    client = _client(request.getfixturevalue(role))
    item = _items(split)[0]

    for url in (_queue_url(split), _item_url(split, item)):
        response = client.get(url)
        assert response.status_code == 404
        assert _error(response)["code"] == "not_found"
        assert OTHER_RATER_COMMENT not in response.content.decode()


def test_a_rater_of_the_campaign_who_also_commented_never_receives_another_raters_comment(split) -> None:
    client = _client(User.objects.get(username="r1"))

    for url in (_queue_url(split), _item_url(split, _items(split)[0])):
        response = client.get(url)
        assert response.status_code == 404
        assert OTHER_RATER_COMMENT not in response.content.decode()


def test_anonymous_callers_get_401(split) -> None:
    item = _items(split)[0]
    for url in (_queue_url(split), _item_url(split, item)):
        response = _client().get(url)
        assert response.status_code == 401
        assert _error(response)["code"] == "not_authenticated"
    response = _client().post(_item_url(split, item, "decisions"), {}, format="json")
    assert response.status_code == 401


# --------------------------------------------------------------------------- one item


def test_the_item_shows_every_label_and_comment_side_by_side_under_pseudonyms(split, adjudicator) -> None:
    item = _items(split)[0]

    response = _client(adjudicator).get(_item_url(split, item))

    assert response.status_code == 200
    body = response.json()
    raters = {u.username: u.pk for u in User.objects.filter(username__in=["r1", "r2", "r3"])}
    assert [r["name"] for r in body["raters"]] == [rater_pseudonym(split, raters[n]) for n in ("r1", "r2", "r3")]
    assert [r["values"] for r in body["raters"]] == [{"helpful": 1}, {"helpful": 1}, {"helpful": 2}]
    assert [r["comment"] for r in body["raters"]] == ["", OTHER_RATER_COMMENT, ""]
    assert "r2" not in [r["name"] for r in body["raters"]]
    assert (body["item"], body["external_id"]) == (item.pk, item.item.external_id)
    assert list(body["content"]) == ["prompt", "response"] and body["metadata"] == {"model": "atlas-7b"}
    [helpful] = body["criteria"]
    assert helpful["labels"] == [1, 1, 2]
    assert helpful["distribution"] == [{"value": 1, "n": 2}, {"value": 2, "n": 1}]
    assert (helpful["aggregate"], helpful["aggregate_method"]) == (1, "majority")
    assert (helpful["final"], helpful["method"], helpful["decisions"]) == (1, "majority", [])
    assert helpful["disagreement"] == pytest.approx(0.4714, abs=1e-4) and helpful["threshold"] == 0.4
    assert body["in_queue"] is True and body["reasons"][0]["kind"] == "disagreement"
    assert body["can_decide"] is True and body["flags"] == []


def test_owners_may_ask_for_usernames_and_nobody_else_gets_them(split, owner, adjudicator) -> None:
    item = _items(split)[0]

    as_owner = _client(owner).get(_item_url(split, item), {"names": "true"}).json()
    as_adjudicator = _client(adjudicator).get(_item_url(split, item), {"names": "true"}).json()

    assert [r["name"] for r in as_owner["raters"]] == ["r1", "r2", "r3"]
    assert not {"r1", "r2", "r3"} & {r["name"] for r in as_adjudicator["raters"]}


def test_a_decider_reading_the_item_holds_it_as_on_the_page_and_a_viewer_does_not(split, adjudicator, viewer) -> None:
    item = _items(split)[0]

    seen_by_viewer = _client(viewer).get(_item_url(split, item)).json()
    assert seen_by_viewer["held_by"] is None and seen_by_viewer["can_decide"] is False
    assert not AdjudicationLease.objects.exists()

    held = _client(adjudicator).get(_item_url(split, item)).json()["held_by"]
    assert (held["username"], held["by_you"]) == ("adjudicator", True)
    assert AdjudicationLease.objects.get().adjudicator == adjudicator
    assert _client(viewer).get(_item_url(split, item)).json()["held_by"]["by_you"] is False


def test_the_item_lists_decisions_newest_first_and_flags_under_pseudonyms(split, adjudicator, owner) -> None:
    item = _items(split)[0]
    r3 = User.objects.get(username="r3")
    _flag(item, r3, Assignment.Flag.BROKEN, "cut")
    decide = {"decisions": [{"criterion": "helpful", "outcome": "final", "value": 2, "rationale": "Two is right."}]}
    assert _client(adjudicator).post(_item_url(split, item, "decisions"), decide, format="json").status_code == 201
    again = {"decisions": [{"criterion": "helpful", "outcome": "ambiguous", "rationale": "Both readings hold."}]}
    assert _client(owner).post(_item_url(split, item, "decisions"), again, format="json").status_code == 201

    body = _client(adjudicator).get(_item_url(split, item)).json()

    [helpful] = body["criteria"]
    assert [(d["outcome"], d["decided_by"], d["is_current"]) for d in helpful["decisions"]] == [
        ("ambiguous", "curator", True),
        ("final", "adjudicator", False),
    ]
    assert (helpful["final"], helpful["method"]) == (None, "ambiguous")
    assert helpful["decisions"][1]["value"] == 2 and helpful["decisions"][1]["rationale"] == "Two is right."
    assert [row[1] for row in helpful["decisions"][1]["seen"]["ratings"]] == [r["name"] for r in body["raters"]]
    assert body["flags"] == [{"rater": rater_pseudonym(split, r3.pk), "kind": "flag", "flag": "broken", "note": "cut"}]


def test_an_item_of_another_campaign_or_none_at_all_is_not_found(split, adjudicator) -> None:
    foreign = _items(CampaignFactory(with_items=1))[0]
    client = _client(adjudicator)
    decide = {"decisions": [{"criterion": "helpful", "outcome": "ambiguous", "rationale": "x"}]}

    assert client.get(_item_url(split, foreign)).status_code == 404
    assert client.post(_item_url(split, foreign, "decisions"), decide, format="json").status_code == 404
    assert client.post(_item_url(split, foreign, "send-back"), {"more_raters": 1}, format="json").status_code == 404
    huge = reverse("ratings-api:adjudication-detail", args=[split.slug, 10**30])
    assert client.get(huge).status_code == 404
    assert not Adjudication.objects.exists()


def test_a_bad_names_value_is_a_400_naming_it(split, owner) -> None:
    response = _client(owner).get(_item_url(split, _items(split)[0]), {"names": "perhaps"})

    assert response.status_code == 400
    assert (_error(response)["field"], _error(response)["code"]) == ("names", "invalid")


# --------------------------------------------------------------------------- decisions


def test_an_adjudicator_records_a_final_value_through_a_token_and_the_item_leaves_the_queue(split, adjudicator) -> None:
    item = _items(split)[0]
    _token, secret = api_token_create(user=adjudicator, name="script")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"decisions": [{"criterion": "helpful", "outcome": "final", "value": 2, "rationale": "The answer helps."}]}

    response = client.post(_item_url(split, item, "decisions"), body, format="json")

    assert response.status_code == 201
    answer = response.json()
    assert (answer["item"], answer["extra_overlap"]) == (item.pk, 0)
    [decision] = answer["decisions"]
    assert (decision["criterion"], decision["outcome"], decision["value"]) == ("helpful", "final", 2)
    assert (decision["decided_by"], decision["is_current"], decision["rationale"]) == (
        "adjudicator",
        True,
        "The answer helps.",
    )
    stored = Adjudication.objects.get()
    assert (stored.campaign_item, stored.value, stored.decided_by) == (item, 2, adjudicator)
    assert not AdjudicationLease.objects.exists()
    assert item.pk not in [e["item"] for e in client.get(_queue_url(split)).json()["results"]]
    helpful = client.get(_item_url(split, item)).json()["criteria"][0]
    assert (helpful["final"], helpful["method"], helpful["aggregate"]) == (2, "adjudicated", 1)


def test_the_aggregate_needs_no_rationale_and_ambiguous_is_an_outcome(split, owner) -> None:
    items = _items(split)
    client = _client(owner)

    agree = client.post(
        _item_url(split, items[0], "decisions"),
        {"decisions": [{"criterion": "helpful", "outcome": "final", "value": 1}]},
        format="json",
    )
    ambiguous = client.post(
        _item_url(split, items[2], "decisions"),
        {"decisions": [{"criterion": "helpful", "outcome": "ambiguous", "rationale": "Three and four both fit."}]},
        format="json",
    )

    assert (agree.status_code, ambiguous.status_code) == (201, 201)
    assert ambiguous.json()["decisions"][0]["value"] is None
    assert list(Adjudication.objects.order_by("id").values_list("outcome", flat=True)) == ["final", "ambiguous"]


def _one(**decision: object) -> dict:
    return {"decisions": [{"criterion": "helpful", **decision}]}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "decisions", "This field is required."),
        ({"decisions": []}, "decisions", "at least 1 elements"),
        ({"decisions": "all of them"}, "decisions", "Expected a list of items"),
        ({"decisions": [7]}, "decisions.0", "Invalid data. Expected a dictionary"),
        ([], None, "Expected a dictionary"),
        ({"decisions": [{"outcome": "final", "value": 1}]}, "decisions.0.criterion", "This field is required."),
        (_one(outcome="maybe", value=1), "decisions.0.outcome", '"maybe" is not a valid choice.'),
        (_one(outcome="send_back"), "decisions.0.outcome", '"send_back" is not a valid choice.'),
        (
            _one(criterion="nope", outcome="final", value=1, rationale="x"),
            "decisions.0.criterion",
            "'nope' is not a criterion",
        ),
        (_one(outcome="final", value=9, rationale="why not"), "decisions.0.value", "final value: 9 is not one of"),
        (_one(outcome="final", value="<b>4</b>", rationale="x"), "decisions.0.value", "final value:"),
        (_one(outcome="final"), "decisions.0.value", "choose the final value"),
        (_one(outcome="final", value=None), "decisions.0.value", "choose the final value"),
        (_one(outcome="ambiguous"), "decisions.0.rationale", "a rationale is required"),
        (
            _one(outcome="final", value=4),
            "decisions.0.rationale",
            "differs from the raters' aggregate needs a rationale",
        ),
        (_one(outcome="ambiguous", rationale="x" * 5001), "decisions.0.rationale", "no more than 5000 characters"),
        (_one(outcome="ambiguous", rationale=["a list"]), "decisions.0.rationale", "Not a valid string."),
        (
            {
                "decisions": [
                    _one(outcome="final", value=1)["decisions"][0],
                    *_one(outcome="ambiguous", rationale="x")["decisions"],
                ]
            },
            "decisions.1.criterion",
            "decisions.0 decides 'helpful' already",
        ),
    ],
)
def test_a_bad_decision_is_a_400_naming_its_index_and_field_and_nothing_is_written(
    split, adjudicator, body, field, words
) -> None:
    response = _client(adjudicator).post(_item_url(split, _items(split)[0], "decisions"), body, format="json")

    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["field"], error["row"]) == ("invalid", field, None)
    assert words in error["message"]
    assert not Adjudication.objects.exists()
    assert not AdjudicationLease.objects.exists()


def test_a_decision_on_an_item_another_adjudicator_holds_is_a_409_and_nothing_is_written(
    split, adjudicator, owner
) -> None:
    item = _items(split)[0]
    assert _client(adjudicator).get(_item_url(split, item)).status_code == 200
    body = {"decisions": [{"criterion": "helpful", "outcome": "final", "value": 1}]}

    response = _client(owner).post(_item_url(split, item, "decisions"), body, format="json")

    assert response.status_code == 409
    error = _error(response)
    assert error["code"] == "conflict" and error["field"] is None
    assert error["message"].startswith("adjudicator is adjudicating this item until")
    assert not Adjudication.objects.exists()
    # Once their hold has expired, the owner may decide.
    AdjudicationLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _client(owner).post(_item_url(split, item, "decisions"), body, format="json").status_code == 201


@pytest.mark.parametrize("role", ["viewer", "rater", "outsider"])
def test_only_owners_and_adjudicators_decide_others_get_404_as_on_the_page(split, request, role) -> None:
    item = _items(split)[0]
    client = _client(request.getfixturevalue(role))
    body = {"decisions": [{"criterion": "helpful", "outcome": "final", "value": 1}]}

    decide = client.post(_item_url(split, item, "decisions"), body, format="json")
    send = client.post(_item_url(split, item, "send-back"), {"more_raters": 2}, format="json")

    assert (decide.status_code, send.status_code) == (404, 404)
    assert not Adjudication.objects.exists()
    item.refresh_from_db()
    assert item.extra_overlap == 0


# --------------------------------------------------------------------------- sending back


def test_sending_back_asks_for_more_raters_and_the_item_leaves_the_queue(split, adjudicator) -> None:
    item = _items(split)[0]
    client = _client(adjudicator)

    response = client.post(
        _item_url(split, item, "send-back"), {"more_raters": 2, "note": "Only three raters."}, format="json"
    )

    assert response.status_code == 201
    answer = response.json()
    assert answer["extra_overlap"] == 2
    assert [(d["criterion"], d["outcome"], d["rationale"]) for d in answer["decisions"]] == [
        ("helpful", "send_back", "Only three raters.")
    ]
    item.refresh_from_db()
    assert item.extra_overlap == 2
    assert item.pk not in [e["item"] for e in client.get(_queue_url(split)).json()["results"]]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "more_raters", "This field is required."),
        ({"more_raters": 0}, "more_raters", "greater than or equal to 1"),
        ({"more_raters": MAX_EXTRA_OVERLAP + 1}, "more_raters", f"less than or equal to {MAX_EXTRA_OVERLAP}"),
        ({"more_raters": "abc"}, "more_raters", "A valid integer is required."),
        ({"more_raters": 2, "note": "x" * 5001}, "note", "no more than 5000 characters"),
        ({"more_raters": 2, "criteria": []}, "criteria", "at least 1 elements"),
        ({"more_raters": 2, "criteria": ["nope"]}, "criteria.0", "'nope' is not a criterion"),
    ],
)
def test_a_bad_send_back_is_a_400_naming_the_field_and_nothing_is_written(
    split, adjudicator, body, field, words
) -> None:
    item = _items(split)[0]

    response = _client(adjudicator).post(_item_url(split, item, "send-back"), body, format="json")

    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["field"], error["row"]) == ("invalid", field, None)
    assert words in error["message"]
    item.refresh_from_db()
    assert item.extra_overlap == 0 and not Adjudication.objects.exists()


def test_an_item_sent_back_as_far_as_it_may_go_names_the_room_left(split, adjudicator) -> None:
    item = _items(split)[0]
    CampaignItem.objects.filter(pk=item.pk).update(extra_overlap=MAX_EXTRA_OVERLAP - 1)

    response = _client(adjudicator).post(_item_url(split, item, "send-back"), {"more_raters": 2}, format="json")

    assert response.status_code == 400
    assert (_error(response)["field"], _error(response)["message"]) == (
        "more_raters",
        "more raters: a whole number from 1 to 1, got 2",
    )


@pytest.mark.parametrize("status", [Campaign.Status.CLOSED, Campaign.Status.DRAFT])
def test_an_item_of_a_campaign_nobody_rates_in_cannot_be_sent_back(split, adjudicator, status) -> None:
    split.status = status
    split.save(update_fields=["status"])
    item = _items(split)[0]

    response = _client(adjudicator).post(_item_url(split, item, "send-back"), {"more_raters": 2}, format="json")

    assert response.status_code == 400
    error = _error(response)
    assert error["field"] is None and "cannot be sent back" in error["message"]
    assert not Adjudication.objects.exists()


def test_a_gold_item_cannot_be_sent_back(split, adjudicator) -> None:
    item = _items(split)[0]
    CampaignItem.objects.filter(pk=item.pk).update(is_gold=True, gold_answer={"helpful": 1})

    response = _client(adjudicator).post(_item_url(split, item, "send-back"), {"more_raters": 1}, format="json")

    assert response.status_code == 400
    assert "gold item" in _error(response)["message"] and _error(response)["field"] is None


def test_the_schema_documents_the_adjudication_endpoints(split, owner) -> None:
    schema = _client(owner).get(reverse("api-schema")).content.decode()
    for path in (
        "adjudication/",
        "adjudication/{item}/",
        "adjudication/{item}/decisions/",
        "adjudication/{item}/send-back/",
    ):
        assert f"/api/v1/campaigns/{{slug}}/{path}:" in schema


# --------------------------------------------------------------------------- sending an item to the queue


def test_an_adjudicator_sends_an_item_to_the_queue_with_a_note(split, adjudicator) -> None:
    items = _items(split)
    client = _client(adjudicator)
    quiet = items[1]
    assert quiet.pk not in [e["item"] for e in client.get(_queue_url(split)).json()["results"]]

    response = client.post(_item_url(split, quiet, "send"), {"note": "the reference looks wrong"}, format="json")

    assert response.status_code == 201
    assert response.json()["note"] == "the reference looks wrong"
    assert response.json()["sent_by"] == adjudicator.username
    entry = next(e for e in client.get(_queue_url(split)).json()["results"] if e["item"] == quiet.pk)
    sent = next(reason for reason in entry["reasons"] if reason["kind"] == "sent")
    assert "the reference looks wrong" in sent["detail"]


def test_a_note_too_long_is_a_400_naming_it_and_nothing_is_sent(split, adjudicator) -> None:
    item = _items(split)[1]
    response = _client(adjudicator).post(
        _item_url(split, item, "send"), {"note": "x" * (MAX_RATIONALE_LENGTH + 1)}, format="json"
    )
    assert response.status_code == 400
    assert _error(response)["field"] == "note"
    assert not AdjudicationRequest.objects.filter(campaign_item=item).exists()


@pytest.mark.parametrize("role", ["viewer", "r1", "outsider"])
def test_only_deciders_send_items_others_get_404(split, request, role) -> None:
    user = User.objects.get(username=role) if role == "r1" else request.getfixturevalue(role)
    item = _items(split)[1]
    response = _client(user).post(_item_url(split, item, "send"), {"note": "look"}, format="json")
    assert response.status_code == 404
    assert not AdjudicationRequest.objects.filter(campaign_item=item).exists()
