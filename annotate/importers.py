"""Streaming readers for item files: JSONL, CSV and Parquet, one record at a time.

Readers never hold the whole file: JSONL and CSV are read line by line, Parquet by
record batch. Every problem is a ValidationError that names the line (JSONL, CSV)
or row (Parquet), counted from 1, so a practitioner can find it in an editor.
"""

import codecs
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.exceptions import ValidationError

FORMATS = ("jsonl", "csv", "parquet")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
PARQUET_BATCH_ROWS = 2048

# Some CSV exports carry whole conversations in one cell; the default limit is 128 KiB.
csv.field_size_limit(64 * 1024 * 1024)

Source = str | Path | BinaryIO


@dataclass
class RecordStream:
    """Records of one file: `columns` when the format declares them up front, and the rows."""

    fmt: str
    unit: str  # "line" or "row": how error messages count
    columns: list[str] | None
    rows: Iterator[tuple[int, dict[str, Any]]] = field(repr=False)


def source_name(source: Source) -> str:
    """The file name of a source, or "" for an anonymous stream."""
    if isinstance(source, str | Path):
        return str(source)
    return str(getattr(source, "name", "") or "")


def detect_format(source: Source, fmt: str | None = None) -> str:
    """The explicit format if given, else the one the file extension names."""
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt == "ndjson":
            fmt = "jsonl"
        if fmt not in FORMATS:
            raise ValidationError(f"Unknown format '{fmt}': use one of {', '.join(FORMATS)}.")
        return fmt
    suffix = Path(source_name(source)).suffix.lower()
    if suffix not in EXTENSIONS:
        shown = suffix or "(none)"
        raise ValidationError(
            f"Unknown file extension '{shown}': use .jsonl, .ndjson, .csv or .parquet, or name the format."
        )
    return EXTENSIONS[suffix]


@contextmanager
def open_binary(source: Source) -> Iterator[BinaryIO]:
    """Open a path for binary reading, or pass an already open stream through (rewound)."""
    if isinstance(source, str | Path):
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ValidationError(f"Cannot open {source}: {exc.strerror}.") from None
        with handle:
            yield handle
        return
    if source.seekable():
        source.seek(0)
    yield source


def open_records(stream: BinaryIO, fmt: str) -> RecordStream:
    """Start reading records of the given format from an open binary stream."""
    if fmt == "jsonl":
        return RecordStream(fmt, "line", None, _jsonl_rows(stream))
    if fmt == "csv":
        return _csv_stream(stream)
    return _parquet_stream(stream)


def _jsonl_rows(stream: BinaryIO) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            _require_utf8(raw, number)
            raise ValidationError(f"line {number}: invalid JSON ({exc}).") from None
        if not isinstance(value, dict):
            raise ValidationError(f"line {number}: expected a JSON object, got {_json_type(value)}.")
        yield number, value


def _require_utf8(raw: bytes, number: int) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"line {number}: not valid UTF-8 (byte {exc.start + 1} of the line).") from None


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


class _LineCounter:
    """Decodes a binary stream line by line for csv.reader, remembering the physical line number."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.number += 1
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"line {self.number}: not valid UTF-8 (byte {exc.start + 1} of the line)."
                ) from None


def _csv_stream(stream: BinaryIO) -> RecordStream:
    lines = _LineCounter(stream)
    reader = csv.reader(lines)
    header = _csv_next(reader, lines)
    while header is not None and not header:
        header = _csv_next(reader, lines)
    if header is None:
        raise ValidationError("The file is empty: expected a header line with column names.")
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise ValidationError(f"line {lines.number}: column {position} of the header has no name.")
        if name in seen:
            raise ValidationError(f"line {lines.number}: column '{name}' appears twice in the header.")
        seen.add(name)
    return RecordStream("csv", "line", list(header), _csv_rows(reader, lines, header))


def _csv_next(reader: Any, lines: _LineCounter) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise ValidationError(f"line {lines.number}: unreadable CSV ({exc}).") from None


def _csv_rows(reader: Any, lines: _LineCounter, header: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    width = len(header)
    while True:
        start = lines.number + 1
        cells = _csv_next(reader, lines)
        if cells is None:
            return
        if not cells:
            continue
        if len(cells) != width:
            raise ValidationError(f"line {start}: {len(cells)} cells, but the header has {width} columns.")
        yield start, dict(zip(header, cells, strict=True))


def _parquet_stream(stream: BinaryIO) -> RecordStream:
    try:
        parquet = pq.ParquetFile(stream)
        columns = list(parquet.schema_arrow.names)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ValidationError(f"Not a readable Parquet file ({exc}).") from None
    return RecordStream("parquet", "row", columns, _parquet_rows(parquet))


def _parquet_rows(parquet: pq.ParquetFile) -> Iterator[tuple[int, dict[str, Any]]]:
    number = 0
    batches = parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS)
    while True:
        try:
            batch = next(batches, None)
            if batch is None:
                return
            rows = _plain_batch(batch).to_pylist()
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ValidationError(f"row {number + 1}: unreadable Parquet data ({exc}).") from None
        for row in rows:
            number += 1
            yield number, row


def _plain_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Turn dates, times and decimals into ISO/decimal strings so every value is plain JSON."""
    arrays = []
    for column in batch.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.dictionary_decode()
            kind = column.type
        if pa.types.is_temporal(kind) or pa.types.is_decimal(kind):
            column = pc.cast(column, pa.string())
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def json_default(value: object) -> object:
    """orjson fallback for the few Parquet values JSON has no type for."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.hex()
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def dumps(value: object) -> str:
    """Serialise a record value to JSON text (nested objects and lists stay JSON)."""
    return orjson.dumps(value, default=json_default).decode()


def read_sample(source: Source, fmt: str, n: int) -> tuple[RecordStream, list[tuple[int, dict[str, Any]]]]:
    """The first `n` records of a file, for previews."""
    with open_binary(source) as stream:
        records = open_records(stream, fmt)
        sample = []
        for record in records.rows:
            sample.append(record)
            if len(sample) >= n:
                break
        return records, sample
