"""Hostile item and label files: every path refuses them with a clear error, writes nothing and stays in bounds.

The paths are the import_items command, the web upload with its preview (detect_fields) and the API import;
label files go through the same readers. The large files (a Parquet value that decompresses to a gigabyte, a
200 MB line) are read in a child process with capped memory (tests/hostile/bounded.py), which reports its
peak resident memory; the files are generated here, in the test's directory.
"""

import html
import json
import re
import struct
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core import management
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.management import base
from django.urls import reverse

from accord.limits import size
from annotate.models import Dataset, Item, MetadataValue
from annotate.services.datasets import dataset_import, detect_fields
from ratings.models import Rating
from tests.factories import DatasetFactory
from tests.hostile.bounded import PEAK_RSS_LIMIT_MB, run_bounded

GIB = 1024**3
MIB = 1024**2


# --- Parquet files written byte by byte, to hold what no well-behaved writer would ---------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


class _Struct:
    """A Thrift struct in the compact protocol, field by field (what parquet.thrift's footer and pages use)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.last = 0

    def _field(self, field_id: int, kind: int) -> "_Struct":
        delta = field_id - self.last
        self.out += bytes([delta << 4 | kind]) if 0 < delta <= 15 else bytes([kind]) + _zigzag(field_id)
        self.last = field_id
        return self

    def i32(self, field_id: int, value: int) -> "_Struct":
        self._field(field_id, 5).out += _zigzag(value)
        return self

    def i64(self, field_id: int, value: int) -> "_Struct":
        self._field(field_id, 6).out += _zigzag(value)
        return self

    def binary(self, field_id: int, value: bytes) -> "_Struct":
        self._field(field_id, 8).out += _varint(len(value)) + value
        return self

    def struct(self, field_id: int, value: "_Struct") -> "_Struct":
        self._field(field_id, 12).out += value.done()
        return self

    def list(self, field_id: int, kind: int, items: list[bytes]) -> "_Struct":
        head = bytes([len(items) << 4 | kind]) if len(items) < 15 else bytes([0xF0 | kind]) + _varint(len(items))
        self._field(field_id, 9).out += head + b"".join(items)
        return self

    def done(self) -> bytes:
        return bytes(self.out) + b"\x00"


def _zstd_repeated(prefix: bytes, byte: bytes, count: int) -> bytes:
    """A zstd frame of `prefix` then `count` copies of `byte`: a few bytes per 128 KiB it decompresses to."""

    def block(last: bool, kind: int, size: int) -> bytes:
        return (int(last) | kind << 1 | size << 3).to_bytes(3, "little")

    # Magic number; one segment with its 8-byte content size; a raw block, then run-length blocks.
    out = bytearray(b"\x28\xb5\x2f\xfd\xe0") + (len(prefix) + count).to_bytes(8, "little")
    out += block(count == 0, 0, len(prefix)) + prefix
    while count:
        n = min(count, 128 * 1024)
        count -= n
        out += block(count == 0, 1, n) + byte
    return bytes(out)


def _page(kind: int, uncompressed: int, data: bytes, detail: _Struct) -> bytes:
    header = _Struct().i32(1, kind).i32(2, uncompressed).i32(3, len(data))
    header.struct(7 if kind == 2 else 5, detail)
    return header.done() + data


def _column(name: str, physical: int, converted: int | None, pages: list[tuple[bytes, int]], rows: int) -> dict:
    element = _Struct().i32(1, physical).i32(3, 0).binary(4, name.encode())
    if converted is not None:
        element.i32(6, converted)
    return {"path": [name], "schema": [element.done()], "physical": physical, "pages": pages, "rows": rows}


def _list_column(name: str, pages: list[tuple[bytes, int]], values: int) -> dict:
    """An optional list of optional strings, as Arrow writes one (three schema levels)."""
    schema = [
        _Struct().i32(3, 1).binary(4, name.encode()).i32(5, 1).i32(6, 3).done(),  # optional group, LIST
        _Struct().i32(3, 2).binary(4, b"list").i32(5, 1).done(),  # repeated group
        _Struct().i32(1, _BYTE_ARRAY).i32(3, 1).binary(4, b"element").i32(6, _UTF8).done(),
    ]
    return {
        "path": [name, "list", "element"],
        "schema": schema,
        "physical": _BYTE_ARRAY,
        "pages": pages,
        "rows": values,
    }


def _write_parquet(path: Path, rows: int, columns: list[dict], codec: int) -> Path:
    """A Parquet file of one row group; each column is its pages as (bytes with header, uncompressed size)."""
    body = bytearray(b"PAR1")
    chunks, schema = [], [_Struct().binary(4, b"schema").i32(5, len(columns)).done()]
    for column in columns:
        start = len(body)
        for data, _size in column["pages"]:
            body += data
        schema += column["schema"]
        has_dictionary = len(column["pages"]) > 1
        meta = (
            _Struct()
            .i32(1, column["physical"])
            .list(2, 5, [_zigzag(0), _zigzag(8)])
            .list(3, 8, [_varint(len(part)) + part.encode() for part in column["path"]])
            .i32(4, codec)
            .i64(5, column["rows"])
            .i64(6, sum(size for _data, size in column["pages"]))
            .i64(7, len(body) - start)
            .i64(9, start + (len(column["pages"][0][0]) if has_dictionary else 0))
        )
        if has_dictionary:
            meta.i64(11, start)
        chunks.append(_Struct().i64(2, start).struct(3, meta).done())
    group = _Struct().list(1, 12, chunks).i64(2, sum(c["pages"][-1][1] for c in columns)).i64(3, rows)
    footer = _Struct().i32(1, 1).list(2, 12, schema).i64(3, rows).list(4, 12, [group.done()]).done()
    path.write_bytes(bytes(body) + footer + struct.pack("<I", len(footer)) + b"PAR1")
    return path


_BYTE_ARRAY, _INT64, _UTF8, _ZSTD = 6, 2, 0, 6
_PLAIN, _RLE_DICTIONARY = 0, 8


def _plain_ids(rows: int) -> tuple[bytes, int]:
    data = pa.compress(b"".join(struct.pack("<q", n) for n in range(rows)), codec="zstd").to_pybytes()
    detail = _Struct().i32(1, rows).i32(2, _PLAIN).i32(3, 3).i32(4, 3)
    return _page(0, rows * 8, data, detail), rows * 8


def gigabyte_value_parquet(path: Path) -> Path:
    """One row whose text, 33 KB in the file, decompresses to 1 GiB (the footer states that size honestly)."""
    size = GIB
    text = _zstd_repeated(struct.pack("<I", size), b"a", size)
    detail = _Struct().i32(1, 1).i32(2, _PLAIN).i32(3, 3).i32(4, 3)
    columns = [
        _column("id", _INT64, None, [_plain_ids(1)], 1),
        _column("text", _BYTE_ARRAY, _UTF8, [(_page(0, size + 4, text, detail), size + 4)], 1),
    ]
    return _write_parquet(path, 1, columns, _ZSTD)


def repeated_value_parquet(path: Path, rows: int = 100_000, size: int = 8 * MIB) -> Path:
    """A dictionary of one 8 MiB text that every one of 100,000 rows uses: 800 GB of items from a 1 MB file."""
    dictionary = _zstd_repeated(struct.pack("<I", size), b"b", size)
    # Bit width 1, then one run: `rows` times index 0.
    raw = bytes([1]) + _varint(rows << 1) + b"\x00"
    indices = pa.compress(raw, codec="zstd").to_pybytes()
    detail = _Struct().i32(1, rows).i32(2, _RLE_DICTIONARY).i32(3, 3).i32(4, 3)
    pages = [
        (_page(2, size + 4, dictionary, _Struct().i32(1, 1).i32(2, _PLAIN)), size + 4),
        (_page(0, len(raw), indices, detail), len(raw)),
    ]
    columns = [_column("id", _INT64, None, [_plain_ids(rows)], rows), _column("text", _BYTE_ARRAY, _UTF8, pages, rows)]
    return _write_parquet(path, rows, columns, _ZSTD)


def _hybrid(runs: list[tuple[int, int]]) -> bytes:
    """Runs of (count, value) in the RLE/bit-packed hybrid encoding, one byte per value."""
    return b"".join(_varint(count << 1) + bytes([value]) for count, value in runs)


def long_list_parquet(path: Path, values: int = 1_000_000, size: int = 8 * MIB) -> Path:
    """One row whose list repeats one 8 MiB dictionary text a million times: 8 TB from one small page."""
    dictionary = _zstd_repeated(struct.pack("<I", size), b"c", size)
    # Repetition levels: the row starts (0), then continues (1); every value is present (definition level 3).
    repetition, definition = _hybrid([(1, 0), (values - 1, 1)]), _hybrid([(values, 3)])
    raw = (
        b"".join([struct.pack("<I", len(repetition)), repetition, struct.pack("<I", len(definition)), definition])
        + bytes([1])
        + _hybrid([(values, 0)])
    )
    detail = _Struct().i32(1, values).i32(2, _RLE_DICTIONARY).i32(3, 3).i32(4, 3)
    pages = [
        (_page(2, size + 4, dictionary, _Struct().i32(1, 1).i32(2, _PLAIN)), size + 4),
        (_page(0, len(raw), pa.compress(raw, codec="zstd").to_pybytes(), detail), len(raw)),
    ]
    return _write_parquet(
        path, 1, [_column("id", _INT64, None, [_plain_ids(1)], 1), _list_column("turns", pages, values)], _ZSTD
    )


def test_the_crafted_files_are_valid_parquet(tmp_path):
    """The builders above write what Arrow reads: small versions of the bombs decode to what they claim."""
    small = tmp_path / "small.parquet"
    size = 300_000
    text = _zstd_repeated(struct.pack("<I", size), b"a", size)
    detail = _Struct().i32(1, 1).i32(2, _PLAIN).i32(3, 3).i32(4, 3)
    columns = [
        _column("id", _INT64, None, [_plain_ids(1)], 1),
        _column("text", _BYTE_ARRAY, _UTF8, [(_page(0, size + 4, text, detail), size + 4)], 1),
    ]
    assert pq.read_table(_write_parquet(small, 1, columns, _ZSTD)).to_pylist() == [{"id": 0, "text": "a" * size}]
    repeated = pq.read_table(repeated_value_parquet(tmp_path / "r.parquet", rows=5, size=1000)).to_pylist()
    assert repeated == [{"id": n, "text": "b" * 1000} for n in range(5)]
    assert pq.read_table(long_list_parquet(tmp_path / "l.parquet", values=4, size=10)).to_pylist() == [
        {"id": 0, "turns": ["c" * 10] * 4}
    ]


# --- The large files, each read once by every path in one memory-capped child --------------------------------

_CHILD = """
import json, resource
from pathlib import Path
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from annotate.models import Dataset, Item
from annotate.services.datasets import detect_fields

