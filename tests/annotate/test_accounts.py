"""Logging in, out and changing one's password."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_a_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_rater_lands_on_their_campaign_list_after_login(client):
    UserFactory(username="rita")
    response = client.post(reverse("login"), {"username": "rita", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "My campaigns" in client.get(reverse("home")).content.decode()


def test_wrong_password_shows_an_error(client):
    UserFactory(username="rita")
    response = client.post(reverse("login"), {"username": "rita", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_logout_requires_post_and_ends_the_session(client):
    client.force_login(UserFactory())
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_signed_in_user_stays_signed_in_across_requests(client):
    UserFactory(username="rita")
    client.post(reverse("login"), {"username": "rita", "password": "pw-for-tests-123"})
    for _ in range(2):
        assert client.get(reverse("home")).status_code == 200


def test_expired_session_asks_for_login_again(client):
    client.force_login(UserFactory())
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_session_cookie_is_treated_as_signed_out(client):
    client.force_login(UserFactory())
    Session.objects.all().delete()
    assert client.get(reverse("home")).status_code == 302


def test_password_change_takes_effect(client):
    user = UserFactory(username="rita")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-for-tests-123", "new_password1": "a-new-Secret-42", "new_password2": "a-new-Secret-42"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-Secret-42")


def test_pages_send_a_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_session_signed_in_before_the_account_backend_stays_valid(client):
    """Sessions record the backend that signed them in; Django's own must keep working after an upgrade."""
    client.force_login(UserFactory(username="rita"), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "rita" in response.content.decode()


def test_signed_in_user_who_is_deactivated_is_signed_out(client):
    user = UserFactory(username="rita")
    client.post(reverse("login"), {"username": "rita", "password": "pw-for-tests-123"})
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(reverse("home")).status_code == 302


def test_signed_in_user_who_is_deleted_is_signed_out(client):
    user = UserFactory(username="rita")
    client.post(reverse("login"), {"username": "rita", "password": "pw-for-tests-123"})
    user.delete()
    assert client.get(reverse("home")).status_code == 302


def test_signed_in_user_keeps_every_field(client):
    """The signed-in user is read with fixed SQL: dates and flags arrive as the ORM would give them."""
    user = UserFactory(username="rita", is_staff=True, email="rita@example.com")
    client.post(reverse("login"), {"username": "rita", "password": "pw-for-tests-123"})
    request_user = client.get(reverse("home")).wsgi_request.user
    user.refresh_from_db()
    for field in user._meta.concrete_fields:
        assert getattr(request_user, field.attname) == getattr(user, field.attname), field.name
    assert request_user.is_staff is True and request_user.last_login is not None


def test_wrong_password_is_checked_once(client):
    """A failed login must not run the password hasher once per configured backend."""
    UserFactory(username="rita")
    checks = []
    check = ModelBackend.authenticate

    def counted(backend, *args, **kwargs):
        checks.append(type(backend).__name__)
        return check(backend, *args, **kwargs)

    with mock.patch.object(ModelBackend, "authenticate", counted):
        response = client.post(reverse("login"), {"username": "rita", "password": "nope"})
    assert "didn't match" in response.content.decode()
    assert checks == ["AccountBackend"]
