"""While the database cannot be reached, pages and the API answer 503 with Retry-After instead of a bare 500."""

import logging
import runpy
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection
from django.test import Client

from accord import settings as settings_module
from accord.middleware import MESSAGE, RETRY_AFTER_SECONDS, is_database_unavailable

pytestmark = pytest.mark.django_db


def _unreachable() -> Exception:
    """The driver's error for a connection the server closed or refused, on the database under test."""
    if connection.vendor == "postgresql":
        return psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")
    error = sqlite3.OperationalError("unable to open database file")
    error.sqlite_errorcode = sqlite3.SQLITE_CANTOPEN
    return error


def _statement_failed() -> Exception:
    """The driver's error for one statement that failed on a working database."""
    if connection.vendor == "postgresql":
        return psycopg.errors.DeadlockDetected("deadlock detected")
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    return error


def _wrapped(driver_error: Exception) -> DatabaseError:
    """The driver's error as Django raises it: its own class, the driver's error as the cause."""
    try:
        with connection.wrap_database_errors:
            raise driver_error
    except DatabaseError as exc:
        return exc
    raise AssertionError("not wrapped")


@contextmanager
def database_failing(driver_error: Exception) -> Iterator[None]:
    """Every new cursor fails with `driver_error`, passed through Django's wrapping as a real failure is."""
    with mock.patch.object(connection, "create_cursor", side_effect=driver_error):
        yield


@pytest.fixture
def signed_in(client: Client, rater: User) -> Client:
    client.force_login(rater)
    return client


def test_a_page_answers_503_in_the_site_layout_while_the_database_is_down(signed_in: Client) -> None:
    with database_failing(_unreachable()):
        response = signed_in.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Accord is briefly unavailable" in page
    assert MESSAGE in page
    assert 'class="brand"' in page
    # No user could be read, so no account menu.
    assert "Log out" not in page


