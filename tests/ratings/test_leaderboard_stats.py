"""The leaderboard's statistics (ratings.leaderboard), without a database."""

import math

import choix
import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from ratings import leaderboard as lb

# Agresti, Categorical Data Analysis (2nd ed., 2002), section 10.6, Table 10.10: the 1987 season of the seven
# teams of the American League East, as (home team, away team, home wins, away wins). The same table ships
# with the BradleyTerry2 R package as `baseball`.
BASEBALL = [
    ("Milwaukee", "Detroit", 4, 3), ("Milwaukee", "Toronto", 4, 2), ("Milwaukee", "New York", 4, 3),
    ("Milwaukee", "Boston", 6, 1), ("Milwaukee", "Cleveland", 4, 2), ("Milwaukee", "Baltimore", 6, 0),
    ("Detroit", "Milwaukee", 3, 3), ("Detroit", "Toronto", 4, 2), ("Detroit", "New York", 4, 3),
    ("Detroit", "Boston", 6, 0), ("Detroit", "Cleveland", 6, 1), ("Detroit", "Baltimore", 4, 3),
    ("Toronto", "Milwaukee", 2, 5), ("Toronto", "Detroit", 4, 3), ("Toronto", "New York", 2, 4),
    ("Toronto", "Boston", 4, 3), ("Toronto", "Cleveland", 4, 2), ("Toronto", "Baltimore", 6, 0),
    ("New York", "Milwaukee", 3, 3), ("New York", "Detroit", 5, 1), ("New York", "Toronto", 2, 5),
    ("New York", "Boston", 4, 3), ("New York", "Cleveland", 4, 2), ("New York", "Baltimore", 6, 1),
    ("Boston", "Milwaukee", 5, 1), ("Boston", "Detroit", 2, 5), ("Boston", "Toronto", 3, 3),
    ("Boston", "New York", 4, 2), ("Boston", "Cleveland", 5, 2), ("Boston", "Baltimore", 6, 0),
    ("Cleveland", "Milwaukee", 2, 5), ("Cleveland", "Detroit", 3, 3), ("Cleveland", "Toronto", 3, 4),
    ("Cleveland", "New York", 4, 3), ("Cleveland", "Boston", 4, 2), ("Cleveland", "Baltimore", 2, 4),
    ("Baltimore", "Milwaukee", 2, 5), ("Baltimore", "Detroit", 1, 5), ("Baltimore", "Toronto", 1, 6),
    ("Baltimore", "New York", 2, 4), ("Baltimore", "Boston", 1, 6), ("Baltimore", "Cleveland", 3, 4),
]  # fmt: skip


def games() -> pd.DataFrame:
    """One row per game: the home team as A, shown on the left; each game its own item."""
    rows = []
    for home, away, home_wins, away_wins in BASEBALL:
        rows += [(home, away, 1.0)] * home_wins + [(home, away, 0.0)] * away_wins
    frame = pd.DataFrame(rows, columns=["system_a", "system_b", "outcome"])
    return frame.assign(item=np.arange(len(frame)), left="a")


def log_strength(scores: dict[str, float], reference: str) -> dict[str, float]:
    """Elo-like scores back to natural-log strengths relative to one system."""
    return {name: (score - scores[reference]) / lb.ELO_PER_LOG for name, score in scores.items()}


def table(rows: list[tuple[str, str, float]], **extra: list) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["system_a", "system_b", "outcome"])
    return frame.assign(item=np.arange(len(frame)), **extra)