call_command("migrate", verbosity=0)
user = User.objects.create_user("curator", password="pw-for-tests-123")
user.user_permissions.add(*Permission.objects.filter(codename__in=["add_dataset", "add_rubric", "add_campaign"]))
target = Dataset.objects.create(name="target", created_by=user)
client = Client()
client.force_login(user)
BOUNDARY = "hostile-boundary"


def body(path, name, dataset_name):
    # The multipart body on disk, read by Django from the stream as a server would (not built in memory); the
    # upload page takes the new dataset's name beside the file, the API the file alone.
    out = Path(str(path) + ".body")
    with open(out, "wb") as handle, open(path, "rb") as source:
        handle.write(f'--{BOUNDARY}\\r\\nContent-Disposition: form-data; name="file"; filename="{name}"\\r\\n'
                     f"Content-Type: application/octet-stream\\r\\n\\r\\n".encode())
        while chunk := source.read(1 << 20):
            handle.write(chunk)
        handle.write(b"\\r\\n")
        if dataset_name:
            handle.write(f'--{BOUNDARY}\\r\\nContent-Disposition: form-data; name="name"\\r\\n\\r\\n'
                         f"{dataset_name}\\r\\n".encode())
        handle.write(f"--{BOUNDARY}--\\r\\n".encode())
    return out