def test_the_api_answers_503_json_while_the_database_is_down(signed_in: Client) -> None:
    with database_failing(_unreachable()):
        response = signed_in.get("/api/v1/datasets/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("unavailable", MESSAGE)


def test_signing_in_answers_503_while_the_login_page_itself_still_loads(client: Client, rater: User) -> None:
    with database_failing(_unreachable()):
        # Without a session cookie the login form needs no database.
        assert client.get("/accounts/login/").status_code == 200
        response = client.post("/accounts/login/", {"username": "rater", "password": "pw-for-tests-123"})
    assert response.status_code == 503
    assert "Accord is briefly unavailable" in response.content.decode()


def test_the_503_is_not_cached(signed_in: Client) -> None:
    with database_failing(_unreachable()):
        response = signed_in.get("/")
    assert "no-store" in response["Cache-Control"]


def test_an_outage_does_not_sign_the_rater_out(signed_in: Client) -> None:
    with database_failing(_unreachable()):
        response = signed_in.get("/")
    assert response.status_code == 503
    assert "sessionid" not in response.cookies
    assert signed_in.get("/").status_code == 200


def test_an_outage_is_logged_with_the_drivers_message(signed_in: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="accord.middleware"), database_failing(_unreachable()):
        signed_in.get("/api/v1/datasets/")
    [record] = [r for r in caplog.records if r.name == "accord.middleware"]
    assert "/api/v1/datasets/" in record.getMessage()
    assert str(_unreachable()) in record.getMessage()


def test_requests_succeed_again_once_the_database_is_back(signed_in: Client) -> None:
    with database_failing(_unreachable()):
        assert signed_in.get("/").status_code == 503
    assert signed_in.get("/").status_code == 200
    assert signed_in.get("/api/v1/datasets/").status_code == 200


def test_a_failing_session_save_in_the_middleware_answers_503(rater: User, settings) -> None:
    """The session is saved after the view, in SessionMiddleware: its failure never reaches process_exception."""
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client(raise_request_exception=False)
    client.force_login(rater)
    with mock.patch.object(SessionStore, "save", side_effect=_wrapped(_unreachable())):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Accord is briefly unavailable" in response.content.decode()


def test_a_statement_error_on_a_working_database_stays_a_500(rater: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(rater)
    with database_failing(_statement_failed()):
        response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_a_statement_error_from_the_api_stays_a_500(rater: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(rater)
    with database_failing(_statement_failed()):
        response = client.get("/api/v1/datasets/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_a_failing_session_save_for_another_reason_stays_a_500(rater: User, settings) -> None:
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client(raise_request_exception=False)
    client.force_login(rater)
    with mock.patch.object(SessionStore, "save", side_effect=_wrapped(_statement_failed())):
        response = client.get("/")
    assert response.status_code == 500


def test_other_exceptions_still_reach_the_test_client(signed_in: Client) -> None:
    with mock.patch("annotate.views.home.render", side_effect=ValueError("broken template")):
        with pytest.raises(ValueError, match="broken template"):
            signed_in.get("/")


def test_not_found_is_still_a_404(signed_in: Client) -> None:
    assert signed_in.get("/no-such-page/").status_code == 404


def _django_error(django_class: type[DatabaseError], cause: BaseException | None) -> DatabaseError:
    exc = django_class(str(cause))
    exc.__cause__ = cause
    return exc


def _sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    "exc",
    [
        _django_error(OperationalError, psycopg.OperationalError("connection failed: Connection refused")),
        _django_error(OperationalError, psycopg.OperationalError("the connection is closed")),
        _django_error(OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
        _django_error(OperationalError, psycopg.errors.CrashShutdown("terminating connection")),
        _django_error(OperationalError, psycopg.errors.CannotConnectNow("the database system is starting up")),
        _django_error(OperationalError, psycopg.errors.TooManyConnections("too many clients")),
        _django_error(OperationalError, psycopg.errors.ConnectionFailure("connection failure")),
        _django_error(OperationalError, _sqlite_error("unable to open database file", sqlite3.SQLITE_CANTOPEN)),
    ],
    ids=lambda exc: type(exc.__cause__).__name__ + ": " + str(exc.__cause__)[:30],
)
def test_lost_or_refused_connections_count_as_unavailable(exc: DatabaseError) -> None:
    assert is_database_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        _django_error(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
        _django_error(OperationalError, psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
        _django_error(OperationalError, psycopg.errors.LockNotAvailable("could not obtain lock")),
        _django_error(OperationalError, psycopg.errors.DiskFull("could not extend file")),
        _django_error(InterfaceError, psycopg.InterfaceError("the cursor is closed")),
        _django_error(OperationalError, _sqlite_error("database is locked", sqlite3.SQLITE_BUSY)),
        _django_error(OperationalError, _sqlite_error("no such table: annotate_item", sqlite3.SQLITE_ERROR)),
        _django_error(OperationalError, None),
        _django_error(IntegrityError, psycopg.OperationalError("connection failed")),
        ValueError("not a database error"),
    ],
    ids=lambda exc: type(exc).__name__ + "/" + type(exc.__cause__).__name__ + ": " + str(exc)[:30],
)
def test_failed_statements_and_other_errors_do_not(exc: Exception) -> None:
    assert not is_database_unavailable(exc)


def _settings_with(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict:
    for name, value in {"SECRET_KEY": "settings-under-test", **environ}.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(settings_module.__file__)))


def test_kept_postgresql_connections_are_checked_before_each_request_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection kept across requests that died with a database restart is replaced, not used to fail a request."""
    settings = _settings_with(monkeypatch, DATABASE_URL="postgres://accord@db.internal:5432/accord")
    assert settings["DATABASES"]["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings["DATABASES"]["default"]["CONN_MAX_AGE"] == 60


def test_the_connection_check_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_with(
        monkeypatch, DATABASE_URL="postgres://accord@db.internal:5432/accord", CONN_HEALTH_CHECKS="0"
    )
    assert settings["DATABASES"]["default"]["CONN_HEALTH_CHECKS"] is False
