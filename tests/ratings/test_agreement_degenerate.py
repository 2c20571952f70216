"""Degenerate label tables give the documented result or error, never a numpy/pandas crash."""

import krippendorff
import numpy as np
import pandas as pd
import pytest

from ratings import agreement, agreement_diagnostics


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


CONSTANT = _frame([(1, "a", "x"), (1, "b", "x"), (2, "a", "x"), (2, "b", "x"), (3, "c", "x")])


def test_agreement_errors_are_value_errors() -> None:
    for error in (
        agreement.InsufficientDataError,
        agreement.NoVariationError,
        agreement.UnequalRatingsError,
        agreement.DuplicateLabelError,
    ):
        assert issubclass(error, agreement.AgreementError)
    assert issubclass(agreement.AgreementError, ValueError)


@pytest.mark.parametrize("level", list(agreement.LEVELS))
def test_empty_table_raises_insufficient_data(level: str) -> None:
    with pytest.raises(agreement.InsufficientDataError, match="no labels"):
        agreement.alpha(_frame([]), level)


def test_single_rater_raises_insufficient_data() -> None:
    ratings = _frame([(1, "a", 1), (2, "a", 2), (3, "a", 3)])
    for fn in (
        lambda: agreement.alpha(ratings, "ordinal"),
        lambda: agreement.alpha_with_ci(ratings, "ordinal"),
        lambda: agreement.percent_agreement(ratings),
        lambda: agreement.fleiss_kappa(ratings),
        lambda: agreement.gwet_ac1(ratings),
    ):
        with pytest.raises(agreement.InsufficientDataError, match="only one rater"):
            fn()


def test_no_item_with_two_labels_raises_insufficient_data() -> None:
    ratings = _frame([(1, "a", 1), (2, "b", 2), (3, "c", 3)])
    with pytest.raises(agreement.InsufficientDataError, match="no item has labels from two raters"):
        agreement.alpha(ratings, "nominal")
    with pytest.raises(agreement.InsufficientDataError):
        agreement.percent_agreement(ratings)
    with pytest.raises(agreement.InsufficientDataError):
        agreement.gwet_ac1(ratings)


@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_no_variation_raises_with_explanation(level: str) -> None:
    domain = ["x", "y"] if level == "ordinal" else None
    message = "all 4 labels are 'x': agreement is undefined when there is no variation"
    with pytest.raises(agreement.NoVariationError, match=message):
        agreement.alpha(CONSTANT, level, value_domain=domain)
    with pytest.raises(agreement.NoVariationError, match=message):
        agreement.alpha_with_ci(CONSTANT, level, value_domain=domain)


def test_no_variation_for_kappas() -> None:
    with pytest.raises(agreement.NoVariationError, match="no variation"):
        agreement.cohen_kappa(CONSTANT, "a", "b")
    with pytest.raises(agreement.NoVariationError, match="no variation"):
        agreement.fleiss_kappa(CONSTANT[CONSTANT["item"] != 3])


def test_percent_agreement_without_variation_is_one() -> None:
    assert agreement.percent_agreement(CONSTANT) == 1.0


def test_gwet_ac1_without_variation_needs_the_scale() -> None:
    """AC1's chance agreement depends on the number of categories, so with the scale it is defined (1.0)."""
    with pytest.raises(agreement.NoVariationError):
        agreement.gwet_ac1(CONSTANT)
    assert agreement.gwet_ac1(CONSTANT, value_domain=["x", "y"]) == pytest.approx(1.0)


@pytest.mark.parametrize("level", list(agreement.LEVELS))
@pytest.mark.parametrize("values", [[1, 2], [1, 1, 2], [1, 2, 2, 3]])
def test_single_item_with_disagreement_gives_zero(level: str, values: list[int]) -> None:
    """One item's coincidences equal the expected ones, so alpha is exactly 0, as in the krippendorff package."""
    ratings = _frame([(1, r, v) for r, v in enumerate(values)])
    assert agreement.alpha(ratings, level) == pytest.approx(0.0, abs=1e-12)
    assert krippendorff.alpha([[v] for v in values], level_of_measurement=level) == pytest.approx(0.0, abs=1e-12)
    result = agreement.alpha_with_ci(ratings, level, n_boot=50)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.0, 0.0), abs=1e-12)


def test_missing_values_are_dropped_like_absent_rows() -> None:
    with_nan = _frame([(1, "a", 1), (1, "b", 2), (1, "c", np.nan), (2, "a", 2), (2, "b", 2), (2, "c", None)])
    without = with_nan.dropna()
    assert agreement.alpha(with_nan, "interval") == agreement.alpha(without, "interval")
    assert agreement.alpha_with_ci(with_nan, "interval").n_pairable == 4


@pytest.mark.parametrize(
    "fn", [agreement.alpha, agreement.alpha_ci, agreement.alpha_with_ci, agreement_diagnostics.item_disagreement]
)
def test_unknown_level_names_the_allowed_ones(fn) -> None:
    with pytest.raises(ValueError, match="nominal, ordinal, interval, ratio"):
        fn(CONSTANT, "categorical")