def post(url, path, name, dataset_name=None):
    data = body(path, name, dataset_name)
    try:
        with open(data, "rb") as stream:
            return client.generic("POST", url, b"", CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
                                  **{"wsgi.input": stream, "CONTENT_LENGTH": str(data.stat().st_size)})
    finally:
        data.unlink()


results = {}
for path in FILES:
    path = Path(path)
    name = path.name.split("-", 1)[1]
    outcome = results[path.name] = {}
    try:
        call_command("import_items", str(path), "--dataset", "via-command", "--no-index")
        outcome["command"] = "imported"
    except CommandError as exc:
        outcome["command"] = str(exc)
    try:
        detect_fields(path)
        outcome["preview"] = "previewed"
    except ValidationError as exc:
        outcome["preview"] = " ".join(exc.messages)
    response = post(f"/api/v1/datasets/{target.pk}/items/", path, name)
    outcome["api"] = [response.status_code, response.content.decode()[:2000]]
    response = post("/datasets/upload/", path, name, "hostile")
    outcome["upload"] = [response.status_code, response.get("Location", "")]
    if response.status_code == 302:
        mapping = client.get(response["Location"])
        outcome["mapping"] = [mapping.status_code, mapping.content.decode()[-4000:]]
    outcome["items"] = Item.objects.count()
    outcome["datasets"] = sorted(Dataset.objects.values_list("name", flat=True))
    outcome["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULTS=" + json.dumps(results))
