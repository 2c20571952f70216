"""Properties of alpha and its bootstrap, checked on generated label tables."""

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ratings import agreement, agreement_diagnostics

LEVELS = list(agreement.LEVELS)
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def reliability_matrices(draw, max_raters: int = 5, max_items: int = 15, max_value: int = 5) -> np.ndarray:
    """Raters x items matrix of values 1..max_value with NaN for missing labels."""
    raters = draw(st.integers(2, max_raters))
    items = draw(st.integers(1, max_items))
    top = draw(st.integers(2, max_value))
    cells = st.one_of(st.none(), st.integers(1, top))
    rows = draw(st.lists(st.lists(cells, min_size=items, max_size=items), min_size=raters, max_size=raters))
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def _long(matrix: np.ndarray) -> pd.DataFrame:
    r, i = np.nonzero(~np.isnan(matrix))
    return pd.DataFrame({"item": i, "rater": r, "value": matrix[r, i].astype(int)})


def _defined(matrix: np.ndarray) -> bool:
    """Some item has two labels and the pairable labels vary."""
    counts = (~np.isnan(matrix)).sum(axis=0)
    pairable = matrix[:, counts >= 2]
    values = pairable[~np.isnan(pairable)]
    return values.size > 0 and np.unique(values).size > 1


@SETTINGS
@given(reliability_matrices(), st.sampled_from(LEVELS))
def test_alpha_equals_krippendorff_package(matrix: np.ndarray, level: str) -> None:
    assume(_defined(matrix))
    expected = krippendorff.alpha(matrix, level_of_measurement=level)
    ratings = _long(matrix)
    assert agreement.alpha(ratings, level) == pytest.approx(expected, abs=1e-9)
    # The bootstrap's own coincidence code gives the same point estimate.
    result = agreement.alpha_with_ci(ratings, level, n_boot=20)
    assert result.value == pytest.approx(expected, abs=1e-9)


@SETTINGS
@given(reliability_matrices(), st.sampled_from(LEVELS), st.randoms(use_true_random=False))
def test_alpha_is_invariant_to_order_of_raters_items_and_rows(matrix: np.ndarray, level: str, rnd) -> None:
    assume(_defined(matrix))
    ratings = _long(matrix)
    raters = list(range(matrix.shape[0]))
    items = list(range(matrix.shape[1]))
    rnd.shuffle(raters)
    rnd.shuffle(items)
    shuffled = ratings.assign(
        rater=ratings["rater"].map(lambda r: f"rater-{raters[r]}"),
        item=ratings["item"].map(lambda i: ("item", items[i])),
    ).sample(frac=1, random_state=rnd.randint(0, 10_000))
    assert agreement.alpha(shuffled, level) == pytest.approx(agreement.alpha(ratings, level), abs=1e-12)


@SETTINGS
@given(reliability_matrices(), st.permutations(["red", "green", "blue", "cyan", "pink"]))
def test_nominal_alpha_is_invariant_to_renaming_categories(matrix: np.ndarray, names: list[str]) -> None:
    assume(_defined(matrix))
    ratings = _long(matrix)
    renamed = ratings.assign(value=ratings["value"].map(lambda v: names[v - 1]))
    assert agreement.alpha(renamed, "nominal") == pytest.approx(agreement.alpha(ratings, "nominal"), abs=1e-12)


@SETTINGS
@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=20),
    st.lists(st.integers(2, 5), min_size=20, max_size=20),
    st.sampled_from(LEVELS),
)
def test_perfect_agreement_gives_one(truth: list[int], raters_per_item: list[int], level: str) -> None:
    assume(len(set(truth)) > 1)
    rows = [(i, r, v) for i, v in enumerate(truth) for r in range(raters_per_item[i])]
    ratings = pd.DataFrame(rows, columns=["item", "rater", "value"])
    assert agreement.alpha(ratings, level) == pytest.approx(1.0)
    assert agreement.alpha_with_ci(ratings, level, n_boot=50).ci_high == pytest.approx(1.0)


@SETTINGS
@given(reliability_matrices(max_items=25), st.sampled_from(LEVELS), st.integers(0, 2**32 - 1))
def test_bootstrap_reweighting_equals_recomputing_alpha_on_the_resample(
    matrix: np.ndarray, level: str, seed: int
) -> None:
    """A resample of items, applied as pattern weights, gives alpha of the resampled table."""
    assume(_defined(matrix))
    ratings = _long(matrix)
    co = agreement._coincidences(ratings, level, None)
    rng = np.random.default_rng(seed)
    sizes = ratings.groupby("item").size()
    # Pairable items in order of first appearance, the order the coincidence code numbers them.
    pairable = np.array([i for i in pd.unique(ratings["item"]) if sizes[i] >= 2])
    drawn = rng.integers(0, len(pairable), size=len(pairable))
    resample = pd.concat(
        [ratings[ratings["item"] == pairable[d]].assign(item=k) for k, d in enumerate(drawn)], ignore_index=True
    )
    counts = np.bincount(drawn, minlength=len(pairable))
    weights = np.bincount(co.item_pattern, weights=counts, minlength=len(co.pattern_counts))
    via_weights = agreement._Reweighter(co).alphas(weights[None, :])[0]
    try:
        expected = agreement.alpha(resample, level, value_domain=co.domain)
    except agreement.NoVariationError:
        assert np.isnan(via_weights)
        return
    assert via_weights == pytest.approx(expected, abs=1e-9)


