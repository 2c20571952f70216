"""HTTPS and deployment settings: the README's production environment passes Django's deployment checks."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def readme_production_exports() -> list[str]:
    """The `export` lines of the shell block in the README's Production section, as an operator would run them."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.startswith("export ")]


def run_with(exports: list[str], *command: str) -> subprocess.CompletedProcess:
    """Run `command` from the project in a shell whose environment holds only PATH and these exports."""
    script = "\n".join(["set -e", *exports, 'exec "$@"'])
    return subprocess.run(
        ["bash", "-c", script, "bash", *command],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_readme_production_environment_passes_the_deployment_checks():
    exports = readme_production_exports()
    assert any(line.startswith("export DATABASE_URL=postgres://") for line in exports)
    assert not any("DEBUG" in line for line in exports)
    # Django connects to no database for these checks: the README's address is used as written.
    result = run_with(exports, sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_demo_serves_plain_http_without_redirects(tmp_path):
    """`make demo` sets DEBUG=1 and serves http://127.0.0.1: no redirect to HTTPS, no HSTS."""
    probe = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/accounts/login/', HTTP_HOST='127.0.0.1'); "
        "print(r.status_code, r.has_header('Strict-Transport-Security'))"
    )
    exports = ["export DEBUG=1", f"export ACCORD_DATA_DIR={tmp_path}", "export DJANGO_SETTINGS_MODULE=accord.settings"]
    result = run_with(exports, sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "False"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto", "is not a request header in Django's form"),
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_ADDRESS_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be at least 1"),
        ("LOGIN_ADDRESS_FAILURE_LIMIT", "0", "LOGIN_ADDRESS_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be at"),
        ("TRUSTED_PROXY_COUNT", "-1", "cannot be negative"),
        ("SECURE_HSTS_SECONDS", "a year", "is not an integer"),
        ("EMAIL_USE_SSL", "1\nexport EMAIL_USE_TLS=1", "cannot both be on"),
    ],
)
def test_malformed_setting_stops_the_server_with_a_message(variable, value, message):
    result = run_with(["export DEBUG=1", f"export {variable}={value}"], sys.executable, "manage.py", "check")
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/admin/login/", "/api/v1/campaigns/", "/static/favicon.svg"]
)
def test_ssl_redirect_sends_every_plain_http_request_to_https(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(path)
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{path}"


def test_forwarded_proto_is_ignored_unless_the_proxy_header_is_named(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301


def test_behind_the_named_proxy_header_https_requests_are_served_with_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_hsts_is_never_sent_over_plain_http(client):
    assert not client.get(reverse("login")).has_header("Strict-Transport-Security")


def test_a_sqlite_database_url_gets_the_embedded_databases_write_settings(tmp_path):
    """A SQLite file named by DATABASE_URL queues concurrent writers (WAL, IMMEDIATE) like the default file does.

    Without them, raters submitting at once on two workers got "database is locked" errors.
    """
    probe = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); "
        "print(cursor.fetchone()[0], connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    exports = [
        "export DEBUG=1",
        f"export DATABASE_URL=sqlite:///{tmp_path}/named.sqlite3",
        "export DJANGO_SETTINGS_MODULE=accord.settings",
    ]
    result = run_with(exports, sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "IMMEDIATE"]
