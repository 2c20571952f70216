"""The search index, built by a task after an import commits: what search covers before, during and after indexing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from annotate import search
from annotate.models import Dataset
from annotate.search import search_coverage, search_index_build
from annotate.selectors.datasets import items_page
from annotate.services.datasets import dataset_import
from annotate.tasks import item_import_task, search_index_request, search_index_task

WORDS = ["apple", "banana", "cherry", "damson", "elder"]


def _records(start: int = 0, n: int = 5) -> list[dict]:
    """Items f0…f4 mention apple…elder; f5, f6… mention apple1, banana1…"""
    return [
        {"id": f"f{i}", "text": f"A note about {WORDS[i % 5]}{i // 5 or ''}", "kind": "fruit"} for i in range(start, n)
    ]


def _file(tmp_path, records: list[dict], name: str = "items.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _import(tmp_path, records=None, **kwargs) -> Dataset:
    source = _file(tmp_path, _records() if records is None else records)
    return dataset_import(source=source, metadata_fields=["kind"], **({"name": "fruit"} | kwargs)).dataset


def _found(dataset: Dataset, query: str) -> list[str]:
    dataset.refresh_from_db()
    return [item.external_id for item in items_page(dataset=dataset, query=query).items]


def _search_rows(dataset: Dataset) -> int:
    """Rows the search index holds for the dataset's items."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM annotate_item_fts f JOIN annotate_item i ON i.id = f.rowid"
                " WHERE i.dataset_id = %s",
                [dataset.pk],
            )
        else:
            cursor.execute("SELECT COUNT(*) FROM annotate_itemsearch WHERE dataset_id = %s", [dataset.pk])
        return cursor.fetchone()[0]


def _detail(dataset: Dataset) -> str:
    return reverse("annotate:dataset-detail", args=[dataset.pk])


# The indexer


def test_imported_items_are_browsable_at_once_and_searchable_after_indexing(db, tmp_path):
    dataset = _import(tmp_path)
    assert [item.external_id for item in items_page(dataset=dataset).items] == ["f0", "f1", "f2", "f3", "f4"]
    assert items_page(dataset=dataset, filters=[("kind", "fruit")]).matches == 5
    assert _found(dataset, "cherry") == []
    run = search_index_build(dataset=dataset)
    assert run.n_items == 5 and run.complete
    assert _found(dataset, "cherry") == ["f2"]
    assert _found(dataset, "note about") == ["f0", "f1", "f2", "f3", "f4"]
    assert search_coverage(dataset).complete


def test_non_text_content_is_searchable_as_json(db, tmp_path):
    records = [{"id": "n1", "text": "plain", "turns": [{"role": "user", "said": "quokka"}], "score": 42, "kind": "x"}]
    dataset = _import(tmp_path, records)
    search_index_build(dataset=dataset)
    assert _found(dataset, "quokka") == ["n1"]


def test_indexing_in_batches_records_exact_progress(db, tmp_path):
    dataset = _import(tmp_path)
    run = search_index_build(dataset=dataset, batch_size=2, max_batches=1)
    dataset.refresh_from_db()
    assert run.n_items == 2 and not run.complete
    assert dataset.search_indexed_count == 2 and _search_rows(dataset) == 2
    assert dataset.search_indexed_through == dataset.items.order_by("id")[1].pk
    assert _found(dataset, "banana") == ["f1"] and _found(dataset, "cherry") == []
    assert search_index_build(dataset=dataset, batch_size=2).n_items == 3
    assert _found(dataset, "elder") == ["f4"]


def test_an_indexer_that_dies_mid_batch_leaves_that_batch_out_and_the_next_resumes(db, tmp_path, monkeypatch):
    dataset = _import(tmp_path)
    search_index_build(dataset=dataset, batch_size=2, max_batches=1)

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    # The progress update comes after the batch's search rows were written, in the same transaction.
    monkeypatch.setattr(search, "_record_progress", crash)
    with pytest.raises(RuntimeError):
        search_index_build(dataset=dataset, batch_size=2)
    monkeypatch.undo()
    dataset.refresh_from_db()
    assert dataset.search_indexed_count == 2 and _search_rows(dataset) == 2
    assert _found(dataset, "cherry") == []
    assert search_index_build(dataset=dataset, batch_size=2).complete
    dataset.refresh_from_db()
    assert dataset.search_indexed_count == 5 and _search_rows(dataset) == 5
    assert _found(dataset, "cherry") == ["f2"]