def test_bootstrap_reweighting_with_many_distinct_values_equals_recomputing() -> None:
    """With more distinct values than the dense path keeps, the moment/marginal path agrees too."""
    rng = np.random.default_rng(7)
    z = rng.normal(size=150)
    rows = [(i, r, round(float(z[i] + rng.normal(scale=0.5)), 3)) for i in range(150) for r in range(3)]
    ratings = pd.DataFrame(rows, columns=["item", "rater", "value"])
    for level in ("nominal", "interval", "ratio"):
        data = ratings.assign(value=ratings["value"].abs() + 1) if level == "ratio" else ratings
        co = agreement._coincidences(data, level, None)
        assert co.n_values > agreement._DENSE_MAX_VALUES
        drawn = rng.integers(0, 150, size=150)
        resample = pd.concat([data[data["item"] == d].assign(item=k) for k, d in enumerate(drawn)])
        weights = np.bincount(co.item_pattern, weights=np.bincount(drawn, minlength=150))
        expected = agreement.alpha(resample, level)
        assert agreement._Reweighter(co).alphas(weights[None, :])[0] == pytest.approx(expected, abs=1e-9)
        assert agreement.alpha_with_ci(data, level, n_boot=30).value == pytest.approx(agreement.alpha(data, level))


@st.composite
def latent_campaigns(draw) -> pd.DataFrame:
    """Items with a latent score, 3-4 raters each labelling it 1..5 with noise."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_items = draw(st.integers(40, 120))
    noise = draw(st.floats(0.3, 1.2))
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n_items)
    rows = []
    for i in range(n_items):
        for r in rng.choice(6, size=rng.integers(3, 5), replace=False):
            rows.append((i, int(r), int(np.clip(np.rint(3 + 1.2 * z[i] + rng.normal(scale=noise)), 1, 5))))
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


@SETTINGS
@given(latent_campaigns(), st.sampled_from(LEVELS))
def test_bootstrap_interval_contains_point_estimate(ratings: pd.DataFrame, level: str) -> None:
    result = agreement.alpha_with_ci(ratings, level, n_boot=300)
    assert result.ci_low <= result.value <= result.ci_high
    assert result.ci_low < result.ci_high


def test_bootstrap_is_reproducible_with_a_seed() -> None:
    rng = np.random.default_rng(3)
    ratings = pd.DataFrame(
        {"item": np.repeat(np.arange(60), 3), "rater": np.tile([1, 2, 3], 60), "value": rng.integers(1, 4, 180)}
    )
    assert agreement.alpha_ci(ratings, "ordinal", seed=5) == agreement.alpha_ci(ratings, "ordinal", seed=5)
    assert agreement.alpha_ci(ratings, "ordinal", seed=5) != agreement.alpha_ci(ratings, "ordinal", seed=6)


def test_wider_confidence_gives_wider_interval() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(size=80)
    ratings = pd.DataFrame(
        [(i, r, int(np.clip(round(3 + z[i] + rng.normal()), 1, 5))) for i in range(80) for r in range(3)],
        columns=["item", "rater", "value"],
    )
    low90, high90 = agreement.alpha_ci(ratings, "interval", confidence=0.90)
    low99, high99 = agreement.alpha_ci(ratings, "interval", confidence=0.99)
    assert low99 <= low90 < high90 <= high99


def _alpha_or_nan(ratings: pd.DataFrame, level: str, domain: list) -> float:
    try:
        return agreement.alpha(ratings, level, domain)
    except agreement.AgreementError:
        return float("nan")


@SETTINGS
@given(reliability_matrices(), st.sampled_from(LEVELS))
def test_alpha_without_each_rater_equals_recomputing_alpha_without_them(matrix: np.ndarray, level: str) -> None:
    ratings = _long(matrix)
    assume(ratings["rater"].nunique() >= 2)
    domain = sorted(ratings["value"].unique())
    table = agreement_diagnostics.rater_agreement(ratings, level, domain)
    for rater, row in table.iterrows():
        naive = _alpha_or_nan(ratings[ratings["rater"] != rater], level, domain)
        assert row["alpha_without"] == pytest.approx(naive, abs=1e-9, nan_ok=True)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_without_each_rater_on_a_larger_random_table(level: str) -> None:
    """Eight raters with uneven coverage (some items with one label, one rater on few items) on a 1-7 scale."""
    rng = np.random.default_rng(7)
    truth = rng.integers(1, 8, 400)
    rows = []
    for rater in range(8):
        coverage = 0.05 if rater == 7 else rng.uniform(0.3, 0.9)
        for item in np.nonzero(rng.random(400) < coverage)[0]:
            rows.append((item, f"r{rater}", int(np.clip(truth[item] + rng.integers(-2, 3), 1, 7))))
    ratings = pd.DataFrame(rows, columns=["item", "rater", "value"])
    domain = list(range(1, 8))
    table = agreement_diagnostics.rater_agreement(ratings, level, domain)
    for rater, row in table.iterrows():
        naive = agreement.alpha(ratings[ratings["rater"] != rater], level, domain)
        assert row["alpha_without"] == pytest.approx(naive, abs=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_beyond_the_package_size_equals_the_package(level: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large tables skip the krippendorff package and evaluate the same coincidences directly."""
    rng = np.random.default_rng(3)
    matrix = rng.integers(1, 6, (4, 300)).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    expected = krippendorff.alpha(matrix, level_of_measurement=level)
    monkeypatch.setattr(agreement, "_PACKAGE_MAX_CELLS", 0)
    assert agreement.alpha(_long(matrix), level) == pytest.approx(expected, abs=1e-12)
