"""Exports read back with pandas give the database's values: CSV, JSONL and Parquet, per rating and per item."""

import io
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from annotate.models import Campaign, CampaignItem, MachineRater
from annotate.rubrics import validate_criteria
from ratings.exports import FINAL_LABEL_COLUMNS, export_columns, export_spec, value_kind
from ratings.final_labels import final_labels
from ratings.models import Adjudication, Rating
from ratings.pseudonyms import rater_pseudonym
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    ItemFactory,
    RatingFactory,
    RatingRevisionFactory,
    RubricVersionFactory,
    UserFactory,
)

CRITERIA = [
    {"key": "helpful", "type": "likert", "scale": {"min": 1, "max": 5}},
    {"key": "tone", "type": "categorical", "options": ["formal", "casual"]},
    {"key": "safe", "type": "binary"},
    {"key": "issues", "type": "multi_label", "options": ["bias", "error", "style"], "required": False},
    {"key": "score", "type": "numeric", "min": 0, "max": 10, "step": 0.5},
    {"key": "pref", "type": "pairwise", "strength": 2},
    {"key": "why", "type": "free_text", "required": False},
]
CONTENT_FIELDS = ["prompt", "response_a", "response_b", "turns"]
METADATA_FIELDS = ["lang", "model"]
# external id -> {rater: values}; "ambiguous" is settled by an adjudicator, "gold" has no ratings.
RATINGS = {
    "majority": {
        "r1": {"helpful": 4, "tone": "formal", "safe": True, "issues": ["bias"], "score": 7.5, "pref": -2, "why": "x"},
        "r2": {"helpful": 4, "tone": "formal", "safe": True, "issues": ["bias", "error"], "score": 8, "pref": -1},
        "r3": {"helpful": 2, "tone": "casual", "safe": False, "issues": [], "score": 6, "pref": -2, "why": ""},
    },
    "tie": {
        "r1": {"helpful": 2, "tone": "formal", "safe": True, "issues": ["style"], "score": 3, "pref": 1},
        "r2": {"helpful": 4, "tone": "casual", "safe": False, "issues": ["error"], "score": 5, "pref": -1},
    },
    "single": {
        "r1": {"helpful": 3, "tone": "casual", "safe": True, "issues": ["error"], "score": 9.5, "pref": 0},
    },
    "ambiguous": {
        "r1": {"helpful": 1, "tone": "formal", "safe": True, "score": 1, "pref": 2},
        "r2": {"helpful": 5, "tone": "casual", "safe": True, "score": 10, "pref": -2},
        "r3": {"helpful": 3, "tone": "casual", "safe": False, "score": 5.5, "pref": 0},
    },
    "gold": {},
}
FORMATS = ["csv", "jsonl", "parquet"]


def build_campaign(owner: User) -> Campaign:
    """A campaign with every criterion type, and items settled by majority, tied, rated once, adjudicated and gold."""
    dataset = DatasetFactory(content_fields=CONTENT_FIELDS, metadata_fields=METADATA_FIELDS)
    version = RubricVersionFactory(criteria=validate_criteria(CRITERIA))
    campaign = CampaignFactory(created_by=owner, owner=owner, dataset=dataset, rubric_version=version, overlap=3)
    raters = {name: UserFactory(username=name) for name in ("r1", "r2", "r3")}
    items = {}
    for order, external_id in enumerate(RATINGS):
        content = {"prompt": f"Prompt of {external_id}", "response_a": "Answer A.", "response_b": "Answer B."}
        if external_id == "majority":
            content["turns"] = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
        metadata = {"model": "atlas-7b", "lang": "en"} if order % 2 else {"model": "borealis-13b"}
        item = ItemFactory(dataset=dataset, external_id=external_id, content=content, metadata=metadata)
        items[external_id] = CampaignItem.objects.create(
            campaign=campaign,
            item=item,
            order_key=order,
            is_gold=external_id == "gold",
            gold_answer={"helpful": 5, "safe": True} if external_id == "gold" else None,
        )
    for external_id, by_rater in RATINGS.items():
        for name, values in by_rater.items():
            RatingFactory(
                campaign_item=items[external_id],
                rater=raters[name],
                values=values,
                comment="Read it twice." if name == "r2" else "",
                seconds_spent=12.5 if name == "r1" else None,
                presentation={"left": "b"} if name == "r3" else {},
                source="labels.csv" if name == "r3" else "accord",
            )
    # r1 revised the majority item once, and rated it again as a test-retest repeat.
    revised = Rating.objects.get(campaign_item=items["majority"], rater=raters["r1"], is_repeat=False)
    RatingRevisionFactory(rating=revised, number=1, values={"helpful": 3}, recorded_at=revised.created_at)
    Rating.objects.filter(pk=revised.pk).update(updated_at=revised.created_at + timedelta(minutes=3))
    RatingFactory(campaign_item=items["majority"], rater=raters["r1"], values={"helpful": 5}, is_repeat=True)
    adjudicator = UserFactory(username="adj")
    decided = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
    for key, outcome, value, rationale in [
        ("helpful", Adjudication.Outcome.AMBIGUOUS, None, "Both readings of the prompt hold."),
        ("tone", Adjudication.Outcome.FINAL, "casual", "Contractions throughout."),
    ]:
        Adjudication.objects.create(
            campaign=campaign,
            campaign_item=items["ambiguous"],
            criterion_key=key,
            outcome=outcome,
            value=value,
            rationale=rationale,
            decided_by=adjudicator,
            decided_at=decided,
        )
    return Campaign.objects.select_related("dataset", "rubric_version").get(pk=campaign.pk)


