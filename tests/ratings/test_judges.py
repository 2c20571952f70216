"""A machine judge held against the human raters: agreement with intervals and the alternative annotator test."""

import math

import numpy as np
import pandas as pd
import pytest

from ratings import agreement, judges
from ratings.judges import MIN_ITEMS_PER_HUMAN, judge_report

HUMANS = ["h1", "h2", "h3", "h4", "h5"]
SCALE = [1, 2, 3, 4, 5]

# A small fixed data set: 40 items, four humans and two judges, "." for no label. Nominal labels a/b/c and,
# separately, ordinal labels 1-5. In the ordinal set h3 has only 29 comparable items with the good judge.
REFERENCE_DATA = {
    "h1": "cbccbccaaa.ccabc.c.bccbacacbbabbbc.ccbac",
    "h2": "cbacc...aacc.abc.caccabbc.cbb.bbbccccbbc",
    "h3": "ab.cbcbacaaaccbcccaccabacacc.bbbbcccccbc",
    "h4": ".ba.cccbaaaccaccacabcabaccccbbbbbcccbbbc",
    "good": "cbccbbcaaaaccaacacabcabbcacbbbbbbccccbbc",
    "poor": "cbcaabcaaaacbabc.ccbbccabaccbbaabc.cbbbc",
    "o_h1": "42.345324.411531532143242112435452353445",
    "o_h2": ".313455234212512544122153111.45.52243555",
    "o_h3": "32234431342135.15331..1.31..4334.133224.",
    "o_h4": "2222555155.12.21542133143212.35355.43.4.",
    "o_good": "422245.25441254243213315321234.45.332355",
    "o_poor": "5131544354.13551511321123531235244531131",
}

# What the authors' reference implementation returns on REFERENCE_DATA: alt_test() of alt_test_example.ipynb in
# github.com/nitaytech/AltTest at commit 18428b1f4f34ac61c4978bc180263b90111e7337, run with q_fdr=0.05 and its
# defaults (min_humans_per_instance=2, min_instances_per_human=30), scoring 'accuracy' for the nominal set and
# 'neg_rmse' for the ordinal one. p-values are those its ttest() returned per human (h1..h4, skipped ones left
# out), as printed to six significant digits; winning rate and advantage probability are its return values.
REFERENCE_RESULTS = [
    # (set, judge, epsilon, p-values, winning rate, advantage probability)
    ("", "good", 0.2, [0.00321789, 7.48615e-05, 0.000130882, 0.000136646], 1.0, 0.938696),
    ("", "good", 0.1, [0.0781002, 0.00620229, 0.00305275, 0.00699036], 0.75, 0.938696),
    ("", "good", 0.0, [0.5, 0.162406, 0.0415744, 0.131157], 0.0, 0.938696),
    ("", "poor", 0.2, [0.477117, 0.456669, 0.307665, 0.477117], 0.0, 0.699653),
    ("o_", "good", 0.2, [0.302687, 0.00335739, 0.0828818], 1 / 3, 0.780473),
    ("o_", "good", 0.1, [0.650937, 0.0279275, 0.285232], 0.0, 0.780473),
    ("o_", "poor", 0.2, [0.985304, 0.945834, 0.96042, 0.993703], 0.0, 0.436747),
    ("", "h1", 0.2, [0.0, 0.00220382, 9.04341e-05, 0.000237804], 1.0, 0.953922),
]


def reference_frame(prefix: str, judge: str) -> pd.DataFrame:
    """REFERENCE_DATA as a tidy frame; the judge "h1" is a copy of human h1 under the rater name "copy"."""
    rows = []
    raters = [("h1", "h1"), ("h2", "h2"), ("h3", "h3"), ("h4", "h4"), (judge, "copy" if judge == "h1" else judge)]
    for name, rater in raters:
        for item, char in enumerate(REFERENCE_DATA[prefix + name]):
            if char != ".":
                rows.append((item, rater, int(char) if prefix else char))
    return pd.DataFrame(rows, columns=["item", "rater", "value"])


