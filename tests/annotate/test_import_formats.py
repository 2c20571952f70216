"""Importing JSONL, CSV and Parquet files: formats, field mapping and appending."""

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError

from annotate.models import Item, ItemMetadata, MetadataValue
from annotate.services.datasets import _metadata_summary, dataset_import, detect_fields
from tests.factories import DatasetFactory, UserFactory


def write_jsonl(path, records: list[dict]):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


RECORDS = [
    {"id": "a", "prompt": "First prompt", "response": "First answer", "model": "m1", "topic": "math"},
    {"id": "b", "prompt": "Second prompt", "response": "Second answer", "model": "m2", "topic": "math"},
    {"id": "c", "prompt": "Third prompt", "response": "Third answer", "model": "m1", "topic": "law"},
]


def test_jsonl_import_makes_every_non_id_field_content_by_default(db, tmp_path):
    result = dataset_import(source=write_jsonl(tmp_path / "items.jsonl", RECORDS), name="d")
    assert result.n_items == 3
    item = Item.objects.get(dataset=result.dataset, external_id="b")
    assert item.content == {"prompt": "Second prompt", "response": "Second answer", "model": "m2", "topic": "math"}
    assert item.metadata == {}
    assert [i.position for i in Item.objects.filter(dataset=result.dataset).order_by("position")] == [1, 2, 3]
    assert result.dataset.item_count == 3


def test_metadata_fields_alone_make_the_rest_content(db, tmp_path):
    result = dataset_import(source=write_jsonl(tmp_path / "x.jsonl", RECORDS), name="d", metadata_fields=["model"])
    item = Item.objects.get(external_id="a")
    assert item.metadata == {"model": "m1"}
    assert set(item.content) == {"prompt", "response", "topic"}
    assert result.dataset.metadata_fields == ["model"]
    assert result.dataset.content_fields == ["prompt", "response", "topic"]


def test_content_and_metadata_fields_together_ignore_the_rest(db, tmp_path):
    dataset_import(
        source=write_jsonl(tmp_path / "x.jsonl", RECORDS),
        name="d",
        content_fields=["prompt"],
        metadata_fields=["topic"],
    )
    item = Item.objects.get(external_id="c")
    assert item.content == {"prompt": "Third prompt"}
    assert item.metadata == {"topic": "law"}


def test_custom_id_field_and_numeric_ids(db, tmp_path):
    records = [{"key": 7, "text": "seven"}, {"key": 8, "text": "eight"}]
    dataset_import(source=write_jsonl(tmp_path / "x.ndjson", records), name="d", id_field="key")
    assert sorted(Item.objects.values_list("external_id", flat=True)) == ["7", "8"]
    assert Item.objects.get(external_id="7").content == {"text": "seven"}


def test_nested_values_stay_json(db, tmp_path):
    records = [{"id": "1", "conversation": [{"role": "user", "text": "hi"}], "info": {"source": "web", "n": 2}}]
    dataset_import(source=write_jsonl(tmp_path / "x.jsonl", records), name="d", metadata_fields=["info"])
    item = Item.objects.get()
    assert item.content == {"conversation": [{"role": "user", "text": "hi"}]}
    assert item.metadata == {"info": {"source": "web", "n": 2}}


