"""What reading a Parquet row group costs, known from its page headers before any page is decoded.

A Parquet footer says how large each column chunk is stored, not how large its values become: a page of a
few kilobytes can decompress to a gigabyte, a dictionary page can hold one long text that a million rows
repeat, and one row of a list column can span many pages. Arrow decodes whatever the pages say, a batch of
rows at a time, so the budget has to be set before it starts. Before a row group is read, `plan_row_group`
walks the header of every page of each column chunk (a few hundred bytes each; the Thrift compact encoding of
parquet.thrift's PageHeader), refuses a page larger than a record may be, bounds what each page can decode to,
and returns the largest batch of rows whose pages fit the budget, with what the whole row group can decode to.
Only two things are read beyond the headers: a large dictionary page, for its longest entry, and, in a large
list column, the repetition levels of each page, which say where its rows start and how many values each has.
Once a batch is decoded, `row_bytes` measures each row exactly, before any value becomes a Python object.
"""

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.exceptions import ValidationError

from accord import limits

# Rows per batch when the pages allow it (Arrow's reader costs little per batch from here on).
MAX_BATCH_ROWS = 2048
# Bytes charged per decoded value on top of its data: Arrow's offsets, validity bits and levels.
VALUE_OVERHEAD = 16
# Bytes of a page header read at first; a header with large statistics is read again in full.
_HEADER_PROBE = 256
_MAX_HEADER = 1024 * 1024
_MAX_THRIFT_DEPTH = 32

# parquet.thrift's PageType and Encoding values.
_DATA_PAGE, _INDEX_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2 = 0, 1, 2, 3
_PLAIN, _PLAIN_DICTIONARY, _RLE, _DELTA_LENGTH_BYTE_ARRAY, _RLE_DICTIONARY = 0, 2, 3, 6, 8
_FIXED_WIDTHS = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8}
# Parquet's codec names as pyarrow.decompress knows them (the framed LZ4 of old writers is not among them).
_CODECS = {"SNAPPY": "snappy", "GZIP": "gzip", "BROTLI": "brotli", "ZSTD": "zstd", "LZ4_RAW": "lz4_raw"}
# parquet.thrift's Type and CompressionCodec values, by number.
_PHYSICAL = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"]
_CODEC_NAMES = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"]
# A footer (the file's metadata, read whole before any row) may take this much.
MAX_FOOTER_BYTES = 64 * 1024 * 1024


class _Truncated(Exception):
    """The bytes read end inside the structure."""


class _Malformed(Exception):
    """The bytes are not a page header."""


class _Compact:
    """Just enough of Thrift's compact protocol to read a struct's integers and structs and skip the rest."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _Truncated
        value = self.data[self.pos]
        self.pos += 1
        return value

    def skip(self, n: int) -> None:
        if n < 0:
            raise _Malformed
        if self.pos + n > len(self.data):
            raise _Truncated
        self.pos += n

    def varint(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise _Malformed

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def struct(self, depth: int = 0) -> dict[int, Any]:
        """A struct's fields by id: integers, nested structs, lists of structs, and None for what was skipped."""
        if depth > _MAX_THRIFT_DEPTH:
            raise _Malformed
        fields: dict[int, Any] = {}
        field_id = 0
        while True:
            head = self.byte()
            if head == 0:
                return fields
            delta, kind = head >> 4, head & 0x0F
            field_id = field_id + delta if delta else self.zigzag()
            # In a field, a boolean's value is its type (1 true, 2 false): no byte follows.
            fields[field_id] = kind == 1 if kind in (1, 2) else self.value(kind, depth)

    def value(self, kind: int, depth: int) -> Any:
        if kind in (1, 2, 3):  # a boolean in a list, or a byte
            self.skip(1)
            return None
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            self.skip(8)
            return None
        if kind == 8:
            self.skip(self.varint())
            return None
        if kind in (9, 10):
            head = self.byte()
            size, element = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            # Every element takes at least one byte, so a false size runs out of bytes. Structs are kept (the
            # footer's row groups and column chunks); other elements are skipped.
            items = [self.value(element, depth + 1) for _ in range(size)]
            return items if element == 12 else None
        if kind == 11:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.value(types >> 4, depth + 1)
                    self.value(types & 0x0F, depth + 1)
            return None
        if kind == 12:
            return self.struct(depth + 1)
        raise _Malformed


