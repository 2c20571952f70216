"""Writes for datasets: creating one, and importing items from a file into it, all or nothing.

The file is read and batched by annotate.services.item_reader and written by annotate.services.item_writers;
uploads waiting for their mapping are annotate.services.pending_uploads.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from accord import limits
from annotate import importers
from annotate.models import Dataset, Item
from annotate.services.item_reader import (
    TOP_VALUES,
    ContentLengths,
    FieldMapping,
    ItemBatch,
    ItemReader,
    ValueCounts,
    in_background,
)
from annotate.services.item_writers import (
    batches_for_postgresql,
    batches_for_sqlite,
    bulk_write_settings,
    checkpoint_after_commit,
    write_postgresql,
    write_sqlite,
)

# Rows per write, by database. Up to four batches are in flight at once. On SQLite larger batches gain nothing
# measurable and cost memory; on PostgreSQL each batch ends in a wait for the server's checks, and a
# 1,000,000-item import ran in 31.2 s with 5,000 rows against 33.5 s with 2,000 (peak RSS 168 MB against 150).
IMPORT_BATCH_SIZE = {"sqlite": 2000, "postgresql": 5000}


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
    # Fields with some text in the preview: a string other than a number or true/false, or a list or object.
    text_fields: frozenset[str] = frozenset()


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
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import every record of a file into a new or existing dataset, all or nothing.

    Fields named in `content_fields` or `metadata_fields` keep the order they are named in; the others follow the
    file's order (CSV and Parquet columns, JSONL keys as they first appear). That order is the dataset's, and the
    order item content is shown in.

    `batch_size` is the number of rows per write (default: IMPORT_BATCH_SIZE for the database in use);
    `on_progress` is called with the number of rows read so far after each batch.
    """
    fmt = importers.detect_format(source, fmt)
    mapping = FieldMapping(id_field, content_fields, metadata_fields)
    return _import(
        _file_records(source, fmt),
        mapping,
        dataset=dataset,
        name=name,
        user=user,
        batch_size=batch_size,
        on_progress=on_progress,
    )


@contextmanager
def _file_records(source: str | Path | BinaryIO, fmt: str) -> Iterator[importers.RecordStream]:
    with importers.open_binary(source) as stream:
        yield importers.open_records(stream, fmt, max_fields=limits.max_fields())


# Records per call of dataset_import_records: a JSON body is held in memory whole, and its import in one request.
MAX_RECORDS_PER_CALL = 10_000


def dataset_import_records(
    *,
    records: Sequence[Any],
    dataset: Dataset,
    id_field: str = "id",
    content_fields: list[str] | None = None,
    metadata_fields: list[str] | None = None,
    user: AbstractBaseUser | None = None,
) -> ImportResult:
    """Import records already parsed from JSON (the API's JSON body) into a dataset, all or nothing.

    Each record passes the checks a JSONL line passes, and an error names it as "record N" (from 1) where a file's
    names "line N". Fields are split and ordered as dataset_import does.
    """
    if not records:
        raise ValidationError({"records": ["Send at least one record."]})
    if len(records) > MAX_RECORDS_PER_CALL:
        raise ValidationError(
            {"records": [f"{len(records):,} records, more than the {MAX_RECORDS_PER_CALL:,} one call may send."]}
        )
    mapping = FieldMapping(id_field, content_fields, metadata_fields)
    # Read lazily, as a file is: inside the import's transaction.
    stream = nullcontext(importers.json_records(records, max_fields=limits.max_fields()))
    return _import(stream, mapping, dataset=dataset, name=None, user=user, batch_size=None, on_progress=None)


