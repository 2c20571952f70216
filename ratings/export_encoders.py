"""Export file formats: what an export is (its spec and columns) and the encoders that write its rows.

The formats and their rules (CSV neutralised against formulas, JSONL native, Parquet typed) are described in
ratings.exports, which builds the rows of ratings and items; ratings.preference_export builds preference pairs.
Both hand chunks of rows to the encoders here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from annotate.criteria.base import is_int, is_number

SCOPES = ("rating", "item")
# Preference pairs for training (ratings.preference_export): asked for as a format, written as JSONL rows of
# their own scope (one per pairwise item).
PREFERENCE_FORMAT = "preference"
PAIR_SCOPE = "pair"
# Text cells a spreadsheet would run as a formula begin with one of these (and a quote is escaped in turn).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
# The same characters as the export page names them.
FORMULA_START_NAMES = ("=", "+", "-", "@", "a tab", "a carriage return", "'")
# The same characters as a regular expression (Arrow's, for a whole column at once).
FORMULA_PATTERN = "^[=+\\-@\t\r']"
TEXT_KINDS = ("text", "json", "any")
KIND_NAMES = {"int": "a whole number", "float": "a number", "bool": "true or false"}
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

# How each kind of column is typed in Parquet.
ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "json": pa.string(),
    "any": pa.string(),
    "time": pa.timestamp("us", tz="UTC"),
}
# Times in CSV and JSONL: ISO 8601 in UTC, to the microsecond.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CSV_TYPES = {"time": pa.string()}


class ExportError(ValueError):
    """An export asked for something the campaign does not have (a criterion) or that does not exist (a format).

    `field` names the option at fault, as forms and the API name it.
    """

    def __init__(self, message: str, *, field: str = "criterion") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ExportFormat:
    """A file format: its name, extension, content type and whether it is text (may go to a terminal)."""

    name: str
    extension: str
    content_type: str
    is_text: bool


FORMATS = {
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8", True),
    "jsonl": ExportFormat("jsonl", "jsonl", "application/x-ndjson; charset=utf-8", True),
    "parquet": ExportFormat("parquet", "parquet", "application/vnd.apache.parquet", False),
    PREFERENCE_FORMAT: ExportFormat(PREFERENCE_FORMAT, "jsonl", "application/x-ndjson; charset=utf-8", True),
}


@dataclass(frozen=True)
class ExportSpec:
    """What to export: one row per rating or per item, the format, one criterion or all, and real rater names."""

    scope: str
    fmt: str
    criterion_key: str | None = None
    # Usernames beside the pseudonyms: only ever true for an export an owner asked for.
    names: bool = False
    # Preference pairs only: rows without a winner kept, and the content field holding the prompt.
    include_ties: bool = False
    include_ambiguous: bool = False
    prompt_field: str | None = None

    @property
    def format(self) -> ExportFormat:
        """The file format."""
        return FORMATS[self.fmt]


@dataclass(frozen=True)
class Column:
    """One column of an export: its header and its kind (int, float, bool, text, json, any, time).

    "json" values are written as JSON text in CSV and Parquet; "any" values (item content and metadata) are
    written as they are when they are text and as JSON text otherwise; JSONL keeps both native.
    """

    name: str
    kind: str


Chunk = list[list[Any]]


def neutralise(text: str) -> str:
    """A text cell as CSV writes it: a quote in front when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def json_text(value: Any) -> str:
    """A value as JSON text (mapping keys that are not strings written as text)."""
    return orjson.dumps(value, option=JSON_OPTIONS).decode()


def _timestamps(values: list[Any]) -> pa.Array:
    """UTC text from the database ("YYYY-MM-DD HH:MM:SS[.ffffff]") as UTC timestamps."""
    return pa.array(values, type=pa.string()).cast(pa.timestamp("us")).cast(ARROW_TYPES["time"])


def _iso_times(values: list[Any]) -> pa.Array:
    """UTC text from the database as ISO 8601 text to the microsecond ("2026-11-01T09:30:00.000000Z")."""
    return pc.strftime(_timestamps(values), format=ISO_FORMAT)


def _as_text(kind: str, column: list[Any]) -> list[Any]:
    """A text, json or any column as text (None stays None)."""
    if kind == "json":
        return [None if v is None else json_text(v) for v in column]
    if kind == "any":
        return [v if v is None or isinstance(v, str) else json_text(v) for v in column]
    return [v if v is None or isinstance(v, str) else str(v) for v in column]