@pytest.fixture
def rich(db, curator: User) -> Campaign:
    return build_campaign(curator)


def export_file(campaign: Campaign, tmp_path: Path, fmt: str, per: str, *extra: str) -> Path:
    """Export through the management command into a file."""
    path = tmp_path / f"{campaign.slug}-{per}.{fmt}"
    call_command(
        "export_labels", campaign.slug, "--format", fmt, "--per", per, "-o", str(path), *extra, stderr=io.StringIO()
    )
    return path


def read_back(path: Path, fmt: str) -> pd.DataFrame:
    """The file as pandas reads it, with its default options (but exact floats from JSON)."""
    if fmt == "csv":
        return pd.read_csv(path)
    if fmt == "jsonl":
        # pandas' own JSON parser rounds the last digit of some floats unless asked not to.
        return pd.read_json(path, lines=True, precise_float=True)
    return pd.read_parquet(path)


def normal(value: Any, kind: str, fmt: str) -> Any:
    """A cell (as read back, or from the database) as a plain Python value to compare."""
    if isinstance(value, list | dict):
        return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if kind == "time":
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()
    if kind == "json":
        return json.loads(value) if isinstance(value, str) else value
    if kind == "any" and isinstance(value, str) and fmt != "jsonl" and value[:1] in "[{":
        return json.loads(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    if isinstance(value, np.generic):
        value = value.item()
    # CSV keeps no difference between an empty text and none.
    return None if fmt == "csv" and value == "" else value


def json_keys(counts: dict) -> dict:
    """A distribution as JSON writes it: keys as text (true, 4, style)."""
    return {k if isinstance(k, str) else json.dumps(k): n for k, n in counts.items()}


def rating_expected(campaign: Campaign) -> list[dict[str, Any]]:
    """Each rating of the campaign as its export row should read, from the database."""
    keys = [c.key for c in campaign.rubric_version.typed_criteria]
    rows = []
    ratings = Rating.objects.filter(campaign=campaign).select_related("campaign_item__item", "rubric_version")
    machines = dict(MachineRater.objects.filter(campaign=campaign).values_list("user_id", "name"))
    for r in ratings.annotate(n=Count("revisions")).order_by("pk"):
        revised = r.updated_at if r.n or r.updated_at - r.created_at >= timedelta(seconds=1) else None
        rows.append(
            {
                "item_id": r.campaign_item.item.external_id,
                "campaign_item": r.campaign_item_id,
                "rater": rater_pseudonym(campaign, r.rater_id),
                **{k: r.values.get(k) for k in keys},
                "comment": r.comment,
                "rubric_version": r.rubric_version.number,
                "seconds_spent": r.seconds_spent,
                "created_at": r.created_at,
                "revised_at": revised,
                "n_revisions": r.n,
                "is_gold": r.campaign_item.is_gold,
                "is_repeat": r.is_repeat,
                "source": r.source,
                "shown_left": r.presentation.get("left"),
                "machine": machines.get(r.rater_id, ""),
            }
        )
    return rows


def item_expected(campaign: Campaign) -> list[dict[str, Any]]:
    """Each item of the campaign as its export row should read, from the database and its final labels."""
    items = list(CampaignItem.objects.filter(campaign=campaign).select_related("item").order_by("pk"))
    labels = final_labels(campaign, [ci.pk for ci in items])
    criteria = [c for c in campaign.rubric_version.typed_criteria if c.has_agreement]
    rows = []
    for ci in items:
        row = {"item_id": ci.item.external_id, "campaign_item": ci.pk}
        row |= {f"content.{f}": ci.item.content.get(f) for f in CONTENT_FIELDS}
        row |= {f"meta.{f}": ci.item.metadata.get(f) for f in METADATA_FIELDS}
        row |= {"is_gold": ci.is_gold, "gold_answer": ci.gold_answer}
        for c in criteria:
            label = labels[ci.pk][c.key]
            decision = label.adjudication
            row |= {
                f"{c.key}.final": label.value,
                f"{c.key}.method": label.method,
                f"{c.key}.aggregate": label.aggregate,
                f"{c.key}.aggregate_method": label.aggregate_method,
                f"{c.key}.distribution": json_keys(label.distribution),
                f"{c.key}.n_raters": label.n_raters,
                f"{c.key}.disagreement": label.disagreement,
                f"{c.key}.confidence": label.confidence,
                f"{c.key}.adjudication": decision.outcome if decision else None,
                f"{c.key}.rationale": decision.rationale if decision else None,
                f"{c.key}.adjudicated_by": rater_pseudonym(campaign, decision.decided_by_id) if decision else None,
                f"{c.key}.adjudicated_at": decision.decided_at if decision else None,
            }
        rows.append(row)
    return rows


def assert_round_trip(campaign: Campaign, frame: pd.DataFrame, per: str, fmt: str) -> None:
    columns = export_columns(campaign, export_spec(campaign, scope=per, fmt=fmt))
    expected = rating_expected(campaign) if per == "rating" else item_expected(campaign)
    assert list(frame.columns) == [c.name for c in columns]
    assert len(frame) == len(expected)
    for position, want in enumerate(expected):
        got = frame.iloc[position]
        for column in columns:
            read, stored = normal(got[column.name], column.kind, fmt), normal(want[column.name], column.kind, fmt)
            if column.kind == "json" and isinstance(read, dict) and fmt != "jsonl":
                stored = json_keys(stored) if isinstance(stored, dict) else stored
            assert read == stored, f"row {position} ({want['item_id']}), column {column.name}: {read!r} != {stored!r}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_per_rating_export_reads_back_as_the_database_holds_it(rich, tmp_path, fmt):
    frame = read_back(export_file(rich, tmp_path, fmt, "rating"), fmt)
    assert_round_trip(rich, frame, "rating", fmt)
    assert len(frame) == 10


@pytest.mark.parametrize("fmt", FORMATS)
def test_per_item_export_reads_back_as_the_final_labels_give_it(rich, tmp_path, fmt):
    frame = read_back(export_file(rich, tmp_path, fmt, "item"), fmt)
    assert_round_trip(rich, frame, "item", fmt)
    assert list(frame["item_id"]) == list(RATINGS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_tie_and_ambiguous_items_say_how_their_label_was_reached(rich, tmp_path, fmt):
    frame = read_back(export_file(rich, tmp_path, fmt, "item"), fmt).set_index("item_id")
    tie, ambiguous = frame.loc["tie"], frame.loc["ambiguous"]
    assert tie["helpful.method"] == "tie" and normal(tie["helpful.final"], "int", fmt) is None
    assert normal(tie["helpful.distribution"], "json", fmt) == {"2": 1, "4": 1}
    assert tie["tone.method"] == "tie" and normal(tie["tone.final"], "text", fmt) is None
    assert ambiguous["helpful.method"] == "ambiguous"
    assert normal(ambiguous["helpful.final"], "int", fmt) is None
    assert ambiguous["helpful.adjudication"] == "ambiguous"
    assert ambiguous["helpful.rationale"] == "Both readings of the prompt hold."
    assert ambiguous["helpful.aggregate_method"] == "tie"
    assert ambiguous["tone.method"] == "adjudicated" and ambiguous["tone.final"] == "casual"
    assert normal(ambiguous["tone.adjudicated_at"], "time", fmt) == datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.mark.parametrize("fmt", FORMATS)
def test_disagreement_is_empty_for_an_item_rated_once_never_zero(rich, tmp_path, fmt):
    frame = read_back(export_file(rich, tmp_path, fmt, "item"), fmt).set_index("item_id")
    single, majority = frame.loc["single"], frame.loc["majority"]
    for key in ("helpful", "tone", "safe", "score", "pref"):
        assert normal(single[f"{key}.disagreement"], "float", fmt) is None
        assert single[f"{key}.n_raters"] == 1
    assert normal(majority["safe.disagreement"], "float", fmt) > 0
    assert normal(frame.loc["gold"]["helpful.disagreement"], "float", fmt) is None


def test_parquet_columns_are_typed_from_the_criteria(rich, tmp_path):
    schema = pq.read_schema(export_file(rich, tmp_path, "parquet", "rating"))
    types = {name: str(schema.field(name).type) for name in schema.names}
    assert types["helpful"] == "int64" and types["pref"] == "int64"
    assert types["safe"] == "bool" and types["is_repeat"] == "bool"
    assert types["score"] == "double" and types["seconds_spent"] == "double"
    assert types["tone"] == "string" and types["issues"] == "string" and types["why"] == "string"
    assert types["created_at"] == "timestamp[us, tz=UTC]"
    assert all(schema.field(name).nullable for name in schema.names)


def test_value_kinds_follow_the_criteria_not_their_type_names(rich):
    kinds = {c.key: value_kind(c) for c in rich.rubric_version.typed_criteria}
    assert kinds == {
        "helpful": "int",
        "tone": "text",
        "safe": "bool",
        "issues": "json",
        "score": "float",
        "pref": "int",
        "why": "text",
    }


def test_one_criterion_keeps_only_its_columns(rich, tmp_path):
    per_rating = read_back(export_file(rich, tmp_path, "csv", "rating", "--criterion", "safe"), "csv")
    assert [c for c in per_rating.columns if c in {c["key"] for c in CRITERIA}] == ["safe"]
    per_item = read_back(export_file(rich, tmp_path, "jsonl", "item", "--criterion", "tone"), "jsonl")
    assert [c for c in per_item.columns if "." in c and not c.startswith(("content.", "meta."))] == [
        f"tone.{suffix}" for suffix, _ in FINAL_LABEL_COLUMNS
    ]


def test_revisions_repeats_and_presentation_are_exported(rich, tmp_path):
    frame = read_back(export_file(rich, tmp_path, "jsonl", "rating"), "jsonl")
    r1 = rater_pseudonym(rich, UserFactory(username="r1").pk)
    mine = frame[(frame["item_id"] == "majority") & (frame["rater"] == r1)]
    first, repeat = mine[~mine["is_repeat"]].iloc[0], mine[mine["is_repeat"]].iloc[0]
    assert first["n_revisions"] == 1 and pd.notna(first["revised_at"])
    assert repeat["n_revisions"] == 0 and pd.isna(repeat["revised_at"]) and repeat["helpful"] == 5
    assert set(frame.loc[frame["shown_left"].notna(), "source"]) == {"labels.csv"}


def test_an_empty_campaign_exports_a_header_and_no_rows(db, curator, tmp_path):
    campaign = CampaignFactory(created_by=curator, owner=curator)
    for fmt in FORMATS:
        frame = read_back(export_file(campaign, tmp_path, fmt, "rating"), fmt)
        assert len(frame) == 0
    assert "helpful" in read_back(export_file(campaign, tmp_path, "csv", "rating"), "csv").columns
    assert list(pq.read_schema(export_file(campaign, tmp_path, "parquet", "item")).names)[:2] == [
        "item_id",
        "campaign_item",
    ]


def test_export_reads_ratings_a_chunk_at_a_time(rich, monkeypatch, tmp_path):
    from ratings import exports

    monkeypatch.setattr(exports, "CHUNK_RATINGS", 3)
    path = export_file(rich, tmp_path, "parquet", "rating")
    assert pq.ParquetFile(path).metadata.num_row_groups == 4
    assert_round_trip(rich, pd.read_parquet(path), "rating", "parquet")


def test_times_are_utc_to_the_microsecond(rich, tmp_path):
    stamp = timezone.make_aware(datetime(2026, 3, 29, 1, 30, 0, 7), timezone=UTC)
    Rating.objects.filter(campaign=rich).update(created_at=stamp, updated_at=stamp)
    for fmt in FORMATS:
        frame = read_back(export_file(rich, tmp_path, fmt, "rating"), fmt)
        assert {normal(v, "time", fmt) for v in frame["created_at"]} == {stamp}
