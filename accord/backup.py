"""Online backups of the whole database, taken while the app keeps serving raters.

SQLite: the backup API copies every page in one step under a single read transaction, so the copy is one
consistent snapshot; in WAL mode (see settings) writers carry on meanwhile. The copy is switched out of WAL mode,
so it is one self-contained file, and checked with `PRAGMA quick_check` before it takes its final name.

PostgreSQL: `pg_dump --format=custom` reads one consistent snapshot without blocking writers; restore it with
`pg_restore` into a fresh database (see the README). pg_dump must be of the server's major version or newer.

Either way the backup is written under a temporary name beside the target and renamed once complete, so a
failed or interrupted backup never leaves a partial file under the name asked for.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# How long the copy waits for SQLite's locks (WAL readers rarely wait at all).
SQLITE_BUSY_SECONDS = 30.0


class BackupError(Exception):
    """A backup could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where it is, of which database, its size and how long it took."""

    path: Path
    vendor: str
    database: str
    n_bytes: int
    seconds: float


def database_backup(*, out: str | Path, using: str = DEFAULT_DB_ALIAS, overwrite: bool = False) -> BackupResult:
    """Copy the configured database to `out` while the app runs: SQLite's backup API, or pg_dump for PostgreSQL."""
    out = Path(out).expanduser().absolute()
    if out.is_dir():
        raise BackupError(f"{out} is a directory: name the backup file, e.g. {out / 'accord.backup'}")
    if out.exists() and not overwrite:
        raise BackupError(f"{out} already exists: choose a new name, or replace it with --force")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a directory")
    connection = connections[using]
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        live = Path(str(settings_dict["NAME"])).resolve()
        if out.resolve() in {live, live.with_name(f"{live.name}-wal"), live.with_name(f"{live.name}-shm")}:
            raise BackupError(f"{out} is the live database: write the backup somewhere else")
    started = time.monotonic()
    try:
        handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    except OSError as exc:
        raise BackupError(f"Cannot write in {out.parent}: {exc.strerror}") from exc
    os.close(handle)
    try:
        if connection.vendor == "sqlite":
            database = _sqlite_backup(str(settings_dict["NAME"]), Path(partial))
        elif connection.vendor == "postgresql":
            database = _postgresql_backup(connection.client, settings_dict, Path(partial))
        else:
            raise BackupError(f"Backups of {connection.vendor} databases are not supported")
        os.replace(partial, out)
    except OSError as exc:
        raise BackupError(f"Cannot write {out}: {exc.strerror}") from exc
    finally:
        Path(partial).unlink(missing_ok=True)
    return BackupResult(
        path=out,
        vendor=connection.vendor,
        database=database,
        n_bytes=out.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _sqlite_backup(name: str, target: Path) -> str:
    """Copy the SQLite file `name` into the empty file `target` with the backup API; return the source's path."""
    source_path = Path(name)
    # sqlite3.connect would create an empty database where none is, and back that up.
    if name == ":memory:" or name.startswith("file:") or not source_path.is_file():
        raise BackupError(f"No SQLite database file at {name}")
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_SECONDS)
    try:
        copy = sqlite3.connect(target)
        try:
            # pages=-1: every page in one step, under one read transaction, hence one consistent snapshot.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"The copy failed SQLite's integrity check ({check}); the source may be damaged")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {source_path}: {exc}") from exc
    finally:
        source.close()
    return str(source_path)


def _postgresql_backup(client: Any, settings_dict: dict[str, Any], target: Path) -> str:
    """Dump the PostgreSQL database in pg_dump's custom format to `target`; return the database's name."""
    executable = shutil.which("pg_dump")
    if executable is None:
        raise BackupError("pg_dump is not installed: install the PostgreSQL client tools (postgresql-client)")
    # Django's psql arguments (user, host, port, database) and environment (password, SSL, service) suit pg_dump.
    args, env = client.settings_to_cmd_args_env(settings_dict, ["--format=custom", "--no-password", f"--file={target}"])
    args[0] = executable
    result = subprocess.run(args, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip() or f'exit status {result.returncode}'}")
    return str(settings_dict["NAME"])
