"""The export task (Django's task framework): a large export written to a file in the data directory."""

from django.contrib.auth.models import AbstractBaseUser
from django_tasks import task

from annotate.models import Campaign
from ratings.export_runs import export_run_begin, export_run_execute, export_run_start
from ratings.exports import ExportSpec
from ratings.models import ExportRun


def export_start(*, campaign: Campaign, user: AbstractBaseUser, spec: ExportSpec) -> ExportRun:
    """Record an export of the campaign's labels and enqueue the task that writes it."""
    return export_run_start(task=export_task, campaign=campaign, user=user, spec=spec)


@task()
def export_task(run_id: str) -> int:
    """Write a recorded export's file; return the rows written."""
    run = export_run_begin(run_id=run_id)
    if run is None:
        return 0
    return export_run_execute(run=run)
