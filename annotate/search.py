"""The full-text search index of item content, built after an import commits.

An import makes its items browsable and filterable at once; the search indexer then adds them to the
search index in batches: FTS5 table `annotate_item_fts` (rowid = item id) on SQLite, table
`annotate_itemsearch` with a GIN index on PostgreSQL. Items of one dataset get increasing ids (imports
into a dataset are serialised by its row lock), so the progress is one number per dataset,
`Dataset.search_indexed_through`: every item up to that id is searchable. Each batch commits its search
rows together with that number, so an interrupted indexer resumes exactly where it stopped.

One indexer works on a dataset at a time: it claims the dataset by setting
`Dataset.search_indexer_seen_at` and refreshes it with every batch; a claim not refreshed for
CLAIM_TIMEOUT (a killed web worker) is taken over by the next indexer that asks.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from annotate.models import Dataset

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
ANALYZE_AFTER = 10_000
CLAIM_TIMEOUT = timedelta(seconds=60)
# How often an indexer that finds the dataset claimed or locked looks again.
RETRY_SECONDS = 1.0
# On SQLite every batch holds the database's write lock. A writer kept waiting retries after sleeps of at
# most 25 ms during its first ~130 ms, so a pause this long between batches always lets it in.
SQLITE_PAUSE_SECONDS = 0.03
# The test suite runs the indexer in the committing thread, so what a test sees after an import is deterministic.
IN_BACKGROUND = not settings.TESTING

# The text of an item as the import used to hand it to FTS5: every content value, strings as they are and
# anything else as JSON, one per line.
_SQLITE_INSERT = """
INSERT INTO annotate_item_fts (rowid, body)
SELECT i.id, (
    SELECT group_concat(CASE c.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'
                        ELSE c.value END, char(10))
    FROM json_each(i.content) c
)
FROM annotate_item i WHERE i.dataset_id = %s AND i.id > %s AND i.id <= %s
"""
# Positions are stripped: searches match every word anywhere in the item, never a phrase.
_POSTGRESQL_INSERT = """
INSERT INTO annotate_itemsearch (item_id, dataset_id, document)
SELECT i.id, i.dataset_id, strip(to_tsvector('simple'::regconfig, i.content))
FROM annotate_item i WHERE i.dataset_id = %s AND i.id > %s AND i.id <= %s
"""


@dataclass(frozen=True)
class SearchCoverage:
    """How many of a dataset's items full-text search covers."""

    searchable: int
    total: int

    @property
    def complete(self) -> bool:
        return self.searchable >= self.total


@dataclass(frozen=True)
class IndexRun:
    """What one indexer run did: items added to the search index, time taken, and whether it finished."""

    n_items: int
    seconds: float
    complete: bool


class _ClaimLost(Exception):
    """Another indexer took the dataset over (this one was presumed dead)."""


def search_coverage(dataset: Dataset) -> SearchCoverage:
    """The share of the dataset that search covers, from the dataset row alone (no counting)."""
    return SearchCoverage(searchable=min(dataset.search_indexed_count, dataset.item_count), total=dataset.item_count)


def _claim_is_live(seen_at: datetime | None) -> bool:
    return seen_at is not None and seen_at > timezone.now() - CLAIM_TIMEOUT


