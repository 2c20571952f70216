"""Aggregation: majority votes, central values, label rates and Dawid-Skene, against published and reference results."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings.aggregation import (
    Central,
    central,
    dawid_skene,
    label_rates,
    majority_vote,
    majority_votes,
)

# Dawid, A. P. and Skene, A. M. (1979). Maximum likelihood estimation of observer error-rates using the
# EM algorithm. Applied Statistics 28(1):20-28, Table 1: 45 patients, 5 anaesthetists, fitness for
# operation on a 1-4 scale; observer 1 assessed every patient three times. Transcribed as in
# dallascard/dawid_skene (dawid_skene.py, generate_sample_data: "the data from Table 1"); 315 labels,
# the row count of the `anesthesia` data set of the R package rater (Pullin, Gurrin and Vukcevic).
# One row per patient: observer 1's three assessments, then observers 2-5.
ANAESTHESIA = [
    [(1, 1, 1), 1, 1, 1, 1],
    [(3, 3, 3), 4, 3, 3, 4],
    [(1, 1, 2), 2, 1, 2, 2],
    [(2, 2, 2), 3, 1, 2, 1],
    [(2, 2, 2), 3, 2, 2, 2],
    [(2, 2, 2), 3, 3, 2, 2],
    [(1, 2, 2), 2, 1, 1, 1],
    [(3, 3, 3), 3, 4, 3, 3],
    [(2, 2, 2), 2, 2, 2, 3],
    [(2, 3, 2), 2, 2, 2, 3],
    [(4, 4, 4), 4, 4, 4, 4],
    [(2, 2, 2), 3, 3, 4, 3],
    [(1, 1, 1), 1, 1, 1, 1],
    [(2, 2, 2), 3, 2, 1, 2],
    [(1, 2, 1), 1, 1, 1, 1],
    [(1, 1, 1), 2, 1, 1, 1],
    [(1, 1, 1), 1, 1, 1, 1],
    [(1, 1, 1), 1, 1, 1, 1],
    [(2, 2, 2), 2, 2, 2, 1],
    [(2, 2, 2), 1, 3, 2, 2],
    [(2, 2, 2), 2, 2, 2, 2],
    [(2, 2, 2), 2, 2, 2, 1],
    [(2, 2, 2), 3, 2, 2, 2],
    [(2, 2, 1), 2, 2, 2, 2],
    [(1, 1, 1), 1, 1, 1, 1],
    [(1, 1, 1), 1, 1, 1, 1],
    [(2, 3, 2), 2, 2, 2, 2],
    [(1, 1, 1), 1, 1, 1, 1],
    [(1, 1, 1), 1, 1, 1, 1],
    [(1, 1, 2), 1, 1, 2, 1],
    [(1, 1, 1), 1, 1, 1, 1],
    [(3, 3, 3), 3, 2, 3, 3],
    [(1, 1, 1), 1, 1, 1, 1],
    [(2, 2, 2), 2, 2, 2, 2],
    [(2, 2, 2), 3, 2, 3, 2],
    [(4, 3, 3), 4, 3, 4, 3],
    [(2, 2, 1), 2, 2, 3, 2],
    [(2, 3, 2), 3, 2, 3, 3],
    [(3, 3, 3), 3, 4, 3, 2],
    [(1, 1, 1), 1, 1, 1, 1],
    [(1, 1, 1), 1, 1, 1, 1],
    [(1, 2, 1), 2, 1, 1, 1],
    [(2, 3, 2), 2, 2, 2, 2],
    [(1, 2, 1), 1, 1, 1, 1],
    [(2, 2, 2), 2, 2, 2, 2],
]

# Dawid and Skene (1979), Table 4: the final estimate of each patient's class, and the patients whose
# estimate is not a certainty, to two decimals. The first six rows are transcribed from the paper in
# kajyuuen/Dawid-skene (test_dawid_skene_model.py); all 45 come from dallascard/dawid_skene's run on
# Table 1 (stored as out/original_paper in alexandry-augustin/dawid_skene), which agrees with those six
# rows and with the transcribed Tables 2 and 3.
ANAESTHESIA_CLASSES = [
    1, 4, 2, 2, 2, 2, 1, 3, 2, 2, 4, 3, 1, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2,
    2, 1, 1, 2, 1, 1, 1, 1, 3, 1, 2, 2, 4, 2, 3, 3, 1, 1, 1, 2, 1, 2,
]  # fmt: skip
ANAESTHESIA_UNCERTAIN = {
    7: [0.98, 0.02, 0.00, 0.00],
    30: [1.00, 0.00, 0.00, 0.00],
    35: [0.00, 0.95, 0.05, 0.00],
    38: [0.00, 0.02, 0.98, 0.00],
    42: [1.00, 0.00, 0.00, 0.00],
}

# A hand-made campaign: 10 items, 4 raters, 3 classes, some labels missing.
SMALL = {
    "q1": {"ann": "cat", "ben": "cat", "cy": "cat", "dee": "dog"},
    "q2": {"ann": "dog", "ben": "dog", "cy": "cat", "dee": "dog"},
    "q3": {"ann": "fox", "ben": "dog", "cy": "fox"},
    "q4": {"ann": "cat", "ben": "fox", "cy": "dog", "dee": "cat"},
    "q5": {"ann": "dog", "cy": "dog", "dee": "fox"},
    "q6": {"ann": "fox", "ben": "fox", "cy": "fox", "dee": "fox"},
    "q7": {"ann": "cat", "ben": "dog", "dee": "dog"},
    "q8": {"ben": "cat", "cy": "cat", "dee": "fox"},
    "q9": {"ann": "dog", "ben": "cat", "cy": "dog", "dee": "cat"},
    "q10": {"ann": "fox", "ben": "fox", "cy": "dog", "dee": "fox"},
}
SMALL_CLASSES = ["cat", "dog", "fox"]
# crowd-kit 1.4.2, DawidSkene() with its defaults (n_iter=100, tol=1e-5) on SMALL: it stops after 16
# iterations; probas_ rounded to 6 decimals, items q1..q10, columns cat, dog, fox.
SMALL_CROWDKIT_ITERATIONS = 16
SMALL_CROWDKIT_POSTERIORS = [
    [0.0, 1.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [1.0, 0.0, 0.0],
    [0.999967, 0.0, 0.000033],
    [0.0, 0.0, 1.0],
    [0.0, 1.0, 0.0],
    [0.000098, 0.999902, 0.0],
    [1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0],
]

# A simulated campaign: 500 items, true classes drawn with SIM_PRIORS, 5 raters with the known
# (true x given) confusion matrices below, each rater labelling about 80% of the items.
SIM_CLASSES = ["neg", "neu", "pos"]
SIM_PRIORS = [0.5, 0.3, 0.2]
SIM_CONFUSION = [
    [[0.90, 0.05, 0.05], [0.05, 0.90, 0.05], [0.05, 0.05, 0.90]],
    [[0.80, 0.15, 0.05], [0.10, 0.80, 0.10], [0.05, 0.15, 0.80]],
    [[0.70, 0.20, 0.10], [0.20, 0.70, 0.10], [0.10, 0.20, 0.70]],
    [[0.60, 0.30, 0.10], [0.10, 0.60, 0.30], [0.30, 0.10, 0.60]],
    [[0.40, 0.30, 0.30], [0.30, 0.40, 0.30], [0.30, 0.30, 0.40]],
]
# crowd-kit 1.4.2, DawidSkene() with its defaults on the simulation: 33 iterations. Its class order
# (columns of probas_) is neu, neg, pos; priors_, errors_ (as true x given) and the first five items'
# probas_, rounded to 6 decimals, in that order.
SIM_CROWDKIT_ITERATIONS = 33
SIM_CROWDKIT_CLASSES = ["neu", "neg", "pos"]
SIM_CROWDKIT_PRIORS = [0.345111, 0.48294, 0.171948]
SIM_CROWDKIT_CONFUSION = {
    "r0": [[0.872836, 0.06741, 0.059753], [0.077902, 0.912229, 0.009869], [0.012896, 0.044137, 0.942967]],
    "r1": [[0.792049, 0.098374, 0.109578], [0.115669, 0.866775, 0.017556], [0.132605, 0.0, 0.867395]],
    "r2": [[0.724199, 0.150307, 0.125494], [0.193318, 0.758621, 0.048061], [0.117232, 0.082127, 0.800641]],
    "r3": [[0.558852, 0.110596, 0.330552], [0.294902, 0.618261, 0.086837], [0.146037, 0.406456, 0.447507]],
    "r4": [[0.333479, 0.292199, 0.374323], [0.299071, 0.402426, 0.298503], [0.351853, 0.288545, 0.359602]],
}
SIM_CROWDKIT_FIRST_POSTERIORS = [
    [0.85665, 0.041246, 0.102105],
    [0.002866, 0.997134, 0.0],
    [0.955156, 0.033206, 0.011638],
    [0.011078, 0.004243, 0.98468],
    [0.037967, 0.962033, 0.0],
]


def _anaesthesia() -> pd.DataFrame:
    rows = []
    for patient, (first, *others) in enumerate(ANAESTHESIA, start=1):
        rows += [(patient, 1, value) for value in first]
        rows += [(patient, observer, value) for observer, value in enumerate(others, start=2)]
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


def _small() -> pd.DataFrame:
    rows = [(item, rater, value) for item, labels in SMALL.items() for rater, value in labels.items()]
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


def _simulated(n_items: int = 500, seed: int = 20261206) -> tuple[pd.DataFrame, np.ndarray]:
    """The simulated campaign and each item's true class index (only uniform draws, so the stream is stable)."""
    rng = np.random.default_rng(seed)
    k = len(SIM_CLASSES)
    truth = np.minimum(np.searchsorted(np.cumsum(SIM_PRIORS), rng.random(n_items), side="right"), k - 1)
    rows = []
    for r, matrix in enumerate(SIM_CONFUSION):
        cdf = np.cumsum(matrix, axis=1)[truth]
        given = np.minimum((rng.random(n_items)[:, None] >= cdf).sum(axis=1), k - 1)
        keep = rng.random(n_items) < 0.8
        rows += [(int(i), f"r{r}", SIM_CLASSES[given[i]]) for i in np.flatnonzero(keep)]
    return pd.DataFrame(rows, columns=["item", "rater", "value"]), truth


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


