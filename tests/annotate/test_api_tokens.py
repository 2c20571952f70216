"""API tokens: created on the account page or by command, shown once, revoked; bearer auth, its lockout, rate limits."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from annotate.models import ApiToken
from annotate.services.api_tokens import api_token_create, api_token_revoke, api_token_user, token_hash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/campaigns/"
PAGE = "/accounts/tokens/"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Rate counts live in the cache; each test starts with none."""
    cache.clear()


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# The service


def test_secret_is_recognisable_and_only_its_hash_is_stored(outsider):
    token, secret = api_token_create(user=outsider, name="nightly export")
    assert secret.startswith("acc_") and len(secret) > 40
    assert token.prefix == secret[:12]
    assert token.key_hash == token_hash(secret) and secret not in token.key_hash
    assert api_token_user(secret) == (outsider, token)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_name_must_be_present_and_short(outsider, name):
    with pytest.raises(ValidationError) as caught:
        api_token_create(user=outsider, name=name)
    assert "name" in caught.value.message_dict


def test_live_token_names_are_unique_per_user_but_a_revoked_name_is_free_again(outsider, rater):
    token, _ = api_token_create(user=outsider, name="ci")
    with pytest.raises(ValidationError, match="'ci'"):
        api_token_create(user=outsider, name="ci")
    api_token_create(user=rater, name="ci")
    api_token_revoke(token=token)
    api_token_create(user=outsider, name="ci")


def test_revoked_expired_and_inactive_users_tokens_are_refused(outsider):
    revoked, revoked_secret = api_token_create(user=outsider, name="revoked")
    api_token_revoke(token=revoked)
    expired, expired_secret = api_token_create(user=outsider, name="expired", expires_at=timezone.now() + timedelta(1))
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _, live_secret = api_token_create(user=outsider, name="live")
    assert api_token_user(revoked_secret) is None
    assert api_token_user(expired_secret) is None
    assert api_token_user(live_secret) is not None
    outsider.is_active = False
    outsider.save()
    assert api_token_user(live_secret) is None


