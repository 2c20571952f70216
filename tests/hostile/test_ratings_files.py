"""Hostile labels and gold files: NUL characters, oversized text, deep JSON, floods of raters, absurd ids.

Each is refused with a message naming the row (and field) that quotes at most a short piece of the input,
nothing is written, and the commands end with a one-line error rather than a traceback.
"""

from pathlib import Path
from typing import Any

import orjson
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, CampaignItem
from annotate.rubrics import validate_criteria
from ratings.gold import campaign_gold_import, campaign_items_mark_gold, campaign_items_unmark_gold
from ratings.importers import Layout
from ratings.models import Rating
from ratings.services import MAX_COMMENT_LENGTH, ratings_import
from tests.ratings.test_import_ratings import counts, make_campaign

pytestmark = pytest.mark.django_db

# An error message quotes at most ~100 characters of a cell; the rest of the message is a sentence or two.
MAX_MESSAGE_LENGTH = 500


def _jsonl(path: Path, *records: dict[str, Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def _label(**fields: Any) -> dict[str, Any]:
    return {"item_id": "i1", "rater": "alice", "criterion": "why", "value": "fine", **fields}


def _refused(campaign: Campaign, path: Path, layout: Layout | None = None) -> str:
    """Import the file, expecting a refusal that writes nothing; return the message."""
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ratings_import(campaign=campaign, source=path, layout=layout)
    assert counts() == before
    message = " ".join(exc.value.messages)
    assert len(message) < MAX_MESSAGE_LENGTH
    return message


# --------------------------------------------------------------------------- ratings import


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"item_id": "i1\x00"}, "item_id"),
        ({"rater": "al\x00ice"}, "rater"),
        ({"value": "a\x00b"}, "value"),
        ({"criterion": "issues", "value": ["typo\x00"]}, "value"),
        ({"comment": "see\x00here"}, "comment"),
    ],
)
def test_a_nul_character_is_refused_naming_the_line_and_field(tmp_path: Path, fields: dict, field: str) -> None:
    campaign = make_campaign()
    path = _jsonl(tmp_path / "labels.jsonl", _label(item_id="i2"), _label(**fields))
    message = _refused(campaign, path)
    # The file reader or the label check refuses it, whichever sees it first.
    assert message.startswith(f"line 2, field '{field}'")
    assert "NUL character" in message and "cannot be stored" in message


def test_a_comment_longer_than_the_rating_page_allows_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = _jsonl(tmp_path / "labels.jsonl", _label(comment="c" * MAX_COMMENT_LENGTH), _label(comment="c" * 10_001))
    message = _refused(campaign, path)
    assert message.startswith("line 2, field 'comment', value 'cccc")
    assert "(10,001 characters): a comment has at most 10,000 characters, got 10,001" in message


def test_comments_merged_into_one_rating_have_the_same_cap(tmp_path: Path) -> None:
    campaign = make_campaign()
    rows = [_label(comment="a" * 6_000), _label(criterion="helpful", value=3, comment="b" * 6_000)]
    message = _refused(campaign, _jsonl(tmp_path / "labels.jsonl", *rows))
    assert message.startswith("line 2, field 'comment', value 'bbbb")
    assert "the comments of rater 'alice' on item 'i1' add up to more than 10,000 characters" in message


@pytest.mark.parametrize(("max_length", "limit"), [(50, 50), (None, MAX_COMMENT_LENGTH)])
def test_free_text_longer_than_its_cap_is_refused(tmp_path: Path, max_length: int | None, limit: int) -> None:
    criterion = {"key": "why", "type": "free_text"} | ({"max_length": max_length} if max_length else {})
    campaign = make_campaign(criteria=validate_criteria([criterion]))
    path = _jsonl(tmp_path / "labels.jsonl", _label(value="w" * limit), _label(rater="bob", value="w" * (limit + 1)))
    message = _refused(campaign, path)
    assert message.startswith("line 2, field 'value', value 'wwww")
    assert f"an answer to why has at most {limit:,} characters, got {limit + 1:,}" in message


