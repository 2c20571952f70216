"""Item imports from the upload page run as tasks: the progress page, who may see it, success and failure,
and the real database worker running the import and the search index build."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from annotate.models import Dataset, ImportRun
from annotate.search import search_coverage
from annotate.selectors.datasets import items_page
from annotate.services.import_runs import FILE_GONE_ERROR, UNEXPECTED_ERROR, import_run_execute, import_run_progress
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = reverse("annotate:dataset-upload")
LINES = [{"id": "a1", "prompt": "the quokka smiles", "model": "m1"}, {"id": "a2", "prompt": "a wombat", "model": "m2"}]
MAPPING = {"role_0": "id", "role_1": "content", "role_2": "metadata"}
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _start(client: Client, lines: list[dict] = LINES, name: str = "fresh", **data: object) -> ImportRun:
    """Upload a file and map its fields: the import is enqueued and the page redirects to its progress."""
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    upload = client.post(UPLOAD, {"file": SimpleUploadedFile("items.jsonl", body), "name": name, **data})
    assert upload.status_code == 302, upload.content.decode()
    response = client.post(upload["Location"], MAPPING)
    run = ImportRun.objects.get(started_by__username=response.wsgi_request.user.username)
    assert response.status_code == 302 and response["Location"] == _progress(run)
    return run


def _progress(run: ImportRun) -> str:
    return reverse("annotate:dataset-import", args=[run.pk])


def test_a_successful_import_links_to_its_dataset(client: Client, curator: User) -> None:
    client.force_login(curator)
    run = _start(client)
    dataset = Dataset.objects.get(name="fresh")
    html = client.get(_progress(run)).content.decode()
    assert "Imported 2 items into " in html and reverse("annotate:dataset-detail", args=[dataset.pk]) in html
    assert "hx-trigger" not in html and "<html" in html
    run.refresh_from_db()
    assert (run.status, run.rows, run.dataset, run.errors) == ("succeeded", 2, dataset, [])


def test_a_failed_import_names_the_row_and_field_and_imports_nothing(client: Client, curator: User) -> None:
    client.force_login(curator)
    run = _start(client, [*LINES, {"prompt": "no id", "model": "m3"}], name="broken")
    html = client.get(_progress(run)).content.decode()
    assert "line 3, field &#x27;id&#x27;: the id is missing" in html and "Nothing was imported." in html
    assert not Dataset.objects.filter(name="broken").exists()
    run.refresh_from_db()
    assert run.status == "failed" and run.dataset is None
    # The file is gone; only the upload's small record is left, leading to this page until it expires.
    left = [path.name for path in (django_settings.DATA_DIR / "uploads").iterdir()]
    assert len(left) == 1 and left[0].endswith(".pending.json")


def test_a_waiting_import_polls_its_fragment_until_it_finishes(client: Client, curator: User, settings) -> None:
    settings.TASKS = DATABASE_BACKEND
    client.force_login(curator)
    run = _start(client)
    page = client.get(_progress(run))
    html = page.content.decode()
    assert "Waiting for a worker" in html and "<html" in html
    assert f'hx-get="{_progress(run)}" hx-trigger="every 2s"' in html
    assert "HX-Request" in page["Vary"]
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    run.refresh_from_db()
    import_run_progress(run=run, rows=1234)
    fragment = client.get(_progress(run), HTTP_HX_REQUEST="true").content.decode()
    assert "1,234 rows read so far" in fragment and "<html" not in fragment and "hx-trigger" in fragment


def test_the_dataset_page_links_to_an_import_into_it_while_it_runs(client: Client, curator: User, settings) -> None:
    dataset = Dataset.objects.create(name="target", created_by=curator)
    settings.TASKS = DATABASE_BACKEND
    client.force_login(curator)
    run = _start(client, name="", dataset=dataset.pk)
    assert run.dataset == dataset
    assert _progress(run) in client.get(reverse("annotate:dataset-detail", args=[dataset.pk])).content.decode()


def test_only_the_starter_and_the_datasets_owners_see_the_progress_page(
    client: Client, curator: User, outsider: User, rater: User
) -> None:
    client.force_login(curator)
    run = _start(client)
    for user in (outsider, rater):
        client.force_login(user)
        assert client.get(_progress(run)).status_code == 404
        assert client.get(_progress(run), HTTP_HX_REQUEST="true").status_code == 404
    staff = UserFactory(username="admin", is_staff=True)
    client.force_login(staff)
    assert client.get(_progress(run)).status_code == 200
    client.logout()
    assert client.get(_progress(run)).status_code == 302


def test_an_unknown_import_is_a_404(client: Client, curator: User) -> None:
    client.force_login(curator)
    assert client.get("/datasets/imports/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/datasets/imports/not-a-uuid/").status_code == 404


def _worker_env(data_dir: Path) -> dict[str, str]:
    """The environment of a worker process on the test database."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "TASKS_BACKEND": "database", "ACCORD_DATA_DIR": str(data_dir)}


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_imports_the_file_and_builds_the_search_index(client: Client, settings) -> None:
    settings.TASKS = DATABASE_BACKEND
    curator = UserFactory(username="worker-curator", is_staff=True)
    client.force_login(curator)
    run = _start(client)
    assert DBTaskResult.objects.get().status == "READY"
    done = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=_worker_env(settings.DATA_DIR),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # The import, then the search index build it enqueued, both run by the one worker before it exits.
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL", "SUCCESSFUL"]
    run.refresh_from_db()
    dataset = Dataset.objects.get(name="fresh")
    assert (run.status, run.rows, run.dataset) == ("succeeded", 2, dataset)
    assert search_coverage(dataset).complete
    assert [item.external_id for item in items_page(dataset=dataset, query="quokka").items] == ["a1"]
    assert "Imported 2 items into " in client.get(_progress(run)).content.decode()


def _queued_run(user: User, path: Path) -> ImportRun:
    return ImportRun.objects.create(
        kind=ImportRun.Kind.ITEMS, started_by=user, path=str(path), filename=path.name, options={}
    )


def test_a_file_gone_before_its_task_ran_fails_the_run_saying_upload_again(curator: User, tmp_path: Path) -> None:
    run = _queued_run(curator, tmp_path / "gone.jsonl")

    def missing() -> int:
        raise FileNotFoundError(run.path)

    assert import_run_execute(run=run, work=missing) is None
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and run.errors == [FILE_GONE_ERROR]


def test_an_unexpected_error_fails_the_run_and_reaches_the_worker(curator: User, tmp_path: Path) -> None:
    run = _queued_run(curator, tmp_path / "items.jsonl")

    def broken() -> int:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        import_run_execute(run=run, work=broken)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and run.errors == [UNEXPECTED_ERROR]
