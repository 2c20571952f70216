"""Bad input fails the whole import with a message naming the row, and imports nothing."""

import json
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError

from annotate.models import Dataset, Item, ItemMetadata, MetadataValue
from annotate.services.datasets import dataset_import, detect_fields


def _fails(path, match: str, **kwargs) -> None:
    kwargs.setdefault("name", "broken")
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, **kwargs)
    message = " ".join(info.value.messages)
    assert match in message, message
    assert not Dataset.objects.filter(name="broken").exists()
    assert Item.objects.count() == 0
    assert ItemMetadata.objects.count() == 0
    assert MetadataValue.objects.count() == 0


def _jsonl(tmp_path, *lines: str, name: str = "items.jsonl"):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = json.dumps({"id": "ok", "text": "fine", "model": "m"})


def test_invalid_json_names_the_line(db, tmp_path):
    _fails(_jsonl(tmp_path, GOOD, '{"id": "x", "text": '), "line 2: invalid JSON")


def test_a_line_that_is_not_an_object_names_the_line(db, tmp_path):
    _fails(_jsonl(tmp_path, GOOD, GOOD.replace("ok", "ok2"), "[1, 2]"), "line 3: expected a JSON object, got an array")


def test_missing_id_names_the_line_and_field(db, tmp_path):
    _fails(_jsonl(tmp_path, GOOD, json.dumps({"text": "no id"})), "line 2, field 'id': the id is missing")


def test_empty_id_names_the_line_and_field(db, tmp_path):
    _fails(_jsonl(tmp_path, json.dumps({"id": "  ", "text": "blank"})), "line 1, field 'id': the id is empty")


def test_null_id_is_rejected(db, tmp_path):
    _fails(_jsonl(tmp_path, json.dumps({"id": None, "text": "x"})), "line 1, field 'id': the id must be a string")


def test_duplicate_id_within_the_file_names_the_line(db, tmp_path):
    _fails(_jsonl(tmp_path, GOOD, GOOD, name="dup.jsonl"), "line 2, field 'id': duplicate id 'ok'")


def test_duplicate_id_across_batches_is_caught(db, tmp_path):
    lines = [json.dumps({"id": str(i), "text": "t"}) for i in range(7)] + [json.dumps({"id": "1", "text": "again"})]
    _fails(_jsonl(tmp_path, *lines), "line 8, field 'id': duplicate id '1'", batch_size=3)


def test_duplicate_id_against_the_dataset_names_the_line_and_keeps_old_items(db, tmp_path):
    existing = dataset_import(source=_jsonl(tmp_path, GOOD, name="first.jsonl"), name="kept").dataset
    path = _jsonl(tmp_path, json.dumps({"id": "new", "text": "n"}), GOOD, name="second.jsonl")
    with pytest.raises(ValidationError) as info:
        dataset_import(source=path, dataset=existing)
    assert "line 2, field 'id': duplicate id 'ok'" in info.value.messages[0]
    existing.refresh_from_db()
    assert existing.item_count == 1
    assert list(Item.objects.values_list("external_id", flat=True)) == ["ok"]


def test_duplicate_of_an_existing_item_is_reported_before_a_later_duplicate_in_the_batch(db, tmp_path):
    existing = dataset_import(source=_jsonl(tmp_path, GOOD, name="first.jsonl"), name="kept").dataset
    lines = [json.dumps({"id": "a", "text": "x"}), GOOD, json.dumps({"id": "a", "text": "again"})]
    with pytest.raises(ValidationError) as info:
        dataset_import(source=_jsonl(tmp_path, *lines, name="second.jsonl"), dataset=existing)
    assert "line 2, field 'id': duplicate id 'ok' (an item of dataset 'kept' already has it)" in info.value.messages[0]
    assert Item.objects.count() == 1


def test_a_failed_import_leaves_no_reader_thread_behind(db, tmp_path):
    before = threading.active_count()
    lines = [json.dumps({"id": str(i), "text": "t"}) for i in range(50)] + ["{broken"]
    _fails(_jsonl(tmp_path, *lines), "line 51: invalid JSON", batch_size=4)
    lines = [json.dumps({"id": str(i % 30), "text": "t"}) for i in range(60)]
    _fails(_jsonl(tmp_path, *lines, name="dup.jsonl"), "line 31, field 'id': duplicate id '0'", batch_size=4)
    assert threading.active_count() == before


def test_ragged_csv_row_with_too_many_cells(db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,text\n1,a\n2,b,extra\n", encoding="utf-8")
    _fails(path, "line 3: 3 cells, but the header has 2 columns")


def test_ragged_csv_row_with_too_few_cells(db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,text,model\n1,a,m\n2,b\n", encoding="utf-8")
    _fails(path, "line 3: 2 cells, but the header has 3 columns")


def test_invalid_utf8_in_jsonl_names_the_line(db, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(GOOD.encode() + b'\n{"id": "x", "text": "caf\xe9"}\n')
    _fails(path, "line 2: not valid UTF-8")


def test_invalid_utf8_in_csv_names_the_line(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,text\n1,ok\n2,ok\n3,caf\xe9\n")
    _fails(path, "line 4: not valid UTF-8")


def test_empty_jsonl_file(db, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    _fails(path, "The file is empty")


def test_empty_csv_file(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    _fails(path, "The file is empty")


def test_header_only_csv(db, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("id,text\n", encoding="utf-8")
    _fails(path, "The file is empty")


def test_unknown_extension(db, tmp_path):
    path = tmp_path / "items.xlsx"
    path.write_text("whatever", encoding="utf-8")
    _fails(path, "Unknown file extension '.xlsx'")


def test_unknown_explicit_format(db, tmp_path):
    _fails(_jsonl(tmp_path, GOOD), "Unknown format 'xml'", fmt="xml")


def test_corrupt_parquet(db, tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not really parquet at all")
    _fails(path, "Not a readable Parquet file")


def test_parquet_missing_id_column_is_named(db, tmp_path):
    path = tmp_path / "noid.parquet"
    pq.write_table(pa.table({"text": ["a"]}), path)
    _fails(path, "The id field 'id' is not in the file (columns: text)")


def test_parquet_null_id_names_the_row(db, tmp_path):
    path = tmp_path / "nullid.parquet"
    pq.write_table(pa.table({"id": ["a", None], "text": ["x", "y"]}), path)
    _fails(path, "row 2, field 'id'")


def test_requested_id_field_absent_from_csv(db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("key,text\n1,a\n", encoding="utf-8")
    _fails(path, "The id field 'uid' is not in the file", id_field="uid")


def test_requested_content_field_absent_from_jsonl(db, tmp_path):
    _fails(_jsonl(tmp_path, GOOD), "The content field 'prompt' does not occur in the file", content_fields=["prompt"])


def test_requested_metadata_field_absent_from_csv(db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,text\n1,a\n", encoding="utf-8")
    _fails(path, "The metadata field 'model' is not in the file (columns: id, text)", metadata_fields=["model"])


def test_a_field_cannot_be_both_content_and_metadata(db, tmp_path):
    _fails(_jsonl(tmp_path, GOOD), "Field 'text' cannot be both", content_fields=["text"], metadata_fields=["text"])


def test_nul_character_in_content_names_the_line(db, tmp_path):
    line = json.dumps({"id": "z", "text": "a\u0000b"})
    _fails(_jsonl(tmp_path, GOOD, line), "line 2, field 'text': the value contains a NUL character")


def test_detect_fields_reports_bad_rows_too(db, tmp_path):
    with pytest.raises(ValidationError, match="line 1: invalid JSON"):
        detect_fields(_jsonl(tmp_path, "{nope"))