@pytest.mark.parametrize(("prefix", "judge", "epsilon", "p_values", "omega", "rho"), REFERENCE_RESULTS)
def test_alt_test_matches_the_reference_implementation(prefix, judge, epsilon, p_values, omega, rho):
    """Calderon, Reichart & Dror (2025), arXiv 2501.10970: our test gives the authors' own numbers.

    Reference: github.com/nitaytech/AltTest, alt_test_example.ipynb, commit 18428b1f4f34ac61c4978bc180263b90111e7337.
    """
    frame = reference_frame(prefix, judge)
    level, domain = ("ordinal", SCALE) if prefix else ("nominal", None)
    name = "copy" if judge == "h1" else judge
    report = judge_report(frame, name, level, value_domain=domain, epsilon=epsilon, q=0.05, n_boot=20)
    test = report.alt_test
    assert [h.p_value for h in test.per_human] == pytest.approx(p_values, abs=5e-5)
    assert test.winning_rate == pytest.approx(omega, abs=5e-5)
    assert test.advantage_probability == pytest.approx(rho, abs=5e-5)
    assert test.passed is (omega >= 0.5)


def test_a_human_with_too_few_comparable_items_is_left_out_like_the_reference():
    """The reference skips h3 of the ordinal set (29 comparable items < 30); so do we, and we say so."""
    report = judge_report(reference_frame("o_", "good"), "good", "ordinal", value_domain=SCALE, n_boot=20)
    assert [h.human for h in report.alt_test.per_human] == ["h1", "h2", "h4"]
    assert report.alt_test.excluded == ("h3",)
    assert report.alt_test_note.startswith("1 of 4 human raters were left out of the test")


def test_the_benjamini_yekutieli_correction_decides_which_humans_the_judge_beats():
    """At epsilon 0.1 the good nominal judge beats three humans: h1's p = 0.078 stays above its threshold."""
    report = judge_report(reference_frame("", "good"), "good", "nominal", epsilon=0.1, n_boot=20)
    assert {h.human: h.rejected for h in report.alt_test.per_human} == {"h1": False, "h2": True, "h3": True, "h4": True}
    assert report.alt_test.passed


# ---------------------------------------------------------------------------
# Judges whose fate the maths decides
# ---------------------------------------------------------------------------


