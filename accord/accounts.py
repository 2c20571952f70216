"""Signing in: Django's users, passwords and permissions, with the signed-in user read by one fixed statement.

Failed logins are throttled by django-axes on every path that checks a password: the login page and the admin's
(Django's `authenticate`, whose failures axes counts) and the API's HTTP basic authentication (`BasicAuthentication`
below). After `LOGIN_FAILURE_LIMIT` failures for one user name, or `LOGIN_ADDRESS_FAILURE_LIMIT` from one
client address, within `LOGIN_LOCKOUT_MINUTES`, logins are refused, right password or not, until that time has
passed since the last counted failure: the page answers 429 in the site's layout, the API 429 JSON with
Retry-After.

Password reset goes by email only when a mail server is configured; without one its pages say how else to get
a new password rather than claim a mail was sent.
"""

import ipaddress
import math
from datetime import timedelta
from functools import cache
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.views import PasswordResetDoneView, PasswordResetView
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.authentication import BasicScheme
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from fixed_sql.rows import MAX_ROW_ID, models_from_sql

LOCKED_OUT = "Too many failed logins for this account or from this address."


def failure_limits() -> dict[str, int]:
    """Failures that lock, by what they are counted against (axes' lockout parameters).

    One account is guessed at from anywhere, so it locks soon; one address may be a whole office behind a NAT
    whose people now and then mistype their own passwords, so it takes more.
    """
    return {"username": settings.LOGIN_FAILURE_LIMIT, "ip_address": settings.LOGIN_ADDRESS_FAILURE_LIMIT}


def _counted(request: HttpRequest, credentials: dict | None) -> list[tuple[int, QuerySet]]:
    """The recent failures of each lockout parameter of this login, with that parameter's limit."""
    attempts = AxesProxyHandler.get_implementation().get_user_attempts(request, credentials)
    limits = failure_limits()
    return [(limits[name], found) for name, found in zip(settings.AXES_LOCKOUT_PARAMETERS, attempts, strict=True)]


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler, with a limit of its own for each lockout parameter (`failure_limits`)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures of this login, scaled so that reaching any parameter's own limit reaches axes' limit."""
        worst = 0
        for limit, attempts in _counted(request, credentials):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            worst = max(worst, failures * settings.AXES_FAILURE_LIMIT // limit)
        return worst


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' gate: refuses every login to a locked-out account or from a locked-out address, before any password check.

    Credentials checked without a request (a shell, a management command) come from no address and cannot be
    guessed over the network, so they pass; every login path of the site hands its request over.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class AccountBackend(ModelBackend):
    """Django's ModelBackend, except that a session's user is read without building an ORM query.

    Every request of a signed-in user reads their row; building the general query cost twice as much as
    running it. Settings list Django's ModelBackend after this one only so that sessions it signed in stay valid.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> AbstractBaseUser | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            # Wrong credentials: stop here, or ModelBackend would hash the same password a second time.
            raise PermissionDenied
        address = getattr(request, "axes_ip_address", None)
        if user is not None and username is not None and address is not None:
            # The right password forgets this account's failures from this address only. Clearing the account's or
            # the address's whole count would let anyone with an account of their own keep guessing at others'.
            AxesProxyHandler.reset_attempts(username=username, ip_address=address)
        return user

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        if not isinstance(user_id, int) or not 0 < user_id <= MAX_ROW_ID:
            return None
        model = get_user_model()
        found = models_from_sql(model, _user_sql(model, router.db_for_read(model)), [user_id])
        if not found or not self.user_can_authenticate(found[0]):
            return None
        return found[0]


@cache
def _user_sql(model: type[AbstractBaseUser], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    return f"SELECT * FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s"


def client_address(request: HttpRequest) -> str | None:
    """The address failed logins are counted against: the connection's, or the client's as trusted proxies saw it.

    Each proxy appends the address it was connected from to X-Forwarded-For, after whatever the client sent, so
    with N trusted proxies the Nth entry from the right is the client's; entries left of it are the client's word.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= count and _is_address(forwarded[-count]):
            return forwarded[-count]
    address = request.META.get("REMOTE_ADDR")
    return address if address and _is_address(address) else None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def lockout_remaining(request: HttpRequest, credentials: dict | None) -> timedelta:
    """How long until the lockout on this request's account or address lifts (at least a second).

    Axes counts the failures of each user name and of each address recorded within the lockout time before now;
    for each that is over the limit, the lock lifts once the failure that brought it to the limit is that old.
    """
    cool_off, now = get_cool_off(request), request.axes_attempt_time
    lifts = now
    for limit, attempts in _counted(request, credentials):
        total = 0
        for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
            "attempt_time", "failures_since_start"
        ):
            total += failures
            if total >= limit:
                lifts = max(lifts, attempt_time + cool_off)
                break
    return max(lifts - now, timedelta(seconds=1))


def lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a locked-out login on the login page or the admin's: 429 in the site's layout."""
    wait = lockout_remaining(request, credentials)
    context = {"message": LOCKED_OUT, "minutes": math.ceil(wait.total_seconds() / 60)}
    page = render(request, "registration/locked_out.html", context, status=429)
    page["Retry-After"] = str(math.ceil(wait.total_seconds()))
    return page


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's HTTP basic authentication, throttled as the login page is: a locked-out client gets 429 and Retry-After."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[AbstractBaseUser, None]:
        model = get_user_model()
        if "\x00" in userid or len(userid) > model._meta.get_field(model.USERNAME_FIELD).max_length:
            # No account has such a name, and the record of failures could not store it.
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        login = login_request(request) if request is not None else None
        try:
            return super().authenticate_credentials(userid, password, login)
        except exceptions.AuthenticationFailed:
            if login is not None and getattr(login, "axes_locked_out", False):
                wait = lockout_remaining(login, login.axes_credentials)
                raise exceptions.Throttled(wait=wait.total_seconds(), detail=LOCKED_OUT) from None
            raise


class BasicAuthenticationScheme(BasicScheme):
    """The OpenAPI schema describes the throttled basic authentication as the HTTP basic scheme it is."""

    target_class = "accord.accounts.BasicAuthentication"


def login_request(request: Request) -> HttpRequest:
    """The request an API login is counted against: its address, headers, path and query, never its body.

    Axes keeps the form fields of a failed login; parsing an API request's body for them could fail on a
    malformed upload before the failure was counted. The credentials travel in a header.
    """
    login = HttpRequest()
    login.method, login.path, login.path_info = request.method, request.path, request.path_info
    login.META, login.GET = request.META, request.GET
    return login


def password_reset(request: HttpRequest) -> HttpResponse:
    """Django's password reset by email; without a mail server, how to get a new password instead."""
    if not settings.EMAIL_HOST:
        return render(request, "registration/password_reset_unavailable.html")
    return PasswordResetView.as_view()(request)


def password_reset_done(request: HttpRequest) -> HttpResponse:
    """Django's "we have emailed you" page, which without a mail server would claim what did not happen."""
    if not settings.EMAIL_HOST:
        return render(request, "registration/password_reset_unavailable.html")
    return PasswordResetDoneView.as_view()(request)