@dataclass(frozen=True)
class _ColumnMeta:
    """What the footer says of one column chunk: where its pages are, and how they are stored."""

    physical: str
    codec: str
    start: int  # of its first page, the dictionary page if there is one
    length: int  # of all its pages, headers included


class Footer:
    """The row groups of a Parquet file, read from its footer by this module's Thrift reader.

    pyarrow's own accessor for a column chunk's metadata (RowGroupMetaData.column) aborts the whole process on
    some malformed footers (a C++ exception it does not convert), where its reader raises an error: the pages'
    whereabouts are therefore read here. A row group's columns are read when it is planned, not all at once.
    """

    def __init__(self, stream: BinaryIO) -> None:
        size = stream.seek(0, 2)
        stream.seek(max(size - 8, 0))
        tail = stream.read(8)
        length = int.from_bytes(tail[:4], "little")
        if len(tail) < 8 or tail[4:] != b"PAR1" or length > size - 12:
            raise ValidationError("Not a readable Parquet file (no footer at its end).")
        if length > MAX_FOOTER_BYTES:
            raise ValidationError(
                f"The Parquet file's metadata takes {limits.size(length)}, more than the "
                f"{limits.size(MAX_FOOTER_BYTES)} an import reads."
            )
        stream.seek(size - 8 - length)
        self.data = stream.read(length)
        stream.seek(0)
        self.groups: list[int] = []  # where each row group's struct starts in `data`
        reader = _Compact(self.data)
        try:
            field_id = 0
            while head := reader.byte():
                delta, kind = head >> 4, head & 0x0F
                field_id = field_id + delta if delta else reader.zigzag()
                if field_id == 4 and kind == 9:
                    self.groups = self._row_group_starts(reader)
                elif kind not in (1, 2):
                    reader.value(kind, 0)
        except (_Truncated, _Malformed):
            raise ValidationError("Not a readable Parquet file (its metadata is not valid).") from None

    @staticmethod
    def _row_group_starts(reader: _Compact) -> list[int]:
        head = reader.byte()
        size, element = head >> 4, head & 0x0F
        if size == 15:
            size = reader.varint()
        if element != 12:
            raise _Malformed
        starts = []
        for _ in range(size):
            starts.append(reader.pos)
            reader.struct()
        return starts

    def row_group(self, index: int, where: str) -> tuple[int, list[_ColumnMeta]]:
        """A row group's number of rows and its column chunks, in schema order."""
        if index >= len(self.groups):
            raise _unreadable(where, "the footer lists fewer row groups than the file has")
        reader = _Compact(self.data)
        reader.pos = self.groups[index]
        group = reader.struct()
        columns = []
        for chunk in group.get(1) or []:
            meta = chunk.get(3) if isinstance(chunk, dict) else None
            if not isinstance(meta, dict):
                raise _unreadable(where, "a column chunk has no metadata (is the file encrypted?)")
            numbers = [meta.get(1), meta.get(4), meta.get(7), meta.get(9)]
            if not all(isinstance(n, int) and n >= 0 for n in numbers) or numbers[0] >= len(_PHYSICAL):
                raise _unreadable(where, "a column chunk's metadata lacks its type, codec, size or offset")
            physical, codec, length, start = numbers
            # Where the chunk starts, as Arrow's reader decides it (some writers leave dictionary_page_offset 0).
            dictionary = meta.get(11)
            if isinstance(dictionary, int) and 0 < dictionary < start:
                start = dictionary
            codec_name = _CODEC_NAMES[codec] if codec < len(_CODEC_NAMES) else f"codec {codec}"
            columns.append(_ColumnMeta(_PHYSICAL[physical], codec_name, start, length))
        rows = group.get(3)
        if not isinstance(rows, int) or rows < 0:
            raise _unreadable(where, "a row group lacks its number of rows")
        return rows, columns