# ---------------------------------------------------------------------------
# Dawid and Skene (1979), published
# ---------------------------------------------------------------------------


def test_dawid_skene_reproduces_dawid_skene_1979_class_probabilities() -> None:
    """Dawid and Skene (1979), Table 2: estimated class probabilities 0.40, 0.42, 0.11, 0.07 (as
    transcribed in kajyuuen/Dawid-skene's test_dawid_skene_model.py)."""
    result = dawid_skene(_anaesthesia(), classes=[1, 2, 3, 4])
    assert result.converged
    assert result.priors.to_numpy().round(2).tolist() == [0.40, 0.42, 0.11, 0.07]


def test_dawid_skene_reproduces_dawid_skene_1979_error_rates_of_observer_1() -> None:
    """Dawid and Skene (1979), Table 3: observer 1's estimated error rates (true class rows, given
    class columns), to the two decimals printed (transcribed as in kajyuuen/Dawid-skene)."""
    result = dawid_skene(_anaesthesia(), classes=[1, 2, 3, 4])
    assert result.confusion[1].to_numpy().round(2).tolist() == [
        [0.89, 0.11, 0.00, 0.00],
        [0.07, 0.88, 0.05, 0.00],
        [0.00, 0.34, 0.66, 0.00],
        [0.00, 0.00, 0.56, 0.44],
    ]


