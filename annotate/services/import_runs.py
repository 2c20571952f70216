"""Imports that run as tasks (items from the upload page or the API, labels from the label import page).

The page or the API stores the uploaded file (annotate.services.pending_uploads), records an ImportRun and
enqueues its task; the task marks the run running, imports the file all or nothing, and records the result or
the error. While the import's transaction is open nothing it writes is visible to another connection (and on
SQLite no other connection may write), so the rows read so far go to a small file beside the upload, which the
progress page reads.
"""

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks.base import Task

from annotate.models import Campaign, Dataset, ImportRun
from annotate.services.pending_uploads import upload_discard
from annotate.services.task_runs import task_run_begin, task_run_enqueue

logger = logging.getLogger(__name__)

T = TypeVar("T")
UNEXPECTED_ERROR = "The import failed unexpectedly; nothing was imported. Try again, or ask an administrator."
FILE_GONE_ERROR = "The uploaded file is no longer there; nothing was imported. Upload it again."


def import_run_start(
    *,
    task: Task,
    kind: str,
    user: AbstractBaseUser,
    path: str | Path,
    filename: str,
    options: dict[str, Any],
    dataset: Dataset | None = None,
    campaign: Campaign | None = None,
) -> ImportRun:
    """Record an import of an uploaded file and enqueue `task` for it; the task owns the file from then on."""
    limit = ImportRun._meta.get_field("filename").max_length
    run = ImportRun.objects.create(
        kind=kind,
        started_by=user,
        path=str(path),
        filename=Path(filename).name[:limit],
        options=options,
        dataset=dataset,
        campaign=campaign,
    )
    return task_run_enqueue(run, task)


def import_run_begin(*, run_id: str) -> ImportRun | None:
    """Mark a queued run as running and return it; None when it is gone or was already run."""
    return task_run_begin(ImportRun, run_id)


def _rows_path(run: ImportRun) -> Path:
    return Path(f"{run.path}.rows")


def import_run_progress(*, run: ImportRun, rows: int) -> None:
    """Record how many rows the running import has read (replaced whole, so a reader never sees half a number)."""
    path = _rows_path(run)
    partial = path.with_name(path.name + ".new")
    partial.write_text(str(rows), encoding="ascii")
    os.replace(partial, path)


def import_run_rows(run: ImportRun) -> int:
    """Rows read so far by a running import, or in all by a finished one."""
    if run.finished:
        return run.rows
    try:
        return int(_rows_path(run).read_text(encoding="ascii") or 0)
    except (OSError, ValueError):
        return 0


def import_run_succeed(*, run: ImportRun, rows: int, result: dict[str, Any], dataset: Dataset | None = None) -> None:
    """Record a finished import and delete its file."""
    run.status, run.rows, run.result, run.finished_at = ImportRun.Status.SUCCEEDED, rows, result, timezone.now()
    fields = ["status", "rows", "result", "finished_at"]
    if dataset is not None:
        run.dataset = dataset
        fields.append("dataset")
    run.save(update_fields=fields)
    _discard(run)


def import_run_execute(*, run: ImportRun, work: Callable[[], T]) -> T | None:
    """Run an import's work; if it fails, record why on the run and return None (an unexpected error re-raises)."""
    try:
        return work()
    except ValidationError as exc:
        import_run_fail(run=run, messages=exc.messages)
    except FileNotFoundError:
        import_run_fail(run=run, messages=[FILE_GONE_ERROR])
    except Exception:
        import_run_fail(run=run, messages=[UNEXPECTED_ERROR])
        raise
    return None


def import_run_fail(*, run: ImportRun, messages: list[str]) -> None:
    """Record why an import imported nothing and delete its file."""
    run.status, run.errors, run.finished_at = ImportRun.Status.FAILED, messages, timezone.now()
    run.save(update_fields=["status", "errors", "finished_at"])
    _discard(run)


def _discard(run: ImportRun) -> None:
    upload_discard(path=run.path)
    _rows_path(run).unlink(missing_ok=True)


def import_runs_unfinished(*, dataset: Dataset) -> list[ImportRun]:
    """Imports into the dataset that are waiting or running, oldest first."""
    unfinished = [ImportRun.Status.QUEUED, ImportRun.Status.RUNNING]
    return list(ImportRun.objects.filter(dataset=dataset, status__in=unfinished).order_by("created_at"))
