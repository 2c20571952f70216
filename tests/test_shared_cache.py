"""Several workers share one cache when the operator names one: Django's database cache or Redis."""

import socket
import sys
from importlib.util import find_spec

import pytest

from tests.test_deploy_settings import run_with

# One process writes a value into the cache, another reads it: what two gunicorn workers do with a dashboard.
WRITE = "import django; django.setup(); from django.core.cache import cache; cache.set('shared-probe', 'from one', 60)"
READ = "import django; django.setup(); from django.core.cache import cache; print(cache.get('shared-probe'))"


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_without_settings_each_process_keeps_its_own_cache(tmp_path) -> None:
    exports = ["export DEBUG=1", f"export ACCORD_DATA_DIR={tmp_path}", "export DJANGO_SETTINGS_MODULE=accord.settings"]
    assert run_with(exports, sys.executable, "-c", WRITE).returncode == 0
    assert run_with(exports, sys.executable, "-c", READ).stdout.strip() == "None"


def test_cache_table_is_shared_by_every_process(tmp_path) -> None:
    exports = [
        "export DEBUG=1",
        f"export DATABASE_URL=sqlite:///{tmp_path}/shared.sqlite3",
        "export CACHE_TABLE=accord_cache",
        "export DJANGO_SETTINGS_MODULE=accord.settings",
    ]
    made = run_with(exports, sys.executable, "manage.py", "createcachetable")
    assert made.returncode == 0, made.stderr
    assert run_with(exports, sys.executable, "-c", WRITE).returncode == 0
    read = run_with(exports, sys.executable, "-c", READ)
    assert read.stdout.strip() == "from one", read.stderr


@pytest.mark.skipif(find_spec("redis") is None or not _redis_reachable(), reason="needs a Redis server on 6379")
def test_redis_url_is_shared_by_every_process(tmp_path) -> None:
    exports = [
        "export DEBUG=1",
        f"export ACCORD_DATA_DIR={tmp_path}",
        "export REDIS_URL=redis://127.0.0.1:6379/15",
        "export DJANGO_SETTINGS_MODULE=accord.settings",
    ]
    written = run_with(exports, sys.executable, "-c", WRITE)
    assert written.returncode == 0, written.stderr
    assert run_with(exports, sys.executable, "-c", READ).stdout.strip() == "from one"