"""


def _long_jsonl_line(path: Path, n_bytes: int) -> Path:
    """One JSON object on a single line of `n_bytes` bytes."""
    with open(path, "wb") as handle:
        handle.write(b'{"id": "big", "text": "')
        chunk = b"x" * MIB
        for _ in range(n_bytes // MIB):
            handle.write(chunk)
        handle.write(b'"}\n')
    return path


def _csv_without_newline(path: Path, n_bytes: int) -> Path:
    with open(path, "wb") as handle:
        handle.write(b"id,text\n1,")
        chunk = b"y" * MIB
        for _ in range(n_bytes // MIB):
            handle.write(chunk)
    return path


@pytest.fixture(scope="module")
def large_files(tmp_path_factory) -> dict:
    """Every large hostile file through every path, in one child: what each path answered, and the peak memory."""
    base = tmp_path_factory.mktemp("large")
    files = [
        gigabyte_value_parquet(base / "1-bomb.parquet"),
        repeated_value_parquet(base / "2-repeated.parquet"),
        _long_jsonl_line(base / "3-line.jsonl", 200 * MIB),
        _csv_without_newline(base / "4-endless.csv", 200 * MIB),
        long_list_parquet(base / "5-list.parquet"),
    ]
    code = _CHILD.replace("FILES", repr([str(f) for f in files]))
    done = run_bounded(code, data_dir=base / "data", env={"ALLOWED_HOSTS": "testserver"}, timeout=300)
    for path in files:
        path.unlink()
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS=")]
    assert lines, done.stderr[-3000:]
    results = json.loads(lines[-1].removeprefix("RESULTS="))
    results["peak_rss_mb"] = done.peak_rss_mb
    return results


def _refused_everywhere(outcome: dict, message: str) -> None:
    assert message in outcome["command"], outcome["command"]
    assert message in outcome["preview"], outcome["preview"]
    # The API stores the file and answers 202; the import task (run at once under the tests' backend) refuses it.
    status, body = outcome["api"]
    body = json.loads(body)
    assert status == 202 and body["status"] == "failed" and message in body["errors"][0], outcome["api"]
    # The upload is stored, then its preview on the mapping page shows the error.
    assert outcome["upload"][0] == 302, outcome["upload"]
    status, page = outcome["mapping"]
    assert status == 400 and message in html.unescape(page), page[-1500:]
    assert outcome["items"] == 0
    assert outcome["datasets"] == ["target"]


def test_a_parquet_value_that_decompresses_to_a_gigabyte_is_refused_before_it_is_decoded(large_files):
    outcome = large_files["1-bomb.parquet"]
    message = "row group 1 (row 1), column 'text': a page of 1.0 GiB, more than the 16 MiB a record may take."
    _refused_everywhere(outcome, message)
    assert outcome["peak_rss_mb"] < PEAK_RSS_LIMIT_MB


def test_a_parquet_text_repeated_by_every_row_is_refused_before_it_is_decoded(large_files):
    outcome = large_files["2-repeated.parquet"]
    _refused_everywhere(outcome, "row group 1 (rows 1–100,000): the file's values take up to ")
    assert "more than the 16 GiB a Parquet file may hold once decompressed" in outcome["command"]
    assert outcome["peak_rss_mb"] < PEAK_RSS_LIMIT_MB


def test_a_200_mb_line_is_refused_at_the_record_limit(large_files):
    outcome = large_files["3-line.jsonl"]
    _refused_everywhere(outcome, "line 1: longer than the 16 MiB a record may take.")
    assert outcome["peak_rss_mb"] < PEAK_RSS_LIMIT_MB


def test_a_200_mb_csv_without_a_line_break_is_refused_at_the_record_limit(large_files):
    outcome = large_files["4-endless.csv"]
    _refused_everywhere(outcome, "line 2: longer than the 16 MiB a record may take.")
    assert outcome["peak_rss_mb"] < PEAK_RSS_LIMIT_MB


def test_a_parquet_list_repeating_a_text_a_million_times_in_one_row_is_refused_before_it_is_decoded(large_files):
    outcome = large_files["5-list.parquet"]
    _refused_everywhere(outcome, "row group 1 (row 1): one row can take up to 7.6 TiB once decoded, more than the ")
    assert outcome["command"].endswith("more than the 128 MiB an import reads at a time.")
    assert outcome["peak_rss_mb"] < PEAK_RSS_LIMIT_MB


def test_the_large_files_together_stay_within_the_memory_bound(large_files):
    assert large_files["peak_rss_mb"] < PEAK_RSS_LIMIT_MB


# --- Small hostile files, through the service, the command, the upload with its preview, and the API ---------


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _nothing_written() -> None:
    assert Item.objects.count() == 0
    assert MetadataValue.objects.count() == 0
    assert not Dataset.objects.filter(name="hostile").exists()


def _refused_by_every_path(client, curator, path: Path, message: str) -> None:
    """The service, the command, the API and the upload's preview all refuse the file with `message`."""
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, name="hostile")
    assert message in " ".join(info.value.messages)
    with pytest.raises(management.CommandError, match=re.escape(message)):
        management.call_command("import_items", str(path), "--dataset", "hostile", "--no-index")
    with pytest.raises(ValidationError) as info:
        detect_fields(path)
    assert message in " ".join(info.value.messages)
    client.force_login(curator)
    target = DatasetFactory(created_by=curator)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(reverse("api:dataset-items-import", args=[target.pk]), {"file": upload})
    assert response.status_code == 202, response.content
    body = client.get(response.json()["status_url"]).json()
    assert body["status"] == "failed" and message in body["errors"][0], body
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(reverse("annotate:dataset-upload"), {"file": upload, "name": "hostile"})
    assert response.status_code == 302, response.content.decode()
    page = client.get(response["Location"])
    assert page.status_code == 400 and message in html.unescape(page.content.decode()), page.content.decode()
    target.refresh_from_db()
    assert target.item_count == 0
    _nothing_written()


