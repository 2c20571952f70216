"""GET /api/v1/campaigns/<slug>/export/: the file at once, or 202 and a status URL for a large campaign."""

import io

import pandas as pd
import pytest
from django.urls import reverse

from ratings import export_runs
from ratings.models import ExportRun


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def _url(campaign, query: str = "", slash: bool = True) -> str:
    return f"/api/v1/campaigns/{campaign.slug}/export" + ("/" if slash else "") + query


@pytest.mark.parametrize("role", ["owner", "adjudicator", "viewer"])
def test_readers_get_a_small_campaign_as_a_streamed_file(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(_url(rated, "?format=jsonl&per=item"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{rated.slug}-item.jsonl"'
    frame = pd.read_json(io.BytesIO(b"".join(response.streaming_content)), lines=True)
    assert list(frame["helpful.final"]) == [1, 2, 3, 4, 5]


def test_format_and_rows_default_to_csv_per_rating_and_the_slash_is_optional(client, rated, owner):
    client.force_login(owner)
    response = client.get(_url(rated, slash=False))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{rated.slug}-rating.csv"'
    assert reverse("ratings-api:campaign-export", args=[rated.slug]).startswith("/api/v1/campaigns/")


def test_one_criterion(client, rated, owner):
    client.force_login(owner)
    response = client.get(_url(rated, "?format=csv&criterion=helpful"))
    frame = pd.read_csv(io.BytesIO(b"".join(response.streaming_content)))
    assert "helpful" in frame.columns


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("?format=xlsx", "format", "is not a valid choice"),
        ("?per=label", "per", "is not a valid choice"),
        ("?criterion=nope", "criterion", "has no criterion 'nope' (its criteria: helpful)"),
        ("?criterion=" + "x" * 65, "criterion", "no more than 64 characters"),
        ("?names=perhaps", "names", "valid boolean"),
        ("?format=preference&include_ties=sometimes", "include_ties", "valid boolean"),
        ("?format=preference&include_ambiguous=2", "include_ambiguous", "valid boolean"),
        ("?format=preference", "format", "has no pairwise criterion"),
    ],
)
def test_bad_parameters_are_400_with_a_clear_message(client, rated, owner, query, field, words):
    client.force_login(owner)
    response = client.get(_url(rated, query))
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"], error["row"]) == ("invalid", field, None)
    assert words in error["message"]
    assert not ExportRun.objects.exists()


@pytest.mark.parametrize("who", ["rater", "outsider"])
def test_raters_and_outsiders_get_404(client, rated, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(_url(rated))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_callers_are_refused(client, rated):
    response = client.get(_url(rated))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_large_campaign_answers_202_with_a_status_url_then_a_download(client, rated, owner, viewer, monkeypatch):
    monkeypatch.setattr(export_runs, "EXPORT_INLINE_RATINGS", 10)
    client.force_login(owner)
    response = client.get(_url(rated, "?format=parquet&per=rating"))
    assert response.status_code == 202
    run = ExportRun.objects.get()
    status_url = f"/api/v1/exports/{run.pk}/"
    assert response["Location"] == status_url
    assert response.json()["status_url"] == status_url
    # The test settings run the task at once; a worker would report queued, then running with rows so far.
    client.force_login(viewer)
    body = client.get(status_url).json()
    assert body["status"] == "succeeded" and body["rows"] == 15 and body["total"] == 15
    assert body["format"] == "parquet" and body["per"] == "rating"
    assert body["download_url"] == f"/api/v1/exports/{run.pk}/file/"
    download = client.get(body["download_url"])
    assert download["Content-Disposition"] == f'attachment; filename="{rated.slug}-rating.parquet"'
    assert len(pd.read_parquet(io.BytesIO(b"".join(download.streaming_content)))) == 15


def test_a_running_export_reports_its_rows_and_no_download_yet(client, rated, owner):
    run = ExportRun.objects.create(
        campaign=rated, started_by=owner, scope="item", fmt="csv", status=ExportRun.Status.RUNNING, rows=2, total=5
    )
    client.force_login(owner)
    body = client.get(f"/api/v1/exports/{run.pk}/").json()
    assert (body["status"], body["rows"], body["download_url"]) == ("running", 2, None)
    response = client.get(f"/api/v1/exports/{run.pk}/file/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_schema_documents_the_export_endpoints(client, staff):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/campaigns/{slug}/export/" in schema and "/api/v1/exports/{id}/" in schema
