"""Writing an import's batches: SQLite with executemany, PostgreSQL with binary COPY, metadata values as ids.

Also the SQLite connection settings for one large write, and the copy of its pages from the write-ahead log
into the database file once it has committed.
"""

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate

import numpy as np
import orjson
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accord.chunks import chunks
from accord.limits import shown
from annotate.models import Dataset, Item
from annotate.services import copy_binary
from annotate.services.item_reader import ItemBatch, ItemReader

logger = logging.getLogger(__name__)

# Metadata value ids the import keeps at hand; past this many it forgets them and looks them up again.
MAX_KNOWN_VALUE_IDS = 100_000
# Name of the thread that copies an import's pages from SQLite's write-ahead log into the database file.
CHECKPOINT_THREAD = "sqlite-checkpoint"
# Page cache of the importing SQLite connection (the default 2 MB makes a large import re-read its own writes).
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


@contextmanager
def bulk_write_settings() -> Iterator[None]:
    """On SQLite, connection settings for one large write, restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    (cache_size,) = raw.execute("PRAGMA cache_size").fetchone()
    (autocheckpoint,) = raw.execute("PRAGMA wal_autocheckpoint").fetchone()
    # Foreign keys can only be switched off outside a transaction; inside one (tests) they stay on.
    # Every row written refers to the locked dataset or to an item written just before it.
    checks_off = not connection.in_atomic_block and connection.disable_constraint_checking()
    raw.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    # The JSON columns' CHECK (JSON_VALID(...)) would re-parse text that orjson has just produced.
    raw.execute("PRAGMA ignore_check_constraints = ON")
    # The commit would copy the whole import from the WAL into the database file (a third of a large import's
    # time) before returning; checkpoint_in_background does that once the import has committed.
    raw.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
        raw.execute("PRAGMA ignore_check_constraints = OFF")
        raw.execute(f"PRAGMA cache_size = {int(cache_size)}")
        if checks_off:
            connection.enable_constraint_checking()


def checkpoint_after_commit() -> None:
    """Once the transaction commits, copy what it wrote from SQLite's WAL into the database file."""
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        path = str(connection.settings_dict["NAME"])
        transaction.on_commit(lambda: checkpoint_in_background(path))


def checkpoint_in_background(path: str) -> threading.Thread:
    """Copy committed pages from a SQLite file's WAL into the file, in a thread of its own.

    Readers and writers go on meanwhile. A commit elsewhere that would start the same copy finds the checkpoint
    lock taken and returns at once (SQLite's automatic checkpoints give up when another one runs). The thread is
    not a daemon: a command that imported waits for it before it exits.
    """

    def checkpoint() -> None:
        try:
            database = sqlite3.connect(path)
            try:
                database.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                database.close()
        except sqlite3.Error:
            # Nothing is lost: the log still holds the pages, and SQLite's next checkpoint copies them.
            logger.warning("Could not copy the write-ahead log into %s", path, exc_info=True)

    thread = threading.Thread(target=checkpoint, name=CHECKPOINT_THREAD)
    thread.start()
    return thread