def _import(
    opened: AbstractContextManager[importers.RecordStream],
    mapping: FieldMapping,
    *,
    dataset: Dataset | None,
    name: str | None,
    user: AbstractBaseUser | None,
    batch_size: int | None,
    on_progress: Callable[[int], None] | None,
) -> ImportResult:
    """Read the records that `opened` gives when entered, and write them as the dataset's items in one transaction."""
    batch_size = batch_size or IMPORT_BATCH_SIZE[connection.vendor]
    with bulk_write_settings(), transaction.atomic():
        checkpoint_after_commit()
        dataset = _target_dataset(dataset=dataset, name=name, user=user)
        first_position = (Item.objects.filter(dataset=dataset).aggregate(m=Max("position"))["m"] or 0) + 1
        lengths = ContentLengths(dataset.summary.get("content", {}))
        known = dataset.item_count == 0 or "metadata" in dataset.summary
        values = ValueCounts(dataset.summary.get("metadata", {}) if known else None)
        reader = ItemReader(mapping, mapping.id_field, first_position, lengths, values)
        with opened as records:
            if records.columns is not None:
                mapping.check_columns(records.columns)
            read = reader.batches(records, batch_size)
            if on_progress is not None:
                read = _reported(read, on_progress)
            # Parsing runs in a second thread while the database writes the previous batch: SQLite and psycopg's
            # COPY release the GIL while they work.
            if connection.vendor == "sqlite":
                with in_background(batches_for_sqlite(read)) as batches:
                    write_sqlite(dataset, batches, reader, first_position)
            else:
                with in_background(batches_for_postgresql(read, dataset)) as batches:
                    write_postgresql(dataset, batches, reader, first_position)
        if reader.n_items == 0:
            raise ValidationError("The file is empty: it contains no items.")
        mapping.check_seen(reader.seen_fields)
        new_content, new_metadata = mapping.names(list(reader.field_order))
        # A dataset keeps the order of its fields; an append adds its new fields after them.
        content_names = list(dict.fromkeys([*dataset.content_fields, *new_content]))
        metadata_names = list(dict.fromkeys([*dataset.metadata_fields, *new_metadata]))
        n_fields = len(set(content_names) | set(metadata_names))
        if n_fields > limits.max_fields():
            raise ValidationError(
                f"With this file's fields the dataset would have {n_fields:,}, more than the "
                f"{limits.max_fields():,} a dataset may have."
            )
        _finish(dataset, reader.n_items, content_names, metadata_names, lengths, values)
    return ImportResult(dataset=dataset, n_items=reader.n_items)


def _reported(batches: Iterator[ItemBatch], on_progress: Callable[[int], None]) -> Iterator[ItemBatch]:
    n_rows = 0
    for batch in batches:
        n_rows += len(batch.numbers)
        on_progress(n_rows)
        yield batch


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
        raise ValidationError({"name": ["Name the dataset to import into."]})
    if len(name) > Dataset._meta.get_field("name").max_length:
        raise ValidationError({"name": [f"The dataset name '{name[:40]}…' is too long (200 characters at most)."]})
    owner = user if user is not None and user.is_authenticated else None
    taken = ValidationError({"name": [f"You already have a dataset named '{name}'."]})
    if Dataset.objects.filter(name=name, created_by=owner).exists():
        raise taken
    try:
        with transaction.atomic():
            return Dataset.objects.create(name=name, description=description, created_by=owner)
    except IntegrityError:
        # The same creator made a dataset of this name a moment ago, in another request.
        raise taken from None


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
    lengths: ContentLengths,
    values: ValueCounts,
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
    text_fields: set[str] = set()
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
                if key not in text_fields and _is_text(value):
                    text_fields.add(key)
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
    samples = {f: samples.get(f, []) for f in fields}
    return FieldPreview(fmt=fmt, fields=fields, samples=samples, rows=rows, text_fields=frozenset(text_fields))


def _is_text(value: Any) -> bool:
    """Whether a value reads as text (or a conversation), not as a number, a flag or nothing."""
    if isinstance(value, list | dict):
        return bool(value)
    if not isinstance(value, str) or not value.strip():
        return False
    if value.strip().lower() in {"true", "false", "null", "none", "nan"}:
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def _preview(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else importers.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