def test_an_error_quotes_a_long_cell_only_in_part(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = _jsonl(tmp_path / "labels.jsonl", _label(criterion="helpful", value="9" * 1_000_000))
    message = _refused(campaign, path)
    assert message.startswith(f"line 1, field 'value', value '{'9' * 100}'… (1,000,000 characters): ")


@pytest.mark.parametrize(("key", "digits"), [("helpful", 400), ("helpful", 5000), ("score", 400)])
def test_a_number_of_hundreds_of_digits_is_refused(tmp_path: Path, key: str, digits: int) -> None:
    campaign = make_campaign()
    path = tmp_path / "labels.csv"
    path.write_text(f"item_id,rater,criterion,value\ni1,alice,{key},{'9' * digits}\n")
    message = _refused(campaign, path)
    assert message.startswith(f"line 2, field 'value', value '{'9' * 100}'… ({digits:,} characters): ")


def test_a_value_nested_a_thousand_levels_deep_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = tmp_path / "labels.jsonl"
    path.write_text('{"item_id": "i1", "rater": "a", "criterion": "issues", "value": %s}\n' % ("[" * 1000 + "]" * 1000))
    message = _refused(campaign, path)
    assert message.startswith("line 1, field 'value', value (a value nested too deeply to show): ")
    assert "a label is one value or a list of values, not a nested structure" in message


def test_a_criterion_cell_holding_a_list_is_not_a_criterion(tmp_path: Path) -> None:
    campaign = make_campaign()
    message = _refused(campaign, _jsonl(tmp_path / "labels.jsonl", _label(criterion=["why"])))
    assert message.startswith("line 1, field 'criterion', value [\"why\"]: not a criterion of this rubric")


def test_a_missing_column_lists_only_the_first_columns(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = tmp_path / "labels.csv"
    path.write_text(",".join(["item_id", "rater", "criterion", *(f"c{n}" for n in range(5000))]) + "\n")
    message = _refused(campaign, path)
    assert message.startswith("The value column 'value' is not in the file (columns: item_id, rater, criterion, c0,")
    assert message.endswith("and 4,983 more).")


def _flood(path: Path, n_raters: int) -> Path:
    """A wide file of one item rated by n_raters columns: 9,999 of them (the reader's limit) take about 79 KB."""
    header = ",".join(["item_id", *(f"r{n}" for n in range(n_raters))])
    path.write_text(f"{header}\ni1,{','.join(['3'] * n_raters)}\n")
    return path


def test_a_small_wide_file_cannot_flood_the_site_with_accounts(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = _flood(tmp_path / "wide.csv", 9_999)
    assert path.stat().st_size < 80_000
    users = User.objects.count()
    message = _refused(campaign, path, Layout(wide=True, criterion="helpful"))
    assert message.startswith("line 2, field 'r1000', value 'r1000': this is new rater 1,001")
    assert User.objects.count() == users


def test_the_command_refuses_a_flood_with_one_line(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = _flood(tmp_path / "wide.csv", 9_999)
    users = User.objects.count()
    with pytest.raises(CommandError, match=r"^line 2, field 'r1000', value 'r1000': this is new rater 1,001"):
        call_command("import_ratings", str(path), "--campaign", campaign.slug, "--wide", "--criterion", "helpful")
    assert User.objects.count() == users


def test_the_page_refuses_a_nul_character_naming_the_line(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    first = campaign.items.order_by("order_key").values_list("item__external_id", flat=True)[0]
    record = {"item_id": first, "rater": "alice", "criterion": "helpful", "value": 3, "comment": "x\x00y"}
    data = {
        "file": SimpleUploadedFile("labels.jsonl", orjson.dumps(record) + b"\n"),
        "layout": "long",
        "item_field": "item_id",
        "rater_field": "rater",
        "criterion_field": "criterion",
        "value_field": "value",
        "comment_field": "comment",
    }
    before = counts()
    # The import runs as a task; its page names the line.
    response = client.post(reverse("ratings-upload:ratings-import", args=[campaign.slug]), data, follow=True)
    assert response.status_code == 200
    assert "line 1, field &#x27;comment&#x27;" in response.content.decode()
    assert "a NUL character" in response.content.decode()
    assert counts() == before
    assert not Rating.objects.exists()


# --------------------------------------------------------------------------- gold files


def _gold_refused(campaign: Campaign, path: Path) -> str:
    """Mark gold from the file, expecting a refusal that marks nothing; return the message."""
    with pytest.raises(ValidationError) as exc:
        campaign_gold_import(campaign=campaign, source=path)
    assert not CampaignItem.objects.filter(is_gold=True).exists()
    message = " ".join(exc.value.messages)
    assert len(message) < MAX_MESSAGE_LENGTH
    return message


@pytest.mark.parametrize(
    ("item_id", "problem"),
    [
        ("i" * 256, "(256 characters) is longer than 255 characters, which no item id is"),
        (["i2"], "a list is not an id"),
        ({"id": "i2"}, "a dict is not an id"),
        (True, "True is not an id"),
    ],
)
def test_a_gold_id_no_item_can_have_is_refused_naming_the_line(tmp_path: Path, item_id: Any, problem: str) -> None:
    campaign = make_campaign()
    path = _jsonl(tmp_path / "gold.jsonl", {"id": "i1", "helpful": 4}, {"id": item_id, "helpful": 3})
    message = _gold_refused(campaign, path)
    assert message.startswith("line 2: id: ")
    assert problem in message


def test_a_nul_character_in_a_gold_file_is_refused_naming_the_line(tmp_path: Path) -> None:
    campaign = make_campaign()
    rows = [{"id": "i1", "helpful": 4}, {"id": "i2\x00", "helpful": 3}, {"id": "i3", "topic": "code\x00"}]
    message = _gold_refused(campaign, _jsonl(tmp_path / "gold.jsonl", *rows))
    # The file reader or the gold check refuses it, whichever sees it first.
    assert message.startswith("line 2")
    assert "NUL character" in message


def test_a_gold_id_with_a_nul_character_is_refused() -> None:
    campaign = make_campaign()
    with pytest.raises(ValidationError) as exc:
        campaign_items_mark_gold(campaign=campaign, external_ids=["i1\x00"], answers={"i1\x00": {"helpful": 3}})
    assert exc.value.messages == ["item 'i1\\x00': contains a NUL character (\\x00), which no item id has"]
    assert not CampaignItem.objects.filter(is_gold=True).exists()


def test_a_gold_id_outside_the_sample_is_named(tmp_path: Path) -> None:
    campaign = make_campaign()
    message = _gold_refused(campaign, _jsonl(tmp_path / "gold.jsonl", {"id": "nope", "helpful": 3}))
    assert message == f"line 1 (id 'nope'): not in the sample of '{campaign.slug}'"


def test_a_gold_value_nested_a_thousand_levels_deep_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "i1", "issues": %s}\n' % ("[" * 1000 + "]" * 1000))
    message = _gold_refused(campaign, path)
    assert message == (
        "line 1 (id 'i1'): issues: an expected value is one value or a list of values, not a nested structure"
    )


def test_a_long_gold_value_is_quoted_only_in_part(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = tmp_path / "gold.csv"
    path.write_text(f"id,topic,issues\ni1,{'x' * 1_000_000},{'y' * 1_000_000}\n")
    message = _gold_refused(campaign, path)
    assert "line 2 (id 'i1'): topic: 'xxxx" in message
    assert "is not one of 'code', 'maths'" in message
    assert "is not one of 'typo', 'wrong', 'rude'" in message


def test_a_long_unknown_gold_column_is_quoted_only_in_part(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = tmp_path / "gold.csv"
    path.write_text(f"id,{'k' * 100_000}\ni1,3\n")
    message = _gold_refused(campaign, path)
    assert message.startswith(f"header: column '{'k' * 100}'… (100,000 characters) is not a criterion")


def test_mark_gold_refuses_a_nul_character_with_one_line(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = _jsonl(tmp_path / "gold.jsonl", {"id": "i1\x00", "helpful": 3})
    with pytest.raises(CommandError, match=r"^line 1\b.*NUL character"):
        call_command("mark_gold", campaign.slug, str(path))
    assert not CampaignItem.objects.filter(is_gold=True).exists()


def test_a_number_of_thousands_of_digits_in_a_gold_file_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = tmp_path / "gold.csv"
    path.write_text(f"id,helpful,score\ni1,{'9' * 5000},{'1' * 5000}\n")
    message = _gold_refused(campaign, path)
    assert message.startswith(f"line 2 (id 'i1'): helpful: '{'9' * 100}'… (5,000 characters) is not a value of")


def test_removing_a_gold_item_by_an_id_with_a_nul_character_is_refused() -> None:
    campaign = make_campaign()
    with pytest.raises(ValidationError) as exc:
        campaign_items_unmark_gold(campaign=campaign, external_ids=["i1\x00"])
    assert exc.value.messages == [f"external_ids: 'i1\\x00' not a gold item of '{campaign.slug}'"]
