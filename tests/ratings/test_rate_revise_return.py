"""Revising from the rating page returns to it; from My ratings, to My ratings; no other place is ever followed."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign
from ratings.models import Rating
from ratings.queue import assignment_next
from ratings.services import rating_submit
from tests.factories import CampaignFactory, RatingFactory, raters_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated() -> tuple[Campaign, User, Rating, Client]:
    campaign = CampaignFactory(with_items=3, overlap=1)
    (rater,) = raters_of(campaign, 1)
    rating = rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 2})
    client = Client()
    client.force_login(rater)
    return campaign, rater, rating, client


def _revise_url(campaign: Campaign, rating: Rating, **query: str) -> str:
    url = reverse("ratings:rating-revise", args=[campaign.slug, rating.pk])
    return f"{url}?{urlencode(query)}" if query else url


def test_back_from_the_rating_page_returns_to_it_after_saving(rated) -> None:
    campaign, _rater, rating, client = rated
    rate_url = reverse("ratings:rate", args=[campaign.slug])
    revise = client.get(reverse("ratings:rate-back", args=[campaign.slug]))["Location"]
    page = client.get(revise).content.decode()
    assert f'name="next" value="{rate_url}"' in page
    assert f'<a class="btn secondary" href="{rate_url}">Cancel</a>' in page
    response = client.post(revise, {"c-helpful": "4", "next": rate_url})
    assert response.status_code == 302 and response["Location"] == rate_url
    rating.refresh_from_db()
    assert rating.values == {"helpful": 4}


def test_revising_from_my_ratings_returns_to_my_ratings(rated) -> None:
    campaign, _rater, rating, client = rated
    my_ratings = reverse("ratings:my-ratings", args=[campaign.slug])
    listing = client.get(my_ratings).content.decode()
    link = _revise_url(campaign, rating, next=my_ratings)
    assert f'href="{link.replace("&", "&amp;")}"' in listing
    response = client.post(_revise_url(campaign, rating), {"c-helpful": "5", "next": my_ratings})
    assert response["Location"] == my_ratings
    # With no return asked for, it is My ratings as well.
    assert client.post(_revise_url(campaign, rating), {"c-helpful": "3"})["Location"] == my_ratings


def test_a_page_of_my_ratings_is_returned_to(rated) -> None:
    campaign, rater, rating, client = rated
    for item in campaign.items.exclude(pk=rating.campaign_item_id):
        RatingFactory(campaign_item=item, rater=rater)
    back = reverse("ratings:my-ratings", args=[campaign.slug]) + "?page=2"
    response = client.post(_revise_url(campaign, rating), {"c-helpful": "5", "next": back})
    assert response["Location"] == back


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/",
        "//evil.example/c/x/rate/",
        "javascript:alert(1)",
        "/c/another-campaign/rate/",
        "/admin/",
        "rate/",
        "/c/{slug}/rate/?then=https://evil.example/",
        "/c/{slug}/my-ratings/?page=2&next=//evil.example/",
        "/c/{slug}/rate/" + "a" * 100_000,
        "/c/{slug}/rate/\r\nLocation: https://evil.example/",
    ],
)
def test_any_other_return_goes_to_my_ratings(rated, hostile: str) -> None:
    campaign, _rater, rating, client = rated
    hostile = hostile.replace("{slug}", campaign.slug)
    my_ratings = reverse("ratings:my-ratings", args=[campaign.slug])
    page = client.get(_revise_url(campaign, rating), {"next": hostile})
    assert page.status_code == 200
    assert f'name="next" value="{my_ratings}"' in page.content.decode()
    response = client.post(_revise_url(campaign, rating), {"c-helpful": "4", "next": hostile})
    assert response.status_code == 302 and response["Location"] == my_ratings


def test_a_return_holding_a_nul_is_refused_as_any_nul_is(rated) -> None:
    campaign, _rater, rating, client = rated
    hostile = reverse("ratings:rate", args=[campaign.slug]) + "\x00"
    assert client.get(_revise_url(campaign, rating), {"next": hostile}).status_code == 400
    assert client.post(_revise_url(campaign, rating), {"c-helpful": "4", "next": hostile}).status_code == 400
    rating.refresh_from_db()
    assert rating.values == {"helpful": 2}


def test_another_campaigns_rating_page_is_not_returned_to(rated) -> None:
    campaign, rater, rating, client = rated
    other = CampaignFactory(with_items=1, overlap=1)
    raters_of(other, 0)
    other_rate = reverse("ratings:rate", args=[other.slug])
    response = client.post(_revise_url(campaign, rating), {"c-helpful": "4", "next": other_rate})
    assert response["Location"] == reverse("ratings:my-ratings", args=[campaign.slug])
