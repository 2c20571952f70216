"""Streaming readers for item and label files: JSONL, CSV and Parquet, one record at a time.

Readers never hold the whole file, nor more of it than the limits allow (accord/limits.py). JSONL and CSV
are read a line at a time with a bound (`readline(limit)`), so an endless line stops at the record limit
instead of filling memory; Parquet a batch of rows at a time, sized from its page headers before anything is
decoded (annotate/parquet_bounds.py). Every problem is a ValidationError that names the line (JSONL, CSV) or
row (Parquet), counted from 1, so a practitioner can find it in an editor: a record over the limit, too many
fields, a key twice in one JSON object (a JSON parser would silently keep one of its values), a CSV quote
never closed, line breaks that are a lone CR, a NUL character (PostgreSQL stores none). Messages quote at most
limits.MAX_SHOWN characters of what the file holds.

Records sent in a JSON body (the API's JSON import) are read by the JSONL reader too, one record a line, so they
pass the same checks with the same messages, counted as "record 1", "record 2", … (json_records).
"""

import codecs
import csv
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.exceptions import ValidationError

from accord import limits
from accord.limits import shown
from annotate import parquet_bounds

FORMATS = ("jsonl", "csv", "parquet")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
# Arrow reads a Parquet column chunk through a buffer of this size instead of loading the row group's compressed
# pages whole: reading a 54 MB file of one 200,000-row group peaked at 135 MB of RSS this way, 185 MB the other.
PARQUET_BUFFER_BYTES = 1024 * 1024
# A key of a JSON object: a closing quote, then a colon (whitespace between them is allowed in JSON).
_KEY_END = re.compile(rb'"\s*:')

Source = str | Path | BinaryIO


@dataclass
class RecordStream:
    """Records of one file: `columns` when the format declares them up front, and the rows."""

    fmt: str
    unit: str  # "line", "row" or "record": how error messages count
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
            raise ValidationError(f"Unknown format '{shown(fmt)}': use one of {', '.join(FORMATS)}.")
        return fmt
    suffix = Path(source_name(source)).suffix.lower()
    if suffix not in EXTENSIONS:
        shown_suffix = shown(suffix) if suffix else "(none)"
        raise ValidationError(
            f"Unknown file extension '{shown_suffix}': use .jsonl, .ndjson, .csv or .parquet, or name the format."
        )
    return EXTENSIONS[suffix]


@contextmanager
def open_binary(source: Source) -> Iterator[BinaryIO]:
    """Open a path for binary reading, or pass an already open stream through (rewound)."""
    if isinstance(source, str | Path):
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ValidationError(f"Cannot open {shown(source)}: {exc.strerror}.") from None
        with handle:
            yield handle
        return
    if source.seekable():
        source.seek(0)
    yield source


def open_records(stream: BinaryIO, fmt: str, *, max_fields: int = limits.MAX_COLUMNS) -> RecordStream:
    """Start reading records of the given format from an open binary stream, each with at most `max_fields` fields.

    Item imports pass the dataset limit (limits.max_fields()); label files in the wide layout have a column per
    rater, and get the larger limits.MAX_COLUMNS.
    """
    if fmt == "jsonl":
        return RecordStream(fmt, "line", None, _jsonl_rows(stream, max_fields))
    if fmt == "csv":
        return _csv_stream(stream, max_fields)
    return _parquet_stream(stream, max_fields)


def json_records(records: Sequence[Any], *, max_fields: int = limits.MAX_COLUMNS) -> RecordStream:
    """Records already parsed from a JSON body, read as the lines of a JSONL file: the same checks and messages,
    each counted as "record N" (from 1) where a file's message says "line N"."""
    return RecordStream("json", "record", None, _jsonl_rows(_RecordLines(records), max_fields, "record"))


class _RecordLines:
    """A sequence of records as a JSONL stream: each `readline` gives the next record as one line of JSON."""

    def __init__(self, records: Sequence[Any]) -> None:
        self.records = iter(records)
        self.number = 0

    def readline(self, limit: int = -1) -> bytes:
        record = next(self.records, _NO_MORE)
        if record is _NO_MORE:
            return b""
        self.number += 1
        # A record past the limit is given whole: the reader refuses any line longer than the limit it asked for.
        try:
            return orjson.dumps(record) + b"\n"
        except TypeError:
            pass
        # Whole numbers past 64 bits, and nesting deeper than orjson writes, which Python's JSON parser reads. orjson
        # then reads the line as it reads a file's: a long whole number as a float.
        try:
            return json.dumps(record, separators=(",", ":")).encode() + b"\n"
        except (TypeError, ValueError, RecursionError) as exc:
            raise ValidationError(f"record {self.number}: not a JSON value ({shown(exc)}).") from None


