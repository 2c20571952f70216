"""The export page: readers of a campaign download its labels at once; raters and outsiders never see it."""

import io

import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from ratings.models import ExportRun


def _url(campaign) -> str:
    return reverse("ratings:export", args=[campaign.slug])


def _post(client, campaign, **fields):
    data = {"format": "csv", "per": "rating", "criterion": ""} | fields
    return client.post(_url(campaign), data)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("role", ["owner", "adjudicator", "viewer"])
def test_readers_see_the_form_the_columns_and_the_data_card(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(_url(rated))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Export labels" in page
    assert "One row per item" in page and "&lt;key&gt;.final" in page
    assert 'id="data-card"' in page


@pytest.mark.parametrize("role", ["rater", "outsider"])
def test_raters_and_outsiders_get_404(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(_url(rated)).status_code == 404
    assert _post(client, rated).status_code == 404


def test_anonymous_is_sent_to_login(client, rated):
    response = client.get(_url(rated))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("csv", "text/csv"), ("jsonl", "application/x-ndjson"), ("parquet", "application/vnd.apache.parquet")],
)
def test_a_small_campaign_downloads_at_once_as_a_streamed_file(client, rated, owner, fmt, content_type):
    client.force_login(owner)
    response = _post(client, rated, format=fmt)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == f'attachment; filename="{rated.slug}-rating.{fmt}"'
    body = io.BytesIO(_body(response))
    frame = {"csv": pd.read_csv, "parquet": pd.read_parquet}.get(fmt, lambda b: pd.read_json(b, lines=True))(body)
    assert len(frame) == 15
    assert not ExportRun.objects.exists()


def test_per_item_download_is_named_for_its_rows(client, rated, viewer):
    client.force_login(viewer)
    response = _post(client, rated, format="parquet", per="item")
    assert response["Content-Disposition"] == f'attachment; filename="{rated.slug}-item.parquet"'
    table = pq.read_table(io.BytesIO(_body(response)))
    assert table.num_rows == 5 and "helpful.final" in table.column_names


def test_the_names_box_is_shown_to_owners_only(client, rated, owner, viewer):
    client.force_login(owner)
    assert 'name="names"' in client.get(_url(rated)).content.decode()
    client.force_login(viewer)
    assert 'name="names"' not in client.get(_url(rated)).content.decode()


def test_a_bad_choice_re_renders_the_form_with_its_error(client, rated, owner):
    client.force_login(owner)
    response = _post(client, rated, format="xlsx")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = _post(client, rated, criterion="nope")
    assert response.status_code == 400


def test_a_free_text_criterion_per_item_is_refused_with_a_reason(client, owner, rated):
    from annotate.models import RubricVersion
    from annotate.rubrics import validate_criteria

    criteria = validate_criteria([{"key": "helpful", "type": "likert", "scale": {"min": 1, "max": 5}}])
    criteria += validate_criteria([{"key": "why", "type": "free_text", "required": False}])
    RubricVersion.objects.filter(pk=rated.rubric_version_id).update(criteria=criteria)
    client.force_login(owner)
    response = _post(client, rated, per="item", criterion="why")
    assert response.status_code == 400
    assert "free text" in response.content.decode()
    assert _post(client, rated, per="rating", criterion="why").status_code == 200