def search_index_build(
    *, dataset: Dataset, wait: bool = False, batch_size: int = BATCH_SIZE, max_batches: int | None = None
) -> IndexRun:
    """Add the dataset's not yet searchable items to the search index, batch by batch.

    When another live indexer holds the dataset, return at once, or with `wait=True` wait until it lets go
    and finish whatever it left. `max_batches` stops early (the rest stays for the next run).
    """
    start = time.perf_counter()
    stamp = _claim(dataset.pk)
    while stamp is None:
        current = Dataset.objects.filter(pk=dataset.pk).only("item_count", "search_indexed_count").first()
        if current is None or not wait:
            return IndexRun(0, time.perf_counter() - start, current is not None and _is_complete(current))
        time.sleep(RETRY_SECONDS)
        stamp = _claim(dataset.pk)
    n_items, batches, done = 0, 0, False
    try:
        while not done and (max_batches is None or batches < max_batches):
            added, done, stamp = _batch_with_retries(dataset.pk, stamp, batch_size)
            n_items += added
            batches += 1
            if not done and connection.vendor == "sqlite" and not connection.in_atomic_block:
                time.sleep(SQLITE_PAUSE_SECONDS)
    except (_ClaimLost, Dataset.DoesNotExist):
        return IndexRun(n_items, time.perf_counter() - start, False)
    finally:
        if not done:
            _release(dataset.pk, stamp)
    if n_items >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Statistics on the search table let the browser tell a rare word from a common one (autovacuum would
        # take a minute or more to notice a large import).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotate_itemsearch")
    return IndexRun(n_items, time.perf_counter() - start, done)


def _is_complete(dataset: Dataset) -> bool:
    return search_coverage(dataset).complete


def _claim(pk: int) -> datetime | None:
    """Claim the dataset unless a live indexer holds it; the claim's timestamp identifies this indexer."""
    # A plain read first: an indexer waiting for another one must not take the write lock every second.
    seen_at = Dataset.objects.filter(pk=pk).values_list("search_indexer_seen_at", flat=True).first()
    if _claim_is_live(seen_at):
        return None
    try:
        with transaction.atomic():
            row = _locked(pk).only("search_indexer_seen_at").first()
            if row is None or _claim_is_live(row.search_indexer_seen_at):
                return None
            now = timezone.now()
            Dataset.objects.filter(pk=pk).update(search_indexer_seen_at=now)
    except OperationalError:
        # Locked by an import into the dataset, which starts an indexer of its own when it commits.
        return None
    return now


def _locked(pk: int) -> QuerySet[Dataset]:
    # NOWAIT: an import holds the dataset row for its whole transaction; the indexer waits between batches
    # instead. (On SQLite the write transaction itself takes the database's write lock.)
    return Dataset.objects.select_for_update(no_key=True, nowait=True).filter(pk=pk)


def _release(pk: int, stamp: datetime) -> None:
    try:
        Dataset.objects.filter(pk=pk, search_indexer_seen_at=stamp).update(search_indexer_seen_at=None)
    except DatabaseError:
        # The claim then simply expires.
        logger.warning("Could not release the search indexer's claim on dataset %s", pk)


def _batch_with_retries(pk: int, stamp: datetime, batch_size: int) -> tuple[int, bool, datetime]:
    """One batch; while the dataset is locked (an import into it), retry until the claim would expire."""
    while True:
        try:
            return _batch(pk, stamp, batch_size)
        except OperationalError:
            if timezone.now() - stamp > CLAIM_TIMEOUT - timedelta(seconds=2 * RETRY_SECONDS):
                raise _ClaimLost from None
            time.sleep(RETRY_SECONDS)


def _batch(pk: int, stamp: datetime, batch_size: int) -> tuple[int, bool, datetime]:
    """Index the next `batch_size` items and record the progress in the same transaction."""
    with transaction.atomic():
        row = _locked(pk).only("search_indexed_through", "search_indexer_seen_at").get()
        if row.search_indexer_seen_at != stamp:
            raise _ClaimLost
        through = row.search_indexed_through
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), MAX(id) FROM (SELECT id FROM annotate_item WHERE dataset_id = %s AND id > %s"
                " ORDER BY id LIMIT %s) batch",
                [pk, through, batch_size],
            )
            added, upper = cursor.fetchone()
            now = timezone.now()
            if not added:
                Dataset.objects.filter(pk=pk).update(search_indexer_seen_at=None)
                return 0, True, now
            insert = _SQLITE_INSERT if connection.vendor == "sqlite" else _POSTGRESQL_INSERT
            cursor.execute(insert, [pk, through, upper])
        Dataset.objects.filter(pk=pk).update(
            search_indexed_through=upper,
            search_indexed_count=F("search_indexed_count") + added,
            search_indexer_seen_at=now,
        )
    return added, False, now


def search_index_start(dataset_pk: int, *, wait: bool = True) -> None:
    """Once the current transaction commits, build the dataset's search index in a background thread."""
    transaction.on_commit(lambda: _launch(dataset_pk, wait))


def search_index_resume(dataset: Dataset) -> None:
    """Start an indexer for a partly indexed dataset that no live indexer is working on (e.g. after a restart)."""
    if not _is_complete(dataset) and not _claim_is_live(dataset.search_indexer_seen_at):
        search_index_start(dataset.pk, wait=False)


def _launch(dataset_pk: int, wait: bool) -> None:
    if not IN_BACKGROUND:
        _build(dataset_pk, wait)
        return
    thread = threading.Thread(
        target=_build_in_thread, args=(dataset_pk, wait), name=f"search-indexer-{dataset_pk}", daemon=True
    )
    thread.start()


def _build(dataset_pk: int, wait: bool) -> None:
    dataset = Dataset.objects.filter(pk=dataset_pk).only("id").first()
    if dataset is not None:
        search_index_build(dataset=dataset, wait=wait)


def _build_in_thread(dataset_pk: int, wait: bool) -> None:
    try:
        _build(dataset_pk, wait)
    except Exception:
        # A later page view or `index_items` picks the dataset up again once the claim expires.
        logger.exception("Building the search index of dataset %s failed", dataset_pk)
    finally:
        connections.close_all()
