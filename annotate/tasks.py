"""Tasks of the annotate app (Django's task framework): a dataset's search index, and item imports.

`manage.py db_worker` runs them, beside the web server and on any host that reaches the database.
"""

import logging
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError, transaction
from django_tasks import TaskResultStatus, task
from django_tasks.exceptions import TaskResultDoesNotExist

from annotate.models import Dataset, ImportRun
from annotate.search import search_coverage, search_index_build
from annotate.services.datasets import dataset_import
from annotate.services.import_runs import (
    import_run_begin,
    import_run_execute,
    import_run_progress,
    import_run_start,
    import_run_succeed,
)

logger = logging.getLogger(__name__)


@task()
def search_index_task(dataset_id: int) -> int:
    """Add the dataset's items that are not searchable yet to its search index; return how many."""
    dataset = Dataset.objects.filter(pk=dataset_id).only("id").first()
    if dataset is None:
        return 0
    return search_index_build(dataset=dataset).n_items


def _task_in(task_id: str, statuses: set[TaskResultStatus]) -> bool:
    if not task_id or not search_index_task.get_backend().supports_get_result:
        # A backend that keeps no results ran the task when it was enqueued.
        return False
    try:
        return search_index_task.get_result(task_id).status in statuses
    except TaskResultDoesNotExist:
        # Pruned (`prune_db_task_results`), or enqueued on another backend.
        return False


def search_index_request(dataset: Dataset, *, new_items: bool = False) -> bool:
    """Enqueue a build of the dataset's search index unless it is complete or a build is already waiting.

    A dataset page asks on every view: a build that is waiting or running counts, so reloading queues nothing.
    An import that has just committed (`new_items`) counts only a waiting one, since a running build may have
    looked for items before the import's were there. Returns whether a build was enqueued.
    """
    pending = {TaskResultStatus.READY} if new_items else {TaskResultStatus.READY, TaskResultStatus.RUNNING}
    if search_coverage(dataset).complete or _task_in(dataset.search_index_task_id, pending):
        return False
    try:
        with transaction.atomic():
            # NOWAIT: an import into the dataset holds its row and requests a build itself once it commits.
            task_id = (
                Dataset.objects.select_for_update(no_key=True, nowait=True)
                .filter(pk=dataset.pk)
                .values_list("search_index_task_id", flat=True)
                .first()
            )
            if task_id is None or _task_in(task_id, pending):
                return False
            # The database backend writes the task in this transaction: it exists exactly when its id is recorded.
            result = search_index_task.enqueue(dataset.pk)
            Dataset.objects.filter(pk=dataset.pk).update(search_index_task_id=result.id)
    except OperationalError:
        logger.info("Dataset %s is locked; its search index build is left to the import holding it", dataset.pk)
        return False
    dataset.search_index_task_id = result.id
    return True


def item_import_start(
    *, user: AbstractBaseUser, path: str | Path, filename: str, dataset: Dataset | None, options: dict[str, Any]
) -> ImportRun:
    """Record an import of an uploaded item file and enqueue it; the task owns the file from now on.

    `options` are dataset_import's: fmt, name (for a new dataset), id_field, content_fields, metadata_fields.
    """
    return import_run_start(
        task=item_import_task,
        kind=ImportRun.Kind.ITEMS,
        user=user,
        path=path,
        filename=filename,
        options=options,
        dataset=dataset,
    )


@task()
def item_import_task(run_id: str) -> int:
    """Import an uploaded item file, all or nothing, then enqueue the dataset's search index; return the items."""
    run = import_run_begin(run_id=run_id)
    if run is None:
        return 0
    options = run.options
    result = import_run_execute(
        run=run,
        work=lambda: dataset_import(
            source=run.path,
            fmt=options.get("fmt"),
            dataset=run.dataset,
            name=options.get("name"),
            id_field=options.get("id_field") or "id",
            content_fields=options.get("content_fields"),
            metadata_fields=options.get("metadata_fields"),
            user=run.started_by,
            on_progress=lambda rows: import_run_progress(run=run, rows=rows),
        ),
    )
    if result is None:
        return 0
    dataset = result.dataset
    summary = {"n_items": result.n_items, "item_count": dataset.item_count, "dataset_name": dataset.name}
    import_run_succeed(run=run, rows=result.n_items, result=summary, dataset=dataset)
    search_index_request(dataset, new_items=True)
    return result.n_items
