"""Refusals and failures answer with the site's pages (its layout, a clear message, a way back); the API with JSON."""

from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accord import pages
from annotate.dataset_api import DatasetListApi

pytestmark = pytest.mark.django_db

HOME_LINK = f'href="{reverse("home")}"'


def _in_layout(page: str) -> bool:
    return '<header class="topbar">' in page and reverse("api-docs") in page


def test_a_refused_action_says_what_was_refused_in_the_site_layout(client: Client, rater: User) -> None:
    client.force_login(rater)
    response = client.get(reverse("annotate:dataset-upload"))
    page = response.content.decode()
    assert response.status_code == 403
    assert _in_layout(page) and '<nav class="mainnav"' in page
    assert "You may not import datasets." in page
    assert HOME_LINK in page and "Go to your campaigns" in page


def test_an_object_that_is_not_there_gets_the_404_page_in_the_site_layout(client: Client, rater: User) -> None:
    client.force_login(rater)
    response = client.get(reverse("annotate:dataset-detail", args=[999_999]))
    page = response.content.decode()
    assert response.status_code == 404
    assert _in_layout(page) and '<nav class="mainnav"' in page
    assert "Nothing here" in page and HOME_LINK in page


def test_an_unknown_address_gets_the_404_page_without_signing_in(client: Client) -> None:
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert _in_layout(page) and "Nothing here" in page and HOME_LINK in page


def test_a_form_sent_with_a_stale_csrf_token_gets_the_site_page(rater: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(rater)
    client.get(reverse("home"))  # sets the CSRF cookie
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": "x" * 32})
    page = response.content.decode()
    assert response.status_code == 403
    assert _in_layout(page) and '<nav class="mainnav"' in page and rater.username in page
    assert "This form could not be accepted" in page and "Reload the form and send it again" in page
    assert HOME_LINK in page


def test_the_csrf_page_links_back_to_the_form_it_came_from(rater: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(rater)
    client.get(reverse("home"))
    form = "http://testserver" + reverse("password_change")
    page = client.post(reverse("password_change"), HTTP_REFERER=form).content.decode()
    assert f'href="{form}"' in page and "Back to the form" in page


def test_the_csrf_page_never_links_to_another_site(client: Client) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    page = client.post(reverse("login"), HTTP_REFERER="https://elsewhere.example/form/").content.decode()
    assert "elsewhere.example" not in page and "Back to the form" not in page


def test_a_form_sent_without_the_csrf_cookie_says_so(client: Client) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "did not send this site's cookie" in response.content.decode()


def test_a_server_error_gets_the_500_page_in_the_site_layout(rater: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(rater)
    with mock.patch("annotate.views.home.render", side_effect=ValueError("broken")):
        response = client.get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 500
    assert _in_layout(page) and "Something went wrong on our side" in page and HOME_LINK in page
    # Rendered without the request: no menus, which would read the user.
    assert '<nav class="mainnav"' not in page


def _read() -> None:
    raise AssertionError("the 500 page read the session or the user")


def test_the_500_page_reads_neither_the_session_nor_the_database(django_assert_num_queries) -> None:
    request = RequestFactory().get("/")
    request.session, request.user = SimpleLazyObject(_read), SimpleLazyObject(_read)
    with django_assert_num_queries(0):
        response = pages.server_error(request)
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


def test_a_bad_request_gets_the_400_page(client: Client) -> None:
    response = client.get(reverse("home"), HTTP_HOST="not-allowed.example")
    assert response.status_code == 400
    assert "This request could not be read" in response.content.decode()


def test_an_unknown_api_address_answers_json(client: Client, rater: User) -> None:
    client.force_login(rater)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
    assert "/api/docs/" in response.json()["error"]["message"]


def test_a_server_error_in_the_api_answers_json(rater: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(rater)
    with mock.patch.object(DatasetListApi, "get", side_effect=ValueError("broken")):
        response = client.get("/api/v1/datasets/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "Something went wrong" in response.json()["error"]["message"]


def test_a_bad_request_to_the_api_answers_json(client: Client) -> None:
    response = client.get("/api/v1/datasets/", HTTP_HOST="not-allowed.example")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request could not be read."


def test_a_refusal_in_the_api_answers_json(client: Client, rater: User) -> None:
    client.force_login(rater)
    response = client.post("/api/v1/datasets/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_refusals_under_the_api_answer_json_from_every_handler() -> None:
    request = RequestFactory().post("/api/v1/datasets/")
    denied = pages.permission_denied(request, PermissionError("Only curators."))
    csrf = pages.csrf_failure(request, reason="CSRF cookie not set.")
    assert (denied.status_code, denied["Content-Type"]) == (403, "application/json")
    assert (csrf.status_code, csrf["Content-Type"]) == (403, "application/json")