def simulated(n_items: int = 200, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Five humans label every item 1-5 around a latent score (alpha about 0.6); also returns the labels."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n_items)
    labels = np.clip(np.rint(3 + 1.2 * latent[:, None] + rng.normal(scale=0.8, size=(n_items, 5))), 1, 5).astype(int)
    frame = pd.DataFrame(
        {"item": np.repeat(np.arange(n_items), 5), "rater": np.tile(HUMANS, n_items), "value": labels.ravel()}
    )
    return frame, labels


def with_judge(frame: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
    judge = pd.DataFrame({"item": np.arange(len(values)), "rater": "judge", "value": values})
    return pd.concat([frame, judge], ignore_index=True)


def test_a_judge_that_copies_one_human_agrees_perfectly_with_that_human_and_passes():
    """Left out, the copied human ties the judge on every item (W_f = W_h = 1, p = 0); against the others the
    judge is that human, who is among the remaining raters, so it wins too."""
    frame, labels = simulated()
    report = judge_report(with_judge(frame, labels[:, 1]), "judge", "ordinal", value_domain=SCALE, n_boot=200)
    copied = report.with_each_human[1]
    assert copied.human == "h2"
    assert (copied.judge_agreement.value, copied.judge_agreement.ci_low, copied.judge_agreement.ci_high) == (1, 1, 1)
    row = report.alt_test.per_human[1]
    assert (row.judge_win_rate, row.human_win_rate, row.p_value, row.rejected) == (1.0, 1.0, 0.0, True)
    assert report.alt_test.passed
    assert report.alt_test.verdict.startswith("The judge can replace a human rater")


def test_a_random_judge_fails():
    frame, _ = simulated()
    guesses = np.random.default_rng(9).integers(1, 6, size=200)
    report = judge_report(with_judge(frame, guesses), "judge", "ordinal", value_domain=SCALE, n_boot=200)
    assert not report.alt_test.passed
    assert report.alt_test.winning_rate < 0.5
    assert report.alt_test.verdict.startswith("The judge cannot replace a human rater")
    assert all(abs(c.judge_agreement.value) < 0.2 for c in report.with_each_human)
    assert report.pool_alpha_with_judge.value < report.pool_alpha.value - 0.1


def test_a_judge_that_gives_the_human_majority_passes_with_every_human_beaten():
    """The paper's optimal jury: the majority represents the others better than any one of them."""
    frame, labels = simulated()
    counts = np.stack([(labels == v).sum(axis=1) for v in SCALE], axis=1)
    majority = np.array(SCALE)[counts.argmax(axis=1)]
    report = judge_report(with_judge(frame, majority), "judge", "nominal", n_boot=200)
    assert report.alt_test.passed
    assert report.alt_test.winning_rate == 1.0
    assert report.alt_test.advantage_probability > 0.9
    # Where the humans have a majority the judge gives it: perfect agreement with the final labels.
    assert report.with_final.value == 1.0
    assert report.with_final.n_items == int((np.sort(counts, axis=1)[:, -1] > np.sort(counts, axis=1)[:, -2]).sum())


def test_a_final_label_passed_in_is_what_the_judge_is_held_against():
    frame, labels = simulated()
    final = pd.Series(labels[:, 0], index=np.arange(200))
    report = judge_report(with_judge(frame, labels[:, 0]), "judge", "ordinal", value_domain=SCALE, final=final)
    assert report.with_final.value == 1.0
    assert report.with_final.n_items == 200


# ---------------------------------------------------------------------------
# The same numbers as the agreement dashboard
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_agreement_figures_are_krippendorffs_alpha_as_the_dashboard_computes_it(level):
    """Each figure equals ratings.agreement.alpha on the corresponding labels, with missing labels."""
    frame, labels = simulated(150)
    frame = frame.sample(frac=0.7, random_state=1)  # missing labels: items carry 0 to 5 human labels
    judged = with_judge(frame, np.clip(labels[:, 0] + 1, 1, 5))
    report = judge_report(judged, "judge", level, n_boot=100)
    assert report.pool_alpha.value == pytest.approx(agreement.alpha(frame, level))
    two = judged[judged["rater"].isin(["judge", "h3"])]
    assert report.with_each_human[2].judge_agreement.value == pytest.approx(agreement.alpha(two, level))
    # Human h3 with each other human: every (h3, other) pair of labels on an item is one two-rater unit.
    mine = frame[frame["rater"] == "h3"].set_index("item")["value"]
    others = frame[(frame["rater"] != "h3") & frame["item"].isin(mine.index)]
    units = list(zip(others["item"], others["rater"], strict=True))
    pairs = pd.concat(
        [
            pd.DataFrame({"item": units, "rater": "other", "value": others["value"].to_numpy()}),
            pd.DataFrame({"item": units, "rater": "h3", "value": mine.loc[others["item"]].to_numpy()}),
        ]
    )
    assert report.with_each_human[2].human_agreement.value == pytest.approx(agreement.alpha(pairs, level))
    for interval in (report.pool_alpha, report.with_each_human[2].judge_agreement, report.pool_alpha_with_judge):
        assert interval.ci_low <= interval.value <= interval.ci_high


def test_the_judge_standing_in_for_each_human_averages_those_tables():
    """With every human on every item, the pooled tables' alpha is close to the mean of the humans' alphas."""
    frame, labels = simulated()
    judged = with_judge(frame, labels[:, 0])
    report = judge_report(judged, "judge", "ordinal", value_domain=SCALE, n_boot=100)
    alphas = []
    for human in HUMANS:
        table = judged[judged["rater"] != human].replace({"rater": {"judge": human}})
        alphas.append(agreement.alpha(table, "ordinal", value_domain=SCALE))
    assert report.pool_alpha_with_judge.value == pytest.approx(np.mean(alphas), abs=0.005)


def test_the_same_seed_gives_the_same_intervals():
    frame, labels = simulated()
    judged = with_judge(frame, labels[:, 2])
    first = judge_report(judged, "judge", "ordinal", value_domain=SCALE, n_boot=100, seed=5)
    again = judge_report(judged, "judge", "ordinal", value_domain=SCALE, n_boot=100, seed=5)
    assert first == again


# ---------------------------------------------------------------------------
# Degenerate inputs: a report, never an exception
# ---------------------------------------------------------------------------


def test_one_human_gives_agreement_with_that_human_and_no_alt_test():
    frame, labels = simulated()
    one = with_judge(frame[frame["rater"] == "h1"], labels[:, 1])
    report = judge_report(one, "judge", "ordinal", value_domain=SCALE, n_boot=50)
    assert report.n_humans == 1
    assert not math.isnan(report.with_each_human[0].judge_agreement.value)
    assert math.isnan(report.with_each_human[0].human_agreement.value)
    assert math.isnan(report.pool_alpha.value)
    assert report.alt_test is None
    assert "at least 3 human raters; this criterion has 1" in report.alt_test_note


def test_a_judge_that_shares_no_item_with_the_humans_gets_undefined_figures():
    frame, labels = simulated(100)
    elsewhere = pd.DataFrame({"item": np.arange(100, 200), "rater": "judge", "value": labels[:, 0]})
    report = judge_report(pd.concat([frame, elsewhere]), "judge", "ordinal", value_domain=SCALE, n_boot=50)
    assert report.n_items == 0
    assert all(math.isnan(c.judge_agreement.value) and c.judge_agreement.n_items == 0 for c in report.with_each_human)
    assert report.with_final is None
    assert report.alt_test is None
    assert "0 of 5 did" in report.alt_test_note
    assert report.pool_alpha.value > 0.4


def test_a_judge_with_no_labels_and_an_empty_table_are_reports_too():
    frame, _ = simulated(50)
    absent = judge_report(frame, "judge", "nominal", n_boot=20)
    assert absent.n_items == 0 and absent.alt_test is None
    empty = judge_report(pd.DataFrame({"item": [], "rater": [], "value": []}), "judge", "nominal", n_boot=20)
    assert (empty.n_humans, empty.n_items, empty.with_each_human, empty.with_final) == (0, 0, (), None)
    assert math.isnan(empty.pool_alpha.value)


def test_too_few_items_per_human_gives_no_alt_test_and_says_how_many_are_needed():
    frame, labels = simulated(MIN_ITEMS_PER_HUMAN - 5)
    report = judge_report(with_judge(frame, labels[:, 0]), "judge", "ordinal", value_domain=SCALE, n_boot=50)
    assert report.alt_test is None
    assert f"{MIN_ITEMS_PER_HUMAN} or more items" in report.alt_test_note


def test_labels_without_variation_give_undefined_alpha_but_a_test():
    frame, _ = simulated(40)
    same = frame.assign(value=3)
    report = judge_report(with_judge(same, np.full(40, 3)), "judge", "ordinal", value_domain=SCALE, n_boot=50)
    assert math.isnan(report.pool_alpha.value)
    assert math.isnan(report.with_each_human[0].judge_agreement.ci_low)
    assert report.alt_test.passed  # the judge ties every human on every item


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epsilon": 1.5}, "epsilon must be a number from 0 to 1; got 1.5"),
        ({"q": 0}, "q must be a number between 0 and 1; got 0"),
        ({"n_boot": 0}, "n_boot must be a positive integer; got 0"),
        ({"value_domain": [1, 2, 3]}, r"labels outside value_domain: \d, \d"),
        ({"final": pd.Series({0: 7})}, "labels outside value_domain: 7"),
    ],
)
def test_bad_arguments_are_refused_with_the_offending_value(kwargs, message):
    frame, labels = simulated(20)
    kwargs = {"value_domain": SCALE, **kwargs}
    with pytest.raises(ValueError, match=message):
        judge_report(with_judge(frame, labels[:, 0]), "judge", "ordinal", **kwargs)


def test_large_tables_give_the_same_report_by_every_route(monkeypatch):
    """Sparse storage (large tables) or one shared draw of items (very varied labels) change only the
    resamples: the figures stay and the intervals move within resampling noise."""
    frame, labels = simulated()
    judged = with_judge(frame.sample(frac=0.8, random_state=2), labels[:, 3])

    def figures() -> list:
        report = judge_report(judged, "judge", "interval", n_boot=400)
        each = [x for c in report.with_each_human for x in (c.judge_agreement, c.human_agreement)]
        return [report.pool_alpha, report.pool_alpha_with_judge, report.with_final, *each]

    dense = figures()
    monkeypatch.setattr(judges, "_DENSE_CELLS", 0)
    sparse = figures()
    monkeypatch.setattr(judges, "_NS_PER_CATEGORY", 10**9)
    shared = figures()
    for other in (sparse, shared):
        for a, b in zip(other, dense, strict=True):
            assert (a.value, a.n_items) == (pytest.approx(b.value, abs=1e-12), b.n_items)
            assert a.ci_low == pytest.approx(b.ci_low, abs=0.02)
            assert a.ci_high == pytest.approx(b.ci_high, abs=0.02)