class _ValueIds:
    """The MetadataValue ids of one dataset's metadata values, created as the import first meets them."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.known: dict[str, dict[str | None, int]] = {}
        self.n_known = 0

    def column(self, name: str, values: list[str | None]) -> list[int]:
        """The id of each value of one field; 0 where the item has no value (ids start at 1)."""
        known = self.known.get(name)
        if known is None:
            known = self.known[name] = {None: 0}
        missing = set(values).difference(known)
        if missing:
            if self.n_known + len(missing) > MAX_KNOWN_VALUE_IDS:
                # Many distinct values (an id-like field): keep memory bounded by forgetting every id, and look
                # up all of this batch's values again.
                known = {None: 0}
                self.known = {name: known}
                self.n_known = 0
                missing = set(values).difference(known)
            known.update(self._lookup_or_create(name, missing))
            self.n_known += len(missing)
        return list(map(known.__getitem__, values))

    def _lookup_or_create(self, name: str, values: set[str]) -> dict[str, int]:
        # One statement creates the new values and returns every id: a value the dataset has already (an append)
        # takes the conflict branch, which changes nothing but makes RETURNING report it too.
        listed = orjson.dumps(list(values)).decode() if connection.vendor == "sqlite" else list(values)
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT_VALUES[connection.vendor], [self.dataset.pk, name, listed])
            return dict(cursor.fetchall())


_UPSERT_VALUES_TEMPLATE = """
INSERT INTO annotate_metadatavalue (dataset_id, field, value)
SELECT %s, %s, {each}
ON CONFLICT (dataset_id, field, value) DO UPDATE SET value = excluded.value
RETURNING value, id
"""
# Parameters: dataset id, field, the field's values (SQLite: a JSON array; PostgreSQL: a text array).
# "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
_UPSERT_VALUES = {
    "sqlite": _UPSERT_VALUES_TEMPLATE.format(each="value FROM json_each(%s) WHERE true"),
    "postgresql": _UPSERT_VALUES_TEMPLATE.format(each="unnest(%s::text[])"),
}


def batches_for_sqlite(batches: Iterator[ItemBatch]) -> Iterator[ItemBatch]:
    """Pack each batch into the parameters of write_sqlite's statements."""
    for batch in batches:
        # 1-based offsets in `texts` of each item's content; its metadata follows the content.
        offsets = accumulate(map(int.__add__, batch.content_lengths, batch.metadata_lengths), initial=1)
        rows = zip(batch.external_ids, offsets, batch.content_lengths, batch.metadata_lengths, strict=False)
        batch.items_json = orjson.dumps(list(rows)).decode()
        yield batch


def batches_for_postgresql(batches: Iterator[ItemBatch], dataset: Dataset) -> Iterator[ItemBatch]:
    """Turn each batch's items into write_postgresql's COPY data."""
    for batch in batches:
        batch.copy_data = copy_binary.item_rows(
            dataset_id=dataset.pk,
            external_ids=batch.external_ids,
            first_position=batch.first_position,
            texts=batch.texts,
            content_lengths=batch.content_lengths,
            metadata_lengths=batch.metadata_lengths,
        )
        batch.texts = bytearray()
        yield batch


def _duplicate_error(
    dataset: Dataset, batch: ItemBatch, reader: ItemReader, first_position: int
) -> ValidationError | None:
    """After a unique-constraint failure, the error naming the first row of the batch whose id is taken."""
    ids = batch.external_ids
    taken: dict[str, int] = {}
    for chunk in chunks(ids, 500):
        rows = Item.objects.filter(dataset=dataset, external_id__in=chunk)
        taken.update(rows.values_list("external_id", "position"))
    seen: set[str] = set()
    for number, external_id in zip(batch.numbers, ids, strict=True):
        where = f"{reader.where(number)}, field '{shown(reader.id_field)}': duplicate id '{shown(external_id)}'"
        if external_id in seen or taken.get(external_id, 0) >= first_position:
            return ValidationError(f"{where} (used earlier in the file).")
        if external_id in taken:
            return ValidationError(f"{where} (an item of dataset '{shown(dataset.name)}' already has it).")
        seen.add(external_id)
    return None


def write_sqlite(dataset: Dataset, batches: Iterator[ItemBatch], reader: ItemReader, first_position: int) -> None:
    """Insert batches on the raw sqlite3 connection with ids assigned here, so no row is read back."""
    connection.ensure_connection()
    raw = connection.connection
    (next_id,) = raw.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'annotate_item'), 0),"
        " COALESCE((SELECT MAX(id) FROM annotate_item), 0)) + 1"
    ).fetchone()
    value_ids = _ValueIds(dataset)
    for batch in batches:
        try:
            # A failing statement is undone on its own (SQLite's ON CONFLICT ABORT), so the ids can be looked up.
            raw.execute(
                _SQLITE_INSERT_ITEMS, (next_id, dataset.pk, batch.first_position, batch.texts, batch.items_json)
            )
        except connection.Database.IntegrityError:
            error = _duplicate_error(dataset, batch, reader, first_position)
            if error is None:
                raise
            raise error from None
        for key, column in batch.values.items():
            ids_json = orjson.dumps(value_ids.column(key, column)).decode()
            raw.execute(_SQLITE_INSERT_METADATA, (next_id, ids_json))
        next_id += len(batch.external_ids)