def _neutralised(array: pa.Array) -> pa.Array:
    """A text column with a quote in front of each cell that begins as a formula would (see neutralise)."""
    starts = pc.match_substring_regex(array, FORMULA_PATTERN)
    if not pc.any(starts).as_py():
        return array
    return pc.if_else(starts, pc.binary_join_element_wise("'", array, ""), array)


def _arrow_column(column: Column, values: list[Any]) -> pa.Array:
    """One column of a chunk as an Arrow array of the column's type."""
    kind = column.kind
    if kind == "time":
        return _timestamps(values)
    if kind in TEXT_KINDS:
        try:
            # Text columns hold text (or None) but for the odd stored answer: convert only when one is not.
            return pa.array(values, type=pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return pa.array(_as_text(kind, values), type=pa.string())
    try:
        return pa.array(values, type=ARROW_TYPES[kind])
    except (pa.ArrowTypeError, pa.ArrowInvalid, OverflowError):
        fits = {"int": is_int, "float": is_number, "bool": lambda v: isinstance(v, bool)}[kind]
        bad = next((v for v in values if v is not None and not fits(v)), None)
        raise ExportError(
            f"column {column.name} holds {bad!r}, which is not {KIND_NAMES[kind]}: export it as JSONL instead"
        ) from None


class CsvEncoder:
    """CSV in UTF-8 with one header row (see the module's docstring for the cells), written by Arrow's CSV writer."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.texts = [c.kind in TEXT_KINDS for c in columns]
        # Times as ISO 8601 text: Arrow's CSV writer would put a space between the date and the time.
        fields = [pa.field(neutralise(c.name), CSV_TYPES.get(c.kind, ARROW_TYPES[c.kind])) for c in columns]
        self.schema = pa.schema(fields)
        self.spool = _Spool()
        self.writer = pa_csv.CSVWriter(self.spool, self.schema)

    def begin(self) -> bytes:
        """The header row."""
        return self.spool.drain()

    def chunk(self, chunk: Chunk) -> bytes:
        """A chunk's rows."""
        arrays = [
            _iso_times(values) if c.kind == "time" else _arrow_column(c, values)
            for c, values in zip(self.columns, chunk, strict=True)
        ]
        arrays = [_neutralised(a) if text else a for a, text in zip(arrays, self.texts, strict=True)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        return self.spool.drain()

    def end(self) -> bytes:
        """Nothing: CSV has no footer."""
        self.writer.close()
        return self.spool.drain()


class JsonlEncoder:
    """One JSON object per line, keys in column order."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.names = [c.name for c in columns]

    def begin(self) -> bytes:
        """Nothing: JSONL has no header."""
        return b""

    def chunk(self, chunk: Chunk) -> bytes:
        """A chunk's rows, one line each."""
        names, dumps = self.names, orjson.dumps
        cells = [_iso_times(v).to_pylist() if c.kind == "time" else v for c, v in zip(self.columns, chunk, strict=True)]
        lines = (dumps(dict(zip(names, row, strict=True)), option=JSON_OPTIONS) for row in zip(*cells, strict=True))
        return b"\n".join(lines) + b"\n"

    def end(self) -> bytes:
        """Nothing: JSONL has no footer."""
        return b""


class _Spool(io.RawIOBase):
    """A write-only file that keeps what was written until drained: Parquet's bytes, a row group at a time."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        """What was written since the last drain."""
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class ParquetEncoder:
    """Parquet with one row group per chunk, under the schema the columns' kinds give."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.kind], nullable=True) for c in columns])
        self.spool = _Spool()
        self.writer = pq.ParquetWriter(self.spool, self.schema, compression="zstd")

    def begin(self) -> bytes:
        """The file's magic bytes."""
        return self.spool.drain()

    def chunk(self, chunk: Chunk) -> bytes:
        """A chunk's rows as one row group."""
        arrays = [_arrow_column(c, values) for c, values in zip(self.columns, chunk, strict=True)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        return self.spool.drain()

    def end(self) -> bytes:
        """The footer (the schema and where each row group is)."""
        self.writer.close()
        return self.spool.drain()


ENCODERS = {"csv": CsvEncoder, "jsonl": JsonlEncoder, "parquet": ParquetEncoder}
