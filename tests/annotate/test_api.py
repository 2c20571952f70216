"""The REST API for datasets, rubrics and campaigns."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.models import Dataset, Item, Membership, Rubric
from annotate.services.campaigns import membership_set
from tests.factories import DatasetFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rubrics"


def _jsonl(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("items.jsonl", ("\n".join(lines) + "\n").encode(), content_type="application/jsonl")


def test_anonymous_caller_is_refused(client):
    response = client.get(reverse("api:dataset-list"))
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_outsider_sees_no_datasets_rubrics_or_campaigns(client, outsider, campaign):
    client.force_login(outsider)
    empty = {"next": None, "previous": None, "results": []}
    assert client.get(reverse("api:dataset-list")).json() == empty
    assert client.get(reverse("api:rubric-list")).json() == empty
    assert client.get(reverse("ratings-api:campaign-list")).json() == empty


def test_curator_creates_a_dataset_and_imports_items(client, curator):
    client.force_login(curator)
    created = client.post(reverse("api:dataset-list"), {"name": "chat logs"}, content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    upload = _jsonl('{"id": "a", "prompt": "Hi", "model": "x"}', '{"id": "b", "prompt": "Yo", "model": "y"}')
    response = client.post(reverse("api:dataset-items-import", args=[pk]), {"file": upload, "metadata_fields": "model"})
    assert response.status_code == 202, response.content
    status_url = response.json()["status_url"]
    assert response["Location"] == status_url
    body = client.get(status_url).json()
    assert (body["status"], body["dataset"], body["imported"], body["item_count"]) == ("succeeded", pk, 2, 2)
    assert body["rows"] == 2 and body["errors"] == []
    assert Item.objects.get(dataset_id=pk, external_id="b").metadata == {"model": "y"}


def test_a_bad_row_fails_the_import_naming_the_row_and_imports_nothing(client, curator):
    client.force_login(curator)
    dataset = DatasetFactory(created_by=curator)
    upload = _jsonl('{"id": "a", "prompt": "Hi"}', "{not json")
    response = client.post(reverse("api:dataset-items-import", args=[dataset.pk]), {"file": upload})
    assert response.status_code == 202
    body = client.get(response.json()["status_url"]).json()
    assert body["status"] == "failed" and body["imported"] is None
    assert "line 2" in " ".join(body["errors"]).lower()
    assert dataset.items.count() == 0


def test_only_the_starter_and_the_datasets_owners_see_an_import(client, curator, outsider):
    client.force_login(curator)
    dataset = DatasetFactory(created_by=curator)
    response = client.post(reverse("api:dataset-items-import", args=[dataset.pk]), {"file": _jsonl('{"id": "a"}')})
    status_url = response.json()["status_url"]
    client.force_login(outsider)
    assert client.get(status_url).status_code == 404
    client.logout()
    assert client.get(status_url).status_code == 401


def test_a_dataset_name_the_caller_already_uses_is_a_400(client, curator):
    client.force_login(curator)
    DatasetFactory(name="taken", created_by=curator)
    response = client.post(reverse("api:dataset-list"), {"name": "taken"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "You already have a dataset named 'taken'."
    assert response.json()["error"]["field"] == "name"


def test_a_dataset_name_another_owner_uses_is_free_and_not_revealed(client, curator):
    client.force_login(curator)
    DatasetFactory(name="taken", created_by=UserFactory(username="alice"))
    response = client.post(reverse("api:dataset-list"), {"name": "taken"}, content_type="application/json")
    assert response.status_code == 201
    assert Dataset.objects.filter(name="taken").count() == 2


def test_user_who_cannot_curate_cannot_create_or_import(client, rater, campaign):
    client.force_login(rater)
    assert client.post(reverse("api:dataset-list"), {"name": "x"}, content_type="application/json").status_code == 403
    upload = _jsonl('{"id": "a"}')
    url = reverse("api:dataset-items-import", args=[campaign.dataset.pk])
    assert client.post(url, {"file": upload}).status_code == 403
    assert not Dataset.objects.filter(name="x").exists()


def test_curator_cannot_import_into_a_dataset_they_cannot_see(client, curator):
    client.force_login(curator)
    other = DatasetFactory()
    response = client.post(reverse("api:dataset-items-import", args=[other.pk]), {"file": _jsonl('{"id": "a"}')})
    assert response.status_code == 404


def test_loading_a_rubric_twice_creates_it_once(client, curator):
    client.force_login(curator)
    text = (EXAMPLES / "hhh.yaml").read_text()
    first = client.post(reverse("api:rubric-list"), {"text": text}, content_type="application/json")
    again = client.post(reverse("api:rubric-list"), {"text": text}, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Rubric.objects.count() == 1
    keys = [c["key"] for c in client.get(reverse("api:rubric-list")).json()["results"][0]["criteria"]]
    assert keys[:3] == ["helpful", "honest", "harmless"]


def test_an_invalid_rubric_returns_400_naming_the_criterion(client, curator):
    client.force_login(curator)
    text = "name: Broken\ncriteria:\n  - key: helpful\n    type: likert\n"
    response = client.post(reverse("api:rubric-list"), {"text": text}, content_type="application/json")
    assert response.status_code == 400
    assert "helpful" in " ".join(problem["message"] for problem in response.json()["error"]["details"])


def test_members_see_their_campaigns_with_their_role(client, rater, campaign):
    client.force_login(rater)
    body = client.get(reverse("ratings-api:campaign-list")).json()
    assert [(c["slug"], c["role"]) for c in body["results"]] == [(campaign.slug, "rater")]


def test_an_owner_who_rates_sees_so_in_the_campaign_list(client, owner, campaign):
    membership_set(campaign=campaign, user=owner, role=Membership.Role.OWNER, rates=True)
    client.force_login(owner)
    body = client.get(reverse("ratings-api:campaign-list")).json()
    assert [(c["slug"], c["role"], c["rates"]) for c in body["results"]] == [(campaign.slug, "owner", True)]


def test_openapi_schema_and_docs_are_served(client, curator):
    client.force_login(curator)
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/v1/datasets/" in schema.content
    assert client.get(reverse("api-docs")).status_code == 200


def test_upload_size_is_streamed_not_buffered(client, curator):
    """A large upload goes through the same import path (spilled to disk by Django)."""
    client.force_login(curator)
    dataset = DatasetFactory(created_by=curator)
    lines = io.StringIO()
    for n in range(3000):
        lines.write(f'{{"id": "i{n}", "prompt": "{"word " * 200}"}}\n')
    upload = SimpleUploadedFile("big.jsonl", lines.getvalue().encode())
    response = client.post(reverse("api:dataset-items-import", args=[dataset.pk]), {"file": upload})
    assert response.status_code == 202
    assert client.get(response.json()["status_url"]).json()["imported"] == 3000


def test_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")