def test_appended_items_are_indexed_after_the_earlier_ones(db, tmp_path):
    dataset = _import(tmp_path)
    search_index_build(dataset=dataset)
    dataset_import(source=_file(tmp_path, _records(5, 7), "more.jsonl"), dataset=dataset)
    dataset.refresh_from_db()
    assert search_coverage(dataset).searchable == 5 and search_coverage(dataset).total == 7
    assert _found(dataset, "apple1") == []
    assert search_index_build(dataset=dataset).n_items == 2
    assert _found(dataset, "apple1") == ["f5"] and _search_rows(dataset) == 7


def test_a_failed_import_leaves_no_search_rows_and_no_progress_change(db, tmp_path):
    dataset = _import(tmp_path)
    search_index_build(dataset=dataset)
    dataset.refresh_from_db()
    before = (dataset.search_indexed_through, dataset.search_indexed_count, _search_rows(dataset))
    bad = _file(tmp_path, [{"id": "g1", "text": "gooseberry"}, {"text": "no id"}], "bad.jsonl")
    with pytest.raises(Exception, match="line 2"):
        dataset_import(source=bad, dataset=dataset)
    search_index_build(dataset=dataset)
    dataset.refresh_from_db()
    assert (dataset.search_indexed_through, dataset.search_indexed_count, _search_rows(dataset)) == before
    assert _found(dataset, "gooseberry") == [] and dataset.item_count == 5


def test_each_dataset_is_indexed_on_its_own(db, tmp_path):
    first = _import(tmp_path)
    second = _import(tmp_path, _records(0, 3), name="more fruit")
    search_index_build(dataset=second)
    assert _found(second, "apple") == ["f0"] and _found(first, "apple") == []
    first.refresh_from_db()
    assert first.search_indexed_count == 0


# The browser while the index is incomplete


def test_page_says_how_much_is_searchable_while_the_index_is_built(client, curator, tmp_path, settings):
    # Queued, not run: no worker takes the build the page asks for.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    dataset = _import(tmp_path, user=curator)
    search_index_build(dataset=dataset, batch_size=2, max_batches=1)
    client.force_login(curator)
    html = client.get(_detail(dataset)).content.decode()
    assert "Search index: building — 2 of 5 items searchable so far." in html
    results = client.get(_detail(dataset), {"q": "note"}, HTTP_HX_REQUEST="true")
    assert [item.external_id for item in results.context["page"].items] == ["f0", "f1"]
    html = results.content.decode()
    assert "2 of 5 items searchable so far. Search results come from those items only." in html
    assert "<html" not in html


def test_notice_disappears_once_the_index_is_complete(client, curator, tmp_path):
    dataset = _import(tmp_path, user=curator)
    search_index_build(dataset=dataset)
    client.force_login(curator)
    html = client.get(_detail(dataset), {"q": "elder"}).content.decode()
    assert "Search index" not in html and "1 matching item" in html


def test_viewing_a_partly_indexed_dataset_builds_its_index(client, curator, tmp_path):
    dataset = _import(tmp_path, user=curator)
    client.force_login(curator)
    html = client.get(_detail(dataset)).content.decode()
    assert "0 of 5 items searchable so far" in html
    assert _found(dataset, "cherry") == ["f2"]
    assert "Search index" not in client.get(_detail(dataset)).content.decode()


