"""Diagnostics on small tables computed by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from ratings import agreement, agreement_diagnostics


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


# item 1: x x y; item 2: y y y; item 3: x y x (raters a, b, c)
NOMINAL = _frame(
    [(1, "a", "x"), (1, "b", "x"), (1, "c", "y"), (2, "a", "y"), (2, "b", "y"), (2, "c", "y")]
    + [(3, "a", "x"), (3, "b", "y"), (3, "c", "x")]
)
# item 1: 1 2 3; item 2: 4 4 5; item 3: 2 2 2; item 4: 5 4 (c missing)
ORDINAL = _frame(
    [(1, "a", 1), (1, "b", 2), (1, "c", 3), (2, "a", 4), (2, "b", 4), (2, "c", 5)]
    + [(3, "a", 2), (3, "b", 2), (3, "c", 2), (4, "a", 5), (4, "b", 4)]
)


def test_rater_agreement_nominal_compares_with_the_others_majority() -> None:
    """a: only item 2 has a clear majority among the others (y = a's label); b and c match it on
    one of their two clear items."""
    table = agreement_diagnostics.rater_agreement(NOMINAL, "nominal")
    assert table.loc["a", "n_compared"] == 1 and table.loc["a", "agreement_with_others"] == 1.0
    assert table.loc["b", "agreement_with_others"] == 0.5
    assert table.loc["c", "agreement_with_others"] == 0.5
    assert table.loc["a", "n_labels"] == 3
    assert table.loc["a", "alpha_without"] == pytest.approx(agreement.alpha(NOMINAL[NOMINAL["rater"] != "a"]))


def test_rater_agreement_ordinal_uses_distance_from_the_others_mean() -> None:
    """Rater c: |3 - 1.5| + |5 - 4| + |2 - 2| = 2.5 over 3 items; a: |1-2.5| + |4-4.5| + 0 + |5-4| = 3 over 4."""
    table = agreement_diagnostics.rater_agreement(ORDINAL, "ordinal", value_domain=[1, 2, 3, 4, 5])
    assert table.loc["c", "mean_abs_diff"] == pytest.approx(2.5 / 3)
    assert table.loc["a", "mean_abs_diff"] == pytest.approx(3 / 4)
    assert table.loc["a", "n_compared"] == 4
    assert -1 <= table.loc["a", "correlation"] <= 1


def test_rater_agreement_correlation_is_nan_with_too_few_items() -> None:
    ratings = _frame([(1, "a", 1), (1, "b", 2), (2, "a", 2), (2, "b", 3)])
    assert np.isnan(agreement_diagnostics.rater_agreement(ratings, "interval").loc["a", "correlation"])


def test_pairwise_kappa_matrix() -> None:
    """a = 1 1 2 2, b = 1 2 2 2 on items 1-4: p_o = 3/4, p_e = 1/2, kappa = 1/2. c shares one item with a."""
    ratings = _frame(
        [(i, "a", v) for i, v in enumerate([1, 1, 2, 2])]
        + [(i, "b", v) for i, v in enumerate([1, 2, 2, 2])]
        + [(0, "c", 1)]
    )
    result = agreement_diagnostics.pairwise_kappa_matrix(ratings)
    assert result.kappa.loc["a", "b"] == pytest.approx(0.5)
    assert result.kappa.loc["b", "a"] == pytest.approx(0.5)
    assert np.isnan(result.kappa.loc["a", "c"]) and np.isnan(result.kappa.loc["a", "a"])
    assert result.n_shared.loc["a", "c"] == 1
    assert result.n_shared.loc["a", "b"] == 4


def test_item_disagreement_nominal_entropy_in_bits() -> None:
    table = agreement_diagnostics.item_disagreement(NOMINAL, "nominal")
    two_to_one = -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)
    assert table.loc[1, "entropy"] == pytest.approx(two_to_one)
    assert table.loc[2, "entropy"] == 0.0
    assert table.loc[1, "majority"] == "x"
    assert table.loc[1, "majority_share"] == pytest.approx(2 / 3)
    assert list(table.index)[-1] == 2  # the unanimous item sorts last


def test_item_disagreement_ordinal_spread_and_median() -> None:
    table = agreement_diagnostics.item_disagreement(ORDINAL, "ordinal", value_domain=[1, 2, 3, 4, 5])
    assert list(table.index) == [1, 4, 2, 3]  # std 0.82, 0.5, 0.47, 0
    assert table.loc[1, "std"] == pytest.approx(np.std([0, 1, 2]))
    assert table.loc[1, "range"] == 2
    assert table.loc[1, "median"] == 2
    assert table.loc[4, "median"] == 4  # lower median of 4 and 5


def test_most_disputed_skips_single_label_items() -> None:
    ratings = pd.concat([ORDINAL, _frame([(9, "a", 1)])])
    top = agreement_diagnostics.most_disputed(ratings, "interval", n=10)
    assert 9 not in top.index
    assert list(top.index[:2]) == [1, 4]


def test_label_distribution_counts_and_shares_with_an_all_raters_row() -> None:
    table = agreement_diagnostics.label_distribution(ORDINAL, value_domain=[1, 2, 3, 4, 5])
    assert table.loc["a", ("count", 2)] == 1
    assert table.loc["c", ("count", 4)] == 0
    assert table.loc[agreement.ALL_RATERS, ("count", 2)] == 4
    assert table.loc[agreement.ALL_RATERS, "n_labels"].item() == 11
    assert table.loc["b", ("share", 4)] == pytest.approx(2 / 4)


def test_alpha_by_slice_reports_undefined_slices_without_raising() -> None:
    slices = {1: "long", 2: "long", 3: "short", 4: "long"}
    table = agreement_diagnostics.alpha_by_slice(ORDINAL, slices, "ordinal", value_domain=[1, 2, 3, 4, 5], n_boot=50)
    long = ORDINAL[ORDINAL["item"].isin([1, 2, 4])]
    assert table.loc["long", "value"] == pytest.approx(agreement.alpha(long, "ordinal", value_domain=[1, 2, 3, 4, 5]))
    assert table.loc["long", "reason"] == ""
    assert np.isnan(table.loc["short", "value"])
    assert "no variation" in table.loc["short", "reason"]


def test_alpha_over_time_is_cumulative_per_period() -> None:
    days = {1: "2026-03-02", 2: "2026-03-02", 3: "2026-03-03", 4: "2026-03-05"}
    ratings = ORDINAL.assign(time=ORDINAL["item"].map(days))
    table = agreement_diagnostics.alpha_over_time(ratings, "interval", freq="D", n_boot=50)
    assert table["n_labels"].tolist() == [6, 9, 11]
    assert table["value"].iloc[-1] == pytest.approx(agreement.alpha(ORDINAL, "interval"))
    windowed = agreement_diagnostics.alpha_over_time(ratings, "interval", freq="D", window="1D", n_boot=50)
    assert windowed["n_labels"].tolist() == [6, 3, 2]
    assert "no variation" in windowed["reason"].iloc[1]


def test_gold_accuracy_per_rater() -> None:
    table = agreement_diagnostics.gold_accuracy(NOMINAL, {1: "x", 3: "x"})
    assert table.loc["a"].tolist() == [2, 2, 1.0]
    assert table.loc["b", "accuracy"] == 0.5
    assert table.loc["c", "correct"] == 1
    no_gold = agreement_diagnostics.gold_accuracy(NOMINAL, {})
    assert no_gold.loc["a", "n"] == 0 and np.isnan(no_gold.loc["a", "accuracy"])


def test_items_needed_for_precision_scales_with_inverse_square_of_half_width() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=60)
    ratings = _frame(
        [(i, r, int(np.clip(round(3 + z[i] + rng.normal(scale=0.7)), 1, 5))) for i in range(60) for r in range(3)]
    )
    plan = agreement.items_needed_for_precision(ratings, "ordinal", target_half_width=0.02, n_boot=300, seed=2)
    low, high = agreement.alpha_ci(ratings, "ordinal", n_boot=300, seed=2)
    half = (high - low) / 2
    assert plan.current_half_width == pytest.approx(half)
    assert plan.value == math.ceil(60 * (half / 0.02) ** 2)
    assert plan.additional_items == plan.value - 60
    relaxed = agreement.items_needed_for_precision(ratings, "ordinal", target_half_width=1.0, n_boot=300, seed=2)
    assert (relaxed.value, relaxed.additional_items) == (60, 0)


def test_multilabel_alpha_per_label_and_masi() -> None:
    """Label y: present/absent per (item, rater) is a (1,0), b (1,1), so one disagreement over 3 items."""
    ratings = _frame(
        [(1, "a", ["x", "y"]), (1, "b", ["x"]), (2, "a", ["y"]), (2, "b", ["y"]), (3, "a", []), (3, "b", ["x", "z"])]
    )
    per_label = agreement.multilabel_alpha_per_label(ratings, labels=["x", "y", "z", "w"])
    binary_y = _frame([(1, "a", 1), (1, "b", 0), (2, "a", 1), (2, "b", 1), (3, "a", 0), (3, "b", 0)])
    assert per_label["y"] == pytest.approx(agreement.alpha(binary_y))
    assert np.isnan(per_label["w"])
    # MASI: {x,y} vs {x} = 1 - 1/2 * 2/3 = 2/3; {y} vs {y} = 0; {} vs {x,z} = 1.
    # n = 6; the sets' marginals are {x,y}, {x}, {y} x2, {}, {x,z}; D_o sums 2*(2/3) + 2*1 = 10/3.
    assert agreement.masi_distance(frozenset("xy"), frozenset("x")) == pytest.approx(2 / 3)
    assert agreement.masi_distance(frozenset("xy"), frozenset("yz")) == pytest.approx(1 - (1 / 3) * (1 / 3))
    sets = [frozenset("xy"), frozenset("x"), frozenset("y"), frozenset("y"), frozenset(), frozenset("xz")]
    expected_pairs = sum(agreement.masi_distance(a, b) for a in sets for b in sets)
    assert agreement.masi_alpha(ratings) == pytest.approx(1 - (6 - 1) * (10 / 3) / expected_pairs)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_pairwise_kappa_matrix_equals_cohen_kappa_per_pair(weights: str | None) -> None:
    """Random coverage: some pairs share no item, one item, or only one value (kappa undefined)."""
    rng = np.random.default_rng(11)
    rows = [(i, f"r{r}", int(rng.integers(1, 5))) for r in range(6) for i in range(40) if rng.random() < 0.5]
    rows += [(100, "lone", 2), (0, "same", 3), (1, "same", 3), (2, "same", 3)]
    ratings = _frame(rows)
    domain = [1, 2, 3, 4]
    result = agreement_diagnostics.pairwise_kappa_matrix(ratings, weights, domain)
    raters = list(pd.unique(ratings["rater"]))
    for a in raters:
        for b in raters:
            items_a = set(ratings.loc[ratings["rater"] == a, "item"])
            shared = items_a & set(ratings.loc[ratings["rater"] == b, "item"])
            assert result.n_shared.loc[a, b] == len(shared)
            expected = np.nan
            if a != b and len(shared) >= 2:
                try:
                    expected = agreement.cohen_kappa(ratings, a, b, weights, domain)
                except agreement.AgreementError:
                    pass
            assert result.kappa.loc[a, b] == pytest.approx(expected, abs=1e-12, nan_ok=True)
