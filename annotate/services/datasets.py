"""Writes for datasets: importing items from files, and the uploads that precede an import."""

import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from accord.chunks import chunks
from annotate import importers, limits
from annotate.limits import shown
from annotate.models import Dataset, Item
from annotate.services import copy_binary

logger = logging.getLogger(__name__)

# Metadata values longer than this are kept on the item but not indexed for filtering.
MAX_INDEXED_VALUE = 255
MAX_ID_LENGTH = Item._meta.get_field("external_id").max_length
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
# Beyond this many distinct metadata values the import stops counting them as it reads, and the summary is
# computed from the dataset's ItemMetadata rows instead (memory stays bounded).
MAX_COUNTED_VALUES = 100_000
# Metadata value ids the import keeps at hand; past this many it forgets them and looks them up again.
MAX_KNOWN_VALUE_IDS = 100_000
TOP_VALUES = 20
# Bytes of item JSON per write at most: a batch of records near the record limit closes early, so the up to four
# batches in flight stay within a few hundred MB (at the benchmark's 1.6 KB items a batch holds 3 MB).
IMPORT_BATCH_BYTES = 32 * 1024 * 1024
# Rows per write, by database. Up to four batches are in flight at once. On SQLite larger batches gain nothing
# measurable and cost memory; on PostgreSQL each batch ends in a wait for the server's checks, and a
# 1,000,000-item import ran in 31.2 s with 5,000 rows against 33.5 s with 2,000 (peak RSS 168 MB against 150).
IMPORT_BATCH_SIZE = {"sqlite": 2000, "postgresql": 5000}
# Records the parsing thread reads between two hand-overs of the GIL to the writing thread.
YIELD_EVERY = 64
# Name of the thread that copies an import's pages from SQLite's write-ahead log into the database file.
CHECKPOINT_THREAD = "sqlite-checkpoint"
# Page cache of the importing SQLite connection (the default 2 MB makes a large import re-read its own writes).
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    dataset: Dataset
    n_items: int


@dataclass(frozen=True)
class FieldPreview:
    """The first records of a file: field names in order of appearance, sample values, preview rows."""

    fmt: str
    fields: list[str]
    samples: dict[str, list[str]]
    rows: list[dict[str, str]]