def test_dawid_skene_reproduces_dawid_skene_1979_final_class_estimates() -> None:
    """Dawid and Skene (1979), Table 4: the final estimates for all 45 patients; 40 are certain and
    patients 7, 30, 35, 38 and 42 carry the printed probabilities (e.g. patient 35: 0.95 class 2,
    0.05 class 3)."""
    result = dawid_skene(_anaesthesia(), classes=[1, 2, 3, 4])
    assert result.labels.tolist() == ANAESTHESIA_CLASSES
    rounded = result.posteriors.round(2)
    for patient in range(1, 46):
        expected = ANAESTHESIA_UNCERTAIN.get(patient)
        if expected is None:
            expected = [float(c == ANAESTHESIA_CLASSES[patient - 1]) for c in (1, 2, 3, 4)]
        assert rounded.loc[patient].tolist() == expected, patient


def test_dawid_skene_matches_an_independent_implementation_for_every_observer() -> None:
    """dallascard/dawid_skene's EM on Table 1 (alexandry-augustin/dawid_skene, out/original_paper)
    prints these error rates for observers 2-5, to two decimals; observer 1 is Table 3 of the paper."""
    result = dawid_skene(_anaesthesia(), classes=[1, 2, 3, 4])
    expected = {
        2: [[0.83, 0.17, 0, 0], [0.05, 0.63, 0.31, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        3: [[1, 0, 0, 0], [0.11, 0.79, 0.11, 0], [0, 0.4, 0.2, 0.4], [0, 0, 0.67, 0.33]],
        4: [[0.94, 0.06, 0, 0], [0.05, 0.84, 0.1, 0], [0, 0, 0.8, 0.2], [0, 0, 0.33, 0.67]],
        5: [[1, 0, 0, 0], [0.16, 0.73, 0.11, 0], [0, 0.21, 0.79, 0], [0, 0, 0.33, 0.67]],
    }
    for observer, matrix in expected.items():
        assert result.confusion[observer].to_numpy().round(2).tolist() == matrix, observer


# ---------------------------------------------------------------------------
# Dawid-Skene against crowd-kit
# ---------------------------------------------------------------------------


def _crowdkit(frame: pd.DataFrame, **options):
    """crowd-kit's DawidSkene fitted on the frame (skips the test when crowd-kit is not installed)."""
    aggregation = pytest.importorskip("crowdkit.aggregation")
    data = frame.rename(columns={"item": "task", "rater": "worker", "value": "label"})
    with warnings.catch_warnings():
        # crowd-kit 1.4.2 uses pandas keywords (inplace=, copy=) that pandas 3 deprecates.
        warnings.simplefilter("ignore")
        return aggregation.DawidSkene(**options).fit(data)


def _crowdkit_confusion(model, rater, classes: list) -> np.ndarray:
    """crowd-kit's errors_ for one worker as true x given (it stores given x true, given labels only)."""
    return model.errors_.loc[rater].reindex(index=classes, columns=classes).fillna(0.0).to_numpy().T


def _assert_same_as_crowdkit(frame: pd.DataFrame, model, n_iter: int) -> None:
    classes = list(model.probas_.columns)
    ours = dawid_skene(frame, classes=classes, max_iter=n_iter, tol=0.0)
    assert ours.n_iter == n_iter
    theirs = model.probas_.loc[ours.posteriors.index, classes].to_numpy()
    assert ours.posteriors.to_numpy() == pytest.approx(theirs, abs=1e-8)
    assert ours.labels.tolist() == model.labels_.loc[ours.labels.index].tolist()
    assert ours.priors.to_numpy() == pytest.approx(model.priors_.loc[classes].to_numpy(), abs=1e-8)
    for rater, matrix in ours.confusion.items():
        assert matrix.to_numpy() == pytest.approx(_crowdkit_confusion(model, rater, classes), abs=1e-8)


@pytest.mark.parametrize("dataset", ["small", "simulated", "anaesthesia"])
def test_dawid_skene_matches_crowdkit_when_run_for_as_many_iterations(dataset: str) -> None:
    """crowd-kit 1.4.2's DawidSkene with its defaults: same start (per-item vote shares), same M-step
    floor (1e-10 on expected counts of (rater, given class) cells the rater used), same E-step, so
    run for the number of iterations crowd-kit ran (len(loss_history_)) we give its posteriors,
    labels, priors and confusion matrices to 1e-8. Only the stopping rule differs (crowd-kit: its
    evidence lower bound per label; ours: the largest change of a posterior)."""
    frame = {"small": _small, "simulated": lambda: _simulated()[0], "anaesthesia": _anaesthesia}[dataset]()
    model = _crowdkit(frame)
    _assert_same_as_crowdkit(frame, model, len(model.loss_history_))


@pytest.mark.parametrize("n_iter", [1, 2, 10, 80])
def test_dawid_skene_matches_crowdkit_at_every_iteration_count(n_iter: int) -> None:
    """crowd-kit 1.4.2 forced to run exactly n_iter iterations (tol=-inf) on the simulated campaign."""
    frame, _ = _simulated()
    _assert_same_as_crowdkit(frame, _crowdkit(frame, n_iter=n_iter, tol=-np.inf), n_iter)


def test_dawid_skene_reproduces_stored_crowdkit_result_on_small_campaign() -> None:
    """crowd-kit 1.4.2's result on SMALL (stored above, so this runs without crowd-kit): posteriors to
    1e-6 after its 16 iterations. On ten items EM overfits (it reads cy as swapping cat and dog, so
    q1 comes out dog); what is checked is that both implementations reach the same point."""
    result = dawid_skene(_small(), classes=SMALL_CLASSES, max_iter=SMALL_CROWDKIT_ITERATIONS, tol=0.0)
    assert result.posteriors.to_numpy() == pytest.approx(np.array(SMALL_CROWDKIT_POSTERIORS), abs=1e-6)
    assert result.labels.tolist() == ["dog", "dog", "fox", "cat", "cat", "fox", "dog", "dog", "cat", "fox"]


def test_dawid_skene_reproduces_stored_crowdkit_result_on_simulation() -> None:
    """crowd-kit 1.4.2's priors, confusion matrices and first posteriors on the simulated campaign
    after its 33 iterations (stored above), to 1e-6."""
    frame, _ = _simulated()
    result = dawid_skene(frame, classes=SIM_CROWDKIT_CLASSES, max_iter=SIM_CROWDKIT_ITERATIONS, tol=0.0)
    assert result.priors.to_numpy() == pytest.approx(np.array(SIM_CROWDKIT_PRIORS), abs=1e-6)
    for rater, matrix in SIM_CROWDKIT_CONFUSION.items():
        assert result.confusion[rater].to_numpy() == pytest.approx(np.array(matrix), abs=1e-6)
    first = result.posteriors.loc[[0, 1, 2, 3, 4]].to_numpy()
    assert first == pytest.approx(np.array(SIM_CROWDKIT_FIRST_POSTERIORS), abs=1e-6)


def test_dawid_skene_recovers_simulated_confusion_matrices_and_beats_majority_vote() -> None:
    """On the simulation, each rater's estimated confusion matrix lies within 0.1 of what the rater
    actually did (their labels tabulated against the simulated truth; measured: at most 0.083), and
    their reliability within 0.05 (measured: at most 0.042). The labels are right more often than the
    majority vote's (ties counted wrong)."""
    frame, truth = _simulated()
    result = dawid_skene(frame, classes=SIM_CLASSES, max_iter=500)
    assert result.converged
    true_labels = np.array(SIM_CLASSES, dtype=object)[truth]
    true_priors = np.bincount(truth, minlength=len(SIM_CLASSES)) / len(truth)
    for rater, estimated in result.confusion.items():
        own = frame[frame["rater"] == rater]
        actual = (
            pd.crosstab(true_labels[own["item"]], own["value"].to_numpy(), normalize="index")
            .reindex(index=SIM_CLASSES, columns=SIM_CLASSES, fill_value=0.0)
            .to_numpy()
        )
        assert np.abs(estimated.to_numpy() - actual).max() < 0.1, rater
        assert result.reliability[rater] == pytest.approx(true_priors @ np.diag(actual), abs=0.05), rater
    ds_accuracy = (result.labels.to_numpy() == true_labels[result.labels.index]).mean()
    votes = majority_votes(frame)
    mv_accuracy = (votes["value"].to_numpy() == true_labels[votes.index]).mean()
    assert ds_accuracy > mv_accuracy
    assert ds_accuracy > 0.88


# ---------------------------------------------------------------------------
# Dawid-Skene: degenerate and adversarial cases
# ---------------------------------------------------------------------------


def test_dawid_skene_with_one_rater_keeps_their_labels_with_confidence() -> None:
    frame = _frame([(i, "solo", "yes" if i % 3 else "no") for i in range(12)])
    result = dawid_skene(frame)
    assert result.labels.tolist() == frame["value"].tolist()
    assert result.confidence.min() > 0.999
    assert result.reliability["solo"] == pytest.approx(1.0)


def test_dawid_skene_with_one_class_is_certain() -> None:
    frame = _frame([(i, r, "ok") for i in range(5) for r in ("a", "b")])
    result = dawid_skene(frame)
    assert result.classes == ("ok",)
    assert result.posteriors["ok"].tolist() == [1.0] * 5
    assert result.confusion["a"].to_numpy().tolist() == [[1.0]]
    assert result.converged


def test_dawid_skene_with_unanimous_raters_gives_confident_labels() -> None:
    frame = _frame([(i, r, i % 3) for i in range(9) for r in ("a", "b", "c")])
    result = dawid_skene(frame)
    assert result.labels.tolist() == [i % 3 for i in range(9)]
    assert result.confidence.min() > 0.999
    assert result.reliability.to_numpy() == pytest.approx([1.0, 1.0, 1.0])


def test_dawid_skene_sees_through_a_rater_who_always_answers_the_opposite() -> None:
    """Binary data: four raters right 85% of the time and one who always gives the other answer. The
    contrarian's reliability is near 0 (their confusion matrix is the swap), and the labels follow the
    truth at least as well as the four honest raters' majority does."""
    rng = np.random.default_rng(7)
    truth = rng.random(400) < 0.4
    rows = []
    for r in range(4):
        given = np.where(rng.random(400) < 0.85, truth, ~truth)
        rows += [(i, f"honest-{r}", bool(given[i])) for i in range(400)]
    rows += [(i, "contrarian", bool(not truth[i])) for i in range(400)]
    result = dawid_skene(_frame(rows), classes=[False, True])
    assert result.reliability["contrarian"] < 0.01
    assert result.confusion["contrarian"].to_numpy() == pytest.approx(np.array([[0, 1], [1, 0]]), abs=0.01)
    assert min(result.reliability[f"honest-{r}"] for r in range(4)) > 0.8
    assert (result.labels.to_numpy() == truth).mean() > 0.97


def test_dawid_skene_breaks_an_exact_tie_towards_the_first_class() -> None:
    """One item, two raters who disagree and labelled nothing else: the posterior is exactly 1/2 each,
    and the label is the class listed first."""
    frame = _frame([("only", "a", "x"), ("only", "b", "y")])
    assert dawid_skene(frame, classes=["x", "y"]).labels["only"] == "x"
    result = dawid_skene(frame, classes=["y", "x"])
    assert result.labels["only"] == "y"
    assert result.confidence["only"] == 0.5


def test_dawid_skene_results_are_probabilities() -> None:
    frame, _ = _simulated(n_items=200)
    result = dawid_skene(frame)
    assert result.posteriors.sum(axis=1).to_numpy() == pytest.approx(np.ones(200))
    assert result.priors.sum() == pytest.approx(1.0)
    for matrix in result.confusion.values():
        assert matrix.sum(axis=1).to_numpy() == pytest.approx(np.ones(3))
    assert result.confidence.equals(result.posteriors.max(axis=1).rename("confidence"))
    assert list(result.posteriors.columns) == list(result.classes) == list(pd.unique(frame["value"]))


def test_dawid_skene_keeps_a_listed_class_nobody_gave() -> None:
    frame = _frame([(i, r, "a" if i % 2 else "b") for i in range(6) for r in ("x", "y")])
    result = dawid_skene(frame, classes=["a", "b", "c"])
    assert result.classes == ("a", "b", "c")
    assert result.posteriors["c"].max() < 1e-6
    assert result.priors["c"] < 1e-6


def test_dawid_skene_with_no_iterations_returns_the_vote_shares() -> None:
    frame = _frame([(1, "a", "x"), (1, "b", "x"), (1, "c", "y"), (2, "a", "y")])
    result = dawid_skene(frame, max_iter=0)
    assert result.posteriors.to_numpy().tolist() == [[2 / 3, 1 / 3], [0.0, 1.0]]
    assert result.n_iter == 0
    assert not result.converged


def test_dawid_skene_keeps_booleans_apart_from_numbers() -> None:
    frame = _frame([(1, "a", True), (1, "b", False), (2, "a", 1)])
    with pytest.raises(ValueError, match="labels outside classes: 1"):
        dawid_skene(frame, classes=[True, False])


def test_dawid_skene_names_values_outside_classes() -> None:
    frame = _frame([(1, "a", "yes"), (1, "b", "maybe")])
    with pytest.raises(ValueError, match="labels outside classes: 'maybe'"):
        dawid_skene(frame, classes=["yes", "no"])


def test_dawid_skene_refuses_an_empty_frame() -> None:
    with pytest.raises(ValueError, match="at least one label"):
        dawid_skene(_frame([]))
    with pytest.raises(ValueError, match="at least one label"):
        dawid_skene(_frame([(1, "a", None)]))


def test_dawid_skene_refuses_a_frame_without_the_columns() -> None:
    with pytest.raises(ValueError, match="missing the column"):
        dawid_skene(pd.DataFrame({"item": [1], "value": ["x"]}))


# ---------------------------------------------------------------------------
# majority_vote
# ---------------------------------------------------------------------------


def test_majority_vote_of_nothing_has_no_winner() -> None:
    vote = majority_vote([])
    assert (vote.value, vote.method, vote.n_ratings, vote.share, vote.tied, dict(vote.counts)) == (
        None,
        "no_ratings",
        0,
        None,
        (),
        {},
    )
    assert majority_vote([None, math.nan]).method == "no_ratings"


def test_majority_vote_of_one_rating() -> None:
    vote = majority_vote(["good"])
    assert (vote.value, vote.method, vote.share, vote.counts) == ("good", "single_rating", 1.0, {"good": 1})


def test_majority_vote_unanimous() -> None:
    vote = majority_vote([3, 3, 3])
    assert (vote.value, vote.method, vote.share, vote.n_ratings) == (3, "unanimous", 1.0, 3)


def test_majority_vote_majority_counts_most_common_first() -> None:
    vote = majority_vote(["b", "a", "c", "a", None, "b", "a"])
    assert (vote.value, vote.method, vote.n_ratings) == ("a", "majority", 6)
    assert list(vote.counts.items()) == [("a", 3), ("b", 2), ("c", 1)]
    assert vote.share == pytest.approx(0.5)


def test_majority_vote_reports_a_tie_instead_of_breaking_it() -> None:
    vote = majority_vote(["b", "a", "a", "b", "c"])
    assert (vote.value, vote.method, vote.tied) == (None, "tie", ("b", "a"))
    assert vote.share == pytest.approx(0.4)
    assert list(vote.counts) == ["b", "a", "c"]


def test_majority_vote_when_every_rater_disagrees() -> None:
    vote = majority_vote([(1, 2), (2,), ()])
    assert (vote.value, vote.method, vote.tied) == (None, "tie", ((1, 2), (2,), ()))
    assert vote.share == pytest.approx(1 / 3)


def test_majority_vote_keeps_true_and_1_apart() -> None:
    vote = majority_vote([True, 1, True])
    assert (vote.value, vote.method) == (True, "majority")
    assert type(vote.value) is bool
    assert (vote.counts[True], vote.counts[1], len(vote.counts)) == (2, 1, 2)
    assert [type(v) for v in vote.counts] == [bool, int]

    tie = majority_vote([0, False])
    assert (tie.method, tie.tied) == ("tie", (0, False))
    assert [type(v) for v in tie.tied] == [int, bool]


def test_majority_vote_asks_for_hashable_values() -> None:
    with pytest.raises(ValueError, match="hashable"):
        majority_vote([["a", "b"], ["a", "b"]])
    with pytest.raises(ValueError, match="hashable"):
        majority_votes(_frame([(1, "x", ["a"]), (1, "y", ["a"])]))


def test_majority_vote_treats_equal_numbers_as_one_value() -> None:
    vote = majority_vote([1, 1.0, np.int64(1)])
    assert (vote.value, vote.method, vote.counts) == (1, "unanimous", {1: 3})


# ---------------------------------------------------------------------------
# majority_votes (one table) agrees with majority_vote (item by item)
# ---------------------------------------------------------------------------

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(0, 2),
    st.sampled_from(["a", "b"]),
    st.sampled_from([(1, 2), ()]),
)


def _same_as_majority_vote(frame: pd.DataFrame) -> None:
    table = majority_votes(frame)
    assert list(table.index) == list(pd.unique(frame["item"]))
    for item, row in table.iterrows():
        vote = majority_vote(frame.loc[frame["item"] == item, "value"].tolist())
        assert (row["method"], row["n_ratings"]) == (vote.method, vote.n_ratings), item
        if vote.value is None:
            assert row["value"] is None, item
        else:
            assert row["value"] == vote.value and isinstance(row["value"], bool) == isinstance(vote.value, bool)
        if vote.share is None:
            assert math.isnan(row["share"])
        else:
            assert row["share"] == pytest.approx(vote.share)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4), VALUES), max_size=40))
