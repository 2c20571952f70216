"""The full-text search index of item content, built by a task after an import commits.

An import makes its items browsable and filterable at once; the search index task (annotate.tasks) then adds
them to the search index in batches: FTS5 table `annotate_item_fts` (rowid = item id) on SQLite, table
`annotate_itemsearch` with a GIN index on PostgreSQL. Items of one dataset get increasing ids (imports
into a dataset are serialised by its row lock), so the progress is one number per dataset,
`Dataset.search_indexed_through`: every item up to that id is searchable. Each batch commits its search
rows together with that number, under the dataset's row lock, so builders of one dataset take turns batch by
batch and an interrupted build resumes exactly where it stopped.
"""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from annotate.models import Dataset

# Items per batch. On PostgreSQL 20,000 per batch, and a 64 MB GIN pending list with 256 MB work_mem for its
# merges, built no faster than 2,000 (3,300–4,000 against 4,400 items/s on 200,000 items): the time goes to
# to_tsvector (~62 µs per item on its own) and to writing the GIN entries, not to the statements.
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
# One statement per batch: pick the next items, write their search rows, and report how many and up to which
# id. Positions are stripped: searches match every word anywhere in the item, never a phrase.
_POSTGRESQL_BATCH = """
WITH batch AS (
    SELECT i.id, i.content FROM annotate_item i WHERE i.dataset_id = %(dataset)s AND i.id > %(after)s
    ORDER BY i.id LIMIT %(size)s
), written AS (
    INSERT INTO annotate_itemsearch (item_id, dataset_id, document)
    SELECT b.id, %(dataset)s, strip(to_tsvector('simple'::regconfig, b.content)) FROM batch b
)
SELECT COUNT(*), MAX(id) FROM batch
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
    start = time.perf_counter()
    n_items, batches, done = 0, 0, False
    while not done and (max_batches is None or batches < max_batches):
        added = _batch(dataset.pk, batch_size)
        done = added == 0
        n_items += added
        batches += 1
        if not done and connection.vendor == "sqlite" and not connection.in_atomic_block:
            time.sleep(SQLITE_PAUSE_SECONDS)
    if connection.vendor == "postgresql" and n_items >= ANALYZE_AFTER:
        # Statistics on the search table let the browser tell a rare word from a common one (autovacuum would
        # take a minute or more to notice a large import).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotate_itemsearch")
    return IndexRun(n_items, time.perf_counter() - start, done)


def _batch(pk: int, batch_size: int) -> int:
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
            if connection.vendor == "postgresql":
                cursor.execute(_POSTGRESQL_BATCH, {"dataset": pk, "after": through, "size": batch_size})
                added, upper = cursor.fetchone()
            else:
                cursor.execute(
                    "SELECT COUNT(*), MAX(id) FROM (SELECT id FROM annotate_item WHERE dataset_id = %s AND id > %s"
                    " ORDER BY id LIMIT %s) batch",
                    [pk, through, batch_size],
                )
                added, upper = cursor.fetchone()
                if added:
                    cursor.execute(_SQLITE_BATCH, [pk, through, upper])
            if added:
                _record_progress(cursor, pk, upper, added)
    return added


def _record_progress(cursor: CursorWrapper, pk: int, upper: int, added: int) -> None:
    cursor.execute(
        "UPDATE annotate_dataset SET search_indexed_through = %s, search_indexed_count = search_indexed_count + %s"
        " WHERE id = %s",
        [upper, added, pk],
    )
