"""Rater bias and consistency checks on small tables computed by hand."""

import numpy as np
import pandas as pd
import pytest

from ratings import agreement, agreement_bias


def _choices(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rater", "item", "shown_left", "value"])


def test_position_bias_counts_left_choices_in_original_labelling() -> None:
    """r1: A shown left (left), B shown left (left), B with a left (right), a tie: 2 of 3 left, p = 1.
    r2 picks the left response 10 times out of 10: p = 2 * 0.5**10."""
    rows = [("r1", 1, "a", "A"), ("r1", 2, "b", "B"), ("r1", 3, "a", "B"), ("r1", 4, "b", "tie")]
    rows += [("r2", i, "a" if i % 2 else "b", "A" if i % 2 else "B") for i in range(10)]
    table = agreement_bias.position_bias(_choices(rows))
    assert table.loc["r1"].to_dict() == {"n": 3, "n_ties": 1, "left": 2, "left_share": 2 / 3, "p_value": 1.0}
    assert table.loc["r2", "left_share"] == 1.0
    assert table.loc["r2", "p_value"] == pytest.approx(2 * 0.5**10)


def test_position_bias_rejects_unknown_values() -> None:
    with pytest.raises(ValueError, match="'C'|'c'"):
        agreement_bias.position_bias(_choices([("r1", 1, "a", "C")]))


def test_position_bias_of_a_rater_with_only_ties_is_nan() -> None:
    table = agreement_bias.position_bias(_choices([("r1", 1, "a", "tie")]))
    assert table.loc["r1", "n"] == 0 and np.isnan(table.loc["r1", "p_value"])


def test_length_bias_counts_choices_for_the_longer_response() -> None:
    """Items 1-3 have a longer; item 4 b; item 5 equal lengths. The rater picks the longer 3 of 4 times."""
    choices = pd.DataFrame({"rater": ["r"] * 6, "item": [1, 2, 3, 4, 5, 6], "value": ["A", "A", "B", "B", "A", "tie"]})
    len_a = {1: 300, 2: 250, 3: 400, 4: 10, 5: 50, 6: 80}
    len_b = {1: 100, 2: 100, 3: 100, 4: 90, 5: 50, 6: 20}
    table = agreement_bias.length_bias(choices, len_a, len_b)
    assert table.loc["r", "n"] == 4
    assert table.loc["r", "longer"] == 3
    assert table.loc["r", "n_equal_length"] == 1
    assert table.loc["r", "p_value"] == pytest.approx(0.625)  # P(|X - 2| >= 1), X ~ Bin(4, 1/2)


def test_intransitive_triads_per_rater() -> None:
    prefs = pd.DataFrame(
        [
            ("cyclic", "m1", "m2", "m1"),
            ("cyclic", "m2", "m3", "m2"),
            ("cyclic", "m3", "m1", "m3"),
            ("ordered", "m1", "m2", "m1"),
            ("ordered", "m2", "m3", "m2"),
            ("ordered", "m1", "m3", "m1"),
            ("ordered", "m3", "m4", "tie"),
            ("ordered", "m1", "m4", "m4"),
        ],
        columns=["rater", "option_x", "option_y", "winner"],
    )
    table = agreement_bias.intransitive_triads(prefs)
    assert table.loc["cyclic", ["triads_checked", "intransitive"]].tolist() == [1, 1]
    # m3-m4 is a tie, so only the triad (m1, m2, m3) has strict preferences on all three pairs.
    assert table.loc["ordered", ["triads_checked", "intransitive"]].tolist() == [1, 0]
    assert table.loc["ordered", "n_options"] == 4


def test_intransitive_triads_settles_repeated_pairs_by_majority() -> None:
    prefs = pd.DataFrame(
        [("r", "a", "b", "a"), ("r", "b", "a", "b"), ("r", "a", "b", "a"), ("r", "b", "c", "b"), ("r", "c", "a", "c")],
        columns=["rater", "option_x", "option_y", "winner"],
    )
    assert agreement_bias.intransitive_triads(prefs).loc["r", "intransitive"] == 1


def test_test_retest_per_rater() -> None:
    first = pd.DataFrame({"item": [1, 2, 3, 1, 2], "rater": ["a", "a", "a", "b", "b"], "value": [1, 2, 3, 4, 4]})
    repeat = pd.DataFrame({"item": [1, 2, 3, 1], "rater": ["a", "a", "a", "b"], "value": [1, 2, 2, 4]})
    table = agreement_bias.test_retest(first, repeat, "ordinal", value_domain=[1, 2, 3, 4, 5])
    assert table.loc["a", "n_repeated"] == 3
    assert table.loc["a", "exact_agreement"] == pytest.approx(2 / 3)
    as_two_raters = pd.DataFrame(
        {"item": [1, 2, 3, 1, 2, 3], "rater": ["first"] * 3 + ["repeat"] * 3, "value": [1, 2, 3, 1, 2, 2]}
    )
    assert table.loc["a", "alpha"] == pytest.approx(agreement.alpha(as_two_raters, "ordinal"))
    assert table.loc["b", "n_repeated"] == 1
    assert table.loc["b", "exact_agreement"] == 1.0
    assert np.isnan(table.loc["b", "alpha"])  # one item, no variation