def test_majority_votes_agrees_with_majority_vote(rows: list[tuple]) -> None:
    _same_as_majority_vote(_frame(rows))


@pytest.mark.parametrize(
    "pool",
    [
        [1, 2, 3, 4, 5],
        ["yes", "no", "unsure"],
        [True, False, 1, 0, None],
        [True, False, None],
        [1.0, 2.0, np.nan],
    ],
)
def test_majority_votes_agrees_with_majority_vote_on_a_random_table(pool: list) -> None:
    """3,000 labels over 600 items, values drawn from one pool (so the column has that pool's dtype)."""
    rng = np.random.default_rng(11)
    values = pd.Series([pool[i] for i in rng.integers(0, len(pool), 3000)], dtype=object).infer_objects()
    frame = pd.DataFrame({"item": rng.integers(0, 600, 3000), "rater": rng.integers(0, 7, 3000), "value": values})
    _same_as_majority_vote(frame)


def test_majority_votes_lists_an_item_with_only_missing_values() -> None:
    table = majority_votes(_frame([("a", 1, None), ("b", 1, "x"), ("b", 2, "y")]))
    assert table.loc["a", "method"] == "no_ratings"
    assert table.loc["a", "n_ratings"] == 0
    assert table.loc["b", "method"] == "tie"
    assert table.loc["b", "value"] is None


