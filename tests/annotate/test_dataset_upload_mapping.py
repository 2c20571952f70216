"""The upload's mapping step: each field's role and order, and the mapping page across sessions."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotate.models import Dataset, Item
from annotate.services import pending_uploads
from tests.factories import DatasetFactory, UserFactory

UPLOAD = reverse("annotate:dataset-upload")
CSV = (
    "question,answer,source,uid,score,model_a,Language,notes\n"
    '"What is the capital of Portugal?","Lisbon.",wiki,q1,3,atlas,en,"checked twice"\n'
    '"Largest planet?","Jupiter",web,q2,5,cirrus,fr,""\n'
)
FIELDS = ["question", "answer", "source", "uid", "score", "model_a", "Language", "notes"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _upload(client: Client, body: str = CSV, filename: str = "items.csv", **data) -> str:
    upload = SimpleUploadedFile(filename, body.encode(), content_type="text/csv")
    response = client.post(UPLOAD, {"file": upload, "name": "mapped", **data})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def _roles(response) -> dict[str, str]:
    form = response.context["form"]
    return {name: role.value() for name, role, _order, _samples in form.rows}


def _post(roles: dict[str, str], order: list[str] | None = None, fields: list[str] = FIELDS) -> dict:
    order = order or fields
    data = {}
    for index, name in enumerate(fields):
        data[f"role_{index}"] = roles[name]
        data[f"order_{index}"] = order.index(name) + 1
    return data


DEFAULTS = {
    "question": "content", "answer": "content", "source": "metadata", "uid": "id", "score": "metadata",
    "model_a": "metadata", "Language": "metadata", "notes": "content",
}  # fmt: skip


# Default roles


def test_fields_get_sensible_default_roles(client, curator):
    client.force_login(curator)
    assert _roles(client.get(_upload(client))) == DEFAULTS


def test_a_field_named_id_is_preferred_as_the_id(client, curator):
    client.force_login(curator)
    response = client.get(_upload(client, body="text,item_id,id\nhello,a,1\n"))
    assert _roles(response) == {"text": "content", "item_id": "metadata", "id": "id"}


def test_no_field_is_the_id_when_no_name_says_so(client, curator):
    client.force_login(curator)
    response = client.get(_upload(client, body="prompt,response\nhi,hello\n"))
    assert _roles(response) == {"prompt": "content", "response": "content"}


def test_an_existing_datasets_roles_are_the_defaults_when_appending(client, curator):
    dataset = DatasetFactory(created_by=curator, content_fields=["source"], metadata_fields=["notes"])
    client.force_login(curator)
    roles = _roles(client.get(_upload(client, dataset=dataset.pk, name="")))
    assert roles["source"] == "content" and roles["notes"] == "metadata"


# The id role


def test_the_field_marked_id_becomes_the_item_id(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    response = client.post(map_url, _post(DEFAULTS | {"uid": "metadata", "answer": "id"}))
    assert response.status_code == 302
    item = Item.objects.get(external_id="Lisbon.")
    assert "answer" not in item.content and "answer" not in item.metadata
    assert item.metadata["uid"] == "q1"


def test_no_id_field_is_an_error_naming_the_problem(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    response = client.post(map_url, _post(DEFAULTS | {"uid": "metadata"}))
    assert response.status_code == 400
    assert "Mark one field as the id" in response.content.decode()
    assert not Dataset.objects.filter(name="mapped").exists()


def test_two_id_fields_are_an_error_naming_both(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    response = client.post(map_url, _post(DEFAULTS | {"source": "id"}))
    assert response.status_code == 400
    assert "&#x27;source&#x27; and &#x27;uid&#x27; are both marked Id" in response.content.decode()


def test_no_content_field_is_an_error(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    roles = {name: ("id" if role == "id" else "metadata") for name, role in DEFAULTS.items()}
    response = client.post(map_url, _post(roles))
    assert response.status_code == 400 and "Mark at least one field as content" in response.content.decode()


def test_a_bad_order_number_is_an_error_on_that_field(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    data = _post(DEFAULTS) | {"order_1": "first"}
    response = client.post(map_url, data)
    assert response.status_code == 400 and "Enter a whole number" in response.content.decode()


# Order


def test_content_fields_keep_the_files_column_order(client, curator):
    client.force_login(curator)
    client.post(_upload(client), _post(DEFAULTS))
    dataset = Dataset.objects.get(name="mapped")
    assert dataset.content_fields == ["question", "answer", "notes"]
    assert dataset.metadata_fields == ["source", "score", "model_a", "Language"]


def test_the_mapping_sets_the_order_of_content_fields(client, curator):
    client.force_login(curator)
    order = ["notes", "answer", "uid", "question", "source", "score", "model_a", "Language"]
    client.post(_upload(client), _post(DEFAULTS, order=order))
    assert Dataset.objects.get(name="mapped").content_fields == ["notes", "answer", "question"]


# Sessions


def test_the_mapping_page_works_in_another_session_of_the_same_user(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    other_browser = Client()
    other_browser.force_login(curator)
    assert other_browser.get(map_url).status_code == 200
    assert other_browser.post(map_url, _post(DEFAULTS)).status_code == 302
    assert Dataset.objects.get(name="mapped").item_count == 2


def test_the_mapping_page_works_after_signing_in_again(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    client.logout()
    client.force_login(curator)
    assert client.get(map_url).status_code == 200


def test_another_user_gets_a_404_even_with_the_token(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    other = UserFactory(username="other", is_staff=True)
    intruder = Client()
    intruder.force_login(other)
    assert intruder.get(map_url).status_code == 404
    assert intruder.post(map_url, {"discard": "1"}).status_code == 404
    assert client.get(map_url).status_code == 200


def test_a_made_up_or_altered_token_is_a_404(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    token = map_url.rstrip("/").split("/")[-2]
    for forged in ["x", "a" * 40, token[:-2] + "zz", f"key.{curator.pk}:1abc:sig"]:
        url = reverse("annotate:dataset-upload-map", args=[forged])
        assert client.get(url).status_code == 404, forged


def test_an_expired_upload_gets_a_clear_page(client, curator, monkeypatch):
    client.force_login(curator)
    map_url = _upload(client)
    later = time.time() + pending_uploads.UPLOAD_MAX_AGE_SECONDS + 60
    monkeypatch.setattr(pending_uploads.time, "time", lambda: later)
    _upload(client, filename="next.csv", name="next")  # the next upload sweeps the expired one away
    response = client.get(map_url)
    assert response.status_code == 410
    html = response.content.decode()
    assert "Uploaded files wait 24 hours" in html and reverse("annotate:dataset-upload") in html


def test_a_discarded_upload_says_so(client, curator):
    client.force_login(curator)
    map_url = _upload(client)
    client.post(map_url, {"discard": "1"})
    response = client.get(map_url)
    assert response.status_code == 410 and "This upload was discarded" in response.content.decode()