@dataclass(frozen=True)
class _Page:
    """One page of a column chunk, as its header describes it."""

    offset: int  # of the page's data, after the header
    kind: int
    uncompressed: int
    compressed: int
    values: int
    rows: int | None  # DATA_PAGE_V2 says how many rows its values belong to
    encoding: int | None
    levels_encoding: int | None  # of the repetition levels of a DATA_PAGE
    levels_length: int | None  # bytes of the repetition levels of a DATA_PAGE_V2, stored uncompressed first


@dataclass(frozen=True)
class _Chunk:
    """The column chunk being walked, for error messages and for reading its pages."""

    stream: BinaryIO
    where: str
    codec: str
    physical: str
    width: int  # of a FIXED_LEN_BYTE_ARRAY value
    max_repetition: int


@dataclass
class _Spans:
    """What each page can decode to and which rows it holds: the input of the batch bound."""

    first_row: list[int]
    last_row: list[int]
    total: list[int]  # bytes the whole page can decode to
    per_row: list[int]  # bytes one row's share of the page can decode to


def _read_header(stream: BinaryIO, offset: int, end: int, where: str) -> tuple[dict[int, Any], int]:
    size = _HEADER_PROBE
    while True:
        stream.seek(offset)
        data = stream.read(min(size, end - offset))
        try:
            reader = _Compact(data)
            return reader.struct(), reader.pos
        except _Truncated:
            if len(data) < size or size >= _MAX_HEADER:
                raise _unreadable(where, "a page header runs past the end of its column chunk") from None
            size *= 16
        except _Malformed:
            raise _unreadable(where, "a page header is not valid") from None


def _unreadable(where: str, problem: str) -> ValidationError:
    return ValidationError(f"{where}: unreadable Parquet data ({problem}).")


def _pages(chunk: _Chunk, meta: _ColumnMeta) -> Iterator[_Page]:
    offset, end = meta.start, meta.start + meta.length
    while offset < end:
        header, length = _read_header(chunk.stream, offset, end, chunk.where)
        kind, uncompressed, compressed = header.get(1), header.get(2), header.get(3)
        if not all(isinstance(v, int) and v >= 0 for v in (kind, uncompressed, compressed)):
            raise _unreadable(chunk.where, "a page header lacks its type or sizes")
        offset += length
        detail = header.get({_DATA_PAGE: 5, _DICTIONARY_PAGE: 7, _DATA_PAGE_V2: 8}.get(kind, 0))
        if kind in (_DATA_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2):
            if not isinstance(detail, dict) or not isinstance(detail.get(1), int) or detail[1] < 0:
                raise _unreadable(chunk.where, "a page header lacks its number of values")
            v2 = kind == _DATA_PAGE_V2
            rows = detail.get(3) if v2 else None
            if v2 and (not isinstance(rows, int) or rows < 0):
                raise _unreadable(chunk.where, "a page header lacks its number of rows")
            yield _Page(
                offset=offset,
                kind=kind,
                uncompressed=uncompressed,
                compressed=compressed,
                values=detail[1],
                rows=rows,
                encoding=detail.get(4 if v2 else 2),
                levels_encoding=None if v2 else detail.get(4),
                levels_length=detail.get(6) if v2 else None,
            )
        elif kind != _INDEX_PAGE:
            raise _unreadable(chunk.where, f"unknown page type {kind}")
        offset += compressed


def _page_data(chunk: _Chunk, page: _Page) -> bytes | memoryview | None:
    """A page's bytes, decompressed; None when this module cannot decompress them."""
    chunk.stream.seek(page.offset)
    data = chunk.stream.read(page.compressed)
    if len(data) != page.compressed:
        raise _unreadable(chunk.where, "a page runs past the end of the file")
    if chunk.codec == "UNCOMPRESSED":
        return data
    codec = _CODECS.get(chunk.codec)
    if codec is None:
        return None
    try:
        return memoryview(pa.decompress(data, decompressed_size=page.uncompressed, codec=codec))
    except (pa.ArrowException, ValueError):
        raise _unreadable(chunk.where, "a page does not decompress to the size its header gives") from None