def test_win_rates_count_a_tie_as_half_a_win():
    """Worked by hand: x beats y twice and ties once, y beats z, z beats x."""
    frame = table([("x", "y", 1.0), ("y", "x", 0.0), ("x", "y", 0.5), ("y", "z", 1.0), ("z", "x", 1.0)])
    result = lb.bradley_terry(frame, n_boot=50)
    by = {s.system: s for s in result.systems}
    assert (by["x"].wins, by["x"].ties, by["x"].losses, by["x"].n_comparisons) == (2, 1, 1, 4)
    assert by["x"].win_rate == pytest.approx(2.5 / 4)
    assert by["y"].win_rate == pytest.approx(1.5 / 4)
    assert by["z"].win_rate == pytest.approx(1 / 2)
    h2h = result.head_to_head
    x, y = h2h.systems.index("x"), h2h.systems.index("y")
    assert h2h.win_rate[x][y] == pytest.approx(2.5 / 3)
    assert h2h.n[x][y] == h2h.n[y][x] == 3
    assert result.n_comparisons == 5 and result.n_items == 5


def test_bradley_terry_reproduces_agresti_1987_american_league():
    """Agresti (2002), Table 10.11: log-strengths relative to Baltimore 1.58 (Milwaukee), 1.44, 1.29, 1.25, 1.11, 0.68.

    Unregularised (prior 0) the fit is the maximum-likelihood estimate; the four-decimal figures are
    BradleyTerry2's reproduction of the table (its tests/baseball.Rout.save).
    """
    result = lb.bradley_terry(games(), n_boot=20, prior=0.0)
    relative = log_strength({s.system: s.score for s in result.systems}, "Baltimore")
    expected = {
        "Milwaukee": 1.5814,
        "Detroit": 1.4364,
        "Toronto": 1.2945,
        "New York": 1.2476,
        "Boston": 1.1077,
        "Cleveland": 0.6839,
    }
    for team, value in expected.items():
        assert relative[team] == pytest.approx(value, abs=5e-4), team
    assert [s.system for s in result.systems][:2] == ["Milwaukee", "Detroit"]


def test_position_model_reproduces_agresti_home_advantage():
    """Agresti (2002), section 10.6: with a home-field parameter, log θ = 0.302 and the strengths, normalised
    to sum to 1, are 0.044, 0.088, 0.137, 0.157, 0.164, 0.190, 0.220 (Table 10.11, column 5).

    The home team plays the part of the output shown on the left.
    """
    model = lb.position_model(games(), prior=0.0)
    assert math.log(model.theta) == pytest.approx(0.3023, abs=5e-4)
    strengths = np.exp(np.array([s.score for s in model.systems]) / lb.ELO_PER_LOG)
    assert sorted(np.round(strengths / strengths.sum(), 3)) == [0.044, 0.088, 0.137, 0.157, 0.164, 0.190, 0.220]
    relative = log_strength({s.system: s.score for s in model.systems}, "Baltimore")
    assert relative["Milwaukee"] == pytest.approx(1.6196, abs=5e-4)
    assert relative["Cleveland"] == pytest.approx(0.7047, abs=5e-4)


def test_position_interval_matches_the_published_standard_error():
    """BradleyTerry2's fit of Agresti's home-advantage model gives log θ = 0.3023 with standard error 0.1309;
    with each game its own item, the clustered standard error behind our interval should agree closely."""
    model = lb.position_model(games(), prior=0.0)
    z = stats.norm.ppf(0.975)
    se = (math.log(model.theta_high) - math.log(model.theta_low)) / (2 * z)
    assert se == pytest.approx(0.1309, rel=0.03)