def test_a_csv_quote_never_closed_is_refused_not_read_as_one_cell(client, curator, data_dir, tmp_path):
    path = _write(tmp_path, "quote.csv", 'id,text\n1,fine\n2,"never closed\n3,more\n4,and more\n')
    _refused_by_every_path(client, curator, path, "line 3: a quoted cell is never closed")


def test_a_csv_with_cr_only_line_endings_is_refused_the_same_way_everywhere(client, curator, data_dir, tmp_path):
    path = _write(tmp_path, "mac.csv", "id,text\r1,a\r2,b\r")
    _refused_by_every_path(client, curator, path, "line 1: the lines end in a lone CR (\\r, old Mac line endings)")


def test_a_lone_cr_in_a_csv_record_names_its_line(db, tmp_path):
    path = _write(tmp_path, "mixed.csv", "id,text\r\n1,a\r\n2,b\rc\r\n")
    with pytest.raises(ValidationError, match=r"line 3: a line break that is a lone CR"):
        dataset_import(source=path, name="hostile")
    _nothing_written()


def test_text_after_a_closing_quote_names_its_line(db, tmp_path):
    path = _write(tmp_path, "after.csv", 'id,text\n1,"a"b\n')
    with pytest.raises(ValidationError, match="line 2: text follows the closing quote of a cell"):
        dataset_import(source=path, name="hostile")
    _nothing_written()


def test_a_key_twice_in_a_jsonl_record_is_refused_not_silently_dropped(client, curator, data_dir, tmp_path):
    lines = '{"id": "1", "text": "a"}\n{"id": "2", "text": "first", "model": "m", "text": "second"}\n'
    path = _write(tmp_path, "dup.jsonl", lines)
    _refused_by_every_path(client, curator, path, "line 2: the key 'text' appears twice in one object")