def test_unknown_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="linear"):
        agreement.cohen_kappa(CONSTANT, "a", "b", weights="cubic")


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="rater"):
        agreement.alpha(pd.DataFrame({"item": [1], "value": [1]}))


def test_duplicate_label_names_rater_and_item() -> None:
    ratings = _frame([(1, "a", 1), (1, "a", 2), (1, "b", 2)])
    with pytest.raises(agreement.DuplicateLabelError, match="rater 'a' labelled item 1 2 times"):
        agreement.alpha(ratings)


def test_label_outside_value_domain_is_named() -> None:
    ratings = _frame([(1, "a", 1), (1, "b", 7)])
    with pytest.raises(ValueError, match="outside value_domain: 7"):
        agreement.alpha(ratings, "ordinal", value_domain=[1, 2, 3, 4, 5])


def test_text_ordinal_labels_need_a_value_domain() -> None:
    ratings = _frame([(1, "a", "low"), (1, "b", "high"), (2, "a", "low"), (2, "b", "low")])
    with pytest.raises(ValueError, match="value_domain"):
        agreement.alpha(ratings, "ordinal")
    with pytest.raises(ValueError, match="numeric"):
        agreement.alpha(ratings, "interval")
    assert agreement.alpha(ratings, "ordinal", value_domain=["low", "high"]) == pytest.approx(
        agreement.alpha(ratings.replace({"low": 1, "high": 2}), "ordinal")
    )


def test_unused_scale_points_do_not_change_alpha() -> None:
    ratings = _frame([(1, "a", 1), (1, "b", 2), (2, "a", 2), (2, "b", 2), (3, "a", 1), (3, "b", 1)])
    for level in agreement.LEVELS:
        assert agreement.alpha(ratings, level, value_domain=[1, 2, 3, 4, 5]) == pytest.approx(
            agreement.alpha(ratings, level)
        )


def test_fleiss_kappa_with_unequal_ratings_suggests_alternatives() -> None:
    ratings = _frame([(1, "a", 1), (1, "b", 1), (1, "c", 2), (2, "a", 2), (2, "b", 2)])
    with pytest.raises(agreement.UnequalRatingsError, match="same number of ratings") as error:
        agreement.fleiss_kappa(ratings)
    assert "alpha()" in str(error.value) and "gwet_ac1()" in str(error.value)


def test_cohen_kappa_without_shared_items() -> None:
    ratings = _frame([(1, "a", 1), (2, "b", 2), (1, "c", 1)])
    with pytest.raises(agreement.InsufficientDataError, match="no item in common"):
        agreement.cohen_kappa(ratings, "a", "b")
    with pytest.raises(agreement.InsufficientDataError, match="no labels"):
        agreement.cohen_kappa(ratings, "a", "nobody")


def test_cohen_kappa_raters_constant_on_different_values_is_zero() -> None:
    ratings = _frame([(1, "a", 1), (1, "b", 2), (2, "a", 1), (2, "b", 2)])
    assert agreement.cohen_kappa(ratings, "a", "b") == pytest.approx(0.0)


def test_bootstrap_arguments_are_validated() -> None:
    ratings = _frame([(1, "a", 1), (1, "b", 2), (2, "a", 2), (2, "b", 2)])
    with pytest.raises(ValueError, match="n_boot"):
        agreement.alpha_ci(ratings, n_boot=0)
    with pytest.raises(ValueError, match="confidence"):
        agreement.alpha_ci(ratings, confidence=95)


def test_resamples_without_variation_are_left_out_of_the_interval() -> None:
    """Two items: half the resamples repeat one item (no variation); the rest give the defined values."""
    ratings = _frame([(1, "a", 1), (1, "b", 1), (2, "a", 2), (2, "b", 2)])
    low, high = agreement.alpha_ci(ratings, "nominal", n_boot=200)
    assert (low, high) == (1.0, 1.0)


def test_multilabel_label_without_variation_is_nan() -> None:
    ratings = _frame([(1, "a", ["x"]), (1, "b", ["x", "y"]), (2, "a", ["x"]), (2, "b", ["x"])])
    result = agreement.multilabel_alpha_per_label(ratings, labels=["x", "y", "z"])
    assert np.isnan(result["x"]) and np.isnan(result["z"])
    assert result["y"] == pytest.approx(agreement.alpha(_frame([(1, "a", 0), (1, "b", 1), (2, "a", 0), (2, "b", 0)])))


def test_masi_alpha_on_identical_sets_raises_no_variation() -> None:
    ratings = _frame([(1, "a", {"x"}), (1, "b", {"x"}), (2, "a", {"x"}), (2, "b", {"x"})])
    with pytest.raises(agreement.NoVariationError):
        agreement.masi_alpha(ratings)
