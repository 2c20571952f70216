"""The search index built outside a transaction: on PostgreSQL each batch is written over two connections."""

import json

import pytest

from annotate import search
from annotate.models import Dataset
from annotate.search import search_index_build
from annotate.services.datasets import dataset_import
from tests.annotate.test_search_index import _found, _search_rows

pytestmark = pytest.mark.django_db(transaction=True)


def _import(tmp_path, n: int = 7) -> Dataset:
    path = tmp_path / "items.jsonl"
    records = [{"id": f"f{i}", "text": f"A note about word{i}", "kind": "fruit"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return dataset_import(source=path, name="fruit", metadata_fields=["kind"]).dataset


def test_every_item_of_every_batch_is_indexed_once(tmp_path):
    dataset = _import(tmp_path)
    run = search_index_build(dataset=dataset, batch_size=3)
    dataset.refresh_from_db()
    assert run.n_items == 7 and run.complete
    assert dataset.search_indexed_count == 7 and _search_rows(dataset) == 7
    assert dataset.search_indexed_through == dataset.items.order_by("id").last().pk
    assert [_found(dataset, f"word{i}") for i in range(7)] == [[f"f{i}"] for i in range(7)]
    assert len(_found(dataset, "note")) == 7


def test_a_build_interrupted_before_its_progress_resumes_that_batch(tmp_path, monkeypatch):
    dataset = _import(tmp_path)
    search_index_build(dataset=dataset, batch_size=3, max_batches=1)

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(search, "_record_progress", crash)
    with pytest.raises(RuntimeError):
        search_index_build(dataset=dataset, batch_size=3)
    monkeypatch.undo()
    dataset.refresh_from_db()
    assert dataset.search_indexed_count == 3
    # The second connection may have committed its half of the batch: search finds those items already.
    assert 3 <= _search_rows(dataset) <= 5
    assert search_index_build(dataset=dataset, batch_size=3).n_items == 4
    dataset.refresh_from_db()
    assert dataset.search_indexed_count == 7 and _search_rows(dataset) == 7
    assert [_found(dataset, f"word{i}") for i in range(7)] == [[f"f{i}"] for i in range(7)]
