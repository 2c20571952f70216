"""A 503 with Retry-After, in place of a bare 500, while the database cannot be reached.

Django wraps the driver's exception in its own class (`django.db.OperationalError` for psycopg's and
sqlite3's `OperationalError`) and keeps the driver's exception as `__cause__`; the class alone cannot tell a
lost connection from a deadlock, a statement timeout or SQLite's "no such table", which must stay 500s. So
the driver's exception decides (`is_database_unavailable`).

Each middleware's exceptions are turned into a response where they arise, so an exception never reaches
an outer middleware's `__call__`. A view's exception (the first query of almost every request is the
session or user read, made inside the view) reaches `process_exception`. An exception from an inner
middleware (a session save) becomes a 500 before it gets here: Django announces it with
`got_request_exception`, whose receiver marks the request, and `__call__` replaces that 500.

Recovery needs nothing here: Django closes a connection that raised such an error once the request ends
(`close_old_connections`), and the next request connects again.
"""

import logging
import sqlite3
import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from accord.api_errors import error_json

try:
    import psycopg
except ImportError:  # an installation on SQLite alone
    psycopg = None

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "The database is briefly unavailable. Please try again in a moment."
# SQLSTATEs that say the server cannot serve this connection now: class 08 (connection exception), the
# server shutting down or restarting (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now),
# and too many connections (53300).
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_MARK = "_accord_database_unavailable"


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` says the database cannot be reached, rather than that one statement failed."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    cause = exc.__cause__
    if psycopg is not None and isinstance(cause, psycopg.OperationalError):
        # psycopg reports a connection that cannot be made or was lost (refused, closed, reset) without a
        # SQLSTATE; a connection refused by the server (wrong password, no such database) counts too, and the
        # log names it. psycopg's InterfaceError is misuse (a closed cursor), never an outage.
        sqlstate = cause.sqlstate
        return sqlstate is None or sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES
    if isinstance(cause, sqlite3.OperationalError):
        # The file cannot be opened (its volume is gone); "database is locked" or "no such table" stay 500s.
        return getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 for a request that could not reach the database: JSON under /api/, else the page."""
    if request.path_info.startswith("/api/"):
        response: HttpResponse = error_json(503, MESSAGE)
    else:
        # Rendered without the request: context processors would read the session and the user from the
        # database, and base.html shows no account menu without a user.
        page = render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS, "message": MESSAGE})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _log(request: HttpRequest, exc: BaseException) -> None:
    # One line per request: during an outage every request fails the same way, and the driver's message
    # (refused, terminated by the administrator, password rejected) is what tells the cases apart.
    logger.error(
        "Database unavailable, answered 503: %s %s: %s: %s",
        request.method,
        request.path,
        type(exc.__cause__ or exc).__name__,
        str(exc).strip().replace("\n", " "),
    )


@receiver(got_request_exception, dispatch_uid="accord.middleware.mark_database_unavailable")
def mark_database_unavailable(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """Mark a request whose uncaught exception says the database cannot be reached."""
    exc = sys.exc_info()[1]
    if request is not None and is_database_unavailable(exc):
        setattr(request, _MARK, exc)


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After, instead of 500, for requests that failed because the database is down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        exc = getattr(request, _MARK, None)
        if exc is not None and response.status_code == 500:
            _log(request, exc)
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Turn a view's database-unavailable exception into the 503; leave every other exception alone."""
        if not is_database_unavailable(exception):
            return None
        _log(request, exception)
        return unavailable_response(request)
