"""CSV exports never hand a spreadsheet a formula: text cells that begin like one get a quote in front."""

import csv
import io

import pandas as pd
import pytest
from django.core.management import call_command

from annotate.models import CampaignItem
from annotate.rubrics import validate_criteria
from ratings.export_encoders import neutralise
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    ItemFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1,1)", "\t=1", "\r=1"]


@pytest.fixture
def hostile(db, curator):
    """A campaign whose content, metadata, field names, comments and answers all begin like formulas."""
    criteria = validate_criteria(
        [
            {"key": "tone", "type": "categorical", "options": ["=formal", "casual"]},
            {"key": "pref", "type": "pairwise", "strength": 2},
            {"key": "why", "type": "free_text", "required": False},
        ]
    )
    dataset = DatasetFactory(content_fields=["prompt", "=field"], metadata_fields=["@source"])
    campaign = CampaignFactory(
        created_by=curator, owner=curator, dataset=dataset, rubric_version=RubricVersionFactory(criteria=criteria)
    )
    for order, formula in enumerate(FORMULAS):
        item = ItemFactory(
            dataset=dataset,
            external_id=f"-{order}",
            content={"prompt": formula, "=field": "plain"},
            metadata={"@source": formula},
        )
        ci = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        RatingFactory(
            campaign_item=ci,
            rater=UserFactory(username=f"r{order}"),
            values={"tone": "=formal", "pref": -2, "why": formula},
            comment=formula,
            source="'quoted.csv",
        )
    return campaign


def _csv(campaign, per: str) -> str:
    out = io.StringIO()
    call_command("export_labels", campaign.slug, "--format", "csv", "--per", per, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("per", ["rating", "item"])
def test_no_text_cell_of_a_csv_export_begins_like_a_formula(hostile, per):
    rows = list(csv.reader(io.StringIO(_csv(hostile, per))))
    header = rows[0]
    numeric = {"campaign_item", "pref", "rubric_version", "n_revisions", "pref.final", "pref.aggregate"}
    for row in rows:
        for name, cell in zip(header, row, strict=True):
            if name in numeric or name.endswith((".n_raters", ".disagreement", ".confidence")):
                continue
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"{name}: {cell!r}"


def test_content_comments_values_and_headers_get_a_quote_in_front(hostile):
    frame = pd.read_csv(io.StringIO(_csv(hostile, "rating")), keep_default_na=False)
    assert set(frame["comment"]) == {"'" + f for f in FORMULAS}
    assert set(frame["why"]) == {"'" + f for f in FORMULAS}
    assert set(frame["tone"]) == {"'=formal"}
    assert set(frame["item_id"]) == {f"'-{i}" for i in range(len(FORMULAS))}
    # A text that already begins with a quote gets another, so that dropping one always gives the text back.
    assert set(frame["source"]) == {"''quoted.csv"}
    per_item = pd.read_csv(io.StringIO(_csv(hostile, "item")), keep_default_na=False)
    assert "content.=field" in per_item.columns
    assert set(per_item["content.prompt"]) == {"'" + f for f in FORMULAS}
    assert set(per_item["meta.@source"]) == {"'" + f for f in FORMULAS}
    assert set(per_item["tone.final"]) == {"'=formal"}


def test_a_header_made_from_a_field_name_is_neutralised_too():
    assert neutralise("=cmd") == "'=cmd"
    assert neutralise("content.=cmd") == "content.=cmd"


def test_negative_numbers_written_as_numbers_are_left_alone(hostile):
    frame = pd.read_csv(io.StringIO(_csv(hostile, "rating")))
    assert frame["pref"].tolist() == [-2] * len(FORMULAS)
    assert frame["pref"].dtype.kind == "i"
    per_item = pd.read_csv(io.StringIO(_csv(hostile, "item")))
    assert per_item["pref.final"].tolist() == [-2] * len(FORMULAS)


def test_dropping_one_leading_quote_gives_every_text_back(hostile):
    frame = pd.read_csv(io.StringIO(_csv(hostile, "rating")), keep_default_na=False)
    restored = {cell[1:] if cell.startswith("'") else cell for cell in frame["comment"]}
    assert restored == set(FORMULAS)
    assert {cell[1:] for cell in frame["source"]} == {"'quoted.csv"}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_jsonl_and_parquet_keep_text_as_it_is(hostile, tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    call_command("export_labels", hostile.slug, "--format", fmt, "-o", str(path), stderr=io.StringIO())
    frame = pd.read_json(path, lines=True) if fmt == "jsonl" else pd.read_parquet(path)
    assert set(frame["comment"]) == set(FORMULAS)