_NO_MORE = object()


def _too_long(where: str, limit: int, hint: str = "") -> ValidationError:
    """The error for a record over the size limit."""
    return ValidationError(f"{where}: longer than the {limits.size(limit)} a record may take{hint}.")


def _too_many_fields(where: str, count: int, limit: int, what: str = "fields") -> ValidationError:
    return ValidationError(f"{where}: {count:,} {what}, more than the {limit:,} a record may have.")


def _nul_error(where: str, name: str, in_name: bool = False) -> ValidationError:
    problem = "contains a NUL character, which cannot be stored"
    if in_name:
        return ValidationError(f"{where}: the field name '{shown(name)}' {problem}.")
    return ValidationError(f"{where}, field '{shown(name)}': the value {problem}.")


def _jsonl_rows(stream: BinaryIO, max_fields: int, unit: str = "line") -> Iterator[tuple[int, dict[str, Any]]]:
    limit = limits.record_bytes()
    readline = stream.readline
    number = 0
    while True:
        # One byte past the limit tells a line at the limit from a longer one, without reading the rest of it.
        raw = readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit:
            raise _too_long(f"{unit} {number}", limit)
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if not raw.strip():
                continue
            _require_utf8(raw, number, unit)
            raise ValidationError(f"{unit} {number}: invalid JSON ({shown(exc)}){_lone_cr_hint(raw)}.") from None
        if value.__class__ is not dict:
            raise ValidationError(f"{unit} {number}: expected a JSON object, got {_json_type(value)}.")
        if len(value) > max_fields:
            raise _too_many_fields(f"{unit} {number}", len(value), max_fields)
        _check_object(value, raw, number, unit)
        yield number, value


def _check_object(record: dict[str, Any], raw: bytes, number: int, unit: str = "line") -> None:
    """Refuse a record with a NUL character in any key or text, or with a key twice in one object."""
    keys = len(record)
    for key, value in record.items():
        kind = value.__class__
        if kind is str:
            if "\x00" in value:
                raise _nul_error(f"{unit} {number}", key)
        elif kind is dict or kind is list:
            keys += _nested_keys(value, key, f"{unit} {number}")
        if "\x00" in key:
            raise _nul_error(f"{unit} {number}", key, in_name=True)
    # orjson keeps the last value of a key that appears twice. Every key is followed by a colon, so a line with
    # no more colons than the keys parsed has no duplicate: one count, 0.8 µs for the benchmark's 1.1 KB line
    # against 1.5 µs to parse it (this check with the NUL walk above: 1.8 µs; the import no longer searches
    # each item's JSON for an escaped NUL). With colons in the text, the colons that follow a quote are counted
    # (regex); only when those outnumber the keys too is the line parsed again, by a parser that sees every key
    # (json with object_pairs_hook, about 20 µs).
    if raw.count(b":") != keys and sum(1 for _match in _KEY_END.finditer(raw)) != keys:
        duplicate = _duplicate_key(raw)
        if duplicate is not None:
            raise ValidationError(
                f"{unit} {number}: the key '{shown(duplicate)}' appears twice in one object "
                "(only one of its values would be kept)."
            )


def _nested_keys(value: dict | list, name: str, where: str) -> int:
    """The number of keys in the objects inside a value; refuses a NUL character in any of its keys or texts."""
    keys = 0
    # A loop rather than recursion: valid JSON can be nested deeper than Python's recursion limit.
    pending: list[Any] = [value]
    while pending:
        part = pending.pop()
        if part.__class__ is dict:
            keys += len(part)
            for key, item in part.items():
                if "\x00" in key:
                    raise _nul_error(where, name)
                if item.__class__ is str:
                    if "\x00" in item:
                        raise _nul_error(where, name)
                elif isinstance(item, dict | list | tuple):
                    pending.append(item)
        else:
            for item in part:
                if item.__class__ is str:
                    if "\x00" in item:
                        raise _nul_error(where, name)
                elif isinstance(item, dict | list | tuple):
                    pending.append(item)
    return keys


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> None:
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen.add(key)


