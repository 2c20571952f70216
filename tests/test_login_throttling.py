"""Failed logins are throttled per account and per address on the login page, the admin's and the API."""

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"
HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"
API = "/api/v1/campaigns/"
# Wrong credentials: 401, with the bearer challenge of the first authentication class.
REFUSED = 401


@pytest.fixture
def limit(settings) -> int:
    """Failures that lock: the default, so that the tests describe what a fresh installation does."""
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    return settings.AXES_FAILURE_LIMIT


@pytest.fixture
def address_limit(settings) -> int:
    """Failures from one address, across user names, that lock it: the default."""
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 30
    return settings.LOGIN_ADDRESS_FAILURE_LIMIT


@pytest.fixture
def rita(db):
    return UserFactory(username="rita")


def login(client: Client, username: str, password: str, address: str = HOME, url: str | None = None, **extra):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def api_get(client: Client, username: str, password: str, address: str = HOME, **extra):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.get(API, HTTP_AUTHORIZATION=f"Basic {token}", REMOTE_ADDR=address, **extra)


def fail(client: Client, times: int, username: str = "rita", address: str = HOME, **extra) -> None:
    for _ in range(times):
        response = login(client, username, "wrong", address, **extra)
        assert response.status_code == 200, "locked out too early"


def time_passes(minutes: float) -> None:
    """Move every recorded failure `minutes` into the past, as if that much time had gone by."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("home")).status_code == 200


# The login page


def test_login_page_locks_the_account_at_the_failure_limit(client, rita, limit):
    fail(client, limit - 1)
    response = login(client, "rita", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins for this account or from this address" in page
    assert "for the next 15 minutes" in page
    assert '<header class="topbar">' in page, "the message is shown in the site's layout"
    assert response["Retry-After"] == "900"


def test_wrong_passwords_below_the_limit_get_the_usual_error(client, rita, limit):
    for _ in range(limit - 1):
        response = login(client, "rita", "wrong")
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()


def test_right_password_is_refused_during_a_lockout(client, rita, limit):
    fail(client, limit - 1)
    login(client, "rita", "wrong")
    response = login(client, "rita", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not is_signed_in(client)


def test_lockout_lifts_after_the_lockout_time(client, rita, limit):
    fail(client, limit - 1)
    login(client, "rita", "wrong")
    time_passes(14)
    assert login(client, "rita", PASSWORD).status_code == 429
    time_passes(1.1)
    response = login(client, "rita", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert is_signed_in(client)


def test_attempts_during_a_lockout_do_not_extend_it(client, rita, limit):
    fail(client, limit - 1)
    login(client, "rita", "wrong")
    time_passes(10)
    response = login(client, "rita", "wrong again")
    assert response.status_code == 429
    assert 299 <= int(response["Retry-After"]) <= 300
    assert "for the next 5 minutes" in response.content.decode()
    time_passes(5.1)
    assert login(client, "rita", PASSWORD).status_code == 302


def test_right_password_clears_the_accounts_failures(client, rita, limit):
    fail(client, limit - 1)
    assert login(client, "rita", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    fail(client, limit - 1)
    assert login(client, "rita", PASSWORD).status_code == 302


def test_locked_account_is_locked_from_every_address(client, rita, limit):
    fail(client, limit - 1, address=HOME)
    assert login(client, "rita", "wrong", HOME).status_code == 429
    assert login(client, "rita", PASSWORD, ELSEWHERE).status_code == 429


def test_other_accounts_at_other_addresses_are_unaffected_by_a_lockout(client, rita, limit):
    UserFactory(username="bob")
    fail(client, limit - 1)
    assert login(client, "rita", "wrong").status_code == 429
    assert login(client, "bob", PASSWORD, ELSEWHERE).status_code == 302


def test_address_is_locked_after_failures_across_accounts(client, address_limit):
    UserFactory(username="bob")
    for n in range(address_limit - 1):
        assert login(client, f"guess{n}", "wrong").status_code == 200
    assert login(client, "guess-last", "wrong").status_code == 429
    assert login(client, "bob", PASSWORD, HOME).status_code == 429
    assert login(client, "bob", PASSWORD, ELSEWHERE).status_code == 302


def test_one_colleague_locked_out_does_not_lock_out_the_office(client, rita, limit):
    UserFactory(username="bob")
    fail(client, limit - 1)
    assert login(client, "rita", "wrong").status_code == 429
    assert login(client, "bob", PASSWORD, HOME).status_code == 302


def test_logging_into_ones_own_account_does_not_clear_failures_against_another(client, rita, limit):
    UserFactory(username="mallory")
    fail(client, limit - 1)
    assert login(client, "mallory", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert login(client, "rita", "wrong").status_code == 429
    assert login(client, "rita", PASSWORD, ELSEWHERE).status_code == 429


# The admin's login page


def test_admin_login_locks_after_the_failure_limit(client, limit):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(limit - 1):
        assert login(client, "boss", "wrong", url=url).status_code == 200
    response = login(client, "boss", "wrong", url=url)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert '<header class="topbar">' in response.content.decode()
    assert login(client, "boss", PASSWORD, url=url).status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302, "not signed in"
    time_passes(15.1)
    response = login(client, "boss", PASSWORD, url=url)
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_and_login_page_failures_add_up(client, rita, limit):
    fail(client, limit - 1)
    response = login(client, "rita", "wrong", url=reverse("admin:login"))
    assert response.status_code == 429


# The API's HTTP basic authentication


def test_api_locks_the_account_at_the_failure_limit(client, rita, limit):
    for _ in range(limit - 1):
        assert api_get(client, "rita", "wrong").status_code == REFUSED
    response = api_get(client, "rita", "wrong")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "Too many failed logins for this account or from this address" in response.json()["error"]["message"]
    assert response["Retry-After"] == "900"


def test_api_refuses_the_right_password_during_a_lockout(client, rita, limit):
    for _ in range(limit):
        api_get(client, "rita", "wrong")
    response = api_get(client, "rita", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["error"]["message"]


def test_api_lockout_lifts_after_the_lockout_time(client, rita, limit):
    for _ in range(limit):
        api_get(client, "rita", "wrong")
    time_passes(10)
    assert 299 <= int(api_get(client, "rita", PASSWORD)["Retry-After"]) <= 300
    time_passes(5.1)
    assert api_get(client, "rita", PASSWORD).status_code == 200


def test_api_right_password_clears_the_accounts_failures(client, rita, limit):
    for _ in range(limit - 1):
        api_get(client, "rita", "wrong")
    assert api_get(client, "rita", PASSWORD).status_code == 200
    for _ in range(limit - 1):
        assert api_get(client, "rita", "wrong").status_code == REFUSED
    assert api_get(client, "rita", PASSWORD).status_code == 200


def test_api_and_login_page_failures_add_up(client, rita, limit):
    fail(client, limit - 1)
    assert api_get(client, "rita", "wrong").status_code == 429
    assert api_get(client, "rita", PASSWORD, ELSEWHERE).status_code == 429
    assert login(client, "rita", PASSWORD, ELSEWHERE).status_code == 429


def test_api_lockout_leaves_other_accounts_at_other_addresses_alone(client, rita, limit):
    UserFactory(username="bob")
    for _ in range(limit):
        api_get(client, "rita", "wrong")
    assert api_get(client, "bob", PASSWORD, ELSEWHERE).status_code == 200


def test_api_failure_with_a_malformed_body_still_counts(client, rita, limit):
    token = base64.b64encode(b"rita:wrong").decode()
    for _ in range(limit - 1):
        response = client.generic(
            "GET",
            API,
            b"{not json",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {token}",
            REMOTE_ADDR=HOME,
        )
        assert response.status_code == REFUSED
    assert api_get(client, "rita", "wrong").status_code == 429


@pytest.mark.parametrize("username", ["r" * 10_000, "ri\x00ta"])
def test_api_answers_an_impossible_user_name_as_a_failed_login(client, rita, username):
    assert api_get(client, username, "wrong").status_code == REFUSED


# Behind a reverse proxy


def test_forwarded_for_is_not_trusted_unless_told(client, address_limit):
    UserFactory(username="bob")
    for n in range(address_limit - 1):
        login(client, f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert login(client, "guess-last", "wrong", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    assert login(client, "bob", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.100").status_code == 429


def test_behind_a_trusted_proxy_clients_are_told_apart_by_forwarded_for(client, settings, address_limit):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="bob")
    proxy, attacker, colleague = "10.9.9.9", "203.0.113.5", "198.51.100.7"
    for n in range(address_limit - 1):
        login(client, f"guess{n}", "wrong", proxy, HTTP_X_FORWARDED_FOR=attacker)
    # Addresses the client writes into the header itself come before the one the proxy appends.
    response = login(client, "guess-last", "wrong", proxy, HTTP_X_FORWARDED_FOR=f"{colleague}, {attacker}")
    assert response.status_code == 429
    assert login(client, "bob", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=attacker).status_code == 429
    assert login(client, "bob", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=colleague).status_code == 302


def test_behind_two_trusted_proxies_the_second_entry_from_the_right_is_the_client(client, settings, rita, limit):
    settings.TRUSTED_PROXY_COUNT = 2
    for _ in range(limit - 1):
        login(client, "rita", "wrong", "10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.5, 10.8.8.8")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


@pytest.mark.parametrize("forwarded", ["not-an-address", "", ",,,", "999.1.1.1, <script>"])
def test_unreadable_forwarded_for_counts_against_the_connection(client, settings, rita, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    response = login(client, "rita", "wrong", HOME, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == HOME
