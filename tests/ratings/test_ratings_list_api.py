"""Every rating of a campaign through the API, for its readers: filters, pages, and raters named as the exports do."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Campaign
from annotate.services.api_tokens import api_token_create
from ratings.pseudonyms import rater_pseudonym
from tests.factories import CampaignFactory, MachineRaterFactory, RatingFactory, RatingRevisionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _url(campaign: Campaign) -> str:
    return reverse("ratings-api:campaign-rating-list", kwargs={"slug": campaign.slug})


def _rows(client: APIClient, campaign: Campaign, **params: str) -> list[dict[str, Any]]:
    response = client.get(_url(campaign), params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def labelled(campaign: Campaign, rater: User, other_rater: User) -> dict[str, Any]:
    """Two people's ratings of the first two items (one revised, one pairwise-swapped) and a machine's of the first."""
    items = list(campaign.items.order_by("order_key"))
    mine = RatingFactory(campaign_item=items[0], rater=rater, values={"helpful": 2}, comment="rater-note")
    RatingRevisionFactory(rating=mine, number=1, values={"helpful": 3})
    theirs = RatingFactory(campaign_item=items[1], rater=other_rater, values={"helpful": 5}, presentation={"left": "b"})
    machine = MachineRaterFactory(campaign=campaign, name="judge")
    judged = RatingFactory(campaign_item=items[0], rater=machine.user, values={"helpful": 1}, by_machine=True)
    return {"items": items, "mine": mine, "theirs": theirs, "machine": machine, "judged": judged}


@pytest.mark.parametrize("who", ["owner", "adjudicator", "viewer"])
def test_readers_get_every_rating_oldest_first(
    campaign: Campaign, labelled: dict, request: pytest.FixtureRequest, who: str
) -> None:
    rows = _rows(_api(request.getfixturevalue(who)), campaign)
    assert [row["id"] for row in rows] == [labelled[name].pk for name in ("mine", "theirs", "judged")]
    first = rows[0]
    assert first["item_id"] == labelled["items"][0].pk
    assert first["external_id"] == labelled["items"][0].item.external_id
    assert first["values"] == {"helpful": 2} and first["comment"] == "rater-note"
    assert first["n_revisions"] == 1 and first["rubric_version"] == campaign.rubric_version.number
    assert first["by_machine"] is False and first["machine"] == "" and first["source"] == "accord"
    # As stored, with how it was shown: readers compare labels in the item's own order.
    assert rows[1]["values"] == {"helpful": 5} and rows[1]["presentation"] == {"left": "b"}
    assert rows[2]["by_machine"] is True and rows[2]["machine"] == "judge"


def test_owners_see_usernames_beside_pseudonyms(campaign: Campaign, owner: User, rater: User, labelled: dict) -> None:
    row = _rows(_api(owner), campaign)[0]
    assert row["rater"] == rater_pseudonym(campaign, rater.pk) and row["username"] == "rater"


@pytest.mark.parametrize("who", ["adjudicator", "viewer"])
def test_other_readers_see_pseudonyms_only(
    campaign: Campaign, rater: User, other_rater: User, labelled: dict, request: pytest.FixtureRequest, who: str
) -> None:
    response = _api(request.getfixturevalue(who)).get(_url(campaign))
    rows = response.json()["results"]
    assert [row["rater"] for row in rows[:2]] == [rater_pseudonym(campaign, u.pk) for u in (rater, other_rater)]
    assert all(row["username"] is None for row in rows)
    assert all(value != "rater" for row in rows for value in row.values())
    assert "other_rater" not in response.content.decode()


def test_staff_act_as_owners(campaign: Campaign, labelled: dict, staff: User) -> None:
    assert _rows(_api(staff), campaign)[0]["username"] == "rater"


@pytest.mark.parametrize("who", ["rater", "outsider"])
def test_raters_and_outsiders_do_not_find_the_list(
    campaign: Campaign, labelled: dict, request: pytest.FixtureRequest, who: str
) -> None:
    response = _api(request.getfixturevalue(who)).get(_url(campaign))
    assert response.status_code == 404 and "rater-note" not in response.content.decode()


def test_an_owner_of_another_campaign_does_not_find_the_list(campaign: Campaign, labelled: dict) -> None:
    stranger = UserFactory(username="stranger")
    other = CampaignFactory(owner=stranger, with_items=1)
    assert _api(stranger).get(_url(campaign)).status_code == 404
    assert _rows(_api(stranger), other) == []


def test_anonymous_callers_are_refused(campaign: Campaign, labelled: dict) -> None:
    assert APIClient().get(_url(campaign)).status_code == 401


def test_an_api_token_reads_the_list(campaign: Campaign, viewer: User, labelled: dict) -> None:
    _token, secret = api_token_create(user=viewer, name="notebook")
    response = Client().get(_url(campaign), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and len(response.json()["results"]) == 3


@pytest.mark.parametrize(
    ("who", "expected"),
    [("all", ["mine", "theirs", "judged"]), ("humans", ["mine", "theirs"]), ("machines", ["judged"])],
)
def test_who_picks_people_or_machines(
    campaign: Campaign, viewer: User, labelled: dict, who: str, expected: list[str]
) -> None:
    rows = _rows(_api(viewer), campaign, who=who)
    assert [row["id"] for row in rows] == [labelled[name].pk for name in expected]


def test_the_pool_takes_machines_in_only_where_the_campaign_counts_them(
    campaign: Campaign, viewer: User, labelled: dict
) -> None:
    assert len(_rows(_api(viewer), campaign, who="pool")) == 2
    Campaign.objects.filter(pk=campaign.pk).update(machine_raters_in_pool=True)
    assert len(_rows(_api(viewer), campaign, who="pool")) == 3


def test_rater_filter_takes_a_pseudonym_or_a_machine_name(
    campaign: Campaign, viewer: User, other_rater: User, labelled: dict
) -> None:
    client = _api(viewer)
    rows = _rows(client, campaign, rater=rater_pseudonym(campaign, other_rater.pk))
    assert [row["id"] for row in rows] == [labelled["theirs"].pk]
    assert [row["id"] for row in _rows(client, campaign, rater="judge")] == [labelled["judged"].pk]
    assert _rows(client, campaign, rater="rater-000000") == []


def test_only_owners_may_filter_by_username(campaign: Campaign, owner: User, viewer: User, labelled: dict) -> None:
    assert [row["id"] for row in _rows(_api(owner), campaign, rater="rater")] == [labelled["mine"].pk]
    # Anyone else finds no rater by that name: a username is not a name they may use.
    assert _rows(_api(viewer), campaign, rater="rater") == []


def test_item_filter_takes_the_items_dataset_id(campaign: Campaign, viewer: User, labelled: dict) -> None:
    rows = _rows(_api(viewer), campaign, item_id=labelled["items"][0].item.external_id)
    assert [row["id"] for row in rows] == [labelled["mine"].pk, labelled["judged"].pk]
    assert _rows(_api(viewer), campaign, item_id="no-such-item") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"who": "everyone"}, "who"),
        ({"rater": "x" * 501}, "rater"),
        ({"item_id": "x" * 501}, "item_id"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    campaign: Campaign, viewer: User, labelled: dict, params: dict, field: str
) -> None:
    response = _api(viewer).get(_url(campaign), params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field and response.json()["error"]["code"] == "invalid"


def test_pages_follow_one_another_with_the_filters_kept(campaign: Campaign, owner: User, labelled: dict) -> None:
    client = _api(owner)
    extra = [RatingFactory(campaign_item=item, rater=owner) for item in labelled["items"][2:5]]
    expected = [labelled[name].pk for name in ("mine", "theirs")] + [rating.pk for rating in extra]
    url, seen = _url(campaign) + "?who=humans&limit=2", []
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == expected