def test_last_used_is_written_at_most_once_a_minute(outsider, django_assert_num_queries):
    token, secret = api_token_create(user=outsider, name="hot")
    api_token_user(secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # the lookup only, no write
        api_token_user(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api_token_user(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


# Bearer authentication on the API


def test_bearer_token_reads_the_api_as_its_user(client, owner, campaign):
    _, secret = api_token_create(user=owner, name="script")
    response = client.get(API, **bearer(secret))
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()["results"]] == [campaign.slug]


def test_raters_token_cannot_read_what_the_rater_cannot(client, rater, owner, campaign):
    agreement = reverse("ratings-api:campaign-agreement", args=[campaign.slug])
    _, rater_secret = api_token_create(user=rater, name="script")
    _, owner_secret = api_token_create(user=owner, name="script")
    assert client.get(agreement, **bearer(rater_secret)).status_code == 404
    assert client.get(agreement, **bearer(owner_secret)).status_code == 200


@pytest.mark.parametrize("header", ["Bearer acc_unknown-token", "Bearer", "Bearer two parts", "Bearer nothing-like"])
def test_malformed_or_unknown_token_gets_401_with_a_bearer_challenge(client, outsider, header):
    response = client.get(API, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "authentication_failed"


def test_revoked_token_gets_401(client, outsider):
    token, secret = api_token_create(user=outsider, name="old")
    api_token_revoke(token=token)
    assert client.get(API, **bearer(secret)).status_code == 401


def test_bad_tokens_lock_the_address_out_like_failed_logins(client, outsider, settings):
    _, secret = api_token_create(user=outsider, name="good")
    for attempt in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        response = client.get(API, REMOTE_ADDR="10.0.0.9", **bearer(f"acc_guess-{attempt}"))
        assert response.status_code == 401, "locked out too early"
    response = client.get(API, REMOTE_ADDR="10.0.0.9", **bearer("acc_guess-last"))
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["error"]["message"]
    assert response["Retry-After"] == str(settings.LOGIN_LOCKOUT_MINUTES * 60)
    # Even the right token is refused from that address until the lockout lifts; other addresses are unaffected.
    assert client.get(API, REMOTE_ADDR="10.0.0.9", **bearer(secret)).status_code == 429
    assert client.get(API, REMOTE_ADDR="10.0.0.8", **bearer(secret)).status_code == 200


def test_token_rate_limit_answers_429_with_retry_after(client, outsider, settings):
    settings.API_RATE_TOKEN = "2/min"
    _, secret = api_token_create(user=outsider, name="busy")
    _, other = api_token_create(user=outsider, name="other")
    assert [client.get(API, **bearer(secret)).status_code for _ in range(2)] == [200, 200]
    response = client.get(API, **bearer(secret))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "throttled" in response.json()["error"]["message"]
    assert 0 < int(response["Retry-After"]) <= 60
    assert client.get(API, **bearer(other)).status_code == 200, "each token has its own count"


def test_user_rate_limit_covers_sessions_and_tokens_together(client, outsider, settings):
    settings.API_RATE_USER = "3/min"
    _, secret = api_token_create(user=outsider, name="script")
    client.force_login(outsider)
    assert client.get(API).status_code == 200
    assert client.get(API).status_code == 200
    client.logout()
    assert client.get(API, **bearer(secret)).status_code == 200
    response = client.get(API, **bearer(secret))
    assert response.status_code == 429 and "Retry-After" in response


def test_malformed_rate_setting_is_refused(monkeypatch):
    from accord.settings import env_rate

    monkeypatch.setenv("API_RATE_USER", "lots")
    with pytest.raises(ImproperlyConfigured, match="API_RATE_USER='lots'"):
        env_rate("API_RATE_USER", "600/min")
    monkeypatch.setenv("API_RATE_USER", "100/min")
    assert env_rate("API_RATE_USER", "600/min") == "100/min"


def test_schema_documents_bearer_authentication(client, outsider):
    client.force_login(outsider)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


# The account page


def test_tokens_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_account_menu_links_to_the_tokens_page(client, outsider):
    client.force_login(outsider)
    assert f'href="{PAGE}"' in client.get(reverse("home")).content.decode()


def test_created_token_is_shown_once_and_works(client, outsider):
    client.force_login(outsider)
    response = client.post(PAGE, {"name": "notebook", "expires_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=outsider, name="notebook")
    secret = response.context["secret"]
    assert secret in response.content.decode() and "shown this once" in response.content.decode()
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    listing = client.get(PAGE).content.decode()
    assert "notebook" in listing and token.prefix in listing and secret not in listing
    client.logout()
    assert client.get(API, **bearer(secret)).status_code == 200


def test_token_without_expiry_never_expires(client, outsider):
    client.force_login(outsider)
    client.post(PAGE, {"name": "forever", "expires_days": ""})
    assert ApiToken.objects.get(user=outsider, name="forever").expires_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": "", "expires_days": ""}, "name"), ({"name": "x", "expires_days": "400"}, "expires_days")],
)
def test_invalid_form_is_shown_again_with_its_error(client, outsider, data, field):
    client.force_login(outsider)
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ApiToken.objects.filter(user=outsider).exists()


def test_duplicate_name_is_a_form_error_naming_it(client, outsider):
    api_token_create(user=outsider, name="ci")
    client.force_login(outsider)
    response = client.post(PAGE, {"name": "ci"})
    assert response.status_code == 400
    assert "You already have a token named &#x27;ci&#x27;" in response.content.decode()


def test_owner_revokes_a_token_after_confirming(client, outsider):
    token, secret = api_token_create(user=outsider, name="old")
    client.force_login(outsider)
    url = reverse("annotate:api-token-revoke", args=[token.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None, "showing the confirmation revokes nothing"
    response = client.post(url)
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    client.logout()
    assert client.get(API, **bearer(secret)).status_code == 401


def test_other_users_token_is_not_found(client, outsider, rater):
    token, _ = api_token_create(user=rater, name="theirs")
    client.force_login(outsider)
    url = reverse("annotate:api-token-revoke", args=[token.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert "theirs" not in client.get(PAGE).content.decode()


def test_revoking_needs_the_csrf_token(outsider):
    from django.test import Client

    token, _ = api_token_create(user=outsider, name="old")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(outsider)
    assert strict.post(reverse("annotate:api-token-revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


# The command


def test_command_prints_only_the_token(outsider):
    out = StringIO()
    call_command("api_token", "create", "outsider", "--name", "cron", "--expires-days", "7", stdout=out)
    secret = out.getvalue().strip()
    assert "\n" not in secret and secret.startswith("acc_")
    assert api_token_user(secret)[1].name == "cron"


def test_command_lists_and_revokes(outsider):
    token, _ = api_token_create(user=outsider, name="cron")
    out = StringIO()
    call_command("api_token", "list", "outsider", stdout=out)
    assert token.prefix in out.getvalue() and "cron" in out.getvalue() and "active" in out.getvalue()
    call_command("api_token", "revoke", "outsider", "--prefix", token.prefix, stdout=StringIO())
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    with pytest.raises(CommandError, match="no live token with name 'cron'"):
        call_command("api_token", "revoke", "outsider", "--name", "cron")


def test_command_refuses_unknown_user_and_bad_expiry(db):
    UserFactory(username="someone")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("api_token", "create", "nobody")
    with pytest.raises(CommandError, match="--expires-days.*1 to 365.*'0'"):
        call_command("api_token", "create", "someone", "--expires-days", "0")