@pytest.mark.parametrize(
    "line",
    [
        # Spaces between a key and its colon, the first time only.
        '{"id": "1", "text" : "a", "text": "b"}',
        # Inside a nested object, with colons in the text.
        '{"id": "1", "turns": [{"role": "user", "role": "assistant", "content": "see: 10:30"}]}',
        # With a quoted colon in the text, so that colons and quote-colons both outnumber the keys.
        '{"id": "1", "text": "say \\":\\" twice", "text": "b"}',
    ],
)
def test_a_duplicate_key_is_found_however_the_line_is_spaced(db, tmp_path, line):
    path = _write(tmp_path, "dup.jsonl", line + "\n")
    with pytest.raises(ValidationError, match="line 1: the key '(text|role)' appears twice in one object"):
        dataset_import(source=path, name="hostile")
    _nothing_written()


def test_colons_and_quotes_in_text_are_not_mistaken_for_duplicate_keys(db, tmp_path):
    records = [
        {"id": "1", "text": 'JSON inside: {"a": 1, "a" : 2}', "url": "https://example.com:8080/x"},
        {"id": "2", "text": "time 10:30", "nested": {"key": 'value: " :'}},
    ]
    path = _write(tmp_path, "fine.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    result = dataset_import(source=path, name="fine")
    assert result.n_items == 2
    assert Item.objects.get(external_id="1").content["text"] == 'JSON inside: {"a": 1, "a" : 2}'


def test_a_jsonl_line_over_the_record_limit_names_the_line_and_the_limit(db, tmp_path, settings):
    settings.ACCORD_MAX_RECORD_BYTES = 64 * 1024
    lines = [json.dumps({"id": str(n), "text": "t"}) for n in range(2)] + [json.dumps({"id": "2", "text": "x" * 70000})]
    path = _write(tmp_path, "long.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(ValidationError, match=r"^\['line 3: longer than the 64 KiB a record may take\.'\]$"):
        dataset_import(source=path, name="hostile")
    _nothing_written()


def test_a_csv_record_over_the_limit_across_lines_names_its_first_line(db, tmp_path, settings):
    settings.ACCORD_MAX_RECORD_BYTES = 64 * 1024
    cell = "\n".join(["y" * 1000] * 70)
    path = _write(tmp_path, "long.csv", f'id,text\n1,ok\n2,"{cell}"\n')
    message = "line 3: longer than the 64 KiB a record may take (it spans several lines: is a quote left open?)."
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, name="hostile")
    assert info.value.messages == [message]
    _nothing_written()


def test_a_parquet_row_over_the_record_limit_names_the_row(db, tmp_path, settings):
    settings.ACCORD_MAX_RECORD_BYTES = 64 * 1024
    path = tmp_path / "rows.parquet"
    table = pa.table({"id": ["a", "b", "c"], "turns": [["short"], ["z" * 1000] * 100, ["fine"]]})
    pq.write_table(table, path, data_page_size=8 * 1024)
    with pytest.raises(ValidationError, match=r"row 2: longer than the 64 KiB a record may take"):
        dataset_import(source=path, name="hostile")
    _nothing_written()


def test_a_parquet_page_over_the_record_limit_names_the_row_group_and_column(db, tmp_path, settings):
    settings.ACCORD_MAX_RECORD_BYTES = 64 * 1024
    path = tmp_path / "pages.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y" * 100_000]}), path, compression="zstd")
    message = "row group 1 (rows 1–2), column 'text': a page of 97.7 KiB, more than the 64 KiB a record may take."
    with pytest.raises(ValidationError) as info:
        detect_fields(path)
    assert info.value.messages == [message]


def test_list_columns_are_read_in_batches_their_pages_allow(db, tmp_path, monkeypatch):
    """A list column whose rows span pages imports whole: rows are placed on pages by their repetition levels."""
    # A small read budget makes the importer place rows on pages rather than take each chunk whole.
    monkeypatch.setattr("accord.limits.parquet_read_bytes", lambda: 4 * MIB)
    turns = [[f"turn {n}-{k} " * 40 for k in range(n % 7)] or None for n in range(3000)]
    table = pa.table({"id": [f"c{n}" for n in range(3000)], "turns": turns})
    for version in ("1.0", "2.0"):
        path = tmp_path / f"lists-{version}.parquet"
        pq.write_table(table, path, data_page_version=version, data_page_size=4096, compression="snappy")
        result = dataset_import(source=path, name=f"lists-{version}")
        assert result.n_items == 3000
    assert Item.objects.get(dataset__name="lists-1.0", external_id="c13").content["turns"] == turns[13]


def test_a_parquet_column_name_that_repeats_is_refused(db, tmp_path):
    path = tmp_path / "twice.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["id", "id"]), path)
    with pytest.raises(ValidationError, match="The column 'id' appears twice in the file."):
        dataset_import(source=path, name="hostile")
    _nothing_written()


