"""Back up the configured database (SQLite or PostgreSQL) to a file while the app keeps running."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.backup import BackupError, database_backup


class Command(BaseCommand):
    help = (
        "Copy the whole database to OUT while the app runs: SQLite through its backup API (a single .sqlite3 "
        "file), PostgreSQL with pg_dump --format=custom (restore it with pg_restore)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("out", help="The backup file to write.")
        parser.add_argument("--force", action="store_true", help="Replace OUT if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = database_backup(out=options["out"], overwrite=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up the {result.vendor} database {result.database} to {result.path} "
            f"({result.n_bytes / 1e6:.1f} MB) in {result.seconds:.1f} s"
        )