def test_clustered_intervals_agree_with_an_item_bootstrap():
    """Three judgements per item that share the item's leaning: the clustered standard error of log θ should
    match the spread of log θ over item resamples (refitted 300 times here)."""
    rng = np.random.default_rng(9)
    rows, left, items = [], [], []
    for item in range(300):
        i, j = rng.choice(3, size=2, replace=False)
        leaning = rng.normal(0, 1.0)
        for _ in range(3):
            shown = "a" if rng.random() < 0.5 else "b"
            x = leaning + (0.4 if shown == "a" else -0.4) + 0.3 * (j - i)
            rows.append((f"s{i}", f"s{j}", float(rng.random() < 1 / (1 + math.exp(-x)))))
            left.append(shown)
            items.append(item)
    frame = pd.DataFrame(rows, columns=["system_a", "system_b", "outcome"]).assign(left=left, item=items)
    model = lb.position_model(frame)
    z = stats.norm.ppf(0.975)
    clustered = (math.log(model.theta_high) - math.log(model.theta_low)) / (2 * z)
    etas = []
    for _ in range(300):
        # Each item's three rows, for 300 items drawn with replacement; a drawn copy is an item of its own.
        rows = (rng.integers(0, 300, 300)[:, None] * 3 + np.arange(3)).ravel()
        drawn = frame.iloc[rows].assign(item=np.repeat(np.arange(300), 3))
        etas.append(math.log(lb.position_model(drawn).theta))
    assert clustered == pytest.approx(float(np.std(etas)), rel=0.2)


def _independent_mle(frame: pd.DataFrame, prior: float) -> dict[str, float]:
    """Bradley–Terry by direct numerical maximisation of the log-likelihood (ties as half a win to each side),
    with each system's virtual ties added as in the module's docstring: written here from the model alone."""
    names = sorted(set(frame["system_a"]) | set(frame["system_b"]))
    k = len(names)
    a = frame["system_a"].map(names.index).to_numpy()
    b = frame["system_b"].map(names.index).to_numpy()
    y = frame["outcome"].to_numpy()
    virtual = prior / (k - 1)

    def negative_log_likelihood(free: np.ndarray) -> float:
        beta = np.r_[0.0, free]
        d = beta[a] - beta[b]
        data = np.sum(y * np.log(stats.logistic.cdf(d)) + (1 - y) * np.log(stats.logistic.cdf(-d)))
        pairs = beta[:, None] - beta[None, :]
        upper = np.triu_indices(k, 1)
        ties = virtual * np.sum(
            0.5 * np.log(stats.logistic.cdf(pairs[upper])) + 0.5 * np.log(stats.logistic.cdf(-pairs[upper]))
        )
        return -(data + ties)

    fit = optimize.minimize(negative_log_likelihood, np.zeros(k - 1), method="BFGS", options={"gtol": 1e-10})
    beta = np.r_[0.0, fit.x]
    beta -= beta.mean()
    return {name: lb.ELO_CENTRE + lb.ELO_PER_LOG * beta[i] for i, name in enumerate(names)}


def test_bradley_terry_matches_an_independent_maximum_likelihood_with_the_prior():
    """Simulated judgements among five systems, ties included; scipy's optimiser on the written-out likelihood."""
    rng = np.random.default_rng(7)
    strength = {"s1": 1.2, "s2": 0.6, "s3": 0.0, "s4": -0.3, "s5": -1.0}
    names = list(strength)
    rows = []
    for _ in range(300):
        i, j = rng.choice(5, size=2, replace=False)
        p = 1 / (1 + math.exp(strength[names[j]] - strength[names[i]]))
        u = rng.random()
        rows.append((names[i], names[j], 0.5 if u < 0.15 else 1.0 if u < 0.15 + 0.85 * p else 0.0))
    frame = table(rows)
    result = lb.bradley_terry(frame, n_boot=20)
    expected = _independent_mle(frame, lb.PRIOR)
    for s in result.systems:
        assert s.score == pytest.approx(expected[s.system], abs=1e-3)


def test_the_bootstraps_newton_fit_finds_the_same_maximum_as_choix():
    """The resamples are fitted all at once by Newton's method; on one matrix it agrees with choix's I-LSR."""
    rng = np.random.default_rng(3)
    wins = rng.integers(0, 12, size=(6, 6)).astype(float)
    np.fill_diagonal(wins, 0)
    prior = lb.prior_matrix(6)
    reference = choix.ilsr_pairwise_dense(wins + prior, tol=1e-12, max_iter=1000)
    fitted = lb.newton_fit((wins / 2)[None], ((wins + wins.T) / 2)[None], prior, np.zeros((1, 7)), theta=False)[0, :6]
    assert fitted == pytest.approx(reference - reference.mean(), abs=1e-7)