def _longest_entry(chunk: _Chunk, page: _Page) -> int:
    """The longest value of a dictionary page of strings or bytes (its whole size when it can't be read)."""
    data = _page_data(chunk, page)
    if data is None or page.encoding not in (_PLAIN, _PLAIN_DICTIONARY, None):
        return page.uncompressed
    longest, pos = 0, 0
    unpack = struct.Struct("<I").unpack_from
    try:
        for _ in range(page.values):
            (length,) = unpack(data, pos)
            if length > longest:
                longest = length
            pos += 4 + length
    except struct.error:
        raise _unreadable(chunk.where, "a dictionary page ends before its last value") from None
    if pos > len(data):
        raise _unreadable(chunk.where, "a dictionary page ends before its last value")
    return longest


@dataclass(frozen=True)
class _Layout:
    """Where the rows of a list column's page are: rows starting in it, and the most values one row has in it."""

    starts: int
    continues: bool  # the page begins with values of a row started on an earlier page
    most: int


def _row_layout(chunk: _Chunk, page: _Page) -> _Layout | None:
    """The rows of a page of a list column, from its repetition levels (a row starts where the level is 0).

    None when the levels can't be read here: a codec pyarrow can't decompress, or the long-deprecated
    BIT_PACKED encoding of levels.
    """
    if page.kind == _DATA_PAGE_V2:
        length = page.levels_length
        if not isinstance(length, int) or not 0 <= length <= page.compressed:
            raise _unreadable(chunk.where, "a page header gives an impossible size for its levels")
        chunk.stream.seek(page.offset)
        levels = chunk.stream.read(length)
    else:
        if page.levels_encoding != _RLE:
            return None
        data = _page_data(chunk, page)
        if data is None:
            return None
        if len(data) < 4:
            raise _unreadable(chunk.where, "a page ends before its repetition levels")
        (length,) = struct.unpack_from("<I", data)
        levels = bytes(data[4 : 4 + length])
    try:
        return _levels_layout(levels, chunk.max_repetition.bit_length(), page.values)
    except (_Truncated, _Malformed, ValueError):
        raise _unreadable(chunk.where, "a page's repetition levels end early") from None


def _levels_layout(levels: bytes, bit_width: int, n_values: int) -> _Layout:
    """Read `n_values` levels of the RLE/bit-packed hybrid encoding, in runs, without holding them all."""
    reader = _Compact(levels)
    byte_width = (bit_width + 7) // 8
    weights = 1 << np.arange(bit_width, dtype=np.int64)
    starts = seen = most = current = 0
    first = -1
    while seen < n_values:
        header = reader.varint()
        if header >> 1 == 0:
            raise _Malformed
        if header & 1:
            # Bit-packed: groups of 8 values of bit_width bits, least significant bit first; read a slice at a time.
            groups = header >> 1
            while groups and seen < n_values:
                take = min(groups, 1 << 16)
                packed = np.frombuffer(levels, np.uint8, take * bit_width, reader.pos)
                reader.skip(take * bit_width)
                groups -= take
                run = (np.unpackbits(packed, bitorder="little").reshape(-1, bit_width) @ weights)[: n_values - seen]
                zeros = np.flatnonzero(run == 0)
                if first < 0:
                    first = int(run[0])
                if len(zeros):
                    most = max(most, current + int(zeros[0]), int(np.diff(zeros).max(initial=1)))
                    current = len(run) - int(zeros[-1])
                    starts += len(zeros)
                else:
                    current += len(run)
                seen += len(run)
        else:
            count = min(header >> 1, n_values - seen)
            value = int.from_bytes(levels[reader.pos : reader.pos + byte_width], "little")
            reader.skip(byte_width)
            if first < 0:
                first = value
            if value == 0:
                most, current = max(most, current, 1), 1
                starts += count
            else:
                current += count
            seen += count
    return _Layout(starts=starts, continues=first > 0, most=max(most, current))


def _value_bound(chunk: _Chunk, page: _Page, longest_entry: int) -> int:
    """The most bytes one value of a data page can decode to."""
    if chunk.physical in _FIXED_WIDTHS:
        return _FIXED_WIDTHS[chunk.physical] + VALUE_OVERHEAD
    if chunk.physical == "FIXED_LEN_BYTE_ARRAY":
        return chunk.width + VALUE_OVERHEAD
    if page.encoding in (_PLAIN_DICTIONARY, _RLE_DICTIONARY):
        return longest_entry + VALUE_OVERHEAD
    # Plain or length-prefixed values are at most the page; values sharing prefixes (DELTA_BYTE_ARRAY) each
    # at most the page too, though together they can be many times its size.
    return page.uncompressed + VALUE_OVERHEAD