class _Mapping:
    """Splits a record into id, content and metadata according to the requested fields."""

    def __init__(self, id_field: str, content_fields: list[str] | None, metadata_fields: list[str] | None) -> None:
        if not id_field:
            raise ValidationError("The id field name is empty.")
        content_set = set(content_fields or [])
        metadata_set = set(metadata_fields or [])
        for name in sorted(content_set & metadata_set):
            raise ValidationError(f"Field '{shown(name)}' cannot be both content and metadata.")
        if id_field in content_set | metadata_set:
            raise ValidationError(f"Field '{shown(id_field)}' is the id field; it cannot also be content or metadata.")
        self.id_field = id_field
        self.content_set = content_set
        self.metadata_set = metadata_set
        # Fields named in neither list go to content by default; if only content is named, the rest is
        # metadata; if both are named, the rest is ignored.
        self.rest = "content" if content_fields is None else ("metadata" if metadata_fields is None else None)
        self.not_content = metadata_set | {id_field}
        self.not_metadata = content_set | {id_field}
        self.requested = [("id", id_field)] + [("content", n) for n in sorted(content_set)]
        self.requested += [("metadata", n) for n in sorted(metadata_set)]

    def check_columns(self, columns: list[str]) -> None:
        """Fail early when a requested field is not among a file's declared columns."""
        for role, name in self.requested:
            if name not in columns:
                raise ValidationError(
                    f"The {role} field '{shown(name)}' is not in the file (columns: {limits.shown_list(columns)})."
                )

    def check_seen(self, seen: set[str]) -> None:
        """Fail when a requested content or metadata field occurred in no record at all."""
        for role, name in self.requested[1:]:
            if name not in seen:
                raise ValidationError(
                    f"The {role} field '{shown(name)}' does not occur in the file "
                    f"(fields: {limits.shown_list(sorted(seen))})."
                )

    def split(self, record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The record's content and metadata, each in the record's field order."""
        pairs = record.items()
        if self.rest == "content":
            content = {key: value for key, value in pairs if key not in self.not_content}
        else:
            content = {key: value for key, value in pairs if key in self.content_set}
        if self.rest == "metadata":
            metadata = {key: value for key, value in pairs if key not in self.not_metadata}
        else:
            metadata = {key: value for key, value in pairs if key in self.metadata_set}
        return content, metadata

    def names(self, fields: set[str]) -> tuple[set[str], set[str]]:
        """Which of these field names are content and which metadata."""
        content, metadata = self.split(dict.fromkeys(fields))
        return set(content), set(metadata)


def _external_id(record: dict[str, Any], id_field: str, where: str) -> str:
    name = shown(id_field)
    if id_field not in record:
        raise ValidationError(f"{where}, field '{name}': the id is missing.")
    value = record[id_field]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        kind = "null" if value is None else type(value).__name__
        raise ValidationError(f"{where}, field '{name}': the id must be a string or number, not {kind}.")
    text = value if isinstance(value, str) else importers.dumps(value)
    if not text.strip():
        raise ValidationError(f"{where}, field '{name}': the id is empty.")
    if len(text) > MAX_ID_LENGTH:
        raise ValidationError(f"{where}, field '{name}': the id is longer than {MAX_ID_LENGTH} characters.")
    if "\x00" in text:
        raise ValidationError(f"{where}, field '{name}': the id contains a NUL character.")
    return text


def _index_value(value: Any) -> str | None:
    """The text a metadata value is filtered by, or None when it isn't a short scalar."""
    if value is None or isinstance(value, dict | list):
        return None
    text = value if isinstance(value, str) else importers.dumps(value)
    if not text or len(text) > MAX_INDEXED_VALUE or "\x00" in text:
        return None
    return text


def _length_key(length: int) -> int:
    # Exact below 1024 characters, then ~0.1% buckets, so stored distributions stay small and mergeable.
    if length < 1024:
        return length
    shift = length.bit_length() - 10
    return (length >> shift) << shift


class _ContentLengths:
    """Running text-length counts per content field, merged into Dataset.summary."""

    def __init__(self, stored: dict[str, Any]) -> None:
        self.fields: dict[str, dict[int, int]] = {}
        self.extremes: dict[str, list[int]] = {}
        for name, info in stored.items():
            self.fields[name] = {int(k): v for k, v in info.get("lengths", {}).items()}
            self.extremes[name] = [info["min"], info["max"]]

    def add(self, name: str, lengths: list[int]) -> None:
        """Count the text lengths of one field in a batch of items."""
        counts = self.fields.setdefault(name, {})
        for length, n in Counter(lengths).items():
            key = _length_key(length)
            counts[key] = counts.get(key, 0) + n
        low, high = min(lengths), max(lengths)
        low_high = self.extremes.setdefault(name, [low, high])
        low_high[0] = min(low_high[0], low)
        low_high[1] = max(low_high[1], high)

    def as_json(self) -> dict[str, Any]:
        return {
            name: {
                "lengths": {str(k): v for k, v in sorted(counts.items())},
                "min": self.extremes[name][0],
                "max": self.extremes[name][1],
                "n": sum(counts.values()),
            }
            for name, counts in self.fields.items()
        }


class _ValueCounts:
    """Running value counts per metadata field, so the summary needs no pass over the dataset's metadata rows.

    Exact only when every value of the dataset passes through here: a new dataset, or one whose stored summary
    lists all of its values. Otherwise, or past MAX_COUNTED_VALUES distinct values, `fields` is None and the
    summary is computed in SQL.
    """

    def __init__(self, stored: dict[str, Any] | None) -> None:
        self.fields: dict[str, dict[str, int]] | None = None if stored is None else {}
        self.n_values = 0
        for name, info in (stored or {}).items():
            if info.get("other", 0):
                self.fields = None
                return
            self.fields[name] = dict((value, n) for value, n in info.get("top", []))
            self.n_values += len(self.fields[name])

    def add(self, name: str, values: list[str | None]) -> None:
        """Count the indexed values of one field in a batch of items (None: the item has none)."""
        if self.fields is None:
            return
        tally = Counter(values)
        tally.pop(None, None)
        if not tally:
            return
        counts = self.fields.setdefault(name, {})
        for value, n in tally.items():
            known = counts.get(value)
            if known is None:
                self.n_values += 1
                if self.n_values > MAX_COUNTED_VALUES:
                    self.fields = None
                    return
                counts[value] = n
            else:
                counts[value] = known + n

    def as_json(self, item_count: int) -> dict[str, Any]:
        """The summary's "metadata" part, as _metadata_summary computes it in SQL."""
        assert self.fields is not None
        summary: dict[str, Any] = {}
        for name, counts in sorted(self.fields.items()):
            total = sum(counts.values())
            top = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_VALUES]
            summary[name] = {
                "top": [[value, n] for value, n in top],
                "total": total,
                "distinct": len(counts),
                "other": total - sum(n for _value, n in top),
                "missing": item_count - total,
            }
        return summary


