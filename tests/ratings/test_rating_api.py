"""The rating API for custom front ends: next item, submit, skip, flag, my ratings and their revisions."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import Assignment, Campaign, Membership
from annotate.services.api_tokens import api_token_create
from ratings.models import Rating, RatingRevision
from ratings.queue import assignment_next
from ratings.queue_selectors import DONE_REASON, MAX_SECONDS_SPENT, STATUS_REASONS
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RatingRevisionFactory,
    RubricVersionFactory,
    UserFactory,
)
from tests.ratings.test_assignment_next import PAIRWISE
from tests.ratings.test_rating_submit import CRITERIA

pytestmark = pytest.mark.django_db


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _url(name: str, campaign: Campaign, **kwargs: object) -> str:
    return reverse(f"ratings-api:{name}", kwargs={"slug": campaign.slug, **kwargs})


def _next(client: APIClient, campaign: Campaign) -> dict[str, Any]:
    response = client.post(_url("assignment-next", campaign))
    assert response.status_code == 200, response.content
    return response.json()


def _submit(client: APIClient, campaign: Campaign, pk: int, body: dict[str, Any]) -> Any:
    return client.post(_url("assignment-submit", campaign, pk=pk), body, format="json")


def _error(response: Any) -> dict[str, Any]:
    return response.json()["error"]


def _member(campaign: Campaign, username: str, role: str = Membership.Role.RATER) -> User:
    user = UserFactory(username=username)
    MembershipFactory(campaign=campaign, user=user, role=role)
    return user


def _pairwise_campaign() -> Campaign:
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=[PAIRWISE]), overlap=2)
    item = ItemFactory(
        dataset=campaign.dataset, content={"prompt": "P", "response_a": "ORIG-A", "response_b": "ORIG-B"}
    )
    campaign.items.create(item=item, order_key=1)
    return campaign


# --------------------------------------------------------------------------- next


def test_a_rater_gets_the_next_item_with_its_criteria_guidelines_lease_and_progress(
    campaign: Campaign, rater: User
) -> None:
    _token, secret = api_token_create(user=rater, name="front end")
    response = Client().post(_url("assignment-next", campaign), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    body = response.json()
    leased = Assignment.objects.get(rater=rater, status=Assignment.Status.LEASED)
    assignment = body["assignment"]
    assert assignment["id"] == leased.pk
    assert assignment["item"]["id"] == leased.campaign_item_id
    assert assignment["item"]["external_id"] == leased.campaign_item.item.external_id
    content = leased.campaign_item.item.content
    assert assignment["item"]["fields"] == [{"name": name, "value": content[name]} for name in ("prompt", "response")]
    assert assignment["item"]["pairs"] == [] and assignment["item"]["metadata"] == []
    assert assignment["criteria"] == [c.to_dict() for c in campaign.rubric_version.typed_criteria]
    assert assignment["guidelines"] == campaign.rubric_version.guidelines
    assert assignment["lease_expires_at"].startswith(leased.expires_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["reason"] == ""
    assert body["progress"]["done"] == 0 and body["progress"]["n_items"] == 5
    assert body["progress"]["finished"] is False


def test_asking_again_returns_the_same_lease(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    first = _next(client, campaign)["assignment"]["id"]
    assert _next(client, campaign)["assignment"]["id"] == first
    assert Assignment.objects.filter(rater=rater).count() == 1


def test_the_api_and_the_rating_page_hand_out_one_lease(campaign: Campaign, rater: User) -> None:
    page_lease = assignment_next(campaign=campaign, rater=rater)
    assert _next(_api(rater), campaign)["assignment"]["id"] == page_lease.pk


def test_hidden_fields_and_metadata_never_reach_the_rater(campaign: Campaign, rater: User) -> None:
    campaign.visible_fields = ["response"]
    campaign.save(update_fields=["visible_fields"])
    item = _next(_api(rater), campaign)["assignment"]["item"]
    assert [field["name"] for field in item["fields"]] == ["response"]
    assert item["metadata"] == []
    assert "atlas-7b" not in str(item) and "Prompt" not in str(item)


def test_visible_metadata_is_given_apart_from_the_content(campaign: Campaign, rater: User) -> None:
    campaign.visible_fields = ["prompt", "model"]
    campaign.save(update_fields=["visible_fields"])
    item = _next(_api(rater), campaign)["assignment"]["item"]
    assert [field["name"] for field in item["fields"]] == ["prompt"]
    assert item["metadata"] == [{"name": "model", "value": "atlas-7b"}]


@pytest.mark.parametrize(("left", "shown"), [("a", ("ORIG-A", "ORIG-B")), ("b", ("ORIG-B", "ORIG-A"))])
def test_pairwise_outputs_come_in_the_order_they_were_presented(rater: User, left: str, shown: tuple) -> None:
    campaign = _pairwise_campaign()
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    assignment = assignment_next(campaign=campaign, rater=rater)
    Assignment.objects.filter(pk=assignment.pk).update(presentation={"left": left})
    item = _next(_api(rater), campaign)["assignment"]["item"]
    assert item["pairs"] == [{"a": shown[0], "b": shown[1]}]
    assert item["fields"] == [{"name": "prompt", "value": "P"}]


def test_an_inactive_campaign_gives_no_item_and_says_why(campaign: Campaign, rater: User) -> None:
    campaign.status = Campaign.Status.PAUSED
    campaign.save(update_fields=["status"])
    body = _next(_api(rater), campaign)
    assert body["assignment"] is None
    assert body["reason"] == STATUS_REASONS[Campaign.Status.PAUSED]
    assert body["progress"]["finished"] is False
    assert not Assignment.objects.exists()


def test_a_rater_with_nothing_left_is_told_so(campaign: Campaign, rater: User) -> None:
    for campaign_item in campaign.items.all():
        RatingFactory(campaign_item=campaign_item, rater=rater)
    body = _next(_api(rater), campaign)
    assert body["assignment"] is None and body["reason"] == DONE_REASON
    assert body["progress"]["finished"] is True and body["progress"]["done"] == 5


@pytest.mark.parametrize("who", ["outsider", "viewer", "adjudicator", "owner"])
def test_only_raters_of_the_campaign_get_items(campaign: Campaign, request: pytest.FixtureRequest, who: str) -> None:
    response = _api(request.getfixturevalue(who)).post(_url("assignment-next", campaign))
    assert response.status_code == 404 and _error(response)["code"] == "not_found"
    assert not Assignment.objects.exists()


def test_an_owner_who_rates_gets_items(campaign: Campaign, owner: User) -> None:
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=True)
    assert _next(_api(owner), campaign)["assignment"] is not None


def test_anonymous_callers_are_refused(campaign: Campaign) -> None:
    assert APIClient().post(_url("assignment-next", campaign)).status_code == 401


# --------------------------------------------------------------------------- submit


def test_submit_stores_the_rating_and_the_next_item_follows(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    first = _next(client, campaign)["assignment"]
    response = _submit(client, campaign, first["id"], {"values": {"helpful": 4}, "comment": "  Clear.  "})
    assert response.status_code == 201
    rating = Rating.objects.get(rater=rater)
    body = response.json()
    assert body["id"] == rating.pk and body["item_id"] == first["item"]["id"]
    assert body["external_id"] == first["item"]["external_id"]
    assert body["values"] == {"helpful": 4} and body["comment"] == "Clear."
    assert body["n_revisions"] == 0 and body["rubric_version"] == campaign.rubric_version.number
    assert rating.values == {"helpful": 4} and rating.comment == "Clear."
    assert Assignment.objects.get(pk=first["id"]).status == Assignment.Status.SUBMITTED
    following = _next(client, campaign)
    assert following["assignment"]["id"] != first["id"] and following["progress"]["done"] == 1


def test_an_api_submission_stores_exactly_what_the_page_stores(rater: User, other_rater: User) -> None:
    campaign = CampaignFactory(with_items=1, rubric_version=RubricVersionFactory(criteria=CRITERIA))
    for user in (rater, other_rater):
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
    by_page, by_api = (assignment_next(campaign=campaign, rater=user) for user in (rater, other_rater))
    # Both were shown B on the left: the answers are given as shown and stored in the item's own order.
    Assignment.objects.filter(pk__in=[by_page.pk, by_api.pk]).update(presentation={"left": "b"})
    page = Client()
    page.force_login(rater)
    form = {
        "assignment": by_page.pk,
        "c-helpful": "4",
        "c-topic": "code",
        "c-safe": "false",
        "c-issues": ["rude", "typo"],
        "c-score": "7.5",
        "c-preference": "-1",
        "c-why": "  fine  ",
        "comment": " noted ",
    }
    assert page.post(reverse("ratings:rate-submit", args=[campaign.slug]), form).status_code == 302
    answers = {
        "helpful": 4,
        "topic": "code",
        "safe": False,
        "issues": ["rude", "typo"],
        "score": 7.5,
        "preference": -1,
        "why": "  fine  ",
    }
    response = _submit(_api(other_rater), campaign, by_api.pk, {"values": answers, "comment": " noted "})
    assert response.status_code == 201, response.content
    stored_by_page, stored_by_api = (Rating.objects.get(rater=user) for user in (rater, other_rater))
    assert stored_by_api.values == stored_by_page.values
    assert stored_by_api.values["preference"] == 1 and stored_by_api.values["issues"] == ["typo", "rude"]
    assert stored_by_api.comment == stored_by_page.comment == "noted"
    assert stored_by_api.presentation == stored_by_page.presentation == {"left": "b"}
    # The rater reads their answers back as they gave them.
    assert response.json()["values"]["preference"] == -1


def test_text_answers_are_read_as_the_page_reads_its_form(rater: User) -> None:
    campaign = CampaignFactory(with_items=1, rubric_version=RubricVersionFactory(criteria=CRITERIA))
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    pk = assignment_next(campaign=campaign, rater=rater).pk
    Assignment.objects.filter(pk=pk).update(presentation={})
    answers = {"helpful": "4", "topic": "code", "safe": "true", "issues": [], "score": "7.5", "why": "   "}
    assert _submit(_api(rater), campaign, pk, {"values": answers}).status_code == 201
    assert Rating.objects.get().values == {"helpful": 4, "topic": "code", "safe": True, "issues": [], "score": 7.5}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"values": {}}, "values.helpful", "Helpfulness: an answer is required"),
        ({"values": {"helpful": 9}}, "values.helpful", "Helpfulness: 9 is not one of 1, 2, 3, 4, 5"),
        ({"values": {"helpful": True}}, "values.helpful", "Helpfulness: True is not one of 1, 2, 3, 4, 5"),
        ({"values": {"helpful": {"x": 1}}}, "values.helpful", None),
        ({"values": {"helpful": 4, "length": 3}}, "values.length", "length: not a criterion of this rubric"),
        ({"values": [4]}, "values", None),
        ({"values": "4"}, "values", None),
        ({}, "values", None),
        ({"values": {"helpful": 4}, "comment": "x" * 10_001}, "comment", None),
        ({"values": {"helpful": 4}, "comment": ["a"]}, "comment", None),
        ({"values": {"helpful": 4}, "seconds_spent": -1}, "seconds_spent", None),
        ({"values": {"helpful": 4}, "seconds_spent": "nan"}, "seconds_spent", None),
        ({"values": {"helpful": 4}, "seconds_spent": "soon"}, "seconds_spent", None),
    ],
)
def test_a_bad_submission_is_a_400_naming_the_field_and_nothing_is_written(
    campaign: Campaign, rater: User, body: dict, field: str, message: str | None
) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    response = _submit(client, campaign, pk, body)
    assert response.status_code == 400, response.content
    error = _error(response)
    assert error["code"] == "invalid" and error["field"] == field
    if message is not None:
        assert error["message"].startswith(message)
    assert not Rating.objects.exists()
    assert Assignment.objects.get(pk=pk).status == Assignment.Status.LEASED


def test_a_form_encoded_submission_is_refused(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    url = _url("assignment-submit", campaign, pk=pk)
    response = client.post(url, "c-helpful=4", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert not Rating.objects.exists()


def test_submitting_twice_is_a_conflict(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    assert _submit(client, campaign, pk, {"values": {"helpful": 4}}).status_code == 201
    again = _submit(client, campaign, pk, {"values": {"helpful": 2}})
    assert again.status_code == 409 and _error(again)["code"] == "conflict"
    assert "already submitted" in _error(again)["message"]
    assert list(Rating.objects.values_list("values", flat=True)) == [{"helpful": 4}]


def test_a_paused_campaign_takes_no_submission(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    response = _submit(client, campaign, pk, {"values": {"helpful": 4}})
    assert response.status_code == 409 and "paused" in _error(response)["message"]
    assert not Rating.objects.exists()


def test_seconds_spent_is_measured_from_the_lease_and_a_report_is_bounded_by_it(
    campaign: Campaign, rater: User
) -> None:
    client = _api(rater)
    for reported, low, high in ((None, 100, 160), (5000, 100, 160), (30, 30, 30), (0, 0, 0)):
        pk = _next(client, campaign)["assignment"]["id"]
        Assignment.objects.filter(pk=pk).update(leased_at=timezone.now() - timedelta(seconds=100))
        body = {"values": {"helpful": 3}} | ({} if reported is None else {"seconds_spent": reported})
        assert _submit(client, campaign, pk, body).status_code == 201
        assert low <= Rating.objects.get(campaign_item__assignments=pk).seconds_spent <= high


def test_a_report_beyond_the_cap_is_capped(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    Assignment.objects.filter(pk=pk).update(leased_at=timezone.now() - timedelta(days=2))
    assert _submit(client, campaign, pk, {"values": {"helpful": 3}, "seconds_spent": 1e300}).status_code == 201
    assert Rating.objects.get().seconds_spent == MAX_SECONDS_SPENT


# --------------------------------------------------------------------------- another rater's assignment


@pytest.mark.parametrize(
    ("action", "body"),
    [("submit", {"values": {"helpful": 4}}), ("skip", {"reason": "mine now"}), ("flag", {"flag": "broken"})],
)
def test_another_raters_assignment_is_not_found(
    campaign: Campaign, rater: User, other_rater: User, action: str, body: dict
) -> None:
    theirs = assignment_next(campaign=campaign, rater=other_rater)
    _next(_api(rater), campaign)
    response = _api(rater).post(_url(f"assignment-{action}", campaign, pk=theirs.pk), body, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Assignment.Status.LEASED and theirs.flag == "" and not Rating.objects.exists()


@pytest.mark.parametrize("action", ["submit", "skip", "flag"])
def test_my_assignment_reached_through_another_campaign_is_not_found(
    campaign: Campaign, rater: User, action: str
) -> None:
    elsewhere = CampaignFactory(with_items=1)
    MembershipFactory(campaign=elsewhere, user=rater, role=Membership.Role.RATER)
    mine = assignment_next(campaign=campaign, rater=rater)
    body = {"values": {"helpful": 4}, "flag": "broken"}
    response = _api(rater).post(_url(f"assignment-{action}", elsewhere, pk=mine.pk), body, format="json")
    assert response.status_code == 404
    assert Assignment.objects.get(pk=mine.pk).status == Assignment.Status.LEASED


@pytest.mark.parametrize("pk", [0, 2**63, 10**30])
def test_an_impossible_assignment_id_is_not_found(campaign: Campaign, rater: User, pk: int) -> None:
    response = _submit(_api(rater), campaign, pk, {"values": {"helpful": 4}})
    assert response.status_code == 404


def test_an_owner_of_another_campaign_cannot_act_on_its_assignments(campaign: Campaign, rater: User) -> None:
    theirs = assignment_next(campaign=campaign, rater=rater)
    stranger = UserFactory(username="stranger")
    own = CampaignFactory(with_items=1, owner=stranger)
    Membership.objects.filter(campaign=own, user=stranger).update(rates=True)
    for slug_of in (campaign, own):
        response = _api(stranger).post(_url("assignment-skip", slug_of, pk=theirs.pk), {}, format="json")
        assert response.status_code == 404
    assert Assignment.objects.get(pk=theirs.pk).status == Assignment.Status.LEASED


# --------------------------------------------------------------------------- skip and flag


def test_skip_gives_the_item_back_with_the_reason(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    response = client.post(_url("assignment-skip", campaign, pk=pk), {"reason": " unclear "}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": pk, "status": "skipped", "skip_reason": "unclear", "flag": "", "flag_note": ""}
    assert _next(client, campaign)["assignment"]["id"] != pk
    again = client.post(_url("assignment-skip", campaign, pk=pk), {}, format="json")
    assert again.status_code == 409 and "already skipped" in _error(again)["message"]


def test_skip_without_a_body_is_allowed(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    assert client.post(_url("assignment-skip", campaign, pk=pk)).status_code == 200


def test_flag_gives_the_item_back_with_the_flag_and_note(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    body = {"flag": "needs_expert", "note": "Medical advice."}
    response = client.post(_url("assignment-flag", campaign, pk=pk), body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "skipped" and response.json()["flag"] == "needs_expert"
    assignment = Assignment.objects.get(pk=pk)
    assert (assignment.flag, assignment.flag_note) == ("needs_expert", "Medical advice.")


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("flag", {}, "flag"),
        ("flag", {"flag": "boring"}, "flag"),
        ("flag", {"flag": "broken", "note": "x" * 2001}, "note"),
        ("skip", {"reason": "x" * 2001}, "reason"),
        ("skip", {"reason": ["a"]}, "reason"),
    ],
)
def test_a_bad_skip_or_flag_is_a_400_naming_the_field(
    campaign: Campaign, rater: User, action: str, body: dict, field: str
) -> None:
    client = _api(rater)
    pk = _next(client, campaign)["assignment"]["id"]
    response = client.post(_url(f"assignment-{action}", campaign, pk=pk), body, format="json")
    assert response.status_code == 400 and _error(response)["field"] == field
    assignment = Assignment.objects.get(pk=pk)
    assert assignment.status == Assignment.Status.LEASED and assignment.flag == ""


# --------------------------------------------------------------------------- my ratings


def test_my_ratings_are_mine_only_newest_first_page_by_page(campaign: Campaign, rater: User, other_rater: User) -> None:
    items = list(campaign.items.order_by("order_key"))
    mine = [RatingFactory(campaign_item=item, rater=rater, comment=f"mine-{i}") for i, item in enumerate(items[:3])]
    RatingFactory(campaign_item=items[0], rater=other_rater, comment="theirs-secret")
    client = _api(rater)
    url, seen = _url("my-rating-list", campaign) + "?limit=2", []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert "theirs-secret" not in response.content.decode()
        page = response.json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == [rating.pk for rating in reversed(mine)]
    first = client.get(_url("my-rating-list", campaign)).json()["results"][-1]
    assert first["external_id"] == items[0].item.external_id and first["comment"] == "mine-0"
    assert first["item_id"] == items[0].pk and first["values"] == {"helpful": 4}


def test_my_ratings_show_pairwise_answers_as_i_gave_them(rater: User) -> None:
    campaign = _pairwise_campaign()
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    campaign_item = campaign.items.get()
    RatingFactory(campaign_item=campaign_item, rater=rater, values={"preference": "A"}, presentation={"left": "b"})
    rows = _api(rater).get(_url("my-rating-list", campaign)).json()["results"]
    assert rows[0]["values"] == {"preference": "B"}


def test_bad_page_parameters_are_400(campaign: Campaign, rater: User) -> None:
    client = _api(rater)
    assert _error(client.get(_url("my-rating-list", campaign), {"limit": "0"}))["field"] == "limit"
    assert _error(client.get(_url("my-rating-list", campaign), {"cursor": "nonsense"}))["field"] == "cursor"


@pytest.mark.parametrize("who", ["outsider", "viewer", "adjudicator", "owner"])
def test_only_raters_have_my_ratings(campaign: Campaign, request: pytest.FixtureRequest, who: str) -> None:
    assert _api(request.getfixturevalue(who)).get(_url("my-rating-list", campaign)).status_code == 404


def test_my_rating_comes_with_the_item_as_i_saw_it_and_its_revisions(rater: User) -> None:
    campaign = _pairwise_campaign()
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    rating = RatingFactory(
        campaign_item=campaign.items.get(), rater=rater, values={"preference": "A"}, presentation={"left": "b"}
    )
    RatingRevisionFactory(rating=rating, number=1, values={"preference": "tie"}, comment="first")
    RatingRevisionFactory(rating=rating, number=2, values={"preference": "B"}, comment="second")
    body = _api(rater).get(_url("my-rating-detail", campaign, pk=rating.pk)).json()
    assert body["values"] == {"preference": "B"} and body["n_revisions"] == 2 and body["revisable"] is True
    assert body["item"]["pairs"] == [{"a": "ORIG-B", "b": "ORIG-A"}]
    assert [(r["number"], r["values"], r["comment"]) for r in body["revisions"]] == [
        (1, {"preference": "tie"}, "first"),
        (2, {"preference": "A"}, "second"),
    ]


def test_another_raters_rating_is_not_found(campaign: Campaign, rater: User, other_rater: User) -> None:
    theirs = RatingFactory(campaign_item=campaign.items.first(), rater=other_rater, comment="theirs-secret")
    client = _api(rater)
    url = _url("my-rating-detail", campaign, pk=theirs.pk)
    assert client.get(url).status_code == 404
    assert client.patch(url, {"values": {"helpful": 1}}, format="json").status_code == 404
    assert Rating.objects.get(pk=theirs.pk).values == {"helpful": 4} and not RatingRevision.objects.exists()
    assert client.get(_url("my-rating-detail", campaign, pk=2**63)).status_code == 404


def test_a_revision_keeps_the_earlier_version(campaign: Campaign, rater: User) -> None:
    rating = RatingFactory(campaign_item=campaign.items.first(), rater=rater, values={"helpful": 4}, comment="Was.")
    client = _api(rater)
    response = client.patch(_url("my-rating-detail", campaign, pk=rating.pk), {"values": {"helpful": 2}}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["values"] == {"helpful": 2} and body["comment"] == "Was."
    assert [(r["values"], r["comment"]) for r in body["revisions"]] == [({"helpful": 4}, "Was.")]
    rating.refresh_from_db()
    assert rating.values == {"helpful": 2} and rating.revisions.count() == 1
    comment_only = client.patch(_url("my-rating-detail", campaign, pk=rating.pk), {"comment": "Now."}, format="json")
    assert comment_only.json()["values"] == {"helpful": 2} and comment_only.json()["comment"] == "Now."
    assert comment_only.json()["n_revisions"] == 2


def test_a_revision_through_the_api_stores_what_the_revision_page_stores(rater: User, other_rater: User) -> None:
    campaign = CampaignFactory(with_items=1, rubric_version=RubricVersionFactory(criteria=CRITERIA))
    stored = {"helpful": 4, "topic": "code", "safe": True, "issues": [], "score": 7.5, "preference": 1}
    ratings = {}
    for user in (rater, other_rater):
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        ratings[user.pk] = RatingFactory(
            campaign_item=campaign.items.get(), rater=user, values=stored, presentation={"left": "b"}
        )
    page = Client()
    page.force_login(rater)
    form = {"c-helpful": "2", "c-topic": "maths", "c-safe": "true", "c-score": "7.5", "c-preference": "2"}
    page.post(reverse("ratings:rating-revise", args=[campaign.slug, ratings[rater.pk].pk]), form)
    # Every answer as shown; the page posts no ticked label as an empty list.
    answers = {"helpful": 2, "topic": "maths", "safe": True, "issues": [], "score": 7.5, "preference": 2}
    url = _url("my-rating-detail", campaign, pk=ratings[other_rater.pk].pk)
    assert _api(other_rater).patch(url, {"values": answers, "comment": ""}, format="json").status_code == 200
    by_page, by_api = (Rating.objects.get(pk=ratings[user.pk].pk) for user in (rater, other_rater))
    assert by_api.values == by_page.values and by_api.values["preference"] == -2
    assert by_api.comment == by_page.comment


def test_null_clears_an_optional_answer(rater: User) -> None:
    campaign = CampaignFactory(with_items=1, rubric_version=RubricVersionFactory(criteria=CRITERIA))
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    values = {"helpful": 4, "topic": "code", "safe": True, "issues": [], "score": 7.5, "why": "because"}
    rating = RatingFactory(campaign_item=campaign.items.get(), rater=rater, values=values)
    url = _url("my-rating-detail", campaign, pk=rating.pk)
    assert _api(rater).patch(url, {"values": {"why": None}}, format="json").status_code == 200
    rating.refresh_from_db()
    assert "why" not in rating.values and rating.values["helpful"] == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "values"),
        ({"values": {"helpful": 0}}, "values.helpful"),
        ({"values": {"helpful": None}}, "values.helpful"),
        ({"values": {"mood": 1}}, "values.mood"),
        ({"values": "4"}, "values"),
        ({"comment": "x" * 10_001}, "comment"),
        ({"comment": "fine", "seconds_spent": -3}, "seconds_spent"),
    ],
)
def test_a_bad_revision_is_a_400_naming_the_field_and_nothing_is_written(
    campaign: Campaign, rater: User, body: dict, field: str
) -> None:
    rating = RatingFactory(campaign_item=campaign.items.first(), rater=rater, values={"helpful": 4}, comment="Was.")
    response = _api(rater).patch(_url("my-rating-detail", campaign, pk=rating.pk), body, format="json")
    assert response.status_code == 400 and _error(response)["field"] == field
    rating.refresh_from_db()
    assert (rating.values, rating.comment) == ({"helpful": 4}, "Was.") and not rating.revisions.exists()


def test_a_closed_campaign_takes_no_revision(campaign: Campaign, rater: User) -> None:
    rating = RatingFactory(campaign_item=campaign.items.first(), rater=rater)
    campaign.status = Campaign.Status.CLOSED
    campaign.save(update_fields=["status"])
    client = _api(rater)
    assert client.get(_url("my-rating-detail", campaign, pk=rating.pk)).json()["revisable"] is False
    response = client.patch(_url("my-rating-detail", campaign, pk=rating.pk), {"values": {"helpful": 1}}, format="json")
    assert response.status_code == 409 and "closed" in _error(response)["message"]
    assert not rating.revisions.exists()
