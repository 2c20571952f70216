"""Content fields keep the file's order, and every page and export shows them in it.

Items here store their content as PostgreSQL's jsonb returns it (keys by length, so "answer" before "question"),
on either database: pages must follow the dataset's list of fields, never the stored dict's key order.
"""

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client
from django.urls import reverse

from annotate.content import content_display_order, fields_in_order
from annotate.models import Campaign, Dataset, Item, Membership
from annotate.services.datasets import dataset_import
from ratings.exports import export_spec, export_write
from tests.factories import CampaignFactory, DatasetFactory, MembershipFactory, UserFactory

QUESTION, ANSWER = "The question text", "The answer text"
# The key order jsonb gives back: shorter keys first.
STORED = {"answer": ANSWER, "question": QUESTION}


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _before(html: str, first: str, second: str) -> bool:
    assert first in html and second in html
    return html.index(first) < html.index(second)


@pytest.fixture
def dataset(curator) -> Dataset:
    """Two content fields, question then answer, whose items store them in the other order."""
    dataset = DatasetFactory(
        created_by=curator, content_fields=["question", "answer"], metadata_fields=["topic", "lang"]
    )
    return dataset


@pytest.fixture
def campaign(dataset, curator) -> Campaign:
    campaign = CampaignFactory(dataset=dataset, created_by=curator, owner=curator, with_items=2)
    Item.objects.filter(dataset=dataset).update(content=STORED, metadata={"lang": "en", "topic": "geo"})
    return campaign


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _member(campaign: Campaign, role: str):
    user = UserFactory(username=f"{role}-order")
    MembershipFactory(campaign=campaign, user=user, role=role)
    return user


# The one ordering function


def test_display_order_is_the_visible_fields_then_the_other_content_fields():
    assert content_display_order(["question", "answer", "notes"]) == ["question", "answer", "notes"]
    order = content_display_order(["question", "answer", "notes"], ["answer", "model", "question"])
    assert order == ["answer", "question", "notes"]


def test_fields_in_order_follow_the_list_and_keep_unlisted_fields_last():
    pairs = fields_in_order({"b": 2, "z": 9, "a": 1}, ["a", "b", "missing"])
    assert pairs == [("a", 1), ("b", 2), ("z", 9)]


# Imports keep the file's order


def test_csv_columns_keep_their_order(db, tmp_path):
    path = _write(tmp_path, "qa.csv", "id,question,answer,topic\n1,Q,A,geo\n")
    dataset = dataset_import(source=path, name="qa", metadata_fields=["topic"]).dataset
    assert dataset.content_fields == ["question", "answer"]


