"""Writes for datasets: importing items from files, and the uploads that precede an import."""

import queue
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max

from accord.chunks import chunks
from annotate import importers
from annotate.models import Dataset, Item

# Metadata values longer than this are kept on the item but not indexed for filtering.
MAX_INDEXED_VALUE = 255
MAX_ID_LENGTH = Item._meta.get_field("external_id").max_length
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
# Beyond this many distinct metadata values the import stops counting them as it reads, and the summary is
# computed from the dataset's ItemMetadata rows instead (memory stays bounded).
MAX_COUNTED_VALUES = 100_000
TOP_VALUES = 20
# Rows per write, by database. Up to four batches are in flight at once. On SQLite larger batches gain nothing
# measurable and cost memory; on PostgreSQL each batch ends in a wait for the server's checks, and a
# 1,000,000-item import ran in 31.2 s with 5,000 rows against 33.5 s with 2,000 (peak RSS 168 MB against 150).
IMPORT_BATCH_SIZE = {"sqlite": 2000, "postgresql": 5000}
# Records the parsing thread reads between two hand-overs of the GIL to the writing thread.
YIELD_EVERY = 64
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
            raise ValidationError(f"Field '{name}' cannot be both content and metadata.")
        if id_field in content_set | metadata_set:
            raise ValidationError(f"Field '{id_field}' is the id field; it cannot also be content or metadata.")
        self.id_field = id_field
        self.content_set = content_set
        self.metadata_set = metadata_set
        # Fields named in neither list go to content by default; if only content is named, the rest is
        # metadata; if both are named, the rest is ignored.
        self.rest = "content" if content_fields is None else ("metadata" if metadata_fields is None else None)
        self.requested = [("id", id_field)] + [("content", n) for n in sorted(content_set)]
        self.requested += [("metadata", n) for n in sorted(metadata_set)]

    def check_columns(self, columns: list[str]) -> None:
        """Fail early when a requested field is not among a file's declared columns."""
        for role, name in self.requested:
            if name not in columns:
                raise ValidationError(f"The {role} field '{name}' is not in the file (columns: {', '.join(columns)}).")

    def check_seen(self, seen: set[str]) -> None:
        """Fail when a requested content or metadata field occurred in no record at all."""
        for role, name in self.requested[1:]:
            if name not in seen:
                raise ValidationError(
                    f"The {role} field '{name}' does not occur in the file (fields: {', '.join(sorted(seen))})."
                )

    def split(self, record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        content: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        for key, value in record.items():
            if key == self.id_field:
                continue
            if key in self.content_set:
                content[key] = value
            elif key in self.metadata_set:
                metadata[key] = value
            elif self.rest == "content":
                content[key] = value
            elif self.rest == "metadata":
                metadata[key] = value
        return content, metadata


def _external_id(record: dict[str, Any], id_field: str, where: str) -> str:
    if id_field not in record:
        raise ValidationError(f"{where}, field '{id_field}': the id is missing.")
    value = record[id_field]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        shown = "null" if value is None else type(value).__name__
        raise ValidationError(f"{where}, field '{id_field}': the id must be a string or number, not {shown}.")
    text = value if isinstance(value, str) else importers.dumps(value)
    if not text.strip():
        raise ValidationError(f"{where}, field '{id_field}': the id is empty.")
    if len(text) > MAX_ID_LENGTH:
        raise ValidationError(f"{where}, field '{id_field}': the id is longer than {MAX_ID_LENGTH} characters.")
    if "\x00" in text:
        raise ValidationError(f"{where}, field '{id_field}': the id contains a NUL character.")
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

    def add(self, name: str, length: int) -> None:
        counts = self.fields.get(name)
        if counts is None:
            counts = self.fields[name] = {}
            self.extremes[name] = [length, length]
        key = _length_key(length)
        counts[key] = counts.get(key, 0) + 1
        low_high = self.extremes[name]
        if length < low_high[0]:
            low_high[0] = length
        elif length > low_high[1]:
            low_high[1] = length

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

    def add(self, name: str, value: str) -> None:
        if self.fields is None:
            return
        counts = self.fields.get(name)
        if counts is None:
            counts = self.fields[name] = {}
        n = counts.get(value)
        if n is None:
            self.n_values += 1
            if self.n_values > MAX_COUNTED_VALUES:
                self.fields = None
                return
            counts[value] = 1
        else:
            counts[value] = n + 1

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
    """Rows ready to write: item tuples in file order and the metadata pairs to index."""

    wheres: list[str]
    external_ids: list[str]
    items: list[tuple[str, int, str, str]]  # external_id, position, content JSON, metadata JSON
    pairs: list[tuple[int, str, str]]  # index into items, field, value
    # On SQLite, items and pairs as JSON arrays instead: one statement each unpacks them, so the writing thread
    # spends the whole batch inside SQLite (without the GIL) instead of binding values row by row.
    items_json: str = ""
    pairs_json: str = ""


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
        self.content_names: set[str] = set()
        self.metadata_names: set[str] = set()
        self.seen_fields: set[str] = set()
        self.n_items = 0

    def batches(self, records: importers.RecordStream, size: int) -> Iterator[_Batch]:
        batch = _Batch([], [], [], [])
        for number, record in records.rows:
            self._add(batch, f"{records.unit} {number}", record)
            if number % YIELD_EVERY == 0:
                # Hand the GIL over now and then: a writing thread back from the database would otherwise wait
                # for the interpreter's 5 ms switch interval each time.
                time.sleep(0)
            if len(batch.items) >= size:
                yield batch
                batch = _Batch([], [], [], [])
        if batch.items:
            yield batch

    def _add(self, batch: _Batch, where: str, record: dict[str, Any]) -> None:
        self.seen_fields.update(record)
        external_id = _external_id(record, self.id_field, where)
        content, metadata = self.mapping.split(record)
        self.content_names.update(content)
        self.metadata_names.update(metadata)
        for key, value in content.items():
            self.lengths.add(key, len(value) if isinstance(value, str) else len(importers.dumps(value)))
        try:
            content_json = importers.dumps(content)
            metadata_json = importers.dumps(metadata)
        except TypeError as exc:
            raise ValidationError(f"{where}: {exc}.") from None
        for key, json_text in (("content", content_json), ("metadata", metadata_json)):
            if "\\u0000" in json_text:
                raise ValidationError(f"{where}: the {key} contains a NUL character, which cannot be stored.")
        index = len(batch.items)
        for key, value in metadata.items():
            text = _index_value(value)
            if text is not None and len(key) <= MAX_INDEXED_VALUE:
                batch.pairs.append((index, key, text))
                self.values.add(key, text)
        batch.wheres.append(where)
        batch.external_ids.append(external_id)
        batch.items.append((external_id, self.next_position, content_json, metadata_json))
        self.next_position += 1
        self.n_items += 1


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
        dataset = _target_dataset(dataset=dataset, name=name, user=user)
        first_position = (Item.objects.filter(dataset=dataset).aggregate(m=Max("position"))["m"] or 0) + 1
        lengths = _ContentLengths(dataset.summary.get("content", {}))
        known = dataset.item_count == 0 or "metadata" in dataset.summary
        values = _ValueCounts(dataset.summary.get("metadata", {}) if known else None)
        reader = _Reader(mapping, id_field, first_position, lengths, values)
        with importers.open_binary(source) as stream:
            records = importers.open_records(stream, fmt)
            if records.columns is not None:
                mapping.check_columns(records.columns)
            # Parsing runs in a second thread while the database writes the previous batch: SQLite and psycopg's
            # COPY release the GIL while they work.
            if connection.vendor == "sqlite":
                with _in_background(_as_json(reader.batches(records, batch_size))) as batches:
                    _write_sqlite(dataset, batches, first_position, id_field)
            else:
                with _in_background(reader.batches(records, batch_size)) as batches:
                    _write_postgresql(dataset, batches, first_position, id_field)
        if reader.n_items == 0:
            raise ValidationError("The file is empty: it contains no items.")
        mapping.check_seen(reader.seen_fields)
        content_names = sorted(set(dataset.content_fields) | reader.content_names)
        metadata_names = sorted(set(dataset.metadata_fields) | reader.metadata_names)
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
    # Foreign keys can only be switched off outside a transaction; inside one (tests) they stay on.
    # Every row written refers to the locked dataset or to an item written just before it.
    checks_off = not connection.in_atomic_block and connection.disable_constraint_checking()
    raw.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    # The JSON columns' CHECK (JSON_VALID(...)) would re-parse text that orjson has just produced.
    raw.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        raw.execute("PRAGMA ignore_check_constraints = OFF")
        raw.execute(f"PRAGMA cache_size = {int(cache_size)}")
        if checks_off:
            connection.enable_constraint_checking()


def _as_json(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    for batch in batches:
        batch.items_json = orjson.dumps(batch.items).decode()
        batch.pairs_json = orjson.dumps(batch.pairs).decode()
        # Batches wait in a queue: keep one copy of their text, not two.
        batch.items, batch.pairs = [], []
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
    name = (name or "").strip()
    if not name:
        raise ValidationError("Name the dataset to import into.")
    if len(name) > Dataset._meta.get_field("name").max_length:
        raise ValidationError(f"The dataset name '{name[:40]}…' is too long (200 characters at most).")
    if Dataset.objects.filter(name=name).exists():
        raise ValidationError(f"A dataset named '{name}' already exists.")
    return Dataset.objects.create(name=name, created_by=user if user and user.is_authenticated else None)


def _duplicate_error(dataset: Dataset, batch: _Batch, first_position: int, id_field: str) -> ValidationError | None:
    """After a unique-constraint failure, the error naming the first row of the batch whose id is taken."""
    ids = batch.external_ids
    taken: dict[str, int] = {}
    for chunk in chunks(ids, 500):
        rows = Item.objects.filter(dataset=dataset, external_id__in=chunk)
        taken.update(rows.values_list("external_id", "position"))
    seen: set[str] = set()
    for where, external_id in zip(batch.wheres, ids, strict=True):
        if external_id in seen or taken.get(external_id, 0) >= first_position:
            return ValidationError(
                f"{where}, field '{id_field}': duplicate id '{external_id}' (used earlier in the file)."
            )
        if external_id in taken:
            return ValidationError(
                f"{where}, field '{id_field}': duplicate id '{external_id}' "
                f"(an item of dataset '{dataset.name}' already has it)."
            )
        seen.add(external_id)
    return None


def _write_sqlite(dataset: Dataset, batches: Iterator[_Batch], first_position: int, id_field: str) -> None:
    """Insert batches on the raw sqlite3 connection with ids assigned here, so no row is read back."""
    connection.ensure_connection()
    raw = connection.connection
    (next_id,) = raw.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'annotate_item'), 0),"
        " COALESCE((SELECT MAX(id) FROM annotate_item), 0)) + 1"
    ).fetchone()
    for batch in batches:
        try:
            # A failing statement is undone on its own (SQLite's ON CONFLICT ABORT), so the ids can be looked up.
            raw.execute(
                "INSERT INTO annotate_item (id, dataset_id, external_id, position, content, metadata)"
                " SELECT ? + key, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
                " json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(?)",
                (next_id, dataset.pk, batch.items_json),
            )
        except connection.Database.IntegrityError:
            error = _duplicate_error(dataset, batch, first_position, id_field)
            if error is None:
                raise
            raise error from None
        raw.execute(
            "INSERT INTO annotate_itemmetadata (dataset_id, item_id, field, value)"
            " SELECT ?, ? + json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')"
            " FROM json_each(?)",
            (dataset.pk, next_id, batch.pairs_json),
        )
        next_id += len(batch.external_ids)