def _duplicate_key(raw: bytes) -> str | None:
    """The first key that appears twice in one object of a JSON text, or None."""
    try:
        json.loads(raw, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as duplicate:
        return duplicate.key
    except (ValueError, RecursionError):
        # orjson read the line already; nesting too deep for this parser is left unchecked.
        return None
    return None


def _lone_cr_hint(raw: bytes) -> str:
    if b"\r" in raw.rstrip(b"\r\n"):
        return "; the line holds a lone CR (\\r): lines must end in LF or CRLF, not in CR (old Mac line endings)"
    return ""


def _require_utf8(raw: bytes, number: int, unit: str = "line") -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{unit} {number}: not valid UTF-8 (byte {exc.start + 1} of the {unit}).") from None


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


_LONE_CR = "the lines end in a lone CR (\\r, old Mac line endings): save the file with LF or CRLF line endings"


class _LineCounter:
    """Decodes a binary stream line by line for csv.reader, counting physical lines and each record's bytes."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.readline = stream.readline
        self.limit = limit
        self.number = 0
        self.record_start = 1  # the line the current record started on
        self.record_bytes = 0
        self.nul_line = 0  # the last line holding a NUL character

    def start_record(self) -> int:
        """Count the next record from the next line on; return that line's number."""
        self.record_start = self.number + 1
        self.record_bytes = 0
        return self.record_start

    def __iter__(self) -> Iterator[str]:
        readline, limit = self.readline, self.limit
        while True:
            raw = readline(limit + 1)
            if not raw:
                return
            self.number += 1
            if self.number == 1:
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                # A header never holds a line break: a CR inside it means CR-only line endings.
                if b"\r" in raw.rstrip(b"\r\n"):
                    raise ValidationError(f"line 1: {_LONE_CR}.")
            self.record_bytes += len(raw)
            if self.record_bytes > limit:
                spans = self.number > self.record_start
                hint = " (it spans several lines: is a quote left open?)" if spans else ""
                raise _too_long(f"line {self.record_start}", limit, hint)
            if b"\x00" in raw:
                self.nul_line = self.number
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"line {self.number}: not valid UTF-8 (byte {exc.start + 1} of the line)."
                ) from None


def _csv_stream(stream: BinaryIO, max_fields: int) -> RecordStream:
    limit = limits.record_bytes()
    # The record limit bounds every cell; csv's own limit (process-wide, 128 KiB by default) must not be lower.
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
    lines = _LineCounter(stream, limit)
    # strict: a quote never closed is an error, not a cell holding the rest of the file.
    reader = csv.reader(lines, strict=True)
    header = _csv_next(reader, lines, lines.start_record())
    while header is not None and not header:
        header = _csv_next(reader, lines, lines.start_record())
    if header is None:
        raise ValidationError("The file is empty: expected a header line with column names.")
    where = f"line {lines.record_start}"
    if len(header) > max_fields:
        raise _too_many_fields(where, len(header), max_fields, "columns")
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise ValidationError(f"{where}: column {position} of the header has no name.")
        if "\x00" in name:
            raise _nul_error(where, name, in_name=True)
        if name in seen:
            raise ValidationError(f"{where}: column '{shown(name)}' appears twice in the header.")
        seen.add(name)
    return RecordStream("csv", "line", list(header), _csv_rows(reader, lines, header))


def _csv_next(reader: Any, lines: _LineCounter, start: int) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        text = str(exc)
        if text.startswith("unexpected end of data"):
            problem = "a quoted cell is never closed (its quote runs to the end of the file)"
        elif text.startswith("new-line character seen in unquoted field"):
            problem = f"a line break that is a lone CR (\\r) outside quotes; {_LONE_CR}"
            start = lines.number
        elif "expected after" in text:
            problem = 'text follows the closing quote of a cell (a quote inside a quoted cell is written "")'
            start = lines.number
        else:
            problem = f"unreadable CSV ({shown(text)})"
            start = lines.number
        raise ValidationError(f"line {start}: {problem}.") from None


