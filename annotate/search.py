"""The full-text search index of item content, built by a task after an import commits.

An import makes its items browsable and filterable at once; the search index task (annotate.tasks) then adds
them to the search index in batches: FTS5 table `annotate_item_fts` (rowid = item id) on SQLite, table
`annotate_itemsearch` with a GIN index on PostgreSQL. Items of one dataset get increasing ids (imports
into a dataset are serialised by its row lock), so the progress is one number per dataset,
`Dataset.search_indexed_through`: every item up to that id is searchable. Each batch commits its search
rows together with that number, under the dataset's row lock, so builders of one dataset take turns batch by
batch and an interrupted build resumes exactly where it stopped.

On PostgreSQL a build outside a transaction writes each batch over two connections, each indexing half of the
batch's items (odd and even ids), so both to_tsvector and the GIN insertions use two cores. The second
connection commits its half before the first commits the rest with the progress; a build interrupted between
the two leaves search rows above `search_indexed_through`, which the next build skips (ON CONFLICT) and which
search may already find.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.db.backends.utils import CursorWrapper

from annotate.models import Dataset

# Items per batch. On PostgreSQL, per item of 200,000 benchmark items, to_tsvector takes ~70 µs, writing the row
# ~8 µs and its GIN entries (~150 distinct words) ~115 µs; a GIN built in one pass after the rows (CREATE INDEX,
# 512 MB maintenance_work_mem) costs as much, and 20,000 per batch or a 64 MB pending list built no faster than
# 2,000. Two connections per batch built 6,300–7,100 items/s against 3,500–4,300 for one, alternated on the same
# items; batches of 4,000 were slower (benchmarks/RESULTS.md, "PostgreSQL search index").
BATCH_SIZE = {"sqlite": 2000, "postgresql": 2000}
ANALYZE_AFTER = 10_000
# On SQLite every batch holds the database's write lock. A writer kept waiting retries after sleeps of at
# most 25 ms during its first ~130 ms, so a pause this long between batches always lets it in.
SQLITE_PAUSE_SECONDS = 0.03

# The text of an item as the import used to hand it to FTS5: every content value, strings as they are and
# anything else as JSON, one per line.
_SQLITE_BATCH = """
INSERT INTO annotate_item_fts (rowid, body)
SELECT i.id, (
    SELECT group_concat(CASE c.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'
                        ELSE c.value END, char(10))
    FROM json_each(i.content) c
)
FROM annotate_item i WHERE i.dataset_id = %s AND i.id > %s AND i.id <= %s
"""
# The search rows of the batch's items whose id leaves `part` modulo `parts`. Positions are stripped: searches
# match every word anywhere in the item, never a phrase. Rows already there come from a two-connection batch
# whose progress was never committed.
_POSTGRESQL_BATCH = """
INSERT INTO annotate_itemsearch (item_id, dataset_id, document)
SELECT i.id, i.dataset_id, strip(to_tsvector('simple'::regconfig, i.content)) FROM annotate_item i
WHERE i.dataset_id = %(dataset)s AND i.id > %(after)s AND i.id <= %(upper)s AND i.id %% %(parts)s = %(part)s
ON CONFLICT (item_id) DO NOTHING
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
    """What one build did: items added to the search index, time taken, and whether the index is complete."""

    n_items: int
    seconds: float
    complete: bool


def search_coverage(dataset: Dataset) -> SearchCoverage:
    """The share of the dataset that search covers, from the dataset row alone (no counting)."""
    return SearchCoverage(searchable=min(dataset.search_indexed_count, dataset.item_count), total=dataset.item_count)


def search_index_build(*, dataset: Dataset, batch_size: int | None = None, max_batches: int | None = None) -> IndexRun:
    """Add the dataset's not yet searchable items to the search index, batch by batch.

    `max_batches` stops early (the rest stays for the next build). Safe to run beside another build of the
    same dataset: each batch reads the progress under the dataset's row lock.
    """
    batch_size = batch_size or BATCH_SIZE[connection.vendor]
    # Inside a caller's transaction a second connection would not see its items.
    helper = None
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-index")
    start = time.perf_counter()
    n_items, batches, done = 0, 0, False
    try:
        while not done and (max_batches is None or batches < max_batches):
            added = _batch(dataset.pk, batch_size, helper)
            done = added == 0
            n_items += added
            batches += 1
            if not done and connection.vendor == "sqlite" and not connection.in_atomic_block:
                time.sleep(SQLITE_PAUSE_SECONDS)
    finally:
        if helper is not None:
            helper.submit(connections.close_all).result()
            helper.shutdown()
    if connection.vendor == "postgresql" and n_items >= ANALYZE_AFTER:
        # Statistics on the search table let the browser tell a rare word from a common one (autovacuum would
        # take a minute or more to notice a large import).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotate_itemsearch")
    return IndexRun(n_items, time.perf_counter() - start, done)


def _batch(pk: int, batch_size: int, helper: ThreadPoolExecutor | None) -> int:
    """Index the next `batch_size` items and record the progress in the same transaction; 0 when none are left."""
    with transaction.atomic():
        # Waits for an import into the dataset to commit: its items get ids above any indexed so far.
        through = (
            Dataset.objects.select_for_update(no_key=True)
            .filter(pk=pk)
            .values_list("search_indexed_through", flat=True)
            .first()
        )
        if through is None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), MAX(id) FROM (SELECT id FROM annotate_item WHERE dataset_id = %s AND id > %s"
                " ORDER BY id LIMIT %s) batch",
                [pk, through, batch_size],
            )
            added, upper = cursor.fetchone()
            if not added:
                return 0
            if connection.vendor == "sqlite":
                cursor.execute(_SQLITE_BATCH, [pk, through, upper])
            else:
                rows = {"dataset": pk, "after": through, "upper": upper, "parts": 1, "part": 0}
                if helper is None:
                    cursor.execute(_POSTGRESQL_BATCH, rows)
                else:
                    half = helper.submit(_write_postgresql_rows, rows | {"parts": 2, "part": 1})
                    try:
                        cursor.execute(_POSTGRESQL_BATCH, rows | {"parts": 2})
                    finally:
                        half.result()
            _record_progress(cursor, pk, upper, added)
    return added


def _write_postgresql_rows(rows: dict[str, int]) -> None:
    """Write and commit part of a batch's search rows on this thread's own connection."""
    with connections["default"].cursor() as cursor:
        cursor.execute(_POSTGRESQL_BATCH, rows)


def _record_progress(cursor: CursorWrapper, pk: int, upper: int, added: int) -> None:
    cursor.execute(
        "UPDATE annotate_dataset SET search_indexed_through = %s, search_indexed_count = search_indexed_count + %s"
        " WHERE id = %s",
        [upper, added, pk],
    )
