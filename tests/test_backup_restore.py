"""`manage.py backup` copies the live database; restored as the README says, every rating and revision is back."""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from ratings.models import Rating, RatingRevision
from ratings.queue import assignment_next
from ratings.services import rating_revise, rating_submit
from tests.factories import CampaignFactory, raters_of

# The rows must be committed for another connection (SQLite's backup, pg_dump) to see them.
pytestmark = pytest.mark.django_db(transaction=True)
RESTORED = "restored"


def _rate_a_campaign() -> int:
    """Two raters rate three items each; every second rating is revised twice. Return the number of ratings."""
    campaign = CampaignFactory(with_items=3, overlap=2)
    for n, rater in enumerate(raters_of(campaign, 2)):
        while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
            rating = rating_submit(assignment=assignment, values={"helpful": 1 + n}, comment=f"by {rater}")
            if rating.pk % 2:
                rating_revise(rating=rating, values={"helpful": 4}, comment="second thoughts", seconds_spent=2.5)
                rating_revise(rating=rating, values={"helpful": 5}, comment="third thoughts")
    return Rating.objects.count()


def _everything_rated(alias: str) -> dict[str, list]:
    """Every rating and revision with its values, rater, item and times, as read from one database."""
    ratings = Rating.objects.using(alias).order_by("pk")
    revisions = RatingRevision.objects.using(alias).order_by("rating_id", "number")
    return {
        "ratings": list(
            ratings.values_list(
                "pk",
                "campaign__slug",
                "campaign_item__item__external_id",
                "rater__username",
                "values",
                "comment",
                "seconds_spent",
                "created_at",
                "updated_at",
            )
        ),
        "revisions": list(revisions.values_list("rating_id", "number", "values", "comment", "recorded_at")),
    }


@contextmanager
def _database(**changes: object) -> Iterator[str]:
    """A second connection, like the default one but to another database, for as long as the block runs."""
    connections.settings[RESTORED] = {**connection.settings_dict, **changes}
    try:
        # Connect now: Django's test case refuses to open a connection on demand to an alias it was not told of.
        connections[RESTORED].connect()
        yield RESTORED
    finally:
        connections[RESTORED].close()
        del connections[RESTORED]
        del connections.settings[RESTORED]


def _backup(out: Path) -> str:
    stdout = StringIO()
    call_command("backup", str(out), stdout=stdout)
    return stdout.getvalue()


def test_sqlite_backup_restores_every_rating_with_its_rater_and_revisions(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL pass restores a pg_dump instead")
    n_ratings = _rate_a_campaign()
    before = _everything_rated("default")
    assert n_ratings == 6 and len(before["revisions"]) == 6
    out = tmp_path / "accord-backup.sqlite3"
    assert "Backed up the sqlite database" in _backup(out)
    assert not Path(f"{out}-wal").exists()
    # The README's restore: the app stopped, the backup copied in as the database file, then migrate.
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(out, data / "accord.sqlite3")
    with _database(NAME=data / "accord.sqlite3") as restored:
        call_command("migrate", database=restored, verbosity=0)
        assert _everything_rated(restored) == before


def test_sqlite_backup_runs_beside_a_writer_and_copies_only_what_was_committed(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's backup API; PostgreSQL's pg_dump reads a snapshot by design")
    _rate_a_campaign()
    writer = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, timeout=1)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE ratings_rating SET comment = 'not yet committed'")
    try:
        _backup(tmp_path / "during-a-write.sqlite3")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = sqlite3.connect(tmp_path / "during-a-write.sqlite3")
    comments = {comment for (comment,) in copy.execute("SELECT comment FROM ratings_rating")}
    copy.close()
    assert comments and "not yet committed" not in comments


def test_sqlite_backup_never_overwrites_the_live_database(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite keeps the database in a file")
    live = connection.settings_dict["NAME"]
    with pytest.raises(CommandError, match="is the live database"):
        call_command("backup", str(live), "--force")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        assert cursor.fetchone()[0] > 0


def test_backup_refuses_to_replace_a_file_unless_forced(tmp_path):
    out = tmp_path / "kept.backup"
    out.write_text("an earlier backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(out))
    assert out.read_text() == "an earlier backup"
    stdout = StringIO()
    call_command("backup", str(out), "--force", stdout=stdout)
    assert out.read_bytes() != b"an earlier backup" and "Backed up" in stdout.getvalue()


def test_backup_into_a_missing_directory_is_an_error_not_a_traceback(tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("backup", str(tmp_path / "nowhere" / "accord.backup"))
    assert list(tmp_path.iterdir()) == []


def _pg_command(executable: str, settings: dict, *args: str) -> tuple[list[str], dict[str, str]]:
    command = [executable, "--no-password"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command.append(f"{flag}={settings[key]}")
    env = {**os.environ, **({"PGPASSWORD": str(settings["PASSWORD"])} if settings.get("PASSWORD") else {})}
    return [*command, *args], env


def test_postgresql_backup_restores_every_rating_into_a_fresh_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the SQLite pass restores a copy made with SQLite's backup API instead")
    assert _rate_a_campaign() == 6
    before = _everything_rated("default")
    assert len(before["revisions"]) == 6
    out = tmp_path / "accord.dump"
    assert "Backed up the postgresql database" in _backup(out)
    scratch = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        # The README's restore: pg_restore into a fresh database, then migrate.
        args, env = _pg_command(
            "pg_restore", connection.settings_dict, "--no-owner", "--exit-on-error", f"--dbname={scratch}", str(out)
        )
        restore = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        assert restore.returncode == 0, restore.stderr
        with _database(NAME=scratch) as restored:
            call_command("migrate", database=restored, verbosity=0)
            assert _everything_rated(restored) == before
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
