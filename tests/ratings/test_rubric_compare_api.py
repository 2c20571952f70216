"""The rubric comparison as JSON: the figures and the diff the comparison page shows, to those who may see the
rubric, over the campaigns they can read."""

import copy

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Membership
from annotate.services.api_tokens import api_token_create
from ratings import rubric_comparison
from ratings.reports import MIN_PAIRABLE_ITEMS
from tests.factories import (
    LIKERT_CRITERION,
    CampaignFactory,
    MembershipFactory,
    RatingFactory,
    RubricFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def versions(curator):
    """v1 (rated in the curator's campaign), v2 (used by no campaign) and v3 (relabelled, a criterion added)."""
    v1 = RubricVersionFactory(number=1, rubric__created_by=curator, guidelines="Rate the response.")
    v2 = RubricVersionFactory(rubric=v1.rubric, number=2, guidelines="Rate the response.\n\nBe strict.")
    flag = {"key": "polite", "type": "binary", "label": "Polite", "required": True, "level": "nominal"}
    flag["options"] = [{"value": True, "label": "Yes", "key": "y"}, {"value": False, "label": "No", "key": "n"}]
    relabelled = copy.deepcopy(LIKERT_CRITERION) | {"label": "How helpful"}
    v3 = RubricVersionFactory(
        rubric=v1.rubric, number=3, guidelines="Rate the response.\n\nBe fair.", criteria=[relabelled, flag]
    )
    campaign = CampaignFactory(slug="first-run", rubric_version=v1, with_items=5, owner=curator)
    for username, values in (("r1", [1, 2, 3, 4, 5]), ("r2", [1, 2, 3, 4, 4])):
        rater = UserFactory(username=username)
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
        for item, value in zip(campaign.items.order_by("order_key"), values, strict=True):
            RatingFactory(campaign_item=item, rater=rater, values={"helpful": value})
    return v1, v2, v3


def _client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _compare(client: APIClient, rubric_id: int, **query: str):
    return client.get(reverse("ratings-api:rubric-compare", args=[rubric_id]), query)


def test_the_last_two_versions_are_compared_by_default_with_every_versions_figures(curator, versions):
    v1, _, _ = versions
    response = _compare(_client(curator), v1.rubric_id)
    assert response.status_code == 200
    body = response.json()
    assert (body["rubric"], body["name"], body["min_pairable_items"]) == (v1.rubric_id, v1.rubric.name, 20)
    assert [(v["number"], v["campaigns"]) for v in body["versions"]] == [(1, ["first-run"]), (2, []), (3, [])]
    assert body["has_figures"] is True
    helpful = next(c for c in body["criteria"] if c["key"] == "helpful")
    assert [c["readable"] for c in helpful["cells"]] == [True, False, False]
    first = helpful["cells"][0]
    assert first["alpha"] is not None and first["n_items"] == 5 and first["n_pairable_items"] == 5
    assert first["too_few"] is (5 < MIN_PAIRABLE_ITEMS)
    pair = body["pair"]
    assert (pair["before"]["number"], pair["after"]["number"]) == (2, 3)
    assert {r["key"]: r["status"] for r in pair["criteria"]} == {"helpful": "changed", "polite": "added"}
    changed = next(r for r in pair["criteria"] if r["key"] == "helpful")
    assert {"field": "label", "before": "“Helpfulness”", "after": "“How helpful”"}.items() <= changed["changes"][
        0
    ].items()
    assert ("removed", "Be strict.") in [(line["kind"], line["text"]) for line in pair["guidelines"]]
    assert ("added", "Be fair.") in [(line["kind"], line["text"]) for line in pair["guidelines"]]
    assert pair["summary"].startswith("Criteria: 1 changed, 1 added")


def test_the_json_holds_the_figures_the_page_shows(client, curator, versions):
    v1, _, _ = versions
    client.force_login(curator)
    page = client.get(reverse("ratings:rubric-compare", args=[v1.rubric_id]), {"from": "3", "to": "1"})
    body = _compare(_client(curator), v1.rubric_id, **{"from": "3", "to": "1"}).json()
    expected = page.context["comparison"].cell("helpful", 1)
    got = next(c for c in body["criteria"] if c["key"] == "helpful")["cells"][0]
    assert (got["alpha"], got["ci_low"], got["ci_high"]) == (expected.alpha, expected.ci_low, expected.ci_high)
    rows = {r["key"]: r for r in body["pair"]["criteria"]}
    assert rows["polite"]["status"] == "removed"
    assert rows["helpful"]["after"]["alpha"] == expected.alpha and rows["helpful"]["before"]["readable"] is False


def test_an_api_token_reads_the_comparison(curator, versions):
    v1, _, _ = versions
    _token, secret = api_token_create(user=curator, name="notebook")
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}").get(
        reverse("ratings-api:rubric-compare", args=[v1.rubric_id])
    )
    assert response.status_code == 200 and response.json()["pair"]["after"]["number"] == 3


