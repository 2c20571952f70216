"""GET /api/v1/campaigns/<slug>/agreement: the dashboard's numbers as JSON, for readers only."""

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from annotate.models import CampaignItem, Membership
from ratings import reports
from tests.factories import MembershipFactory, RatingFactory, UserFactory


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def rated(campaign):
    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))
    for username, values in {"r1": [1, 2, 3, 3, 5], "r2": [1, 2, 3, 4, 4]}.items():
        user = UserFactory(username=username)
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        for item, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=item, rater=user, values={"helpful": value})
    return campaign


def api_url(campaign, slash: bool = False) -> str:
    return f"/api/v1/campaigns/{campaign.slug}/agreement" + ("/" if slash else "")


@pytest.mark.parametrize("role", ["owner", "viewer", "adjudicator"])
def test_readers_get_the_numbers_as_json(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(api_url(rated))
    assert response.status_code == 200
    data = response.json()
    helpful = reports.campaign_agreement(rated).criterion("helpful")
    assert data["campaign_slug"] == rated.slug
    row = data["criteria"][0]
    assert row["alpha"]["value"] == pytest.approx(helpful.alpha.value)
    assert row["alpha"]["ci_low"] == pytest.approx(helpful.alpha.ci_low)
    assert row["reading"]["verdict"] == helpful.reading.verdict
    assert {c["key"] for c in row["coefficients"]} == {"cohen_kappa"}
    assert [r["username"] for r in row["raters"]] == ["r1", "r2"]


def test_the_trailing_slash_is_optional(client, rated, owner):
    client.force_login(owner)
    assert client.get(api_url(rated, slash=True)).status_code == 200
    assert reverse("ratings-api:campaign-agreement", args=[rated.slug]).startswith("/api/v1/campaigns/")


def test_one_criterion_and_an_unknown_one(client, rated, owner):
    client.force_login(owner)
    assert [c["key"] for c in client.get(api_url(rated) + "?criterion=helpful").json()["criteria"]] == ["helpful"]
    response = client.get(api_url(rated) + "?criterion=nope")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"], error["row"]) == ("invalid", "criterion", None)
    assert error["message"] == f"the rubric of campaign {rated.slug!r} has no criterion 'nope'"


def test_a_criterion_key_longer_than_any_is_refused_without_echoing_it(client, rated, owner):
    client.force_login(owner)
    response = client.get(api_url(rated) + "?criterion=" + "x" * 5000)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["message"]) == ("criterion", "Ensure this field has no more than 64 characters.")


def test_undefined_numbers_are_null(client, campaign, owner):
    client.force_login(owner)
    row = client.get(api_url(campaign)).json()["criteria"][0]
    assert row["status"] == "no_ratings"
    assert row["alpha"] is None and row["percent_agreement"] is None


@pytest.mark.parametrize("who", ["rater", "outsider"])
def test_raters_and_outsiders_get_404(client, rated, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(api_url(rated))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_callers_are_refused(client, rated):
    response = client.get(api_url(rated))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_schema_documents_the_endpoint_without_warnings(db, capsys):
    call_command("spectacular", "--file", "/dev/null", "--validate")
    err = capsys.readouterr().err
    assert "CampaignAgreementApi" not in err
    assert "ratings/api.py" not in err


def test_the_schema_describes_the_response(client, owner):
    client.force_login(owner)
    schema = yaml.safe_load(client.get(reverse("api-schema")).content)
    operation = schema["paths"]["/api/v1/campaigns/{slug}/agreement/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"slug", "criterion"}
    assert "CampaignAgreement" in str(operation["responses"]["200"])
