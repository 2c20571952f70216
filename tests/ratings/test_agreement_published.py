"""Agreement statistics reproduce published worked examples."""

import krippendorff
import numpy as np
import pandas as pd
import pytest

from ratings import agreement

N = None

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania, repository.upenn.edu/asc_papers/43, section C:
# 4 observers x 12 units, values 1..5, with missing data.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    "C": [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
}

# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnostic categories
# (1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other), one row per
# patient. The raw assignments are those of the `diagnoses` data set in the R package irr
# (Gamer, Lemon, Fellows & Singh), whose per-category counts are Fleiss' table.
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4],
    [2, 2, 2, 5, 5, 5],
    [2, 3, 3, 3, 3, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3],
    [3, 3, 3, 3, 5, 5],
    [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4],
    [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3],
    [1, 4, 4, 4, 4, 4],
    [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5],
    [1, 1, 1, 1, 1, 2],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 4, 4, 4, 4, 4],
    [2, 2, 4, 5, 5, 5],
    [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4],
    [1, 1, 1, 1, 5, 5],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3],
    [5, 5, 5, 5, 5, 5],
]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories;
# each row counts the raters who chose each category.
WIKIPEDIA_FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# The `anxiety` data set of the R package irr: 20 subjects rated 1..6 by 3 raters.
ANXIETY = {
    1: [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
    2: [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
    3: [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
}


def _long(by_rater: dict) -> pd.DataFrame:
    rows = [(unit, rater, v) for rater, values in by_rater.items() for unit, v in enumerate(values) if v is not None]
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


def _from_rows(table: list[list]) -> pd.DataFrame:
    rows = [(i, r, v) for i, row in enumerate(table) for r, v in enumerate(row)]
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


def _from_counts(counts: list[list[int]]) -> pd.DataFrame:
    rows = []
    for i, row in enumerate(counts):
        raters = iter(range(sum(row)))
        rows += [(i, next(raters), category) for category, n in enumerate(row, start=1) for _ in range(n)]
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


def _from_table(table: list[list[int]]) -> pd.DataFrame:
    """Two raters "a" and "b"; table[i][j] items got category i from a and j from b."""
    rows, item = [], 0
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            for _ in range(n):
                rows += [(item, "a", i), (item, "b", j)]
                item += 1
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_reproduces_krippendorff_2011_example(level: str, published: float) -> None:
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: the four
    published alphas (nominal .743, ordinal .815, interval .849, ratio .797), also
    cross-checked against the krippendorff package on the same reliability matrix."""
    ratings = _long(KRIPPENDORFF_2011)
    value = agreement.alpha(ratings, level, value_domain=[1, 2, 3, 4, 5])
    assert value == pytest.approx(published, abs=5e-4)
    matrix = np.array([[np.nan if v is None else v for v in vs] for vs in KRIPPENDORFF_2011.values()], dtype=float)
    assert value == pytest.approx(krippendorff.alpha(matrix, level_of_measurement=level), abs=1e-12)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_with_ci_point_estimate_matches_krippendorff_2011(level: str, published: float) -> None:
    """Krippendorff (2011), section C: the dashboard's one-pass result carries the published alpha."""
    result = agreement.alpha_with_ci(_long(KRIPPENDORFF_2011), level, value_domain=[1, 2, 3, 4, 5], n_boot=200)
    assert result.value == pytest.approx(published, abs=5e-4)
    assert result.n_items == 12
    assert result.n_raters == 4
    assert result.n_pairable == 40  # Krippendorff's n.. : 41 values minus the lone value of unit 12
    assert result.ci_low <= result.value <= result.ci_high


def test_ordinal_alpha_orders_text_labels_by_value_domain() -> None:
    """Krippendorff (2011), section C, with the numbers 1..5 replaced by ordered words: still .815."""
    words = ["very low", "low", "mid", "high", "very high"]
    ratings = _long({r: [None if v is None else words[v - 1] for v in vs] for r, vs in KRIPPENDORFF_2011.items()})
    assert agreement.alpha(ratings, "ordinal", value_domain=words) == pytest.approx(0.815, abs=5e-4)


def test_coincidence_matrix_reproduces_krippendorff_2011() -> None:
    """Krippendorff (2011), section C, coincidence matrix: o_11 = 7, o_12 = 4/3 and value totals
    n_1..n_5 = 9, 13, 10, 5, 3 (n.. = 40)."""
    o = agreement.coincidence_matrix(_long(KRIPPENDORFF_2011), value_domain=[1, 2, 3, 4, 5])
    assert o.sum(axis=1).tolist() == pytest.approx([9, 13, 10, 5, 3])
    assert o.loc[1, 1] == pytest.approx(7)
    assert o.loc[1, 2] == pytest.approx(4 / 3)


def test_fleiss_kappa_reproduces_fleiss_1971_table_1() -> None:
    """Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin 76(5):378-382, Table 1 (30 subjects, 6 raters, 5 categories): kappa = .430
    (R irr's kappam.fleiss gives 0.4302445 on the same data)."""
    assert agreement.fleiss_kappa(_from_rows(FLEISS_1971)) == pytest.approx(0.4302445, abs=1e-7)


def test_fleiss_kappa_reproduces_wikipedia_worked_example() -> None:
    """Wikipedia, "Fleiss' kappa", worked example (10 subjects, 14 raters, 5 categories): kappa = 0.210."""
    assert agreement.fleiss_kappa(_from_counts(WIKIPEDIA_FLEISS_COUNTS)) == pytest.approx(0.210, abs=5e-4)


def test_cohen_kappa_reproduces_sas_proc_freq_example() -> None:
    """SAS/STAT PROC FREQ (AGREE) printout for the 3x3 table [[0,4,1],[0,8,0],[0,1,5]] as reproduced in
    statsmodels' test suite: simple kappa 0.4842, weighted kappa with Cicchetti-Allison (linear)
    weights 0.4701. Hand check: p_o = 13/19, p_e = 64/361 + ... gives 0.48416."""
    ratings = _from_table([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert agreement.cohen_kappa(ratings, "a", "b") == pytest.approx(0.4842, abs=5e-5)
    assert agreement.cohen_kappa(ratings, "a", "b", weights="linear") == pytest.approx(0.4701, abs=5e-5)


@pytest.mark.parametrize(
    ("weights", "published"),
    [(None, -0.006289308), ("linear", 0.1459075), ("quadratic", 0.2520325)],
)
def test_cohen_kappa_reproduces_r_irr_anxiety_example(weights: str | None, published: float) -> None:
    """R package irr, data set `anxiety`, raters 2 and 3: kappa2() gives unweighted -0.006289308,
    "equal" (linear) 0.1459075 and "squared" (quadratic) 0.2520325. irr weights the observed
    categories (1, 2, 3, 4, 6: nobody used 5), which is our default without value_domain."""
    ratings = _long(ANXIETY)
    assert agreement.cohen_kappa(ratings, 2, 3, weights=weights) == pytest.approx(published, abs=1e-7)


def test_gwet_ac1_reproduces_gwet_2014_four_rater_example() -> None:
    """Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed.: the 4 raters x 12 units data
    (shipped as `cac.raw4raters` in Gwet's irrCAC package, the same data as Krippendorff 2011 section C);
    irrCAC's documented gwet.ac1.raw result is AC1 = 0.77544 with p_a = 0.81818 and p_e = 0.19032.
    Hand check: p_a = 9/11 over the 11 units with >= 2 ratings; (0.81818 - 0.19032) / 0.80968 = 0.77544."""
    assert agreement.gwet_ac1(_long(KRIPPENDORFF_2011)) == pytest.approx(0.77544, abs=5e-6)


def test_percent_agreement_of_krippendorff_2011_example_by_hand() -> None:
    """No published figure; counted by hand on Krippendorff (2011) section C: of the 110 ordered pairs
    of labels within units, 86 agree (units 1, 3-5, 7 and 9-11 agree fully, units 2 and 8 in 6 of 12
    pairs, unit 6 in none; unit 12 has a single label)."""
    assert agreement.percent_agreement(_long(KRIPPENDORFF_2011)) == pytest.approx(86 / 110)