def _write_postgresql(dataset: Dataset, batches: Iterator[_Batch], first_position: int, id_field: str) -> None:
    """Insert batches with COPY; ids are drawn from the sequence first so metadata rows can refer to them."""
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
        for batch in batches:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('annotate_item', 'id')) FROM generate_series(1, %s)",
                [len(batch.items)],
            )
            # Ascending ids in position order: the browser pages by id.
            ids = sorted(item_id for (item_id,) in cursor.fetchall())
            try:
                # A savepoint per batch, so a duplicate id can be looked up after the failed COPY.
                with transaction.atomic():
                    with raw.copy(
                        "COPY annotate_item (id, dataset_id, external_id, position, content, metadata) FROM STDIN"
                    ) as copy:
                        for item_id, item in zip(ids, batch.items, strict=True):
                            copy.write_row((item_id, dataset.pk, *item))
            except connection.Database.IntegrityError:
                error = _duplicate_error(dataset, batch, first_position, id_field)
                if error is None:
                    raise
                raise error from None
            with raw.copy("COPY annotate_itemmetadata (dataset_id, item_id, field, value) FROM STDIN") as copy:
                for index, field, value in batch.pairs:
                    copy.write_row((dataset.pk, ids[index], field, value))
        if foreign_keys:
            # Back to how they were declared, for the rest of an enclosing transaction.
            cursor.execute(f"SET CONSTRAINTS {foreign_keys} DEFERRED")