def test_reloading_a_dataset_page_queues_one_build(client, curator, tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    dataset = _import(tmp_path, user=curator)
    client.force_login(curator)
    for _ in range(3):
        assert "0 of 5 items searchable so far" in client.get(_detail(dataset)).content.decode()
    queued = DBTaskResult.objects.filter(task_path=search_index_task.module_path)
    assert queued.count() == 1
    dataset.refresh_from_db()
    assert dataset.search_index_task_id == str(queued.get().id)
    assert not search_index_request(dataset)
    # An import that has just committed queues a build unless one is waiting (a running one may have finished).
    assert not search_index_request(dataset, new_items=True)
    queued.update(status=TaskResultStatus.RUNNING)
    assert not search_index_request(dataset)
    assert search_index_request(dataset, new_items=True)
    assert queued.count() == 2


def test_a_finished_or_pruned_build_lets_the_page_queue_another(client, curator, tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    dataset = _import(tmp_path, user=curator)
    assert search_index_request(dataset)
    queued = DBTaskResult.objects.filter(task_path=search_index_task.module_path)
    queued.update(status=TaskResultStatus.FAILED)
    assert search_index_request(dataset) and queued.count() == 2
    queued.delete()
    assert search_index_request(dataset) and queued.count() == 1


def test_a_complete_index_queues_nothing(client, curator, tmp_path, settings):
    dataset = _import(tmp_path, user=curator)
    search_index_build(dataset=dataset)
    dataset.refresh_from_db()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(curator)
    assert client.get(_detail(dataset)).status_code == 200
    assert not DBTaskResult.objects.exists()


# Who starts the build


def test_web_upload_builds_the_index_after_the_import_commits(client, curator, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    client.force_login(curator)
    body = "".join(json.dumps(r) + "\n" for r in _records()).encode()
    upload = client.post(
        reverse("annotate:dataset-upload"), {"file": SimpleUploadedFile("f.jsonl", body), "name": "web"}
    )
    mapping = {"role_0": "id", "role_1": "content", "role_2": "metadata"}
    response = client.post(upload["Location"], mapping, follow=True)
    assert "Imported 5 items into " in response.content.decode()
    assert _found(Dataset.objects.get(name="web"), "banana") == ["f1"]


def test_api_import_builds_the_index_after_the_import_commits(client, curator, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    client.force_login(curator)
    dataset = Dataset.objects.create(name="api", created_by=curator)
    body = "".join(json.dumps(r) + "\n" for r in _records()).encode()
    url = reverse("api:dataset-items-import", args=[dataset.pk])
    response = client.post(url, {"file": SimpleUploadedFile("f.jsonl", body)})
    assert response.status_code == 202
    assert _found(dataset, "damson") == ["f3"]


def test_failed_api_import_queues_no_build(client, curator, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    client.force_login(curator)
    dataset = Dataset.objects.create(name="api", created_by=curator)
    url = reverse("api:dataset-items-import", args=[dataset.pk])
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = client.post(url, {"file": SimpleUploadedFile("f.jsonl", b'{"id": "a"}\n{oops\n')})
    assert response.status_code == 202
    item_import_task.call(response.json()["id"])
    assert client.get(response.json()["status_url"]).json()["status"] == "failed"
    assert not DBTaskResult.objects.filter(task_path=search_index_task.module_path).exists()


# Management commands


def test_import_items_builds_the_index_and_reports_both_rates(db, tmp_path, capsys):
    call_command("import_items", str(_file(tmp_path, _records())), "--dataset", "cmd")
    out = capsys.readouterr().out
    assert out.startswith("Imported 5 items into dataset cmd (now 5 items) in ")
    assert "Search index: added 5 items in " in out and out.rstrip().endswith("items/s)")
    assert _found(Dataset.objects.get(name="cmd"), "apple") == ["f0"]


def test_import_items_no_index_leaves_search_to_index_items(db, tmp_path, capsys):
    call_command("import_items", str(_file(tmp_path, _records())), "--dataset", "cmd", "--no-index")
    dataset = Dataset.objects.get(name="cmd")
    assert "Search index not built" in capsys.readouterr().out
    assert _found(dataset, "apple") == [] and dataset.items.count() == 5
    call_command("index_items")
    assert "cmd: added 5 items to the search index in " in capsys.readouterr().out
    assert _found(dataset, "apple") == ["f0"]
    call_command("index_items")
    assert capsys.readouterr().out == "Every dataset's search index is complete.\n"


def test_index_items_for_one_dataset(db, tmp_path, capsys):
    one = _import(tmp_path, name="one")
    two = _import(tmp_path, name="two")
    call_command("index_items", "--dataset", "two")
    assert "two: added 5 items to the search index in " in capsys.readouterr().out
    assert _found(two, "apple") == ["f0"] and _found(one, "apple") == []
    with pytest.raises(CommandError, match="No dataset named 'three'"):
        call_command("index_items", "--dataset", "three")


def test_deleted_items_leave_the_search_results(db, tmp_path):
    dataset = _import(tmp_path)
    search_index_build(dataset=dataset)
    dataset.items.filter(external_id="f2").delete()
    assert _found(dataset, "cherry") == [] and _found(dataset, "note") == ["f0", "f1", "f3", "f4"]
    if connection.vendor == "postgresql":
        assert _search_rows(dataset) == 4
