"""The API's bearer tokens and rate limits: `Authorization: Bearer <token>` acts as the token's user, nothing more.

A wrong token counts as a failed login against the client's address (django-axes, as `accord.accounts` counts
wrong passwords), so guessing tokens locks the address out with 429 and Retry-After just as guessing passwords
does. Each token, and each user across their tokens and sessions, is held to a request rate (`API_RATE_TOKEN`,
`API_RATE_USER`) counted in Django's configured cache.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling
from rest_framework.request import Request

from accord.accounts import LOCKED_OUT, client_address, lockout_remaining, login_request
from annotate.models import ApiToken
from annotate.permissions import can_curate
from annotate.services.api_tokens import api_token_user, token_hash

KEYWORD = "Bearer"
CHALLENGE = 'Bearer realm="api"'


class TokenRefused(exceptions.APIException):
    """401 with a Bearer challenge. Not an AuthenticationFailed, which DRF turns into 403 without a challenge
    when session authentication, which has none, is listed first."""

    status_code = 401
    default_detail = "Invalid or expired API token."
    default_code = "authentication_failed"
    auth_header = CHALLENGE


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`: its user, with that user's roles; wrong tokens count as failed logins."""

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        login = login_request(request)
        # A failure is recorded under a name no account can have, one per token tried: the address's count is what
        # locks, since each guess is a different token.
        secret = header[1].decode("latin-1") if len(header) == 2 else ""
        credentials = {"username": f"bearer:{token_hash(secret)[:16]}"}
        if AxesProxyHandler.is_locked(login, credentials):
            raise _locked_out(login, credentials)
        found = api_token_user(secret) if len(header) == 2 else None
        if found is None:
            user_login_failed.send(sender=__name__, credentials=credentials, request=login)
            if getattr(login, "axes_locked_out", False):
                raise _locked_out(login, credentials)
            raise TokenRefused("Malformed Authorization header: use 'Bearer <token>'." if len(header) != 2 else None)
        return found

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE


def _locked_out(login: object, credentials: dict) -> exceptions.Throttled:
    wait = lockout_remaining(login, credentials)
    return exceptions.Throttled(wait=wait.total_seconds(), detail=LOCKED_OUT)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI schema documents bearer tokens as HTTP bearer authentication."""

    target_class = "annotate.api_auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from the account's API tokens page or `manage.py api_token create`.",
        }


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (`API_RATE_TOKEN`); requests without a token are left to the per-user rate."""

    scope = "token"

    def get_rate(self) -> str:
        # Read at each request rather than at import, so the rate follows the settings in force.
        return settings.API_RATE_TOKEN

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(throttling.UserRateThrottle):
    """Requests per user across sessions and tokens (`API_RATE_USER`); anonymous ones per address."""

    scope = "user"

    def get_rate(self) -> str:
        return settings.API_RATE_USER

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        # The address as the login throttle trusts it: DRF's own reading takes X-Forwarded-For at the client's word.
        address = client_address(request)
        return self.cache_format % {"scope": "anon", "ident": address} if address else None


def require_curator(request: Request) -> None:
    """403 unless the caller may create datasets, rubrics and campaigns (staff, or granted the permission)."""
    if not can_curate(request.user):
        raise exceptions.PermissionDenied("Only users who may create datasets, rubrics and campaigns can do this.")