def test_a_system_that_never_lost_gets_a_finite_score_and_ranks_first():
    rows = [("best", "other", 1.0)] * 8 + [("other", "third", 1.0)] * 4 + [("third", "other", 1.0)] * 4
    result = lb.bradley_terry(table(rows), n_boot=200)
    assert result.systems[0].system == "best"
    assert all(math.isfinite(s.score) and math.isfinite(s.ci_high) for s in result.systems)
    assert result.systems[0].losses == 0


def test_the_bootstrap_is_reproducible_and_its_intervals_hold_the_estimates():
    frame = games()
    first, second = lb.bradley_terry(frame, n_boot=200), lb.bradley_terry(frame, n_boot=200)
    assert first == second
    for s in first.systems:
        assert s.ci_low <= s.score <= s.ci_high
        assert s.win_low <= s.win_rate <= s.win_high


def test_a_clear_gap_is_distinguishable_and_no_gap_is_not():
    rng = np.random.default_rng(11)
    rows = [("strong", "weak", float(rng.random() < 0.85)) for _ in range(200)]
    rows += [("weak", "twin", float(rng.random() < 0.5)) for _ in range(200)]
    result = lb.bradley_terry(table(rows), n_boot=500)
    steps = {(n.higher, n.lower): n for n in result.neighbours}
    assert result.systems[0].system == "strong"
    top = result.neighbours[0]
    assert top.distinguishable and top.ci_low > 0 and top.win_probability > 0.75
    assert not result.neighbours[1].distinguishable
    assert len(steps) == 2


def test_bootstrap_standard_error_of_a_win_rate_matches_the_binomial():
    """One judgement per item: resampling items makes a system's win rate a binomial share, whose standard error
    is sqrt(p(1 − p)/n) (the cell-wise multinomial draw must resample exactly as item-wise draws would)."""
    rng = np.random.default_rng(5)
    rows = [("x", "y", float(rng.random() < 0.6)) for _ in range(400)]
    frame = table(rows)
    result = lb.bradley_terry(frame, n_boot=2000)
    x = next(s for s in result.systems if s.system == "x")
    se = math.sqrt(x.win_rate * (1 - x.win_rate) / 400)
    # A 95% interval spans about 2 × 1.96 standard errors.
    assert (x.win_high - x.win_low) / (2 * 1.96) == pytest.approx(se, rel=0.12)


def test_position_model_recovers_a_simulated_left_advantage():
    rng = np.random.default_rng(2)
    strength = {"p": 0.5, "q": 0.0, "r": -0.5}
    names = list(strength)
    rows, left = [], []
    for _ in range(6000):
        i, j = rng.choice(3, size=2, replace=False)
        shown = "a" if rng.random() < 0.5 else "b"
        first, second = (i, j) if shown == "a" else (j, i)
        p_left = (
            2
            * math.exp(strength[names[first]])
            / (2 * math.exp(strength[names[first]]) + math.exp(strength[names[second]]))
        )
        left_won = rng.random() < p_left
        a_won = left_won if shown == "a" else not left_won
        rows.append((names[i], names[j], float(a_won)))
        left.append(shown)
    model = lb.position_model(table(rows, left=left))
    assert model.theta_low < 2.0 < model.theta_high
    assert model.theta == pytest.approx(2.0, rel=0.1)
    assert [s.system for s in model.systems] == ["p", "q", "r"]


