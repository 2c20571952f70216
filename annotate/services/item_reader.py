"""Reading an item file for an import: records split into id, content and metadata, checked, counted, batched.

The batches are built in a thread of their own (in_background) while the database writes the one before
(annotate.services.item_writers); annotate.services.datasets runs the two.
"""

import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.core.exceptions import ValidationError

from accord import limits
from accord.limits import shown
from annotate import importers
from annotate.models import Item

# Metadata values longer than this are kept on the item but not indexed for filtering.
MAX_INDEXED_VALUE = 255
MAX_ID_LENGTH = Item._meta.get_field("external_id").max_length
# Beyond this many distinct metadata values the import stops counting them as it reads, and the summary is
# computed from the dataset's ItemMetadata rows instead (memory stays bounded).
MAX_COUNTED_VALUES = 100_000
TOP_VALUES = 20
# Bytes of item JSON per write at most: a batch of records near the record limit closes early, so the up to four
# batches in flight stay within a few hundred MB (at the benchmark's 1.6 KB items a batch holds 3 MB).
IMPORT_BATCH_BYTES = 32 * 1024 * 1024
# Records the parsing thread reads between two hand-overs of the GIL to the writing thread.
YIELD_EVERY = 64


class FieldMapping:
    """Splits a record into id, content and metadata according to the requested fields."""

    def __init__(self, id_field: str, content_fields: list[str] | None, metadata_fields: list[str] | None) -> None:
        if not id_field:
            raise ValidationError("The id field name is empty.")
        # Named fields keep the order they were named in: it is the order raters see them in.
        self.content_list = list(dict.fromkeys(content_fields or []))
        self.metadata_list = list(dict.fromkeys(metadata_fields or []))
        content_set = set(self.content_list)
        metadata_set = set(self.metadata_list)
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
        self.requested = [("id", id_field)] + [("content", n) for n in self.content_list]
        self.requested += [("metadata", n) for n in self.metadata_list]

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

    def names(self, fields: list[str]) -> tuple[list[str], list[str]]:
        """Which of these field names (in file order) are content and which metadata, each in display order."""
        content, metadata = self.split(dict.fromkeys(fields))
        content_names = [n for n in self.content_list if n in content] if self.rest != "content" else list(content)
        metadata_names = [n for n in self.metadata_list if n in metadata] if self.rest != "metadata" else list(metadata)
        return content_names, metadata_names


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


class ContentLengths:
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


class ValueCounts:
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
class ItemBatch:
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


class ItemReader:
    """Turns records into write-ready batches and tallies what the dataset summary needs."""

    def __init__(
        self, mapping: FieldMapping, id_field: str, first_position: int, lengths: ContentLengths, values: ValueCounts
    ) -> None:
        self.mapping = mapping
        self.id_field = id_field
        self.next_position = first_position
        self.lengths = lengths
        self.values = values
        self.seen_fields: set[str] = set()
        # The same names in order of first appearance: the file's column order (CSV, Parquet) or key order (JSONL).
        self.field_order: dict[str, None] = {}
        self.max_fields = limits.max_fields()
        self.n_items = 0
        self.unit = "line"

    def batches(self, records: importers.RecordStream, size: int) -> Iterator[ItemBatch]:
        self.unit = records.unit
        batch = ItemBatch(self.next_position, size)
        for number, record in records.rows:
            self._add(batch, number, record)
            if number % YIELD_EVERY == 0:
                # Hand the GIL over now and then: a writing thread back from the database would otherwise wait
                # for the interpreter's 5 ms switch interval each time.
                time.sleep(0)
            if len(batch.numbers) >= size or len(batch.texts) >= IMPORT_BATCH_BYTES:
                yield self._close(batch)
                batch = ItemBatch(self.next_position, size)
        if batch.numbers:
            yield self._close(batch)

    def where(self, number: int) -> str:
        return f"{self.unit} {number}"

    def _add(self, batch: ItemBatch, number: int, record: dict[str, Any]) -> None:
        # The common cases are checked inline: this runs once per item, and function calls dominate its cost.
        seen = self.seen_fields
        seen.update(record)
        if len(seen) != len(self.field_order):
            self.field_order.update(dict.fromkeys(record))
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

    def _close(self, batch: ItemBatch) -> ItemBatch:
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


_DONE = object()


@contextmanager
def in_background(batches: Iterator[ItemBatch], depth: int = 2) -> Iterator[Iterator[ItemBatch]]:
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

    def consume() -> Iterator[ItemBatch]:
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
