"""Repeated labels in an imported file: refused naming both rows, the first or last kept, or kept as repeats.

The n-th label of an (item, rater, criterion) in file order belongs to the rater's n-th rating of the item.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from annotate.models import Campaign, CampaignItem
from ratings import agreement, agreement_bias
from ratings.importers import Layout
from ratings.models import Rating
from ratings.services import ratings_import
from tests.factories import RatingFactory
from tests.ratings.test_import_ratings import (
    CRITERIA,
    FORMATS,
    counts,
    external_rater,
    long_rows,
    make_campaign,
    write_file,
)
from tests.ratings.test_import_ratings_page import _post


def ratings_of(campaign: Campaign, rater: str = "r1") -> list[tuple[str, bool, dict[str, Any]]]:
    """(external id, is_repeat, values) of an external rater's ratings, in the order they were stored."""
    rows = Rating.objects.filter(rater__username=f"{rater}@{campaign.slug}").order_by("pk")
    return [(r.campaign_item.item.external_id, r.is_repeat, r.values) for r in rows]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_keep_stores_three_labels_as_one_rating_and_two_repeats(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    rows = long_rows(
        ("i1", "r1", "helpful", "4"),
        ("i2", "r1", "helpful", "2"),
        ("i1", "r1", "helpful", "5"),
        ("i1", "r1", "helpful", "4"),
    )
    result = ratings_import(campaign=campaign, source=write_file(tmp_path, fmt, rows), repeats="keep")
    assert (result.n_ratings, result.n_labels, result.n_repeats, result.n_dropped) == (4, 4, 2, 0)
    assert ratings_of(campaign) == [
        ("i1", False, {"helpful": 4}),
        ("i2", False, {"helpful": 2}),
        ("i1", True, {"helpful": 5}),
        ("i1", True, {"helpful": 4}),
    ]


@pytest.mark.django_db
def test_keep_puts_the_nth_label_of_each_criterion_into_the_nth_rating(tmp_path: Path) -> None:
    campaign = make_campaign()
    rows = long_rows(
        ("i1", "r1", "helpful", "4"),
        ("i1", "r1", "topic", "code"),
        ("i1", "r1", "helpful", "3"),
        ("i1", "r1", "helpful", "2"),
        ("i1", "r1", "topic", "maths"),
    )
    ratings_import(campaign=campaign, source=write_file(tmp_path, "jsonl", rows), repeats="keep")
    assert ratings_of(campaign) == [
        ("i1", False, {"helpful": 4, "topic": "code"}),
        ("i1", True, {"helpful": 3, "topic": "maths"}),
        ("i1", True, {"helpful": 2}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_keep_reads_a_repeated_item_row_of_the_wide_layout_as_repeats(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    rows = [
        {"item_id": "i1", "r1": "4", "r2": "3"},
        {"item_id": "i2", "r1": "1", "r2": None},
        {"item_id": "i1", "r1": "5", "r2": None},
    ]
    layout = Layout(wide=True, criterion="helpful")
    result = ratings_import(campaign=campaign, source=write_file(tmp_path, fmt, rows), layout=layout, repeats="keep")
    assert (result.n_ratings, result.n_repeats) == (4, 1)
    assert ratings_of(campaign) == [
        ("i1", False, {"helpful": 4}),
        ("i2", False, {"helpful": 1}),
        ("i1", True, {"helpful": 5}),
    ]
    assert ratings_of(campaign, "r2") == [("i1", False, {"helpful": 3})]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_first_keeps_the_first_label_and_counts_the_others(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    rows = long_rows(("i1", "r1", "helpful", "4"), ("i1", "r1", "helpful", "5"), ("i1", "r1", "helpful", "1"))
    result = ratings_import(campaign=campaign, source=write_file(tmp_path, fmt, rows), repeats="first")
    assert (result.n_ratings, result.n_labels, result.n_repeats, result.n_dropped) == (1, 1, 0, 2)
    assert ratings_of(campaign) == [("i1", False, {"helpful": 4})]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_last_keeps_the_last_label_with_its_comment(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    rows = [
        {"item_id": "i1", "rater": "r1", "criterion": "helpful", "value": "4", "comment": "first look"},
        {"item_id": "i1", "rater": "r1", "criterion": "topic", "value": "code", "comment": "clearly code"},
        {"item_id": "i1", "rater": "r1", "criterion": "helpful", "value": "2", "comment": "second look"},
    ]
    result = ratings_import(campaign=campaign, source=write_file(tmp_path, fmt, rows), repeats="last")
    assert (result.n_ratings, result.n_labels, result.n_dropped) == (1, 2, 1)
    rating = Rating.objects.get()
    assert (rating.values, rating.is_repeat) == ({"helpful": 2, "topic": "code"}, False)
    assert rating.comment == "second look\nclearly code"


@pytest.mark.django_db
def test_error_is_the_default_and_names_both_rows(tmp_path: Path) -> None:
    campaign = make_campaign(item_ids=["x", "y"])
    before = counts()
    rows = long_rows(("x", "r1", "helpful", "3"), ("y", "r1", "helpful", "3"), ("x", "r1", "helpful", "4"))
    expected = (
        "line 4, field 'value', value '4': rater 'r1' already labelled item 'x' on helpful at line 2; to import "
        "repeated labels, set repeats to first, last or keep (--repeats first|last|keep)."
    )
    with pytest.raises(ValidationError) as caught:
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    assert caught.value.messages == [expected]
    assert counts() == before


@pytest.mark.django_db
def test_an_unknown_repeats_choice_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", long_rows(("i1", "r1", "helpful", "3")))
    with pytest.raises(ValidationError, match=r"repeats: 'twice' is not one of error, first, last, keep"):
        ratings_import(campaign=campaign, source=path, repeats="twice")


@pytest.mark.django_db
def test_keep_turns_a_label_of_an_item_already_rated_here_into_a_repeat(tmp_path: Path) -> None:
    campaign = make_campaign()
    r1 = external_rater(campaign, f"r1@{campaign.slug}")
    old = RatingFactory(campaign_item=campaign.items.get(item__external_id="i1"), rater=r1, values={"helpful": 1})
    rows = long_rows(("i1", "r1", "helpful", "2"), ("i1", "r1", "helpful", "3"), ("i2", "r1", "helpful", "5"))
    path = write_file(tmp_path, "csv", rows)
    with pytest.raises(ValidationError, match=r"line 2, field 'item_id', value 'i1': rater 'r1' already rated"):
        ratings_import(campaign=campaign, source=path, repeats="first")
    result = ratings_import(campaign=campaign, source=path, repeats="keep")
    assert (result.n_ratings, result.n_repeats, result.n_replaced) == (3, 2, 0)
    old.refresh_from_db()
    assert (old.values, old.is_repeat, old.revisions.count()) == ({"helpful": 1}, False, 0)
    assert ratings_of(campaign)[1:] == [
        ("i2", False, {"helpful": 5}),
        ("i1", True, {"helpful": 2}),
        ("i1", True, {"helpful": 3}),
    ]


@pytest.mark.django_db
def test_first_with_replace_overwrites_the_existing_rating(tmp_path: Path) -> None:
    campaign = make_campaign()
    r1 = external_rater(campaign, f"r1@{campaign.slug}")
    old = RatingFactory(campaign_item=campaign.items.get(item__external_id="i1"), rater=r1, values={"helpful": 1})
    rows = long_rows(("i1", "r1", "helpful", "2"), ("i1", "r1", "helpful", "3"))
    result = ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows), repeats="last", replace=True)
    assert (result.n_replaced, result.n_dropped) == (1, 1)
    old.refresh_from_db()
    assert old.values == {"helpful": 3}
    assert not Rating.objects.filter(is_repeat=True).exists()


@pytest.mark.django_db
def test_keep_and_replace_together_are_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", long_rows(("i1", "r1", "helpful", "3")))
    with pytest.raises(ValidationError, match=r"repeats 'keep' stores .* and replace overwrites that rating"):
        ratings_import(campaign=campaign, source=path, repeats="keep", replace=True)


@pytest.mark.django_db
def test_repeats_take_no_slot(tmp_path: Path) -> None:
    campaign = make_campaign()
    rows = long_rows(*(("i1", "r1", "helpful", str(v)) for v in (1, 2, 3, 4)), ("i1", "r2", "helpful", "5"))
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows), repeats="keep")
    item = CampaignItem.objects.get(campaign=campaign, item__external_id="i1")
    assert Rating.objects.filter(campaign_item=item).count() == 5
    assert (item.n_rated, item.n_taken) == (2, 2)
    assert campaign.counts.n_complete == 1


def test_test_retest_pairs_the_first_label_with_each_repeat() -> None:
    """A rater's several repeats of one item are each paired with the first label (Krippendorff 2011, alpha).

    Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability: each (first, repeat) pair is one unit
    coded by two coders, "first" and "repeat"; alpha is computed over those units.
    """
    first = pd.DataFrame({"item": [1, 2, 3], "rater": ["a"] * 3, "value": [1, 3, 5]})
    # Item 1 was rated again three times, item 2 once, item 3 never.
    repeat = pd.DataFrame({"item": [1, 1, 1, 2], "rater": ["a"] * 4, "value": [1, 2, 1, 3]})
    table = agreement_bias.test_retest(first, repeat, "ordinal", value_domain=[1, 2, 3, 4, 5])
    assert (table.loc["a", "n_repeated"], table.loc["a", "n_pairs"]) == (2, 4)
    assert table.loc["a", "exact_agreement"] == pytest.approx(3 / 4)
    as_two_coders = pd.DataFrame(
        {"item": [0, 1, 2, 3] * 2, "rater": ["first"] * 4 + ["repeat"] * 4, "value": [1, 1, 1, 3, 1, 2, 1, 3]}
    )
    expected = agreement.alpha(as_two_coders, "ordinal", value_domain=[1, 2, 3, 4, 5])
    assert table.loc["a", "alpha"] == pytest.approx(expected)
    # The first label given once per repeat, as pairs of (first, repeat) carry it, counts once.
    again = agreement_bias.test_retest(first.iloc[[0, 0, 0, 1, 2]], repeat, "ordinal", [1, 2, 3, 4, 5])
    pd.testing.assert_frame_equal(again, table)
    assert not np.isnan(expected)


def _retest_file(tmp_path: Path) -> Path:
    """Two raters' labels of six items, then each rater's three repeats of two items."""
    firsts = {"r1": [1, 2, 3, 4, 5, 3], "r2": [2, 2, 3, 5, 5, 4]}
    rows = [(f"i{n}", rater, "helpful", str(v)) for rater, values in firsts.items() for n, v in enumerate(values)]
    # r1 repeats herself exactly; r2 does not.
    rows += [("i0", "r1", "helpful", "1")] * 3 + [("i1", "r1", "helpful", "2")] * 3
    rows += [("i0", "r2", "helpful", str(v)) for v in (4, 1, 5)] + [("i1", "r2", "helpful", str(v)) for v in (5, 1, 3)]
    return write_file(tmp_path, "csv", long_rows(*rows))


@pytest.mark.django_db
def test_the_dashboard_and_api_show_the_imported_raters_test_retest(
    tmp_path: Path, client: Client, campaign: Campaign, owner: Any
) -> None:
    cache.clear()
    campaign = make_campaign(CRITERIA[:1], [f"i{n}" for n in range(6)])
    campaign.memberships.create(user=owner, role="owner")
    result = ratings_import(campaign=campaign, source=_retest_file(tmp_path), repeats="keep")
    assert (result.n_ratings, result.n_repeats) == (24, 12)
    client.force_login(owner)
    data = client.get(f"/api/v1/campaigns/{campaign.slug}/agreement").json()
    retest = {row["username"]: row for row in data["criteria"][0]["test_retest"]}
    r1, r2 = retest[f"r1@{campaign.slug}"], retest[f"r2@{campaign.slug}"]
    assert (r1["n_repeated"], r1["exact_agreement"], r1["alpha"]) == (2, 1.0, 1.0)
    assert r2["n_repeated"] == 2
    assert r2["exact_agreement"] == 0.0
    assert r2["alpha"] < 0.5
    page = client.get(f"/c/{campaign.slug}/agreement/").content.decode()
    assert "Test–retest" in page and f"r1@{campaign.slug}" in page


@pytest.mark.django_db
def test_command_repeats_option(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", long_rows(("i1", "r1", "helpful", "4"), ("i1", "r1", "helpful", "5")))
    with pytest.raises(CommandError, match=r"already labelled item 'i1' on helpful at line 2"):
        call_command("import_ratings", str(path), "--campaign", campaign.slug)
    call_command("import_ratings", str(path), "--campaign", campaign.slug, "--repeats", "keep")
    assert "Stored as test-retest repeats: 1 ratings." in capsys.readouterr().out
    other = make_campaign()
    call_command("import_ratings", str(path), "--campaign", other.slug, "--repeats", "last")
    assert "Repeated labels left out (kept the last): 1." in capsys.readouterr().out


@pytest.mark.django_db
def test_the_upload_page_offers_the_four_choices(client: Client, campaign: Campaign, owner: Any) -> None:
    client.force_login(owner)
    page = client.get(f"/c/{campaign.slug}/ratings/import/").content.decode()
    for value in ("error", "first", "last", "keep"):
        assert f'<option value="{value}"' in page
    first = campaign.items.order_by("order_key").first().item.external_id
    text = f"item_id,rater,criterion,value\n{first},r1,helpful,4\n{first},r1,helpful,5\n{first},r1,helpful,3\n"
    refused = _post(client, campaign, text).content.decode()
    assert "already labelled item" in refused and "Nothing was imported." in refused
    page = _post(client, campaign, text, repeats="keep").content.decode()
    assert '<div class="stat">2</div><div class="muted">test–retest repeats</div>' in page
    assert Rating.objects.filter(campaign_item__campaign=campaign, is_repeat=True).count() == 2
    bad = _post(client, campaign, text, repeats="keep", replace="on")
    assert bad.status_code == 400
    assert "Keeping repeats stores labels of items already rated as repeats" in bad.content.decode()


@pytest.mark.django_db
def test_a_second_import_with_keep_adds_repeats_after_the_stored_ones(tmp_path: Path) -> None:
    campaign = make_campaign()
    rows = long_rows(("i1", "r1", "helpful", "4"), ("i1", "r1", "helpful", "5"))
    ratings_import(campaign=campaign, source=write_file(tmp_path, "jsonl", rows), repeats="keep")
    again = long_rows(("i1", "r1", "helpful", "3"), ("i1", "r1", "helpful", "2"))
    (tmp_path / "second").mkdir()
    ratings_import(campaign=campaign, source=write_file(tmp_path / "second", "jsonl", again), repeats="keep")
    stored = Rating.objects.filter(rater__username=f"r1@{campaign.slug}").order_by("pk")
    assert [(r.is_repeat, r.repeat_number, r.values["helpful"]) for r in stored] == [
        (False, 0, 4),
        (True, 1, 5),
        (True, 2, 3),
        (True, 3, 2),
    ]
