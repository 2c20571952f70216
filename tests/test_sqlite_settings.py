"""A new SQLite database gets the settings the import and concurrent raters rely on."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper


@pytest.mark.django_db
def test_a_new_sqlite_file_has_16_kib_pages_and_a_write_ahead_log(tmp_path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")
    fresh = DatabaseWrapper({**connection.settings_dict, "NAME": str(tmp_path / "accord.sqlite3")}, alias="fresh")
    try:
        with fresh.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x)")
            settings = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_size", "journal_mode")}
    finally:
        fresh.close()
    assert settings == {"page_size": 16384, "journal_mode": "wal"}
