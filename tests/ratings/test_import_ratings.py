"""ratings_import: long and wide layouts in every format, external raters, merging, replace, and atomic errors.

Who receives imported labels (external raters, members, the cap on new raters) is in test_import_ratings_raters.py.
"""

import csv
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from annotate.models import Campaign, CampaignItem, Membership
from annotate.rubrics import validate_criteria
from ratings import agreement
from ratings.importers import Layout
from ratings.models import Rating, RatingRevision
from ratings.services import ratings_import
from tests.factories import CampaignFactory, ItemFactory, RatingFactory, RubricVersionFactory, UserFactory

CRITERIA = validate_criteria(
    [
        {"key": "helpful", "type": "likert", "scale": {"min": 1, "max": 5}},
        {"key": "topic", "type": "categorical", "options": ["code", "maths"]},
        {"key": "safe", "type": "binary"},
        {"key": "issues", "type": "multi_label", "options": ["typo", "wrong", "rude"]},
        {"key": "score", "type": "numeric", "min": 0, "max": 100, "step": 0.5},
        {"key": "pref", "type": "pairwise"},
        {"key": "graded", "type": "pairwise", "strength": 2},
        {"key": "why", "type": "free_text"},
    ]
)
ITEM_IDS = ["i1", "i2", "i3", "i4"]
FORMATS = ["csv", "jsonl", "parquet"]


def make_campaign(criteria: list[dict[str, Any]] = CRITERIA, item_ids: list[str] = ITEM_IDS) -> Campaign:
    """A campaign whose sample holds items with the given external ids, in order."""
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=criteria))
    for order, external_id in enumerate(item_ids):
        item = ItemFactory(dataset=campaign.dataset, external_id=external_id)
        CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
    return campaign


def write_file(directory: Path, fmt: str, rows: list[dict[str, Any]], name: str = "labels") -> Path:
    """Write rows as CSV (every cell text, None as empty), JSONL or Parquet; columns from the first row."""
    path = directory / f"{name}.{fmt}"
    if fmt == "csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else [])
            writer.writeheader()
            writer.writerows([{k: "" if v is None else v for k, v in row.items()} for row in rows])
    elif fmt == "jsonl":
        path.write_bytes(
            b"".join(orjson.dumps({k: v for k, v in row.items() if v is not None}) + b"\n" for row in rows)
        )
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def counts() -> tuple[int, ...]:
    """Everything an import may write: users, memberships, ratings, revisions and sampled items."""
    return (
        User.objects.count(),
        Membership.objects.count(),
        Rating.objects.count(),
        RatingRevision.objects.count(),
        CampaignItem.objects.count(),
    )


def values_of(campaign: Campaign) -> dict[tuple[str, str], dict[str, Any]]:
    """Stored values by (external id, rater name): the username, without the campaign's external-rater suffix."""
    rows = Rating.objects.filter(campaign_item__campaign=campaign).values_list(
        "campaign_item__item__external_id", "rater__username", "values"
    )
    return {(external_id, rater.removesuffix(f"@{campaign.slug}")): values for external_id, rater, values in rows}


def external_rater(campaign: Campaign, name: str) -> User:
    """The campaign's external rater of a name, as an import (or an earlier version of it) creates one."""
    user = User.objects.create(username=name, is_active=False)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(campaign=campaign, user=user, role=Membership.Role.RATER, rates=True)
    return user