@dataclass
class _Batch:
    """Items ready to write, in file order."""

    first_position: int
    capacity: int
    numbers: list[int] = field(default_factory=list)  # line or row of each item, for error messages
    external_ids: list[str] = field(default_factory=list)
    # Each item's content JSON, then its metadata JSON, back to back in UTF-8 (orjson's own byte strings each
    # hold an 8 KiB buffer: kept per item, they made a batch six times its size).
    texts: bytearray = field(default_factory=bytearray)
    content_lengths: list[int] = field(default_factory=list)  # in bytes
    metadata_lengths: list[int] = field(default_factory=list)  # in bytes
    # Per metadata field, each item's value as the browser filters by it (None: absent or not a short scalar).
    values: dict[str, list[str | None]] = field(default_factory=dict)
    # Per content field, the text length of each item that has it.
    lengths: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # On SQLite: the items as a JSON array of [external id, offset in texts, content length, metadata length].
    # One statement writes the items, so the writing thread spends the batch inside SQLite (without the GIL)
    # instead of binding values row by row, and SQLite copies each item's JSON out of `texts` without parsing it.
    items_json: str = ""
    # On PostgreSQL: the items as binary COPY data, built by the parsing thread (the server assigns the ids).
    copy_data: bytes | bytearray = b""


class _Reader:
    """Turns records into write-ready batches and tallies what the dataset summary needs."""

    def __init__(
        self, mapping: _Mapping, id_field: str, first_position: int, lengths: _ContentLengths, values: _ValueCounts
    ) -> None:
        self.mapping = mapping
        self.id_field = id_field
        self.next_position = first_position
        self.lengths = lengths
        self.values = values
        self.seen_fields: set[str] = set()
        self.max_fields = limits.max_fields()
        self.n_items = 0
        self.unit = "line"

    def batches(self, records: importers.RecordStream, size: int) -> Iterator[_Batch]:
        self.unit = records.unit
        batch = _Batch(self.next_position, size)
        for number, record in records.rows:
            self._add(batch, number, record)
            if number % YIELD_EVERY == 0:
                # Hand the GIL over now and then: a writing thread back from the database would otherwise wait
                # for the interpreter's 5 ms switch interval each time.
                time.sleep(0)
            if len(batch.numbers) >= size or len(batch.texts) >= IMPORT_BATCH_BYTES:
                yield self._close(batch)
                batch = _Batch(self.next_position, size)
        if batch.numbers:
            yield self._close(batch)

    def where(self, number: int) -> str:
        return f"{self.unit} {number}"

    def _add(self, batch: _Batch, number: int, record: dict[str, Any]) -> None:
        # The common cases are checked inline: this runs once per item, and function calls dominate its cost.
        seen = self.seen_fields
        seen.update(record)
        if len(seen) > self.max_fields:
            # Each record has few enough fields (the readers check), but together they could have any number.
            raise ValidationError(
                f"{self.where(number)}: the file has {len(seen):,} distinct fields up to here, more than the "
                f"{self.max_fields:,} a dataset may have."
            )
        external_id = record.get(self.id_field)
        if not (
            external_id.__class__ is str
            and 0 < len(external_id) <= MAX_ID_LENGTH
            and "\x00" not in external_id
            and not external_id.isspace()
        ):
            external_id = _external_id(record, self.id_field, self.where(number))
        content, metadata = self.mapping.split(record)
        lengths = batch.lengths
        for key, value in content.items():
            lengths[key].append(len(value) if value.__class__ is str else len(importers.dumps(value)))
        try:
            content_json = orjson.dumps(content, default=importers.json_default)
            metadata_json = orjson.dumps(metadata, default=importers.json_default)
        except TypeError as exc:
            raise ValidationError(f"{self.where(number)}: {shown(exc)}.") from None
        # No text here holds a NUL character (PostgreSQL stores none): the readers refuse one in any key or value.
        index = len(batch.numbers)
        columns = batch.values
        for key, value in metadata.items():
            if value.__class__ is str and 0 < len(value) <= MAX_INDEXED_VALUE and "\x00" not in value:
                text = value
            else:
                text = _index_value(value)
                if text is None:
                    continue
            column = columns.get(key)
            if column is None:
                if len(key) > MAX_INDEXED_VALUE:
                    continue
                column = columns[key] = [None] * batch.capacity
            column[index] = text
        batch.numbers.append(number)
        batch.external_ids.append(external_id)
        batch.texts += content_json
        batch.texts += metadata_json
        batch.content_lengths.append(len(content_json))
        batch.metadata_lengths.append(len(metadata_json))

    def _close(self, batch: _Batch) -> _Batch:
        """Tally a full batch into the summary counts."""
        n = len(batch.numbers)
        for key, column in batch.values.items():
            del column[n:]
            self.values.add(key, column)
        for key, lengths in batch.lengths.items():
            self.lengths.add(key, lengths)
        batch.lengths.clear()
        self.next_position += n
        self.n_items += n
        return batch


