"""Uploading a file in the web UI and mapping its fields before the import."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotate.models import Dataset, ImportRun, Item
from tests.factories import DatasetFactory, UserFactory

UPLOAD = reverse("annotate:dataset-upload")
LINES = [
    {"id": "u1", "prompt": "<b>Hello</b>", "model": "m1"},
    {"id": "u2", "prompt": "World", "model": "m2"},
]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _file(lines=LINES, name="items.jsonl") -> SimpleUploadedFile:
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return SimpleUploadedFile(name, body, content_type="application/octet-stream")


def _upload(client: Client, **data) -> str:
    response = client.post(UPLOAD, {"file": _file(), **data})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def _mapping(fields=("id", "prompt", "model"), order=(), **roles) -> dict:
    """The mapping form's data: `id` is the id, every other field content unless named; `order` lists fields."""
    data = {}
    for index, name in enumerate(fields):
        data[f"role_{index}"] = roles.get(name, "id" if name == "id" else "content")
        data[f"order_{index}"] = order.index(name) + 1 if name in order else index + 1
    return data


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_anonymous_user_cannot_reach_a_mapping_page(client):
    response = client.get(reverse("annotate:dataset-upload-map", args=["sometoken"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_user_who_cannot_curate_gets_403(client, outsider):
    client.force_login(outsider)
    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {"file": _file(), "name": "x"}).status_code == 403


def test_upload_form_renders_for_a_curator(client, curator):
    client.force_login(curator)
    response = client.get(UPLOAD)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content


def test_upload_then_mapping_imports_and_links_to_the_dataset(client, curator, data_dir):
    client.force_login(curator)
    map_url = _upload(client, name="uploaded")
    assert sorted(p.suffix for p in (data_dir / "uploads").iterdir()) == [".json", ".jsonl"]
    page = client.get(map_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;Hello&lt;/b&gt;" in html and "<b>Hello</b>" not in html
    assert 'name="role_0" value="id"' in html and 'name="order_0"' in html
    response = client.post(map_url, _mapping(model="metadata"), follow=True)
    dataset = Dataset.objects.get(name="uploaded")
    run = ImportRun.objects.get()
    assert response.redirect_chain[-1][0] == reverse("annotate:dataset-import", args=[run.pk])
    html = response.content.decode()
    assert "Imported 2 items into " in html and reverse("annotate:dataset-detail", args=[dataset.pk]) in html
    assert dataset.created_by == curator
    assert Item.objects.get(external_id="u1").metadata == {"model": "m1"}
    # Only the upload's small record is left, and it leads back to the import's progress.
    assert [p.name.endswith(".pending.json") for p in (data_dir / "uploads").iterdir()] == [True]
    again = client.get(map_url)
    assert again.status_code == 302 and again["Location"] == reverse("annotate:dataset-import", args=[run.pk])


def test_ignored_fields_are_not_imported(client, curator):
    client.force_login(curator)
    map_url = _upload(client, name="ignoring")
    client.post(map_url, _mapping(model="ignore"))
    item = Item.objects.get(external_id="u2")
    assert item.content == {"prompt": "World"} and item.metadata == {}


def test_upload_appends_to_a_visible_dataset(client, curator):
    dataset = DatasetFactory(created_by=curator, name="mine")
    client.force_login(curator)
    map_url = _upload(client, dataset=dataset.pk)
    client.post(map_url, _mapping())
    dataset.refresh_from_db()
    assert dataset.item_count == 2


def test_upload_cannot_target_a_dataset_the_user_cannot_see(client, curator):
    hidden = DatasetFactory(name="hidden")
    client.force_login(curator)
    response = client.post(UPLOAD, {"file": _file(), "dataset": hidden.pk})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content


def test_upload_needs_exactly_one_target(client, curator):
    client.force_login(curator)
    response = client.post(UPLOAD, {"file": _file()})
    assert b"Either name a new dataset or pick an existing one" in response.content


def test_upload_rejects_an_unknown_extension(client, curator):
    client.force_login(curator)
    response = client.post(UPLOAD, {"file": _file(name="items.xlsx"), "name": "x"})
    assert response.status_code == 200
    assert b"Unknown file extension" in response.content


def test_upload_rejects_a_name_the_curator_already_uses(client, curator):
    DatasetFactory(name="taken", created_by=curator)
    client.force_login(curator)
    response = client.post(UPLOAD, {"file": _file(), "name": "taken"})
    assert b"You already have a dataset named" in response.content


def test_upload_accepts_a_name_another_owner_uses_without_saying_so(client, curator):
    DatasetFactory(name="taken")
    client.force_login(curator)
    response = client.post(UPLOAD, {"file": _file(), "name": "taken"})
    assert response.status_code == 302 and b"taken" not in response.content


def test_import_error_is_shown_on_the_import_page_with_the_row_and_field(client, curator, data_dir):
    client.force_login(curator)
    lines = LINES + [{"prompt": "no id here", "model": "m3"}]
    response = client.post(UPLOAD, {"file": _file(lines), "name": "bad"})
    map_url = response["Location"]
    response = client.post(map_url, _mapping(), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "line 3, field &#x27;id&#x27;: the id is missing" in html and "Nothing was imported." in html
    assert not Dataset.objects.filter(name="bad").exists()
    assert [p.name.endswith(".pending.json") for p in (data_dir / "uploads").iterdir()] == [True]


def test_unreadable_file_shows_the_error_on_the_mapping_page(client, curator):
    client.force_login(curator)
    bad = SimpleUploadedFile("x.parquet", b"not parquet")
    map_url = client.post(UPLOAD, {"file": bad, "name": "pq"})["Location"]
    response = client.get(map_url)
    assert response.status_code == 400
    assert b"Not a readable Parquet file" in response.content


def test_discarding_an_upload_deletes_the_file(client, curator, data_dir):
    client.force_login(curator)
    map_url = _upload(client, name="gone")
    response = client.post(map_url, {"discard": "1"})
    assert response.status_code == 302
    assert list((data_dir / "uploads").iterdir()) == []


def test_token_of_another_user_is_a_404(client, curator):
    client.force_login(curator)
    map_url = _upload(client, name="private")
    other = UserFactory(username="other_curator", is_staff=True)
    intruder = Client()
    intruder.force_login(other)
    assert intruder.get(map_url).status_code == 404
    assert intruder.post(map_url, _mapping()).status_code == 404
    assert not Dataset.objects.filter(name="private").exists()


def test_outsider_gets_403_on_mapping(client, curator, outsider):
    client.force_login(curator)
    map_url = _upload(client, name="x")
    client.force_login(outsider)
    assert client.get(map_url).status_code == 403


def test_tokens_are_long_and_random(client, curator):
    client.force_login(curator)
    first = Path(_upload(client, name="a").rstrip("/")).parent.name
    second = Path(_upload(client, name="b").rstrip("/")).parent.name
    assert first != second and len(first) >= 32
