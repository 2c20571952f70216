"""Task runs (annotate.models.TaskRun: imports, exports): enqueue a recorded run's task, and begin it once."""

from typing import TypeVar

from django.db import transaction
from django_tasks.base import Task

from annotate.models import TaskRun

Run = TypeVar("Run", bound=TaskRun)


def task_run_enqueue(run: Run, task: Task) -> Run:
    """Enqueue `task` for a recorded run and keep the task's id on it; the run as it stands afterwards."""
    result = task.enqueue(str(run.pk))
    # The run's own fields may already say how it ended (a backend that runs the task at once): keep them.
    type(run).objects.filter(pk=run.pk).update(task_id=result.id)
    run.refresh_from_db()
    return run


def task_run_begin(model: type[Run], run_id: str) -> Run | None:
    """Mark a queued run as running and return it; None when it is gone or was already run."""
    with transaction.atomic():
        run = model.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != TaskRun.Status.QUEUED:
            return None
        run.status = TaskRun.Status.RUNNING
        run.save(update_fields=["status"])
    return run
