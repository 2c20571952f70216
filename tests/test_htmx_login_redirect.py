"""A rater whose session expired mid-campaign is sent to the login page, then back to the page they were on."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_htmx_submit_after_the_session_expired_sends_the_whole_page_to_login(client, campaign):
    rate_page = "http://testserver" + reverse("ratings:rate", args=[campaign.slug])
    response = client.post(
        reverse("ratings:rate-submit", args=[campaign.slug]),
        {"c-helpful": "3"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=rate_page,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next=%2Fc%2F{campaign.slug}%2Frate%2F"
    assert b"<form" not in response.content


def test_a_current_url_on_another_site_is_not_where_login_returns_to(client, campaign):
    response = client.post(
        reverse("ratings:rate-submit", args=[campaign.slug]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="https://evil.example/phish",
    )
    assert response["HX-Redirect"] == "/accounts/login/"


def test_a_plain_request_still_gets_the_ordinary_redirect(client, campaign):
    response = client.get(reverse("ratings:rate", args=[campaign.slug]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