def long_rows(*labels: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Long-layout rows from (item id, rater, criterion, value) tuples."""
    return [{"item_id": i, "rater": r, "criterion": c, "value": v} for i, r, c, v in labels]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_long_layout_merges_each_raters_criteria_into_one_rating(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    rows = long_rows(
        ("i1", "alice", "helpful", "4"),
        ("i1", "alice", "topic", "code"),
        ("i1", "bob", "helpful", "2"),
        ("i2", "alice", "safe", "no"),
    )
    path = write_file(tmp_path, fmt, rows)
    result = ratings_import(campaign=campaign, source=path)
    assert (result.n_ratings, result.n_labels, result.n_items) == (3, 4, 2)
    assert sorted(r.name for r in result.raters_created) == ["alice", "bob"]
    assert values_of(campaign) == {
        ("i1", "alice"): {"helpful": 4, "topic": "code"},
        ("i1", "bob"): {"helpful": 2},
        ("i2", "alice"): {"safe": False},
    }
    assert set(Rating.objects.values_list("source", flat=True)) == {f"labels.{fmt}"}
    assert set(Rating.objects.values_list("rubric_version", flat=True)) == {campaign.rubric_version_id}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_wide_layout_reads_one_column_per_rater_and_skips_empty_cells(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    rows = [
        {"item_id": "i1", "alice": "5", "bob": "4", "carol": None},
        {"item_id": "i2", "alice": "1", "bob": None, "carol": "2"},
    ]
    path = write_file(tmp_path, fmt, rows)
    result = ratings_import(campaign=campaign, source=path, layout=Layout(wide=True, criterion="helpful"))
    assert (result.n_ratings, result.n_labels, result.n_items) == (4, 4, 2)
    assert values_of(campaign) == {
        ("i1", "alice"): {"helpful": 5},
        ("i1", "bob"): {"helpful": 4},
        ("i2", "alice"): {"helpful": 1},
        ("i2", "carol"): {"helpful": 2},
    }


@pytest.mark.django_db
def test_native_jsonl_and_parquet_values_are_accepted(tmp_path: Path) -> None:
    campaign = make_campaign()
    rows = long_rows(("i1", "alice", "helpful", 3), ("i2", "alice", "helpful", 5.0), ("i3", "alice", "score", 7.5))
    ratings_import(campaign=campaign, source=write_file(tmp_path, "jsonl", rows[:2]))
    ratings_import(campaign=campaign, source=write_file(tmp_path, "parquet", rows[2:]))
    values = values_of(campaign)
    assert values[("i1", "alice")] == {"helpful": 3}
    assert values[("i2", "alice")] == {"helpful": 5}
    assert values[("i3", "alice")] == {"score": 7.5}


@pytest.mark.django_db
def test_external_raters_get_no_login_and_a_rater_membership(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = write_file(
        tmp_path, "csv", long_rows(("i1", "Ann Smith", "helpful", "3"), ("i2", "ann.s@lab", "helpful", "2"))
    )
    result = ratings_import(campaign=campaign, source=path)
    assert sorted((r.name, r.username) for r in result.raters_created) == [
        ("Ann_Smith", f"Ann_Smith@{campaign.slug}"),
        ("ann.s@lab", f"ann.s@lab@{campaign.slug}"),
    ]
    for rater in result.raters_created:
        user = User.objects.get(username=rater.username)
        assert not user.has_usable_password()
        assert not user.is_active
        assert Membership.objects.get(campaign=campaign, user=user).role == Membership.Role.RATER


@pytest.mark.django_db
def test_a_member_who_does_not_rate_keeps_their_role_and_gets_no_labels(tmp_path: Path) -> None:
    campaign = make_campaign()
    login_user = UserFactory(username="dana")
    Membership.objects.create(campaign=campaign, user=login_user, role=Membership.Role.ADJUDICATOR)
    path = write_file(tmp_path, "csv", long_rows(("i1", "dana", "helpful", "3")))
    result = ratings_import(campaign=campaign, source=path, match_members=True)
    assert [r.username for r in result.raters_created] == [f"dana@{campaign.slug}"]
    assert Rating.objects.get().rater.username == f"dana@{campaign.slug}"
    assert Membership.objects.get(campaign=campaign, user=login_user).role == Membership.Role.ADJUDICATOR
    assert User.objects.get(pk=login_user.pk).has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "cell", "expected"),
    [
        ("helpful", "4", 4),
        ("helpful", "4.0", 4),
        ("topic", "maths", "maths"),
        ("safe", "yes", True),
        ("safe", "TRUE", True),
        ("safe", "0", False),
        ("safe", "No", False),
        ("issues", '["rude", "typo"]', ["typo", "rude"]),
        ("issues", "typo|wrong", ["typo", "wrong"]),
        ("issues", "wrong; rude", ["wrong", "rude"]),
        ("issues", "[]", []),
        ("score", "12.5", 12.5),
        ("score", "40", 40),
        ("pref", "a", "A"),
        ("pref", "Tie", "tie"),
        ("graded", "-2", -2),
        ("why", " too short ", "too short"),
    ],
)
def test_text_cells_are_parsed_per_criterion_type(tmp_path: Path, key: str, cell: str, expected: Any) -> None:
    campaign = make_campaign()
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", long_rows(("i1", "alice", key, cell))))
    assert values_of(campaign)[("i1", "alice")] == {key: expected}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "cell", "problem"),
    [
        ("helpful", "7", "7 is not one of 1, 2, 3, 4, 5"),
        ("helpful", "four", "'four' is not one of"),
        ("topic", "poetry", "'poetry' is not one of 'code', 'maths'"),
        ("safe", "maybe", "is not yes or no"),
        ("issues", "typo|spam", "'spam' is not one of"),
        ("issues", "typo|typo", "lists a label more than once"),
        ("score", "101", "outside 0–100"),
        ("score", "0.3", "not on a step of 0.5"),
        ("score", "lots", "is not a number"),
        ("pref", "C", "'C' is not one of"),
        ("graded", "3", "3 is not one of"),
    ],
)
def test_invalid_value_names_row_field_and_value_and_writes_nothing(
    tmp_path: Path, key: str, cell: str, problem: str
) -> None:
    campaign = make_campaign()
    before = counts()
    rows = long_rows(("i1", "alice", "helpful", "3"), ("i2", "bob", key, cell))
    with pytest.raises(ValidationError) as exc:
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    message = exc.value.messages[0]
    assert message.startswith(f"line 3, field 'value', value {cell!r}:")
    assert problem in message
    assert counts() == before


@pytest.mark.django_db
def test_invalid_wide_cell_names_the_rater_column(tmp_path: Path) -> None:
    campaign = make_campaign()
    before = counts()
    path = write_file(tmp_path, "parquet", [{"item_id": "i1", "alice": 2, "bob": 9}])
    with pytest.raises(ValidationError, match=r"row 1, field 'bob', value 9: Helpful: 9 is not one of"):
        ratings_import(campaign=campaign, source=path, layout=Layout(wide=True, criterion="helpful"))
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_item_id_names_the_row_and_id(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    before = counts()
    rows = long_rows(("i1", "alice", "helpful", "3"), ("nope", "alice", "helpful", "3"))
    with pytest.raises(ValidationError) as exc:
        ratings_import(campaign=campaign, source=write_file(tmp_path, fmt, rows))
    where = "row 2" if fmt == "parquet" else ("line 2" if fmt == "jsonl" else "line 3")
    assert exc.value.messages[0].startswith(f"{where}, field 'item_id', value 'nope': no item with this id is in the")
    assert counts() == before


@pytest.mark.django_db
def test_unknown_criterion_names_the_row(tmp_path: Path) -> None:
    campaign = make_campaign()
    before = counts()
    rows = long_rows(("i1", "alice", "helpful", "3"), ("i1", "alice", "tone", "3"))
    with pytest.raises(
        ValidationError, match=r"line 3, field 'criterion', value 'tone': not a criterion of this rubric"
    ):
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    with pytest.raises(ValidationError, match=r"value 'tone': not a criterion"):
        ratings_import(
            campaign=campaign,
            source=write_file(tmp_path, "csv", [{"item_id": "i1", "alice": "3"}]),
            layout=Layout(wide=True, criterion="tone"),
        )
    assert counts() == before


@pytest.mark.django_db
def test_missing_column_is_named(tmp_path: Path) -> None:
    campaign = make_campaign()
    before = counts()
    path = write_file(tmp_path, "csv", [{"item_id": "i1", "rater": "alice", "criterion": "helpful"}])
    with pytest.raises(ValidationError, match=r"The value column 'value' is not in the file"):
        ratings_import(campaign=campaign, source=path)
    with pytest.raises(ValidationError, match=r"The item id column 'item' is not in the file"):
        ratings_import(campaign=campaign, source=path, layout=Layout(wide=True, criterion="helpful", item_field="item"))
    assert counts() == before


@pytest.mark.django_db
def test_missing_jsonl_field_names_the_line(tmp_path: Path) -> None:
    campaign = make_campaign()
    before = counts()
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"item_id": "i1", "rater": "alice", "criterion": "helpful", "value": 3}\n'
        '{"item_id": "i2", "criterion": "helpful", "value": 3}\n'
    )
    with pytest.raises(ValidationError, match=r"line 2, field 'rater': the rater is missing"):
        ratings_import(campaign=campaign, source=path)
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.csv", "", "The file is empty: expected a header line"),
        ("header.csv", "item_id,rater,criterion,value\n", "The file is empty: it contains no labels"),
        ("empty.jsonl", "\n", "The file is empty: it contains no labels"),
    ],
)
def test_empty_file_is_refused(tmp_path: Path, name: str, text: str, message: str) -> None:
    campaign = make_campaign()
    before = counts()
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValidationError, match=message):
        ratings_import(campaign=campaign, source=path)
    assert counts() == before


@pytest.mark.django_db
def test_empty_long_value_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    with pytest.raises(ValidationError, match=r"line 2, field 'value', value '': the value is empty"):
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", ""))))


@pytest.mark.django_db
def test_duplicate_label_names_both_rows(tmp_path: Path) -> None:
    campaign = make_campaign()
    before = counts()
    rows = long_rows(("i1", "alice", "helpful", "3"), ("i2", "alice", "helpful", "3"), ("i1", "alice", "helpful", "4"))
    with pytest.raises(ValidationError, match=r"line 4, field 'value', value '4': rater 'alice' already labelled "
                       r"item 'i1' on helpful at line 2"):  # fmt: skip
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    wide = [{"item_id": "i1", "alice": "3"}, {"item_id": "i1", "alice": "3"}]
    with pytest.raises(ValidationError, match=r"line 3, field 'alice'.*already labelled item 'i1'"):
        ratings_import(
            campaign=campaign, source=write_file(tmp_path, "csv", wide), layout=Layout(wide=True, criterion="helpful")
        )
    assert counts() == before


@pytest.mark.django_db
def test_existing_rating_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    campaign = make_campaign()
    alice = external_rater(campaign, f"alice@{campaign.slug}")
    RatingFactory(campaign_item=campaign.items.get(item__external_id="i2"), rater=alice, values={"helpful": 1})
    before = counts()
    rows = long_rows(("i1", "newcomer", "helpful", "3"), ("i2", "alice", "helpful", "4"))
    with pytest.raises(ValidationError, match=r"line 3, field 'item_id', value 'i2': rater 'alice' already rated"):
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    assert counts() == before
    assert not User.objects.filter(username__startswith="newcomer").exists()


@pytest.mark.django_db
def test_replace_keeps_the_old_version_as_a_revision(tmp_path: Path) -> None:
    campaign = make_campaign()
    alice = external_rater(campaign, f"alice@{campaign.slug}")
    old = RatingFactory(
        campaign_item=campaign.items.get(item__external_id="i2"), rater=alice, values={"helpful": 1, "topic": "code"}
    )
    rows = long_rows(("i1", "alice", "helpful", "3"), ("i2", "alice", "helpful", "4"))
    result = ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows), replace=True)
    assert (result.n_ratings, result.n_replaced) == (2, 1)
    old.refresh_from_db()
    assert old.values == {"helpful": 4, "topic": "code"}
    assert old.source == "labels.csv"
    revision = old.revisions.get()
    assert (revision.number, revision.values) == (1, {"helpful": 1, "topic": "code"})
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows[1:], name="again"), replace=True)
    assert list(old.revisions.values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_add_missing_items_samples_dataset_items_with_the_next_order_key(tmp_path: Path) -> None:
    campaign = make_campaign()
    ItemFactory(dataset=campaign.dataset, external_id="spare")
    rows = long_rows(("spare", "alice", "helpful", "3"), ("i1", "alice", "helpful", "3"))
    path = write_file(tmp_path, "csv", rows)
    with pytest.raises(ValidationError, match=r"line 2, field 'item_id', value 'spare': no item with this id"):
        ratings_import(campaign=campaign, source=path)
    result = ratings_import(campaign=campaign, source=path, add_missing_items=True)
    assert result.n_items_added == 1
    added = CampaignItem.objects.get(campaign=campaign, item__external_id="spare")
    assert added.order_key == len(ITEM_IDS)
    assert values_of(campaign)[("spare", "alice")] == {"helpful": 3}


@pytest.mark.django_db
def test_add_missing_items_still_refuses_ids_outside_the_dataset(tmp_path: Path) -> None:
    campaign = make_campaign()
    ItemFactory(external_id="elsewhere")
    before = counts()
    path = write_file(tmp_path, "csv", long_rows(("elsewhere", "alice", "helpful", "3")))
    with pytest.raises(ValidationError, match=r"value 'elsewhere': dataset '.*' has no item with this id"):
        ratings_import(campaign=campaign, source=path, add_missing_items=True)
    assert counts() == before


@pytest.mark.django_db
def test_invalid_rater_name_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", long_rows(("i1", "al/ice", "helpful", "3")))
    with pytest.raises(ValidationError, match=r"line 2, field 'rater', value 'al/ice': a rater name may contain only"):
        ratings_import(campaign=campaign, source=path)


@pytest.mark.django_db
def test_comments_are_kept_on_the_merged_rating(tmp_path: Path) -> None:
    campaign = make_campaign()
    rows = long_rows(("i1", "alice", "helpful", "3"), ("i1", "alice", "topic", "code"))
    rows[0]["comment"], rows[1]["comment"] = "vague answer", ""
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    assert Rating.objects.get().comment == "vague answer"


# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania, repository.upenn.edu/asc_papers/43, section C:
# 4 observers x 12 units, values 1..5, with missing data; nominal alpha 0.743, ordinal 0.815.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("criterion", "level", "published"),
    [
        ({"key": "code", "type": "categorical", "options": ["1", "2", "3", "4", "5"]}, "nominal", 0.743),
        ({"key": "code", "type": "likert", "scale": {"min": 1, "max": 5}}, "ordinal", 0.815),
    ],
)
def test_imported_wide_file_reproduces_krippendorff_2011_alpha(
    tmp_path: Path, criterion: dict[str, Any], level: str, published: float
) -> None:
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C, imported as a wide CSV
    (one row per unit, one column per observer): nominal alpha .743, ordinal .815."""
    units = [f"u{n}" for n in range(1, 13)]
    campaign = make_campaign(criteria=validate_criteria([criterion]), item_ids=units)
    rows = [
        {"unit": unit, **{obs: values[n] for obs, values in KRIPPENDORFF_2011.items()}} for n, unit in enumerate(units)
    ]
    result = ratings_import(
        campaign=campaign,
        source=write_file(tmp_path, "csv", rows),
        layout=Layout(wide=True, criterion="code", item_field="unit"),
    )
    assert result.n_labels == 41
    labels = [(item, rater, values["code"]) for (item, rater), values in values_of(campaign).items()]
    frame = pd.DataFrame(labels, columns=["item", "rater", "value"])
    domain = [o["value"] for o in campaign.rubric_version.criteria[0]["options"]]
    assert agreement.alpha(frame, level, value_domain=domain) == pytest.approx(published, abs=5e-4)