def dataset_import(
    *,
    source: str | Path | BinaryIO,
    fmt: str | None = None,
    dataset: Dataset | None = None,
    name: str | None = None,
    id_field: str = "id",
    content_fields: list[str] | None = None,
    metadata_fields: list[str] | None = None,
    user: AbstractBaseUser | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Import every record of a file into a new or existing dataset, all or nothing.

    `batch_size` is the number of rows per write (default: IMPORT_BATCH_SIZE for the database in use).
    """
    batch_size = batch_size or IMPORT_BATCH_SIZE[connection.vendor]
    fmt = importers.detect_format(source, fmt)
    mapping = _Mapping(id_field, content_fields, metadata_fields)
    with _bulk_write_settings(), transaction.atomic():
        _checkpoint_after_commit()
        dataset = _target_dataset(dataset=dataset, name=name, user=user)
        first_position = (Item.objects.filter(dataset=dataset).aggregate(m=Max("position"))["m"] or 0) + 1
        lengths = _ContentLengths(dataset.summary.get("content", {}))
        known = dataset.item_count == 0 or "metadata" in dataset.summary
        values = _ValueCounts(dataset.summary.get("metadata", {}) if known else None)
        reader = _Reader(mapping, id_field, first_position, lengths, values)
        with importers.open_binary(source) as stream:
            records = importers.open_records(stream, fmt, max_fields=limits.max_fields())
            if records.columns is not None:
                mapping.check_columns(records.columns)
            # Parsing runs in a second thread while the database writes the previous batch: SQLite and psycopg's
            # COPY release the GIL while they work.
            if connection.vendor == "sqlite":
                with _in_background(_for_sqlite(reader.batches(records, batch_size))) as batches:
                    _write_sqlite(dataset, batches, reader, first_position)
            else:
                with _in_background(_for_postgresql(reader.batches(records, batch_size), dataset)) as batches:
                    _write_postgresql(dataset, batches, reader, first_position)
        if reader.n_items == 0:
            raise ValidationError("The file is empty: it contains no items.")
        mapping.check_seen(reader.seen_fields)
        new_content, new_metadata = mapping.names(reader.seen_fields)
        content_names = sorted(set(dataset.content_fields) | new_content)
        metadata_names = sorted(set(dataset.metadata_fields) | new_metadata)
        n_fields = len(set(content_names) | set(metadata_names))
        if n_fields > limits.max_fields():
            raise ValidationError(
                f"With this file's fields the dataset would have {n_fields:,}, more than the "
                f"{limits.max_fields():,} a dataset may have."
            )
        _finish(dataset, reader.n_items, content_names, metadata_names, lengths, values)
    return ImportResult(dataset=dataset, n_items=reader.n_items)


@contextmanager
def _bulk_write_settings() -> Iterator[None]:
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


def _checkpoint_after_commit() -> None:
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


def _for_sqlite(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    """Pack each batch into the parameters of _write_sqlite's statements."""
    for batch in batches:
        # 1-based offsets in `texts` of each item's content; its metadata follows the content.
        offsets = accumulate(map(int.__add__, batch.content_lengths, batch.metadata_lengths), initial=1)
        rows = zip(batch.external_ids, offsets, batch.content_lengths, batch.metadata_lengths, strict=False)
        batch.items_json = orjson.dumps(list(rows)).decode()
        yield batch


def _for_postgresql(batches: Iterator[_Batch], dataset: Dataset) -> Iterator[_Batch]:
    """Turn each batch's items into _write_postgresql's COPY data."""
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


_DONE = object()


@contextmanager
def _in_background(batches: Iterator[_Batch], depth: int = 2) -> Iterator[Iterator[_Batch]]:
    """Run a batch iterator in a thread, at most `depth` batches ahead; its exceptions reach the consumer.

    The thread is stopped and joined on leaving the block, before the file it reads is closed.
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not hand_over(batch):
                    return
            hand_over(_DONE)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consuming thread
            hand_over(exc)

    def consume() -> Iterator[_Batch]:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    thread = threading.Thread(target=produce, name="dataset-import-reader", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()


def _target_dataset(*, dataset: Dataset | None, name: str | None, user: AbstractBaseUser | None) -> Dataset:
    if dataset is not None:
        # Serialise concurrent appends to one dataset (positions must stay unique).
        return Dataset.objects.select_for_update().get(pk=dataset.pk)
    return dataset_create(name=name or "", user=user)


def dataset_create(*, name: str, description: str = "", user: AbstractBaseUser | None) -> Dataset:
    """Create an empty dataset; a name its creator already uses is an error.

    Names are unique per creator, so the error never tells one owner what another has named a dataset.
    """
    name = name.strip()
    if not name:
        raise ValidationError("Name the dataset to import into.")
    if len(name) > Dataset._meta.get_field("name").max_length:
        raise ValidationError(f"The dataset name '{name[:40]}…' is too long (200 characters at most).")
    owner = user if user is not None and user.is_authenticated else None
    if Dataset.objects.filter(name=name, created_by=owner).exists():
        raise ValidationError(f"You already have a dataset named '{name}'.")
    try:
        with transaction.atomic():
            return Dataset.objects.create(name=name, description=description, created_by=owner)
    except IntegrityError:
        # The same creator made a dataset of this name a moment ago, in another request.
        raise ValidationError(f"You already have a dataset named '{name}'.") from None


def _duplicate_error(dataset: Dataset, batch: _Batch, reader: _Reader, first_position: int) -> ValidationError | None:
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


def _write_sqlite(dataset: Dataset, batches: Iterator[_Batch], reader: _Reader, first_position: int) -> None:
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


# Parameters: first item id, dataset id, first position, texts, items_json (see _Batch).
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


def _write_postgresql(dataset: Dataset, batches: Iterator[_Batch], reader: _Reader, first_position: int) -> None:
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
_VALUE_COUNTS_SQL = """
SELECT v.field, v.value, COUNT(*) AS n
FROM annotate_metadatavalue v JOIN annotate_itemmetadata m ON m.value_id = v.id
WHERE v.dataset_id = %s GROUP BY v.id, v.field, v.value
"""
_TOP_VALUES_SQL = f"""
SELECT field, value, n FROM (
    SELECT field, value, n, ROW_NUMBER() OVER (PARTITION BY field ORDER BY n DESC, value) AS rank
    FROM ({_VALUE_COUNTS_SQL}) counted
) ranked WHERE rank <= %s ORDER BY field, n DESC, value
"""
_FIELD_TOTALS_SQL = f"""
SELECT field, CAST(SUM(n) AS BIGINT), COUNT(*) FROM ({_VALUE_COUNTS_SQL}) counted GROUP BY field
"""


def _metadata_summary(dataset: Dataset) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(_FIELD_TOTALS_SQL, [dataset.pk])
        for name, total, distinct in cursor.fetchall():
            summary[name] = {"top": [], "total": total, "distinct": distinct}
        cursor.execute(_TOP_VALUES_SQL, [dataset.pk, TOP_VALUES])
        for name, value, n in cursor.fetchall():
            summary[name]["top"].append([value, n])
    for info in summary.values():
        info["other"] = info["total"] - sum(n for _value, n in info["top"])
        info["missing"] = dataset.item_count - info["total"]
    return summary


def _finish(
    dataset: Dataset,
    n_items: int,
    content_fields: list[str],
    metadata_fields: list[str],
    lengths: _ContentLengths,
    values: _ValueCounts,
) -> None:
    dataset.item_count += n_items
    dataset.content_fields = content_fields
    dataset.metadata_fields = metadata_fields
    metadata = _metadata_summary(dataset) if values.fields is None else values.as_json(dataset.item_count)
    dataset.summary = {"content": lengths.as_json(), "metadata": metadata}
    dataset.save(update_fields=["item_count", "content_fields", "metadata_fields", "summary"])
    if connection.vendor == "postgresql":
        # Fresh statistics let the planner choose how to combine several metadata filters.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotate_itemmetadata")


def detect_fields(source: str | Path | BinaryIO, fmt: str | None = None, n: int = 50) -> FieldPreview:
    """Field names, a few sample values per field and preview rows from the start of a file."""
    fmt = importers.detect_format(source, fmt)
    max_fields = limits.max_fields()
    fields: list[str] = []
    samples: dict[str, list[str]] = {}
    rows: list[dict[str, str]] = []
    with importers.open_binary(source) as stream:
        records = importers.open_records(stream, fmt, max_fields=max_fields)
        fields += records.columns or []
        # Each record is shortened to its preview as it is read: fifty records at the record limit would
        # otherwise be held at once.
        for count, (number, record) in enumerate(records.rows, start=1):
            for key, value in record.items():
                if key not in samples:
                    samples[key] = []
                    if key not in fields:
                        fields.append(key)
                text = _preview(value, 80)
                values = samples[key]
                if text and text not in values and len(values) < 3:
                    values.append(text)
            if len(fields) > max_fields:
                raise ValidationError(
                    f"{records.unit} {number}: the file has {len(fields):,} distinct fields up to here, more than "
                    f"the {max_fields:,} a dataset may have."
                )
            if len(rows) < 5:
                rows.append({key: _preview(value, 120) for key, value in record.items()})
            if count >= n:
                break
    if not rows:
        raise ValidationError("The file is empty: it contains no items.")
    rows = [{key: row.get(key, "") for key in fields} for row in rows]
    return FieldPreview(fmt=fmt, fields=fields, samples={f: samples.get(f, []) for f in fields}, rows=rows)


def _preview(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else importers.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def upload_dir() -> Path:
    """Where uploaded files wait for their field mapping."""
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_save(*, chunks: Iterator[bytes], filename: str) -> tuple[str, Path]:
    """Store an uploaded file under an unguessable token; return the token and the path."""
    _upload_sweep()
    token = secrets.token_urlsafe(24)
    suffix = Path(filename).suffix.lower()
    path = upload_dir() / f"{token}{suffix if suffix in importers.EXTENSIONS else ''}"
    with open(path, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return token, path


def upload_discard(*, path: str | Path) -> None:
    """Delete an uploaded file once it has been imported or abandoned."""
    Path(path).unlink(missing_ok=True)


def _upload_sweep() -> None:
    # Uploads whose mapping was never finished would otherwise pile up in DATA_DIR.
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
