"""The limits on what an import reads, and how its error messages quote what they read.

Every file input (upload, API, command, label import) is bounded in three ways: the request's size
(ACCORD_MAX_UPLOAD_BYTES, enforced while the upload arrives: accord/uploads.py), a record's size
(ACCORD_MAX_RECORD_BYTES: a JSONL line, a CSV record, a Parquet row; a value can be no larger than its
record), and the number of fields a record may have (ACCORD_MAX_FIELDS for items, which become a dataset's
fields; MAX_COLUMNS for label files). Error messages quote at most MAX_SHOWN characters of a value, a field
name or an id.
"""

import reprlib

from django.conf import settings

MAX_SHOWN = 100
# The most fields a record of a label file may have: a wide layout has one column per rater.
MAX_COLUMNS = 10_000
# The C0 control characters, shown escaped so that a message never carries a NUL or a line break of the file.
_CONTROLS = {code: f"\\x{code:02x}" for code in range(32)} | {9: "\\t", 10: "\\n", 13: "\\r"}


def record_bytes() -> int:
    """The most bytes a record (JSONL line, CSV record, Parquet row) may take."""
    return settings.ACCORD_MAX_RECORD_BYTES


def max_fields() -> int:
    """The most fields a record, and a dataset, may have."""
    return settings.ACCORD_MAX_FIELDS


def upload_bytes() -> int:
    """The most bytes the files of one request may take."""
    return settings.ACCORD_MAX_UPLOAD_BYTES


def upload_size_error(n_bytes: int) -> str | None:
    """The error for an uploaded file larger than ACCORD_MAX_UPLOAD_BYTES, or None."""
    limit = upload_bytes()
    if n_bytes <= limit:
        return None
    return f"The file is larger than the {size(limit)} an upload may take ({size(n_bytes)} sent)."


def parquet_read_bytes() -> int:
    """The most bytes Arrow may decode at once while reading a Parquet file: pages in hand plus one batch."""
    # Room for a few records at the limit, and for the pages of many columns at once.
    return max(128 * 1024 * 1024, 4 * record_bytes())


def parquet_decoded_bytes() -> int:
    """The most bytes the values of a Parquet file may take decompressed: 8 times the upload limit."""
    # Text compresses 3–5 fold in Parquet; 8 leaves room, and bounds what a small file can make the database hold.
    return 8 * upload_bytes()


def conversion_bytes() -> int:
    """The most decoded bytes turned into Python values at once."""
    return max(32 * 1024 * 1024, record_bytes())


def size(n: int) -> str:
    """A byte count in binary units: "16 MiB", "1.5 GiB", "900 bytes"."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor:
            return f"{n // factor:,} {unit}" if n % factor == 0 else f"{n / factor:,.1f} {unit}"
    return f"{n:,} bytes"


def shown(value: object) -> str:
    """Text as an error message quotes it: control characters escaped, cut at MAX_SHOWN characters."""
    text = value if isinstance(value, str) else str(value)
    cut = text[:MAX_SHOWN].translate(_CONTROLS)
    return cut + "…" if len(text) > MAX_SHOWN else cut


_QUOTED = reprlib.Repr()
_QUOTED.maxstring, _QUOTED.maxother, _QUOTED.maxlist, _QUOTED.maxdict, _QUOTED.maxlevel = 80, 80, 6, 4, 2


def quoted(value: object) -> str:
    """A value as an error message quotes it: its repr, cut short at every level, so no message echoes a whole input."""
    return _QUOTED.repr(value)


def quoted_text(text: str) -> str:
    """Text as an error message quotes it: its repr, or that of its first MAX_SHOWN characters and its length."""
    return repr(text) if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]!r}… ({len(text):,} characters)"


def shown_list(names: list[str], n: int = 20) -> str:
    """Field names as an error message lists them: the first `n`, each cut short, and how many more."""
    listed = ", ".join(shown(name) for name in names[:n])
    return listed + (f" and {len(names) - n:,} more" if len(names) > n else "")