def _decoded_bound(chunk: _Chunk, page: _Page, per_value: int) -> int:
    """The most bytes a whole data page can decode to."""
    if chunk.physical == "BYTE_ARRAY" and page.encoding in (_PLAIN, _DELTA_LENGTH_BYTE_ARRAY):
        return page.uncompressed + VALUE_OVERHEAD * page.values
    return per_value * page.values


def _spans(chunk: _Chunk, meta: _ColumnMeta, n_rows: int, limit: int, budget: int) -> tuple[_Spans, int]:
    """The data pages of a column chunk as row spans with their costs, and the bytes its reader holds at once."""
    held = largest = longest_entry = 0
    pages: list[tuple[_Page, int, int]] = []  # data pages with the bytes one value and the whole page decode to
    for page in _pages(chunk, meta):
        for size in (page.uncompressed, page.compressed):
            if size > limit:
                raise ValidationError(
                    f"{chunk.where}: a page of {limits.size(size)}, more than the {limits.size(limit)} "
                    "a record may take."
                )
        largest = max(largest, page.uncompressed + page.compressed)
        if page.kind != _DICTIONARY_PAGE:
            per_value = _value_bound(chunk, page, longest_entry)
            pages.append((page, per_value, _decoded_bound(chunk, page, per_value)))
            continue
        # Arrow keeps the dictionary while it reads the chunk, and copies an entry into every row that uses it.
        held += page.uncompressed
        longest_entry = page.uncompressed
        if chunk.physical == "BYTE_ARRAY" and page.uncompressed * MAX_BATCH_ROWS > budget // 8:
            longest_entry = _longest_entry(chunk, page)
    chunk_total = sum(total for _page, _value, total in pages)
    spans = _Spans([], [], [], [])
    row = 0  # rows that started before the current page
    for page, per_value, total in pages:
        if chunk.max_repetition == 0:
            rows, continues = (page.rows if page.rows is not None else page.values), False
        else:
            # Where rows start in a list column, and how many values each has, is only in its repetition levels;
            # reading them costs a second decompression, worth it only when the chunk is too large to be read
            # all at once.
            layout = _row_layout(chunk, page) if chunk_total > budget // 4 else None
            if layout is None:
                return _Spans([0], [max(n_rows - 1, 0)], [chunk_total], [chunk_total]), held + largest
            rows, continues = layout.starts, layout.continues
            per_value *= layout.most
        first = max(row - 1 if continues else row, 0)
        spans.first_row.append(first)
        spans.last_row.append(max(row + rows - 1, first))
        spans.total.append(total)
        spans.per_row.append(per_value)
        row += rows
    return spans, held + largest