_TOP_VALUES_SQL = """
SELECT field, value, n FROM (
    SELECT field, value, COUNT(*) AS n,
           ROW_NUMBER() OVER (PARTITION BY field ORDER BY COUNT(*) DESC, value) AS rank
    FROM annotate_itemmetadata WHERE dataset_id = %s GROUP BY field, value
) ranked WHERE rank <= %s ORDER BY field, n DESC, value
"""
_FIELD_TOTALS_SQL = """
SELECT field, COUNT(*), COUNT(DISTINCT value) FROM annotate_itemmetadata WHERE dataset_id = %s GROUP BY field
"""


def _metadata_summary(dataset: Dataset) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(_FIELD_TOTALS_SQL, [dataset.pk])
        for field, total, distinct in cursor.fetchall():
            summary[field] = {"top": [], "total": total, "distinct": distinct}
        cursor.execute(_TOP_VALUES_SQL, [dataset.pk, TOP_VALUES])
        for field, value, n in cursor.fetchall():
            summary[field]["top"].append([value, n])
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
    records, sample = importers.read_sample(source, fmt, n)
    if not sample:
        raise ValidationError("The file is empty: it contains no items.")
    fields: list[str] = list(records.columns or [])
    samples: dict[str, list[str]] = {}
    for _number, record in sample:
        for key, value in record.items():
            if key not in fields:
                fields.append(key)
            shown = _preview(value, 80)
            values = samples.setdefault(key, [])
            if shown and shown not in values and len(values) < 3:
                values.append(shown)
    rows = [{key: _preview(record.get(key), 120) for key in fields} for _number, record in sample[:5]]
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
