"""How an export reaches its reader: at once as a streamed response, or as a file written by a task.

A campaign with up to EXPORT_INLINE_RATINGS ratings is exported while the reader waits, streamed chunk by
chunk. A larger one is recorded as an ExportRun and its task (ratings.export_tasks) writes the file into the
data directory; the progress page and the API read the run's rows written so far, and once it succeeded the
file is served to readers of the campaign. A run with real rater names is served to the campaign's owners only.
"""

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django_tasks.base import Task

from annotate.models import Campaign, CampaignItem, Membership
from annotate.permissions import READERS, campaign_role
from annotate.services.task_runs import task_run_begin, task_run_enqueue
from ratings.exports import (
    PAIR_SCOPE,
    ExportError,
    ExportSpec,
    export_filename,
    export_spec,
    export_stream,
    export_write,
)
from ratings.models import ExportRun, Rating
from ratings.preference_export import run_options, spec_from_run

# Above this many ratings an export runs as a task. benchmarks/export_labels.py writes a million ratings per
# rating in 5-7 s to Parquet or CSV and 12 s to JSONL: 50,000 ratings take well under a second of a web
# worker's time, where DESIGN.md sends work of more than a few seconds to a task.
EXPORT_INLINE_RATINGS = 50_000
# A per-item export also runs as a task above this many items: final labels are worked out at about 6,000
# items a second (same benchmark), so 10,000 items take under two seconds.
EXPORT_INLINE_ITEMS = 10_000
# Finished exports' files are kept this long, then deleted with their run when the next export starts.
EXPORT_KEEP_DAYS = 7
# The running task records its rows written at most this often.
PROGRESS_SECONDS = 1.0
UNEXPECTED_ERROR = "The export failed unexpectedly. Try again, or ask an administrator."


def export_names_allowed(role: str | None) -> bool:
    """Whether a caller in this role may ask for real rater names (owners only; staff act as owners)."""
    return role == Membership.Role.OWNER


def export_is_inline(campaign: Campaign, spec: ExportSpec) -> bool:
    """Whether the export is small enough to write while the reader waits."""
    if Rating.objects.filter(campaign=campaign).count() > EXPORT_INLINE_RATINGS:
        return False
    return spec.scope == "rating" or CampaignItem.objects.filter(campaign=campaign).count() <= EXPORT_INLINE_ITEMS


def export_response(campaign: Campaign, spec: ExportSpec) -> StreamingHttpResponse:
    """The export as a download, streamed as its chunks are written."""
    response = StreamingHttpResponse(export_stream(campaign, spec), content_type=spec.format.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(campaign, spec)}"'
    return response


# --------------------------------------------------------------------------- runs


def export_expected_rows(campaign: Campaign, spec: ExportSpec) -> int:
    """The rows the export will write as the campaign stands now: its ratings, or its items."""
    if spec.scope == "rating":
        return Rating.objects.filter(campaign=campaign).count()
    return CampaignItem.objects.filter(campaign=campaign).count()


def export_dir() -> Path:
    """Where export tasks write their files."""
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_run_path(run: ExportRun) -> Path:
    """The run's file (there once the run succeeded)."""
    return export_dir() / f"{run.pk}.{run_spec(run).format.extension}"


def run_spec(run: ExportRun) -> ExportSpec:
    """The export the run writes."""
    if run.scope == PAIR_SCOPE:
        return spec_from_run(run.criterion_key, run.options)
    return ExportSpec(scope=run.scope, fmt=run.fmt, criterion_key=run.criterion_key or None, names=run.names)


def export_run_start(*, task: Task, campaign: Campaign, user: AbstractBaseUser, spec: ExportSpec) -> ExportRun:
    """Record an export and enqueue `task` to write it; the same export of the same user still unfinished is reused."""
    _export_runs_sweep()
    same = {
        "campaign": campaign,
        "started_by": user,
        "scope": spec.scope,
        "fmt": spec.fmt,
        "criterion_key": spec.criterion_key or "",
        "options": run_options(spec) if spec.scope == PAIR_SCOPE else {},
        "names": spec.names,
    }
    unfinished = ExportRun.objects.filter(
        **same, status__in=[ExportRun.Status.QUEUED, ExportRun.Status.RUNNING]
    ).first()
    if unfinished is not None:
        return unfinished
    run = ExportRun.objects.create(**same, total=export_expected_rows(campaign, spec))
    return task_run_enqueue(run, task)


def export_run_begin(*, run_id: str) -> ExportRun | None:
    """Mark a queued run as running and return it, with its campaign; None when it is gone or was already run."""
    run = task_run_begin(ExportRun, run_id)
    if run is None:
        return None
    return ExportRun.objects.select_related("campaign__dataset", "campaign__rubric_version").get(pk=run.pk)


def export_run_execute(*, run: ExportRun) -> int:
    """Write the run's file (under a temporary name until it is complete); return the rows written."""
    campaign = run.campaign
    path = export_run_path(run)
    partial = path.with_name(f"{path.name}.partial")
    try:
        # Checked again: the campaign's rubric may have changed since the run was queued.
        spec = export_spec(campaign, **asdict(run_spec(run)))
        with open(partial, "wb") as handle:
            rows = export_write(campaign, spec, handle, progress=_progress_recorder(run))
        partial.replace(path)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        message = str(exc) if isinstance(exc, ExportError) else UNEXPECTED_ERROR
        ExportRun.objects.filter(pk=run.pk).update(
            status=ExportRun.Status.FAILED, error=message, finished_at=timezone.now()
        )
        if not isinstance(exc, ExportError):
            raise
        return 0
    ExportRun.objects.filter(pk=run.pk).update(status=ExportRun.Status.SUCCEEDED, rows=rows, finished_at=timezone.now())
    return rows


def _progress_recorder(run: ExportRun) -> Callable[[int], None]:
    last = time.monotonic()

    def record(rows: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_SECONDS:
            ExportRun.objects.filter(pk=run.pk).update(rows=rows)
            last = now

    return record


def _export_runs_sweep() -> None:
    # Large files would otherwise pile up in the data directory.
    cutoff = timezone.now() - timedelta(days=EXPORT_KEEP_DAYS)
    for run in ExportRun.objects.filter(finished_at__lt=cutoff):
        export_run_path(run).unlink(missing_ok=True)
        run.delete()


def export_runs_recent(*, campaign: Campaign, user: AbstractBaseUser, with_names: bool) -> QuerySet[ExportRun]:
    """The user's exports of the campaign, newest first (those with real names only while they may see names)."""
    runs = ExportRun.objects.filter(campaign=campaign, started_by=user).order_by("-created_at")
    return runs if with_names else runs.filter(names=False)


def get_export_run_for(user: AbstractBaseUser | AnonymousUser, pk: object) -> ExportRun:
    """A run of a campaign the user may read (one with real names: the user owns the campaign), else 404."""
    run = ExportRun.objects.filter(pk=pk).select_related("campaign__dataset", "campaign__rubric_version").first()
    if run is None:
        raise Http404("No such export.")
    role = campaign_role(user, run.campaign)
    if role not in READERS or (run.names and not export_names_allowed(role)):
        raise Http404("No such export.")
    run.campaign.caller_role = role
    return run


def export_run_file(run: ExportRun) -> FileResponse:
    """A succeeded run's file as a download; 404 while it is not ready (or after it was deleted)."""
    path = export_run_path(run)
    if run.status != ExportRun.Status.SUCCEEDED or not path.exists():
        raise Http404("This export has no file.")
    spec = run_spec(run)
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=export_filename(run.campaign, spec))
    response["Content-Type"] = spec.format.content_type
    return response
