"""Password reset: by email when a mail server is configured, and plain instructions when none is."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAYOUT = '<header class="topbar">'


@pytest.fixture
def no_mail_server(settings) -> None:
    settings.EMAIL_HOST = ""


@pytest.fixture
def mail_server(settings) -> None:
    """A configured mail server; pytest-django delivers into `mailoutbox` instead of sending."""
    settings.EMAIL_HOST = "smtp.example.org"
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_login_page_links_to_password_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page


def test_without_a_mail_server_the_reset_page_says_how_to_get_a_new_password(client, no_mail_server):
    response = client.get(reverse("password_reset"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This server cannot send email" in page
    assert "Ask an administrator" in page
    assert "manage.py changepassword" in page
    assert 'name="email"' not in page, "no form that pretends to send"
    assert LAYOUT in page


def test_without_a_mail_server_posting_an_address_sends_nothing_and_claims_nothing(client, no_mail_server, mailoutbox):
    UserFactory(username="rita", email="rita@example.com")
    response = client.post(reverse("password_reset"), {"email": "rita@example.com"})
    assert response.status_code == 200
    assert "This server cannot send email" in response.content.decode()
    assert mailoutbox == []


def test_without_a_mail_server_the_sent_page_claims_no_email(client, no_mail_server):
    page = client.get(reverse("password_reset_done")).content.decode()
    assert "This server cannot send email" in page
    assert "Check your email" not in page


def test_with_a_mail_server_a_reset_link_is_mailed_and_sets_a_new_password(client, mail_server, mailoutbox):
    rita = UserFactory(username="rita", email="rita@example.com")
    form = client.get(reverse("password_reset"))
    assert 'name="email"' in form.content.decode() and LAYOUT in form.content.decode()

    response = client.post(reverse("password_reset"), {"email": "rita@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    done = client.get(response["Location"]).content.decode()
    assert "Check your email" in done and LAYOUT in done
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["rita@example.com"]

    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    choose = client.get(link, follow=True)
    assert "Choose a new password" in choose.content.decode() and LAYOUT in choose.content.decode()
    response = client.post(
        choose.redirect_chain[-1][0],
        {"new_password1": "a-new-Secret-42", "new_password2": "a-new-Secret-42"},
        follow=True,
    )
    assert "Your new password is in effect" in response.content.decode()
    rita.refresh_from_db()
    assert rita.check_password("a-new-Secret-42")


def test_with_a_mail_server_an_unknown_address_gets_the_same_answer_and_no_mail(client, mail_server, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_used_reset_link_says_it_is_no_longer_valid(client, mail_server):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "not-a-token"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This reset link is not valid" in page and LAYOUT in page
    assert 'name="new_password1"' not in page