def test_jsonl_fields_keep_the_order_they_first_appear_in(db, tmp_path):
    lines = [{"id": "1", "zeta": "z", "alpha": "a"}, {"id": "2", "alpha": "a", "mid": "m", "zeta": "z"}]
    path = _write(tmp_path, "x.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    assert dataset_import(source=path, name="x").dataset.content_fields == ["zeta", "alpha", "mid"]


def test_parquet_columns_keep_the_schema_order(db, tmp_path):
    table = pa.table({"id": ["1"], "zeta": ["z"], "alpha": ["a"], "source": ["s"], "lang": ["en"]})
    pq.write_table(table, tmp_path / "x.parquet")
    dataset = dataset_import(source=tmp_path / "x.parquet", name="x", content_fields=None, metadata_fields=None)
    assert dataset.dataset.content_fields == ["zeta", "alpha", "source", "lang"]
    named = dataset_import(
        source=tmp_path / "x.parquet", name="y", content_fields=["zeta", "alpha"], metadata_fields=None
    ).dataset
    assert named.metadata_fields == ["source", "lang"]


def test_named_fields_keep_the_order_they_are_named_in(db, tmp_path):
    path = _write(tmp_path, "qa.csv", "id,answer,question,lang,topic\n1,A,Q,en,geo\n")
    dataset = dataset_import(
        source=path, name="qa", content_fields=["question", "answer"], metadata_fields=["topic", "lang"]
    ).dataset
    assert dataset.content_fields == ["question", "answer"] and dataset.metadata_fields == ["topic", "lang"]


def test_an_append_keeps_the_datasets_order_and_adds_new_fields_after_it(db, tmp_path):
    first = _write(tmp_path, "a.csv", "id,question,answer\n1,Q,A\n")
    dataset = dataset_import(source=first, name="qa").dataset
    second = _write(tmp_path, "b.csv", "id,rationale,answer,question\n2,R,A,Q\n")
    dataset = dataset_import(source=second, dataset=dataset).dataset
    assert dataset.content_fields == ["question", "answer", "rationale"]


# Dataset pages


def test_item_page_shows_fields_in_the_datasets_order(client, curator, campaign, dataset):
    client.force_login(curator)
    item = dataset.items.first()
    html = client.get(reverse("annotate:item-detail", args=[dataset.pk, item.pk])).content.decode()
    assert _before(html, QUESTION, ANSWER)
    assert _before(html, ">topic<", ">lang<")


def test_an_imported_item_shows_the_files_order_whatever_the_database_keeps(client, curator, tmp_path):
    path = _write(tmp_path, "qa.csv", f"id,question,answer,topic,lang\n1,{QUESTION},{ANSWER},geo,en\n")
    dataset = dataset_import(source=path, name="qa", metadata_fields=["topic", "lang"], user=curator).dataset
    client.force_login(curator)
    item = dataset.items.get()
    html = client.get(reverse("annotate:item-detail", args=[dataset.pk, item.pk])).content.decode()
    assert _before(html, QUESTION, ANSWER) and _before(html, ">topic<", ">lang<")


def test_browser_preview_and_metadata_follow_the_datasets_order(client, curator, campaign, dataset):
    client.force_login(curator)
    response = client.get(reverse("annotate:dataset-detail", args=[dataset.pk]))
    item = response.context["page"].items[0]
    assert item.preview == f"{QUESTION} · {ANSWER}"
    assert _before(response.content.decode(), "topic: geo", "lang: en")


def test_summary_lists_fields_in_the_datasets_order(client, curator, tmp_path):
    path = _write(tmp_path, "qa.csv", "id,question,answer,topic,lang\n1,Q,A long answer,geo,en\n")
    dataset = dataset_import(source=path, name="qa", metadata_fields=["topic", "lang"], user=curator).dataset
    client.force_login(curator)
    summary = client.get(reverse("annotate:dataset-summary", args=[dataset.pk])).context["summary"]
    assert [c.field for c in summary.content] == ["question", "answer"]
    assert [m.field for m in summary.metadata] == ["topic", "lang"]


def test_dataset_list_names_fields_in_the_files_order(client, curator, tmp_path):
    path = _write(tmp_path, "qa.csv", "id,question,answer,topic,lang\n1,Q,A,geo,en\n")
    dataset_import(source=path, name="qa", metadata_fields=["topic", "lang"], user=curator)
    client.force_login(curator)
    html = client.get(reverse("annotate:dataset-list")).content.decode()
    assert "question, answer" in html and "topic, lang" in html


# Campaign pages and exports


def test_rating_page_shows_content_in_the_datasets_order(campaign):
    rater = _member(campaign, Membership.Role.RATER)
    html = _client(rater).get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert _before(html, QUESTION, ANSWER)


def test_rating_page_follows_the_campaigns_visible_fields_order(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(visible_fields=["answer", "question"])
    rater = _member(campaign, Membership.Role.RATER)
    html = _client(rater).get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert _before(html, ANSWER, QUESTION)


def test_adjudication_page_shows_content_in_the_datasets_order(campaign):
    adjudicator = _member(campaign, Membership.Role.ADJUDICATOR)
    campaign_item = campaign.items.first()
    url = reverse("ratings:adjudicate-item", args=[campaign.slug, campaign_item.pk])
    html = _client(adjudicator).get(url).content.decode()
    assert _before(html, QUESTION, ANSWER)
    assert _before(html, "<dt>topic</dt>", "<dt>lang</dt>")


def test_agreement_item_page_follows_the_visible_fields_then_the_rest(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(visible_fields=["question"])
    viewer = _member(campaign, Membership.Role.VIEWER)
    campaign_item = campaign.items.first()
    url = reverse("ratings:agreement-item", args=[campaign.slug, campaign_item.pk])
    html = _client(viewer).get(url).content.decode()
    assert _before(html, QUESTION, ANSWER)


def test_item_export_has_content_columns_in_display_order(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(visible_fields=["answer"])
    campaign.refresh_from_db()
    handle = io.BytesIO()
    export_write(campaign, export_spec(campaign, scope="item", fmt="csv"), handle)
    rows = list(csv.reader(io.StringIO(handle.getvalue().decode("utf-8-sig"))))
    header = rows[0]
    assert header.index("content.answer") < header.index("content.question")
    assert rows[1][header.index("content.question")] == QUESTION