def test_position_share_is_an_exact_binomial_test():
    """8 of 10 non-tie choices for the left: two-sided p = 2 × (45 + 10 + 1) / 1024 = 0.109375."""
    outcomes = [1.0] * 5 + [0.0] * 3 + [0.0] * 2 + [0.5] * 3
    left = ["a"] * 5 + ["b"] * 3 + ["a"] * 2 + ["a"] * 3
    frame = table([("x", "y", o) for o in outcomes], left=left)
    share = lb.position_share(frame)
    assert (share.n, share.left, share.n_ties) == (10, 8, 3)
    assert share.share == pytest.approx(0.8)
    assert share.p_value == pytest.approx(0.109375)


def test_holm_adjusts_the_smallest_p_value_most():
    """Holm (1979), step-down: sorted p 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, kept monotone."""
    assert lb.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert lb.holm([]).size == 0


def test_pairwise_answers_become_the_score_of_a():
    values = ["A", "tie", "B", " b ", -2, "-1", 0, "3", None, True, "maybe"]
    out = lb.pairwise_outcomes(values)
    assert out[:8] == pytest.approx([1, 0.5, 0, 0, 1, 1, 0.5, 0])
    assert np.isnan(out[8:]).all()


def test_pointwise_means_count_every_rating_and_resample_items_within_systems():
    """By hand: m1's items score (4, 5) and (3); m2's (2, 2) and (1): means 4 and 5/3."""
    frame = pd.DataFrame(
        {"item": [1, 1, 2, 3, 3, 4], "system": ["m1", "m1", "m1", "m2", "m2", "m2"], "value": [4, 5, 3, 2, 2, 1]}
    )
    result = lb.pointwise_means(frame, n_boot=500)
    top, bottom = result.systems
    assert (top.system, top.mean, top.n_items, top.n_ratings) == ("m1", pytest.approx(4.0), 2, 3)
    assert bottom.mean == pytest.approx(5 / 3)
    # Two items per system: a resample holds item 1 twice, item 2 twice, or one of each.
    assert top.ci_low == pytest.approx(3.0) and top.ci_high == pytest.approx(4.5)
    (diff,) = result.differences
    assert diff.difference == pytest.approx(4 - 5 / 3)
    assert diff.p_holm == diff.p_value


def test_pointwise_differences_use_holms_correction_over_every_pair():
    rng = np.random.default_rng(4)
    rows = []
    for system, centre in (("hi", 4.5), ("mid", 3.0), ("mid2", 3.0)):
        rows += [(f"{system}-{i}", system, float(np.clip(round(rng.normal(centre, 0.7)), 1, 5))) for i in range(60)]
    frame = pd.DataFrame(rows, columns=["item", "system", "value"])
    result = lb.pointwise_means(frame, n_boot=1000)
    assert len(result.differences) == 3
    by = {(d.higher, d.lower): d for d in result.differences}
    assert all(d.distinguishable for key, d in by.items() if key[0] == "hi")
    tie = next(d for key, d in by.items() if "hi" not in key)
    assert not tie.distinguishable
    assert tie.p_holm >= tie.p_value


def test_a_rate_is_the_share_of_yes():
    frame = pd.DataFrame({"item": [1, 2, 3, 4], "system": ["a", "a", "b", "b"], "value": [1.0, 0.0, 0.0, 0.0]})
    result = lb.pointwise_means(frame, n_boot=200)
    assert [(s.system, s.mean) for s in result.systems] == [("a", 0.5), ("b", 0.0)]
    assert result.has_flat_interval


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="at least two systems"):
        lb.bradley_terry(table([("x", "x", 1.0)]))
    with pytest.raises(ValueError, match="outcome must be"):
        lb.bradley_terry(table([("x", "y", 2.0)]))
    with pytest.raises(ValueError, match="one pair of systems"):
        lb.bradley_terry(
            pd.DataFrame({"item": [1, 1], "system_a": ["x", "x"], "system_b": ["y", "z"], "outcome": [1.0, 0.0]})
        )
    with pytest.raises(ValueError, match="known order"):
        lb.position_model(table([("x", "y", 1.0)], left=[""]))