# ---------------------------------------------------------------------------
# central
# ---------------------------------------------------------------------------


def test_central_of_nothing() -> None:
    assert central([]) == Central(mean=None, median=None, std=None, n_ratings=0)
    assert central([None, math.nan]) == Central(mean=None, median=None, std=None, n_ratings=0)


def test_central_of_one_value_has_no_spread() -> None:
    assert central([4]) == Central(mean=4.0, median=4.0, std=None, n_ratings=1)


def test_central_mean_median_and_population_std() -> None:
    result = central([1, 2, 2, 7, None])
    assert (result.mean, result.median, result.n_ratings) == (3.0, 2.0, 4)
    assert result.std == pytest.approx(math.sqrt(((1 - 3) ** 2 + 1 + 1 + 16) / 4))


def test_central_refuses_text() -> None:
    with pytest.raises(ValueError, match="numbers"):
        central([1, "2"])


# ---------------------------------------------------------------------------
# label_rates
# ---------------------------------------------------------------------------


def test_label_rates_chooses_labels_of_more_than_half_the_raters() -> None:
    result = label_rates([["spam", "rude"], ["spam"], ["spam", "off-topic"]], ["spam", "rude", "off-topic", "ok"])
    assert result.rates == pytest.approx({"spam": 1.0, "rude": 1 / 3, "off-topic": 1 / 3, "ok": 0.0})
    assert list(result.rates) == ["spam", "rude", "off-topic", "ok"]
    assert result.counts == {"spam": 3, "rude": 1, "off-topic": 1, "ok": 0}
    assert (result.chosen, result.tied, result.n_ratings, result.method) == (("spam",), (), 3, "majority")


def test_label_rates_reports_a_label_at_exactly_half_as_a_tie() -> None:
    result = label_rates([["a", "b"], ["a"], ["b"], ["a"]], ["a", "b"])
    assert (result.chosen, result.tied, result.method) == (("a",), ("b",), "tie")


def test_label_rates_appends_labels_missing_from_the_list() -> None:
    result = label_rates([["z", "a"], ["y"]], ["a"])
    assert list(result.rates) == ["a", "z", "y"]
    assert result.tied == ("a", "z", "y")


def test_label_rates_unanimous_single_and_none() -> None:
    assert label_rates([["a", "b"], ["b", "a", "a"]], ["a", "b"]).method == "unanimous"
    assert label_rates([[], []], ["a"]).method == "unanimous"
    single = label_rates([["a"]], ["a", "b"])
    assert (single.method, single.chosen, single.tied) == ("single_rating", ("a",), ())
    empty = label_rates([None], ["a"])
    assert (empty.method, empty.n_ratings, empty.chosen) == ("no_ratings", 0, ())
    assert math.isnan(empty.rates["a"])


def test_label_rates_refuses_a_string_as_a_label_set() -> None:
    with pytest.raises(ValueError, match="collection of labels"):
        label_rates(["ab"], ["a", "b"])
