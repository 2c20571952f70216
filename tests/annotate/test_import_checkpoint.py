"""On SQLite the import commits without copying its pages out of the WAL; a thread does that afterwards."""

import sqlite3

import pytest
from django.db import connection

from annotate.services import item_writers
from annotate.services.datasets import dataset_import
from annotate.services.item_writers import checkpoint_in_background
from tests.annotate.test_import_formats import write_jsonl

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write-ahead log")


def test_checkpoint_thread_copies_the_log_into_the_database_file(tmp_path):
    path = tmp_path / "accord.sqlite3"
    database = sqlite3.connect(path)
    database.execute("PRAGMA journal_mode = WAL")
    database.execute("PRAGMA wal_autocheckpoint = 0")
    database.execute("CREATE TABLE t (x)")
    with database:
        database.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,) for _ in range(2000)])
    assert path.stat().st_size < 100_000  # the rows are in the log only

    checkpoint_in_background(str(path)).join()

    assert path.stat().st_size > 2_000_000
    assert database.execute("SELECT COUNT(*) FROM t").fetchone() == (2000,)
    database.close()


def test_a_failed_checkpoint_is_logged_not_raised(tmp_path, caplog):
    path = tmp_path / "not-a-database.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    checkpoint_in_background(str(path)).join()
    assert "Could not copy the write-ahead log" in caplog.text


def test_import_into_a_file_starts_the_checkpoint_once_it_commits(
    db, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    started = []
    monkeypatch.setattr(connection, "is_in_memory_db", lambda: False)
    monkeypatch.setattr(item_writers, "checkpoint_in_background", started.append)
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "t"}])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dataset_import(source=source, name="d")
        assert started == []
    for callback in callbacks:
        callback()
    assert started == [str(connection.settings_dict["NAME"])]


def test_import_leaves_the_connection_checkpointing_as_before(db, tmp_path):
    dataset_import(source=write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "t"}]), name="d")
    assert connection.connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