def _window_bound(spans: _Spans, n_rows: int, rows: int) -> np.ndarray:
    """For each aligned window of `rows` rows, the most bytes the pages overlapping it can decode to."""
    n_windows = max(-(-n_rows // rows), 1)
    bound = np.zeros(n_windows + 1, dtype=np.float64)
    if not spans.total:
        return bound
    first = np.minimum(np.array(spans.first_row, dtype=np.int64) // rows, n_windows - 1)
    last = np.minimum(np.array(spans.last_row, dtype=np.int64) // rows, n_windows - 1)
    # A page overlapping a window adds at most its share of `rows` rows to it, and never more than its whole.
    cost = np.minimum(np.array(spans.total, dtype=np.float64), rows * np.array(spans.per_row, dtype=np.float64))
    np.add.at(bound, first, cost)
    np.add.at(bound, last + 1, -cost)
    return np.cumsum(bound)


@dataclass(frozen=True)
class GroupPlan:
    """How to read one row group: rows per batch, and the most bytes its values decode to."""

    place: str  # "row group 2 (rows 1,001–2,000)", for error messages
    batch_rows: int
    decoded: int


def plan_row_group(
    stream: BinaryIO, footer: Footer, parquet: pq.ParquetFile, group: int, *, first_row: int, limit: int, budget: int
) -> GroupPlan:
    """The most rows per batch (at most MAX_BATCH_ROWS) whose pages decode to no more than `budget` bytes.

    Raises a ValidationError naming the row group (and its rows, counted from 1 like the importer's) when a
    page is larger than `limit`, a page header is unreadable, or even a single row could exceed the budget.
    """
    schema = parquet.metadata.schema
    n_rows, metas = footer.row_group(group, f"row group {group + 1}")
    if len(metas) != parquet.metadata.num_columns:
        raise _unreadable(f"row group {group + 1}", "its columns do not match the file's schema")
    rows_shown = f"rows {first_row + 1:,}–{first_row + n_rows:,}" if n_rows > 1 else f"row {first_row + 1:,}"
    place = f"row group {group + 1} ({rows_shown})"
    held = 0
    columns = []
    for index, meta in enumerate(metas):
        column = schema.column(index)
        chunk = _Chunk(
            stream=stream,
            where=f"{place}, column '{limits.shown(column.path)}'",
            codec=meta.codec,
            # Arrow decodes by the schema's type, whatever the chunk's metadata says.
            physical=str(column.physical_type),
            width=column.length or 0,
            max_repetition=column.max_repetition_level,
        )
        spans, chunk_held = _spans(chunk, meta, n_rows, limit, budget)
        held += chunk_held
        columns.append(spans)
    rows = MAX_BATCH_ROWS
    while True:
        total = np.zeros(max(-(-n_rows // rows), 1) + 1)
        for spans in columns:
            total += _window_bound(spans, n_rows, rows)
        # A batch Arrow returns may straddle two aligned windows.
        worst = held + float((total[:-1] + total[1:]).max())
        if worst <= budget:
            decoded = sum(sum(spans.total) for spans in columns)
            return GroupPlan(place=place, batch_rows=rows, decoded=decoded)
        if rows == 1:
            if held > budget // 2:
                problem = f"the pages of its {len(columns):,} columns take up to {limits.size(held)} at once"
            else:
                problem = f"one row can take up to {limits.size(int(worst - held))} once decoded"
            raise ValidationError(f"{place}: {problem}, more than the {limits.size(budget)} an import reads at a time.")
        rows //= 2


def row_bytes(batch: pa.RecordBatch) -> np.ndarray:
    """The bytes each row of a decoded batch holds, before its values become Python objects."""
    total = np.zeros(batch.num_rows, dtype=np.int64)
    for column in batch.columns:
        total += _slot_bytes(column)
    return total


def _slot_bytes(array: pa.Array) -> np.ndarray:
    """The bytes of each slot of an array, its nested values included."""
    kind = array.type
    n = len(array)
    if pa.types.is_dictionary(kind):
        entries = _slot_bytes(array.dictionary)
        if not len(entries):
            return np.zeros(n, dtype=np.int64)
        # A null slot is charged as the first entry: an overestimate, never an underestimate that matters.
        indices = pc.fill_null(array.indices, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        return entries[np.clip(indices, 0, len(entries) - 1)]
    if _is_binary_like(kind):
        return pc.fill_null(pc.binary_length(array), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        # `values` is the whole child and `offsets` index into it, whatever slice `array` is.
        child = _slot_bytes(array.values)
        offsets = array.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
        ends = np.concatenate(([0], np.cumsum(child)))
        return ends[offsets[1:]] - ends[offsets[:-1]]
    if pa.types.is_fixed_size_list(kind):
        child = _slot_bytes(array.flatten())
        return child.reshape(n, kind.list_size).sum(axis=1) if n else np.zeros(0, dtype=np.int64)
    if pa.types.is_struct(kind):
        total = np.zeros(n, dtype=np.int64)
        for child in array.flatten():
            total += _slot_bytes(child)
        return total
    if pa.types.is_null(kind):
        return np.zeros(n, dtype=np.int64)
    try:
        width = max(kind.bit_width // 8, 1)
    except ValueError:
        # Any other type (a union, a list view): its buffers shared evenly among its slots.
        width = array.nbytes // max(n, 1) + 1
    return np.full(n, width, dtype=np.int64)


def _is_binary_like(kind: pa.DataType) -> bool:
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary_view(kind)
    )
