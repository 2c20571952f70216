"""A large campaign's export runs as a task: a progress page, then a file that readers of the campaign download."""

import io
from datetime import timedelta

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from ratings import export_runs, exports
from ratings.export_tasks import export_start
from ratings.exports import ExportError, export_spec
from ratings.models import ExportRun
from tests.ratings.test_export_formats import build_campaign


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def large(monkeypatch):
    """Every campaign with ratings counts as large."""
    monkeypatch.setattr(export_runs, "EXPORT_INLINE_RATINGS", 0)


def _start(client, campaign, **fields):
    data = {"format": "csv", "per": "rating", "criterion": ""} | fields
    return client.post(reverse("ratings:export", args=[campaign.slug]), data)


def _download(client, campaign, run) -> bytes:
    response = client.get(reverse("ratings:export-download", args=[campaign.slug, run.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_large_export_runs_as_a_task_with_a_progress_page_and_a_download(client, rated, owner, large, data_dir):
    client.force_login(owner)
    response = _start(client, rated, format="parquet")
    run = ExportRun.objects.get()
    progress = reverse("ratings:export-progress", args=[rated.slug, run.pk])
    assert response.status_code == 302 and response["Location"] == progress
    assert run.status == ExportRun.Status.SUCCEEDED and run.rows == run.total == 15
    page = client.get(progress).content.decode()
    assert "15 rows" in page and reverse("ratings:export-download", args=[rated.slug, run.pk]) in page
    assert "hx-get" not in page
    response = client.get(reverse("ratings:export-download", args=[rated.slug, run.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="{rated.slug}-rating.parquet"'
    frame = pd.read_parquet(io.BytesIO(b"".join(response.streaming_content)))
    assert len(frame) == 15 and "rater_name" not in frame.columns
    assert [p.name for p in (data_dir / "exports").iterdir()] == [f"{run.pk}.parquet"]


def test_the_progress_page_polls_while_the_export_waits_or_runs(client, rated, owner):
    run = ExportRun.objects.create(campaign=rated, started_by=owner, scope="rating", fmt="csv", total=15)
    url = reverse("ratings:export-progress", args=[rated.slug, run.pk])
    client.force_login(owner)
    page = client.get(url).content.decode()
    assert "Waiting for a worker" in page and f'hx-get="{url}"' in page and "<html" in page
    ExportRun.objects.filter(pk=run.pk).update(status=ExportRun.Status.RUNNING, rows=5_000, total=12_000)
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    assert "5,000 of about 12,000 rows" in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]
    assert client.get(reverse("ratings:export-download", args=[rated.slug, run.pk])).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "adjudicator"])
def test_other_readers_of_the_campaign_may_download_a_run(client, rated, owner, large, role, request):
    client.force_login(owner)
    _start(client, rated)
    run = ExportRun.objects.get()
    client.force_login(request.getfixturevalue(role))
    assert len(pd.read_csv(io.BytesIO(_download(client, rated, run)))) == 15


@pytest.mark.parametrize("role", ["rater", "outsider"])
def test_raters_and_outsiders_never_see_a_run(client, rated, owner, large, role, request):
    client.force_login(owner)
    _start(client, rated)
    run = ExportRun.objects.get()
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("ratings:export-progress", args=[rated.slug, run.pk])).status_code == 404
    assert client.get(reverse("ratings:export-download", args=[rated.slug, run.pk])).status_code == 404
    assert client.get(f"/api/v1/exports/{run.pk}/").status_code == 404
    assert client.get(f"/api/v1/exports/{run.pk}/file/").status_code == 404


def test_a_run_with_usernames_is_served_to_owners_only(client, rated, owner, viewer, large):
    client.force_login(owner)
    _start(client, rated, names="on")
    run = ExportRun.objects.get()
    assert run.names
    assert set(pd.read_csv(io.BytesIO(_download(client, rated, run)))["rater_name"]) == {"r1", "r2", "r3"}
    client.force_login(viewer)
    assert client.get(reverse("ratings:export-download", args=[rated.slug, run.pk])).status_code == 404
    assert client.get(reverse("ratings:export-progress", args=[rated.slug, run.pk])).status_code == 404


def test_a_viewer_asking_for_names_starts_a_run_without_them(client, rated, viewer, large):
    client.force_login(viewer)
    _start(client, rated, names="on")
    assert not ExportRun.objects.get().names


def test_a_run_is_only_reachable_under_its_own_campaign(client, rated, owner, curator, large):
    other = build_campaign(curator)
    client.force_login(owner)
    _start(client, rated)
    run = ExportRun.objects.get()
    assert client.get(reverse("ratings:export-progress", args=[other.slug, run.pk])).status_code == 404


def test_per_item_with_names_names_adjudicators_too(client, curator, large):
    campaign = build_campaign(curator)
    client.force_login(curator)
    _start(client, campaign, format="jsonl", per="item", names="on")
    run = ExportRun.objects.get()
    assert run.total == 5
    frame = pd.read_json(io.BytesIO(_download(client, campaign, run)), lines=True).set_index("item_id")
    assert frame.loc["ambiguous", "helpful.adjudicated_by"] == "adj"
    assert frame.loc["ambiguous", "helpful.method"] == "ambiguous"


def test_a_failed_export_says_why_and_leaves_no_file(client, rated, owner, large, monkeypatch, data_dir):
    def refuse(*args, **kwargs):
        raise ExportError("column helpful holds 'x', which is not a whole number: export it as JSONL instead")

    monkeypatch.setattr(export_runs, "export_write", refuse)
    client.force_login(owner)
    _start(client, rated, format="parquet")
    run = ExportRun.objects.get()
    assert run.status == ExportRun.Status.FAILED and "not a whole number" in run.error
    page = client.get(reverse("ratings:export-progress", args=[rated.slug, run.pk])).content.decode()
    assert "not a whole number" in page
    assert list((data_dir / "exports").iterdir()) == []


def test_an_unexpected_failure_is_recorded_without_its_details(rated, owner, large, monkeypatch, data_dir):
    def crash(*args, **kwargs):
        raise RuntimeError("database went away at /secret/path")

    monkeypatch.setattr(export_runs, "export_write", crash)
    run = export_start(campaign=rated, user=owner, spec=export_spec(rated, scope="rating", fmt="csv"))
    run.refresh_from_db()
    assert run.status == ExportRun.Status.FAILED
    assert run.error == export_runs.UNEXPECTED_ERROR


def test_the_same_unfinished_export_is_not_started_twice(rated, owner):
    spec = export_spec(rated, scope="rating", fmt="csv")
    queued = ExportRun.objects.create(campaign=rated, started_by=owner, scope="rating", fmt="csv")
    assert export_start(campaign=rated, user=owner, spec=spec) == queued
    assert ExportRun.objects.count() == 1


def test_finished_exports_are_deleted_with_their_files_after_a_week(rated, owner, data_dir):
    spec = export_spec(rated, scope="rating", fmt="csv")
    old = export_start(campaign=rated, user=owner, spec=spec)
    path = export_runs.export_run_path(old)
    assert path.exists()
    ExportRun.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    new = export_start(campaign=rated, user=owner, spec=export_spec(rated, scope="item", fmt="csv"))
    assert list(ExportRun.objects.all()) == [new]
    assert not path.exists()


def test_progress_is_recorded_while_the_file_is_written(rated, owner, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_RATINGS", 4)
    monkeypatch.setattr(export_runs, "PROGRESS_SECONDS", 0)
    seen = []
    update = ExportRun.objects.filter

    def spy(*args, **kwargs):
        rows = update(*args, **kwargs)
        seen.append(rows.values_list("rows", flat=True).first())
        return rows

    monkeypatch.setattr(ExportRun.objects, "filter", spy)
    run = export_start(campaign=rated, user=owner, spec=export_spec(rated, scope="rating", fmt="jsonl"))
    monkeypatch.undo()
    run.refresh_from_db()
    assert run.rows == 15
    assert {4, 8, 12} <= set(seen)


def test_a_per_item_export_of_many_items_runs_as_a_task_even_with_few_ratings(client, rated, owner, monkeypatch):
    monkeypatch.setattr(export_runs, "EXPORT_INLINE_ITEMS", 4)
    client.force_login(owner)
    assert _start(client, rated, per="rating").status_code == 200
    assert not ExportRun.objects.exists()
    assert _start(client, rated, per="item").status_code == 302
    assert ExportRun.objects.get().rows == 5