def test_figures_count_only_campaigns_the_caller_can_read(curator, versions):
    """Another owner's campaign on v2 shows them their figures; the curator, who cannot read it, gets none for v2."""
    v1, v2, _ = versions
    other = UserFactory(username="other-owner")
    theirs = CampaignFactory(slug="their-run", rubric_version=v2, with_items=3, owner=other)
    for username in ("r5", "r6"):
        rater = UserFactory(username=username)
        for item in theirs.items.all():
            RatingFactory(campaign_item=item, rater=rater, values={"helpful": 3})
    mine = _compare(_client(curator), v1.rubric_id).json()
    assert [v["campaigns"] for v in mine["versions"]] == [["first-run"], [], []]
    assert "their-run" not in str(mine) and "first-run" in str(mine)
    their_view = _compare(_client(other), v1.rubric_id).json()
    assert [v["campaigns"] for v in their_view["versions"]] == [[], ["their-run"], []]
    assert "first-run" not in str(their_view)


def test_a_rater_of_the_campaign_does_not_see_the_rubric(curator, versions):
    v1, _, _ = versions
    rater = UserFactory(username="r1")
    assert _compare(_client(rater), v1.rubric_id).status_code == 404


@pytest.mark.parametrize("role", [Membership.Role.ADJUDICATOR, Membership.Role.VIEWER])
def test_readers_who_do_not_own_a_campaign_on_it_do_not_see_the_rubric(curator, versions, role):
    v1, _, _ = versions
    member = UserFactory(username=f"member-{role}")
    MembershipFactory(campaign=v1.campaigns.get(), user=member, role=role)
    assert _compare(_client(member), v1.rubric_id).status_code == 404


def test_an_outsider_gets_404_and_anonymous_401(client, outsider, versions):
    v1, _, _ = versions
    response = _compare(_client(outsider), v1.rubric_id)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get(reverse("ratings-api:rubric-compare", args=[v1.rubric_id])).status_code == 401


def test_staff_read_it_over_every_campaign(versions):
    v1, _, _ = versions
    body = _compare(_client(UserFactory(username="admin", is_staff=True)), v1.rubric_id).json()
    assert body["versions"][0]["campaigns"] == ["first-run"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "9"}, "from", "from: no version '9' of this rubric (its versions: 1, 2, 3)"),
        ({"to": "abc"}, "to", "to: no version 'abc' of this rubric"),
        ({"to": "-1"}, "to", "to: no version '-1'"),
        ({"from": "1" * 5000}, "from", "from: no version"),
        ({"from": "٣"}, "from", "from: no version"),
    ],
)
def test_a_bad_version_in_the_query_is_a_400_naming_it(curator, versions, query, field, message):
    v1, _, _ = versions
    response = _compare(_client(curator), v1.rubric_id, **query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field and message in error["message"]
    assert len(response.content) < 2000


def test_the_same_version_twice_is_compared_with_no_differences(curator, versions):
    v1, _, _ = versions
    pair = _compare(_client(curator), v1.rubric_id, **{"from": "2", "to": "2"}).json()["pair"]
    assert pair["summary"].startswith("No differences")
    assert {r["status"] for r in pair["criteria"]} == {"unchanged"}


def test_a_rubric_without_versions_has_no_pair(curator):
    rubric = RubricFactory(created_by=curator)
    body = _compare(_client(curator), rubric.pk).json()
    assert (body["versions"], body["criteria"], body["pair"], body["has_figures"]) == ([], [], None, False)


def test_it_answers_what_the_selector_computes(curator, versions):
    v1, _, _ = versions
    comparison = rubric_comparison.rubric_versions_compared(v1.rubric, user=curator)
    body = _compare(_client(curator), v1.rubric_id).json()
    assert [c["key"] for c in body["criteria"]] == [c.key for c in comparison.criteria]
    assert [[d["diff"] for d in c["diffs"]] for c in body["criteria"]] == [
        [d.diff for d in c.diffs] for c in comparison.criteria
    ]