# --- How many fields ------------------------------------------------------------------------------------------


def test_a_record_with_more_fields_than_the_limit_names_the_line_and_the_count(client, curator, data_dir, tmp_path):
    record = {"id": "1", **{f"f{n}": n for n in range(600)}}
    path = _write(tmp_path, "wide.jsonl", json.dumps({"id": "0", "text": "ok"}) + "\n" + json.dumps(record) + "\n")
    _refused_by_every_path(client, curator, path, "line 2: 601 fields, more than the 500 a record may have.")


def test_a_csv_header_with_more_columns_than_the_limit_is_refused(db, tmp_path):
    header = ",".join(["id", *(f"c{n}" for n in range(1200))])
    path = _write(tmp_path, "wide.csv", header + "\n" + ",".join(["1"] * 1201) + "\n")
    with pytest.raises(ValidationError, match=r"line 1: 1,201 columns, more than the 500 a record may have\."):
        detect_fields(path)


def test_a_parquet_file_with_more_columns_than_the_limit_is_refused(db, tmp_path):
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"id": ["1"], **{f"c{n}": [n] for n in range(600)}}), path)
    with pytest.raises(ValidationError, match=r"The file: 601 columns, more than the 500 a record may have\."):
        dataset_import(source=path, name="hostile")
    _nothing_written()


def test_records_together_with_more_fields_than_a_dataset_may_have_are_refused(db, tmp_path):
    lines = [json.dumps({"id": str(n), **{f"f{n}-{k}": k for k in range(10)}}) for n in range(60)]
    path = _write(tmp_path, "many.jsonl", "\n".join(lines) + "\n")
    message = "line 50: the file has 501 distinct fields up to here, more than the 500 a dataset may have."
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, name="hostile")
    assert info.value.messages == [message]
    _nothing_written()


