"""PostgreSQL's binary COPY format for the rows a dataset import writes.

In binary COPY each value travels as its length and its bytes. The server then skips the text format's
per-character unescaping (a tenth of its work in a large import), and the client sends each item's JSON as
the UTF-8 bytes it already holds instead of decoding and escaping it. Format: PostgreSQL's documentation of
COPY, "Binary Format".
"""

import struct

import numpy as np

# Signature, flags (no OIDs), length of the header extension (none).
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
# A jsonb value is a version byte, then the JSON text.
_JSONB_VERSION = 1

# annotate_item (dataset_id, external_id, position, content, metadata), the id left to the server's default.
# A row is the field count, then per field its length and its value; the structs split it where the
# variable-length values go.
ITEM_COLUMNS = "dataset_id, external_id, position, content, metadata"
_ITEM_START = struct.Struct(">hiqi")  # 5 fields; dataset id; external id's length
_ITEM_MIDDLE = struct.Struct(">iiib")  # position; content's length and jsonb version
_ITEM_END = struct.Struct(">ib")  # metadata's length and jsonb version

# annotate_itemmetadata (item_id, value_id): fixed-width rows, written as one NumPy array.
METADATA_COLUMNS = "item_id, value_id"
_METADATA_ROW = np.dtype([("n", ">i2"), ("item_size", ">i4"), ("item", ">i8"), ("value_size", ">i4"), ("value", ">i8")])


def item_rows(
    *,
    dataset_id: int,
    external_ids: list[str],
    first_position: int,
    texts: bytes | bytearray,
    content_lengths: list[int],
    metadata_lengths: list[int],
) -> bytearray:
    """Items as binary COPY data; `texts` holds each item's content JSON, then its metadata JSON, in UTF-8."""
    out = bytearray(SIGNATURE)
    view = memoryview(texts)
    end = 0
    rows = zip(external_ids, content_lengths, metadata_lengths, strict=True)
    for position, (external_id, content_length, metadata_length) in enumerate(rows, first_position):
        key = external_id.encode()
        start, middle, end = end, end + content_length, end + content_length + metadata_length
        out += _ITEM_START.pack(5, 8, dataset_id, len(key))
        out += key
        out += _ITEM_MIDDLE.pack(4, position, content_length + 1, _JSONB_VERSION)
        out += view[start:middle]
        out += _ITEM_END.pack(metadata_length + 1, _JSONB_VERSION)
        out += view[middle:end]
    view.release()
    out += TRAILER
    return out


def metadata_rows(item_ids: np.ndarray, value_ids: np.ndarray) -> bytes:
    """(item id, value id) pairs as binary COPY data, leaving out the pairs whose value id is 0 (no value)."""
    present = value_ids != 0
    rows = np.empty(int(present.sum()), _METADATA_ROW)
    rows["n"] = 2
    rows["item_size"] = 8
    rows["item"] = item_ids[present]
    rows["value_size"] = 8
    rows["value"] = value_ids[present]
    return SIGNATURE + rows.tobytes() + TRAILER