# Parameters: first item id, dataset id, first position, texts, items_json (see ItemBatch).
_SQLITE_INSERT_ITEMS = """
INSERT INTO annotate_item (id, dataset_id, external_id, position, content, metadata)
SELECT ?1 + key, ?2, json_extract(value, '$[0]'), ?3 + key,
       CAST(substr(?4, json_extract(value, '$[1]'), json_extract(value, '$[2]')) AS TEXT),
       CAST(substr(?4, json_extract(value, '$[1]') + json_extract(value, '$[2]'), json_extract(value, '$[3]')) AS TEXT)
FROM json_each(?5)
"""
# Parameters: first item id, one field's MetadataValue id per item as a JSON array (0: no value).
_SQLITE_INSERT_METADATA = """
INSERT INTO annotate_itemmetadata (item_id, value_id) SELECT ?1 + key, value FROM json_each(?2) WHERE value > 0
"""


def write_postgresql(dataset: Dataset, batches: Iterator[ItemBatch], reader: ItemReader, first_position: int) -> None:
    """Insert batches with COPY; the server assigns the items' ids, which are read back for the metadata rows."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # Check the rows' foreign keys as each COPY ends instead of at commit: the same checks, without queueing a
        # trigger event per row for the commit (that queue cost a sixth of the import's time).
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferred"
            " AND conrelid IN ('annotate_item'::regclass, 'annotate_itemmetadata'::regclass)"
        )
        foreign_keys = ", ".join(connection.ops.quote_name(name) for (name,) in cursor.fetchall())
        if foreign_keys:
            cursor.execute(f"SET CONSTRAINTS {foreign_keys} IMMEDIATE")
        value_ids = _ValueIds(dataset)
        for batch in batches:
            try:
                # A savepoint per batch, so a duplicate id can be looked up after the failed COPY.
                with transaction.atomic():
                    with raw.copy(
                        f"COPY annotate_item ({copy_binary.ITEM_COLUMNS}) FROM STDIN (FORMAT BINARY)"
                    ) as copy:
                        copy.write(batch.copy_data)
            except connection.Database.IntegrityError:
                error = _duplicate_error(dataset, batch, reader, first_position)
                if error is None:
                    raise
                raise error from None
            if batch.values:
                # Rows are written in position order, each taking the sequence's next value: ids ascend with
                # position, as the browser's paging by id needs.
                last_position = batch.first_position + len(batch.numbers) - 1
                cursor.execute(
                    "SELECT id FROM annotate_item WHERE dataset_id = %s AND position BETWEEN %s AND %s"
                    " ORDER BY position",
                    [dataset.pk, batch.first_position, last_position],
                )
                ids = [item_id for (item_id,) in cursor.fetchall()]
                columns = [value_ids.column(key, column) for key, column in batch.values.items()]
                item_ids = np.tile(np.array(ids, dtype=np.int64), len(columns))
                rows = copy_binary.metadata_rows(item_ids, np.array(columns, dtype=np.int64).ravel())
                with raw.copy(
                    f"COPY annotate_itemmetadata ({copy_binary.METADATA_COLUMNS}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(rows)
        if foreign_keys:
            # Back to how they were declared, for the rest of an enclosing transaction.
            cursor.execute(f"SET CONSTRAINTS {foreign_keys} DEFERRED")


# The number of items per metadata value of a dataset.