def test_the_mapping_form_works_with_as_many_fields_as_a_record_may_have(client, curator, data_dir, tmp_path):
    record = {"id": "1", **{f"field-{n}": f"value {n}" for n in range(499)}}
    client.force_login(curator)
    upload = SimpleUploadedFile("wide.jsonl", (json.dumps(record) + "\n").encode())
    response = client.post(reverse("annotate:dataset-upload"), {"file": upload, "name": "wide"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    mapping = {**{f"role_{n}": "content" for n in range(500)}, "role_0": "id", "role_7": "metadata"}
    done = client.post(response["Location"], mapping)
    assert done.status_code == 302, done.content.decode()[-2000:]
    dataset = Dataset.objects.get(name="wide")
    assert dataset.item_count == 1 and dataset.metadata_fields == ["field-6"]
    assert len(dataset.content_fields) == 498


# --- Upload size --------------------------------------------------------------------------------------------


def test_an_upload_past_the_limit_is_refused_while_it_arrives(
    client, curator, data_dir, tmp_path, settings, monkeypatch
):
    settings.ACCORD_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stored = []
    receive = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):
        stored.append(len(raw_data))
        return receive(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    body = b"".join(json.dumps({"id": str(n), "text": "t" * 200}).encode() + b"\n" for n in range(15000))
    client.force_login(curator)
    response = client.post(
        reverse("annotate:dataset-upload"), {"file": SimpleUploadedFile("big.jsonl", body), "name": "hostile"}
    )
    refusal = f"The file is larger than the 1 MiB an upload may take ({size(len(body))} sent)."
    assert response.status_code == 200
    assert refusal in response.content.decode()
    # What reached the temporary file stopped at the limit, and that file is gone.
    assert 0 < sum(stored) <= 1024 * 1024
    assert [p for p in tmp_path.iterdir() if ".upload" in p.name] == []
    assert not (data_dir / "uploads").exists() or not any((data_dir / "uploads").iterdir())
    target = DatasetFactory(created_by=curator)
    response = client.post(
        reverse("api:dataset-items-import", args=[target.pk]), {"file": SimpleUploadedFile("big.jsonl", body)}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["message"]) == ("file", refusal)
    _nothing_written()


# --- NUL characters -----------------------------------------------------------------------------------------


@pytest.fixture
def run(monkeypatch, capsys):
    """Run a management command as manage.py would; return (exit code, stdout, stderr)."""
    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)

    def call(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            management.ManagementUtility(["manage.py", *args, "--skip-checks"]).execute()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


NUL_ITEM_FILES = [
    ("key.jsonl", '{"id": "1"}\n{"id": "2", "mo\\u0000del": "m"}\n', "line 2: the field name 'mo\\x00del'"),
    ("nested.jsonl", '{"id": "1", "turns": [{"ro\\u0000le": "user"}]}\n', "line 1, field 'turns': the value contains"),
    ("value.jsonl", '{"id": "1", "text": "a\\u0000"}\n', "line 1, field 'text': the value contains a NUL"),
    ("header.csv", "id,te\x00xt\n1,a\n", "line 1: the field name 'te\\x00xt' contains a NUL"),
    ("cell.csv", "id,text\n1,a\n2,b\x00\n", "line 3, field 'text': the value contains a NUL"),
]


@pytest.mark.parametrize(("name", "content", "message"), NUL_ITEM_FILES)
def test_import_items_refuses_a_nul_anywhere_with_a_clean_error(db, tmp_path, run, name, content, message):
    path = _write(tmp_path, name, content)
    code, out, err = run("import_items", str(path), "--dataset", "hostile", "--no-index")
    assert code == 1
    assert message in err and "Traceback" not in err, err
    _nothing_written()


def test_a_nul_in_a_parquet_column_name_or_value_is_refused(db, tmp_path):
    path = tmp_path / "name.parquet"
    pq.write_table(pa.table({"id": ["1"], "mo\x00del": ["m"]}), path)
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, name="hostile", metadata_fields=["mo\x00del"])
    assert info.value.messages == ["The column name 'mo\\x00del' contains a NUL character, which cannot be stored."]
    path = tmp_path / "value.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "turns": [["a"], ["b\x00"]]}), path)
    with pytest.raises(ValidationError, match="row 2, field 'turns': the value contains a NUL character"):
        dataset_import(source=path, name="hostile")
    _nothing_written()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rater.csv", "item_id,rater,criterion,value\n{item},ann\x00,helpful,3\n", "line 2, field 'rater'"),
        ("comment.csv", "item_id,rater,criterion,value,comment\n{item},ann,helpful,3,no\x00te\n", "field 'comment'"),
        ("column.csv", "item_id,rater,criterion,value,x\x00y\n{item},ann,helpful,3,z\n", "the field name 'x\\x00y'"),
        (
            "item.jsonl",
            '{{"item_id": "{item}\\u0000", "rater": "ann", "criterion": "helpful", "value": 3}}\n',
            "'item_id'",
        ),
        (
            "key.jsonl",
            '{{"item_id": "{item}", "rater": "a", "criterion": "helpful", "value": 3, "\\u0000": 1}}\n',
            "'\\x00'",
        ),
    ],
)
def test_import_ratings_refuses_a_nul_anywhere_with_a_clean_error(tmp_path, run, campaign, name, content, message):
    item = campaign.dataset.items.order_by("position").first().external_id
    path = _write(tmp_path, name, content.format(item=item))
    code, out, err = run("import_ratings", str(path), "--campaign", campaign.slug)
    assert code == 1
    assert message in err and "NUL" in err and "Traceback" not in err, err
    assert Rating.objects.count() == 0


# --- What error messages repeat -----------------------------------------------------------------------------


def test_error_messages_quote_at_most_100_characters_of_the_file(db, tmp_path):
    huge = "n" * 1_000_000
    path = _write(tmp_path, "ids.jsonl", json.dumps({huge: 1, "id": "1"}) + "\n")
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, name="hostile", metadata_fields=[huge + "x"])
    message = info.value.messages[0]
    assert message.startswith("The metadata field 'nnnn") and len(message) < 500, message[:600]
    long_id = "i" * 250
    lines = [json.dumps({"id": long_id, "text": "a"}), json.dumps({"id": long_id, "text": "b"})]
    with pytest.raises(ValidationError) as info:
        dataset_import(source=_write(tmp_path, "dup.jsonl", "\n".join(lines) + "\n"), name="hostile")
    assert info.value.messages == [f"line 2, field 'id': duplicate id '{'i' * 100}…' (used earlier in the file)."]
    cell = "c" * 5_000_000
    path = _write(tmp_path, "ragged.csv", f"id,text\n1,{cell},extra\n")
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, name="hostile")
    assert info.value.messages == ["line 2: 3 cells, but the header has 2 columns."]
    _nothing_written()