def _csv_rows(reader: Any, lines: _LineCounter, header: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    width = len(header)
    while True:
        start = lines.start_record()
        cells = _csv_next(reader, lines, start)
        if cells is None:
            return
        if not cells:
            continue
        if len(cells) != width:
            raise ValidationError(f"line {start}: {len(cells)} cells, but the header has {width} columns.")
        if lines.nul_line >= start:
            name = next(name for name, cell in zip(header, cells, strict=True) if "\x00" in cell)
            raise _nul_error(f"line {start}", name)
        yield start, dict(zip(header, cells, strict=True))


def _parquet_stream(stream: BinaryIO, max_fields: int) -> RecordStream:
    footer = parquet_bounds.Footer(stream)
    try:
        parquet = pq.ParquetFile(
            stream,
            # Read column chunks through a buffer: a whole row group's compressed pages are not loaded at once.
            pre_buffer=False,
            buffer_size=PARQUET_BUFFER_BYTES,
            thrift_string_size_limit=parquet_bounds.MAX_FOOTER_BYTES,
        )
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ValidationError(f"Not a readable Parquet file ({shown(exc)}).") from None
    if len(schema.names) > max_fields:
        raise _too_many_fields("The file", len(schema.names), max_fields, "columns")
    if parquet.metadata.num_columns > 4 * max_fields:
        raise ValidationError(
            f"The file has {parquet.metadata.num_columns:,} columns counting those inside nested ones, "
            f"more than the {4 * max_fields:,} an import reads."
        )
    _check_parquet_names(list(schema), "")
    return RecordStream("parquet", "row", list(schema.names), _parquet_rows(parquet, footer, stream))


def _check_parquet_names(fields: list[pa.Field], parent: str) -> None:
    """Refuse a column or struct field name that repeats (one value would be lost) or holds a NUL character."""
    seen: set[str] = set()
    for column in fields:
        path = f"{parent}.{column.name}" if parent else column.name
        if "\x00" in column.name:
            raise ValidationError(f"The column name '{shown(path)}' contains a NUL character, which cannot be stored.")
        if column.name in seen:
            raise ValidationError(f"The column '{shown(path)}' appears twice in the file.")
        seen.add(column.name)
        kind = column.type
        while pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            kind = kind.value_type
        if pa.types.is_struct(kind):
            _check_parquet_names([kind.field(i) for i in range(kind.num_fields)], path)


def _parquet_rows(
    parquet: pq.ParquetFile, footer: parquet_bounds.Footer, stream: BinaryIO
) -> Iterator[tuple[int, dict[str, Any]]]:
    limit, budget, convert = limits.record_bytes(), limits.parquet_read_bytes(), limits.conversion_bytes()
    number = decoded = 0
    for group in range(parquet.num_row_groups):
        try:
            plan = parquet_bounds.plan_row_group(
                stream, footer, parquet, group, first_row=number, limit=limit, budget=budget
            )
        except (pa.ArrowException, OSError, ValueError, IndexError, KeyError) as exc:
            # Metadata that contradicts itself (a row group with more columns than the schema, …).
            raise ValidationError(f"row group {group + 1}: unreadable Parquet data ({shown(exc)}).") from None
        # Compressed values can stand for far more data than the file holds (one long text a million rows repeat):
        # the rows a file may bring are bounded as well, before each row group is decoded.
        decoded += plan.decoded
        if decoded > limits.parquet_decoded_bytes():
            raise ValidationError(
                f"{plan.place}: the file's values take up to {limits.size(decoded)} up to here, more than the "
                f"{limits.size(limits.parquet_decoded_bytes())} a Parquet file may hold once decompressed."
            )
        batches = parquet.iter_batches(batch_size=plan.batch_rows, row_groups=[group])
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    break
                sizes = parquet_bounds.row_bytes(batch)
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise ValidationError(f"row {number + 1}: unreadable Parquet data ({shown(exc)}).") from None
            over = np.flatnonzero(sizes > limit)
            if len(over):
                raise _too_long(f"row {number + int(over[0]) + 1}", limit)
            for piece in _pieces(batch, sizes, convert):
                try:
                    records = _plain_batch(piece).to_pylist()
                except (pa.ArrowException, OSError, ValueError) as exc:
                    raise ValidationError(f"row {number + 1}: unreadable Parquet data ({shown(exc)}).") from None
                for record in records:
                    number += 1
                    for key, value in record.items():
                        if value.__class__ is str:
                            if "\x00" in value:
                                raise _nul_error(f"row {number}", key)
                        elif isinstance(value, dict | list | tuple):
                            _nested_keys(value, key, f"row {number}")
                    yield number, record


def _pieces(batch: pa.RecordBatch, sizes: np.ndarray, budget: int) -> Iterator[pa.RecordBatch]:
    """Consecutive slices of a batch, each turned into Python values within `budget` bytes (at least one row)."""
    ends = np.cumsum(sizes)
    if not len(ends) or ends[-1] <= budget:
        yield batch
        return
    start = 0
    while start < batch.num_rows:
        before = int(ends[start - 1]) if start else 0
        end = max(int(np.searchsorted(ends, before + budget, side="right")), start + 1)
        yield batch.slice(start, end - start)
        start = end


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
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data.hex()
        # Text with a NUL character cannot be stored; as hex the bytes survive.
        return text if "\x00" not in text else data.hex()
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def dumps(value: object) -> str:
    """Serialise a record value to JSON text (nested objects and lists stay JSON)."""
    try:
        return orjson.dumps(value, default=json_default).decode()
    except TypeError:
        pass
    # Nested deeper than orjson writes (254 levels), which its reader takes (1,024): the text serves a preview or a
    # length only, since the import refuses such a record, naming its line, when it writes the item's JSON.
    try:
        return json.dumps(value, ensure_ascii=False, default=json_default)
    except (TypeError, ValueError, RecursionError):
        return "(a value nested too deeply to show)"