def test_csv_import_maps_columns(db, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text('id,prompt,model\n1,"Hello, world",m1\n2,"Two\nlines",m2\n', encoding="utf-8")
    result = dataset_import(source=path, name="d", metadata_fields=["model"])
    assert result.n_items == 2
    assert Item.objects.get(external_id="2").content == {"prompt": "Two\nlines"}
    assert Item.objects.get(external_id="1").metadata == {"model": "m1"}


def test_parquet_import_keeps_types_and_nested_values(db, tmp_path):
    table = pa.table(
        {
            "id": ["p1", "p2"],
            "prompt": ["Hello", "World"],
            "score": [1.5, 2.0],
            "tags": [["a", "b"], []],
            "model": ["m1", "m2"],
        }
    )
    path = tmp_path / "items.parquet"
    pq.write_table(table, path)
    dataset_import(source=path, name="d", metadata_fields=["model", "score"])
    item = Item.objects.get(external_id="p1")
    assert item.content == {"prompt": "Hello", "tags": ["a", "b"]}
    assert item.metadata == {"model": "m1", "score": 1.5}


def test_explicit_format_overrides_the_extension(db, tmp_path):
    path = tmp_path / "items.txt"
    path.write_text("id,text\n1,hello\n", encoding="utf-8")
    assert dataset_import(source=path, fmt="csv", name="d").n_items == 1


def test_binary_stream_source(db):
    stream = io.BytesIO(b'{"id": "s1", "text": "streamed"}\n\n{"id": "s2", "text": "again"}\n')
    assert dataset_import(source=stream, fmt="jsonl", name="d").n_items == 2


def test_small_batches_import_everything(db, tmp_path):
    records = [{"id": str(i), "text": f"t{i}", "model": f"m{i % 3}"} for i in range(23)]
    result = dataset_import(
        source=write_jsonl(tmp_path / "x.jsonl", records), name="d", batch_size=5, metadata_fields=["model"]
    )
    assert result.dataset.item_count == 23
    m0 = ItemMetadata.objects.filter(value__dataset=result.dataset, value__field="model", value__value="m0")
    assert m0.count() == 8


def test_every_item_keeps_its_own_text_and_metadata_across_batches(db, tmp_path):
    """Items of mixed scripts and lengths (ids too), some without metadata, come back exactly as written."""
    texts = ["plain", "naïve café", "日本語のテキスト", "emoji 🙂🚀", 'quote " and \\ backslash', "", "x" * 3000]
    records = []
    for i in range(31):
        record = {
            "id": f"r{i}" + ("-ü日" if i % 5 == 0 else ""),
            "text": texts[i % len(texts)] + f" #{i}",
            "turns": [{"role": "user", "n": i}],
        }
        if i % 3:
            record["lang"] = "fr" if i % 3 == 1 else "🙂"
        if i % 4 == 0:
            record["score"] = i / 4
        records.append(record)
    result = dataset_import(
        source=write_jsonl(tmp_path / "x.jsonl", records), name="d", batch_size=4, metadata_fields=["lang", "score"]
    )
    items = {item.external_id: item for item in Item.objects.filter(dataset=result.dataset)}
    for position, record in enumerate(records, start=1):
        item = items[record["id"]]
        metadata = {key: record[key] for key in ("lang", "score") if key in record}
        assert (item.position, item.content, item.metadata) == (
            position,
            {"text": record["text"], "turns": record["turns"]},
            metadata,
        )
        indexed = dict(ItemMetadata.objects.filter(item=item).values_list("value__field", "value__value"))
        assert indexed == {key: str(value) for key, value in metadata.items()}
    assert result.dataset.summary["metadata"]["lang"]["top"] == [["fr", 10], ["🙂", 10]]


def test_append_continues_positions_and_unions_fields(db, tmp_path):
    first = dataset_import(source=write_jsonl(tmp_path / "a.jsonl", RECORDS), name="d", metadata_fields=["model"])
    more = [{"id": "d", "prompt": "Fourth", "lang": "en", "source": "web"}]
    result = dataset_import(
        source=write_jsonl(tmp_path / "b.jsonl", more), dataset=first.dataset, metadata_fields=["source"]
    )
    dataset = result.dataset
    dataset.refresh_from_db()
    assert dataset.item_count == 4
    assert Item.objects.get(external_id="d").position == 4
    # The dataset keeps its fields' order; the new one follows them.
    assert dataset.content_fields == ["prompt", "response", "topic", "lang"]
    assert dataset.metadata_fields == ["model", "source"]
    assert dataset.summary["content"]["prompt"]["n"] == 4


def test_import_records_the_creator(db, tmp_path):
    user = UserFactory()
    result = dataset_import(source=write_jsonl(tmp_path / "a.jsonl", RECORDS), name="d", user=user)
    assert result.dataset.created_by == user


def test_new_dataset_name_must_be_free(db, tmp_path):
    DatasetFactory(name="taken")
    with pytest.raises(ValidationError, match="You already have a dataset named 'taken'"):
        dataset_import(source=write_jsonl(tmp_path / "a.jsonl", RECORDS), name="taken")


def test_summary_counts_metadata_values_and_content_lengths(db, tmp_path):
    result = dataset_import(source=write_jsonl(tmp_path / "a.jsonl", RECORDS), name="d", metadata_fields=["topic"])
    topic = result.dataset.summary["metadata"]["topic"]
    assert topic["top"] == [["math", 2], ["law", 1]]
    assert topic["other"] == 0 and topic["missing"] == 0 and topic["distinct"] == 2
    prompt = result.dataset.summary["content"]["prompt"]
    assert prompt["min"] == len("First prompt") and prompt["max"] == len("Second prompt")


def _summary_from_rows(dataset) -> dict:
    """The metadata summary as computed from the dataset's ItemMetadata rows."""
    dataset.refresh_from_db()
    return _metadata_summary(dataset)


@pytest.mark.parametrize("n_values", [3, 25])
def test_summary_counted_while_reading_matches_the_rows_across_appends(db, tmp_path, n_values):
    first = [{"id": str(i), "text": "t", "source": f"s{i % n_values}", "n": i % 4} for i in range(60)]
    more = [{"id": f"x{i}", "text": "t", "source": f"s{i % 7}", "lang": "en"} for i in range(9)]
    dataset = dataset_import(source=write_jsonl(tmp_path / "a.jsonl", first), name="d", metadata_fields=["source", "n"])
    assert dataset.dataset.summary["metadata"] == _summary_from_rows(dataset.dataset)
    result = dataset_import(
        source=write_jsonl(tmp_path / "b.jsonl", more), dataset=dataset.dataset, metadata_fields=["source", "lang"]
    )
    summary = result.dataset.summary["metadata"]
    assert summary == _summary_from_rows(result.dataset)
    assert summary["lang"]["missing"] == 60 and summary["n"]["top"][0] == ["0", 15]


def test_summary_of_many_distinct_values_comes_from_the_rows(db, tmp_path, monkeypatch):
    monkeypatch.setattr("annotate.services.item_reader.MAX_COUNTED_VALUES", 10)
    records = [{"id": str(i), "text": "t", "url": f"u{i}"} for i in range(30)]
    result = dataset_import(source=write_jsonl(tmp_path / "a.jsonl", records), name="d", metadata_fields=["url"])
    url = result.dataset.summary["metadata"]["url"]
    assert url["distinct"] == 30 and len(url["top"]) == 20 and url["other"] == 10
    assert result.dataset.summary["metadata"] == _summary_from_rows(result.dataset)


def test_many_distinct_values_are_each_stored_once_and_filterable(db, tmp_path, monkeypatch):
    """Past the import's limit of value ids kept in memory, values are looked up again, never duplicated."""
    monkeypatch.setattr("annotate.services.item_writers.MAX_KNOWN_VALUE_IDS", 7)
    records = [{"id": str(i), "text": "t", "url": f"u{i % 12}", "lang": "en"} for i in range(40)]
    first = dataset_import(
        source=write_jsonl(tmp_path / "a.jsonl", records), name="d", batch_size=6, metadata_fields=["url", "lang"]
    )
    more = [{"id": f"x{i}", "text": "t", "url": f"u{i}", "lang": "de"} for i in range(15)]
    dataset_import(
        source=write_jsonl(tmp_path / "b.jsonl", more), dataset=first.dataset, metadata_fields=["url", "lang"]
    )
    values = MetadataValue.objects.filter(dataset=first.dataset)
    assert sorted(values.filter(field="url").values_list("value", flat=True)) == sorted(f"u{i}" for i in range(15))
    assert sorted(values.filter(field="lang").values_list("value", flat=True)) == ["de", "en"]
    u3 = ItemMetadata.objects.filter(value__field="url", value__value="u3").values_list("item__external_id", flat=True)
    assert sorted(u3) == ["15", "27", "3", "39", "x3"]


def test_a_batch_mixing_known_and_new_values_past_the_id_limit_is_stored_whole(db, tmp_path, monkeypatch):
    monkeypatch.setattr("annotate.services.item_writers.MAX_KNOWN_VALUE_IDS", 5)
    urls = ["u0", "u1", "u2", "u3", "u0", "u1", "u4", "u5"]  # the second batch: two known values, two new
    records = [{"id": str(i), "text": "t", "url": url} for i, url in enumerate(urls)]
    result = dataset_import(
        source=write_jsonl(tmp_path / "a.jsonl", records), name="d", batch_size=4, metadata_fields=["url"]
    )
    rows = ItemMetadata.objects.filter(value__dataset=result.dataset).order_by("item__position")
    assert list(rows.values_list("value__value", flat=True)) == urls


def test_detect_fields_previews_names_samples_and_rows(db, tmp_path):
    preview = detect_fields(write_jsonl(tmp_path / "a.jsonl", RECORDS))
    assert preview.fmt == "jsonl"
    assert preview.fields == ["id", "prompt", "response", "model", "topic"]
    assert preview.samples["model"] == ["m1", "m2"]
    assert preview.rows[0]["prompt"] == "First prompt"


def test_detect_fields_on_csv_uses_the_header(db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,text\n1,hi\n", encoding="utf-8")
    assert detect_fields(path).fields == ["id", "text"]


def test_deleting_an_item_or_a_dataset_deletes_its_metadata_rows(db, tmp_path):
    """The metadata rows carry no database constraint: Django's cascade is what removes them."""
    records = [{"id": str(i), "text": f"t{i}", "model": f"m{i % 2}", "lang": "en"} for i in range(4)]
    kept = dataset_import(source=write_jsonl(tmp_path / "a.jsonl", records), name="kept", metadata_fields=["model"])
    gone = dataset_import(source=write_jsonl(tmp_path / "b.jsonl", records), name="gone", metadata_fields=["model"])
    Item.objects.get(dataset=kept.dataset, external_id="0").delete()
    kept_values = ItemMetadata.objects.filter(value__dataset=kept.dataset).values_list("value__value", flat=True)
    assert sorted(kept_values) == ["m0", "m1", "m1"]
    gone.dataset.delete()
    assert ItemMetadata.objects.count() == 3
    assert not MetadataValue.objects.filter(dataset_id=gone.dataset.pk).exists()
