"""GET /api/v1/campaigns/<slug>/data-card/: the campaign's data card as Markdown in JSON, for readers only."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import Campaign
from annotate.services.api_tokens import api_token_create
from ratings.data_card import data_card_markdown
from ratings.models import Rating

pytestmark = pytest.mark.django_db

RATER_COMMENT = "r2-comment-not-for-the-card-8b2f"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Agreement reports are cached across tests; every test starts cold."""
    cache.clear()


def _url(campaign: Campaign) -> str:
    return reverse("ratings-api:data-card-detail", args=[campaign.slug])


def _client(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["owner", "adjudicator", "viewer"])
def test_readers_get_the_same_markdown_the_data_card_page_downloads(rated, request, role) -> None:
    response = _client(request.getfixturevalue(role)).get(_url(rated))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["markdown"]
    assert body["markdown"] == data_card_markdown(rated)
    assert body["markdown"].startswith(f"# {rated.name}\n\n## Purpose")
    page = _client(request.getfixturevalue(role)).get(reverse("ratings:data-card", args=[rated.slug]))
    assert b"".join(page.streaming_content if page.streaming else [page.content]).decode() == body["markdown"]


def test_an_api_token_reads_the_card(rated, owner) -> None:
    _token, secret = api_token_create(user=owner, name="publisher")

    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}").get(_url(rated))

    assert response.status_code == 200
    assert f"{timezone.localdate().isoformat()}, by Accord" in response.json()["markdown"]


@pytest.mark.parametrize("role", ["rater", "outsider"])
def test_raters_and_outsiders_get_404_and_no_card(rated, request, role) -> None:
    Rating.objects.filter(campaign=rated, rater__username="r2").update(comment=RATER_COMMENT)

    response = _client(request.getfixturevalue(role)).get(_url(rated))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "markdown" not in response.json() and RATER_COMMENT not in response.content.decode()


def test_a_rater_of_the_campaign_gets_404(rated) -> None:
    response = _client(User.objects.get(username="r1")).get(_url(rated))

    assert response.status_code == 404


def test_anonymous_callers_get_401(rated) -> None:
    response = _client().get(_url(rated))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_campaign_is_not_found(owner) -> None:
    response = _client(owner).get(reverse("ratings-api:data-card-detail", args=["no-such-campaign"]))

    assert response.status_code == 404


def test_the_card_is_read_only(rated, owner) -> None:
    response = _client(owner).post(_url(rated), {}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
