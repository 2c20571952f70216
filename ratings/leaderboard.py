"""Leaderboards: systems compared on pairwise preferences (win rates, Bradley–Terry) and on pointwise scores (means).

Tidy tables in, frozen dataclasses out; nothing here imports Django (ratings.leaderboard_report reads the labels).

Pairwise comparisons arrive one row per judgement: ``item``, ``system_a``, ``system_b`` and ``outcome``, the score
of A (1 = A better, 0.5 = tie, 0 = B better; see ``pairwise_outcomes``), optionally ``left`` ("a"/"b": which
original output was shown on the left). Pointwise scores arrive as ``item``, ``system``, ``value`` (a number; a
flag as 0/1).

- Tie rule: a tie counts as half a win to each side, in win rates, head-to-head shares and the Bradley–Terry fit.
- Scale: Bradley–Terry strengths π are reported as Elo-like scores, 1000 + 400·log10 π with log π centred on the
  systems' mean, so the average system sits at 1000, 400 points are 10:1 odds, and system i beats system j with
  probability 1 / (1 + 10^((s_j − s_i) / 400)).
- Fit: maximum likelihood, by choix's I-LSR for the estimate and by Newton's method for the resamples (all of
  them at once; both reach the same maximum). The position model below is fitted by Newton's method too.
- Prior: a pure maximum-likelihood score is infinite for a system that never lost. Each system gets ``prior``
  virtual comparisons (one by default), all ties, spread evenly over the other systems. It keeps every score
  finite and links systems never compared, and moves well-measured scores by a fraction of a point.
- Bootstrap: ITEMS are resampled with replacement (every judgement of an item stays with it; pointwise items are
  resampled within their system), N_BOOT = 1,000 resamples from a fixed seed, percentile 95% intervals. Items
  whose contributions are identical are grouped into cells, so drawing n items is one multinomial draw over the
  cells (exactly the same distribution), and a resample's K×K win matrix is one sparse product: no Python loop
  runs over judgements.
- Distinguishable: a difference is called distinguishable when its bootstrap interval excludes 0 at Holm's
  step-down level over the pairs tested (the pair with the strongest evidence at 1 − 0.05/m, the next at
  1 − 0.05/(m − 1), …); the bootstrap p-value is twice the share of resampled differences on the far side of 0.
  Bradley–Terry tests each system against the next one down (m = K − 1); pointwise tests every pair.
- Position: P(i beats j | i shown on the left) = θπ_i / (θπ_i + π_j); θ > 1 means the left position wins more
  than the systems' strengths explain. Its intervals are normal ones from standard errors clustered by item
  (see position_model), not bootstrap ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import choix
import numpy as np
import pandas as pd
from scipy import sparse, stats

N_BOOT = 1000
SEED = 20240611
ALPHA = 0.05
PRIOR = 1.0
# Elo points per natural-log unit of strength: 400 points are a factor of 10 in odds.
ELO_PER_LOG = 400 / math.log(10)
ELO_CENTRE = 1000.0
# Cells times resamples held in memory at once by a bootstrap (about 40 MB of counts).
BOOT_BLOCK = 5_000_000
# Convergence of a fit: the largest change of a log strength in a step (1e-7 is 0.00002 Elo-like points).
FIT_TOL = 1e-7
NEWTON_STEPS = 60
# The longest Newton step on the log scale: the first steps from a poor start can overshoot.
NEWTON_MAX_STEP = 2.0
CORRECTION = "Holm"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SystemScore:
    """One system's Bradley–Terry score (Elo-like scale) and its record; wins and losses count ties as halves."""

    system: str
    rank: int
    score: float
    ci_low: float
    ci_high: float
    wins: int
    ties: int
    losses: int
    win_rate: float | None
    win_low: float | None
    win_high: float | None
    n_comparisons: int
    n_items: int


@dataclass(frozen=True)
class Neighbour:
    """A system against the one ranked just below it: the score difference and whether it is distinguishable."""

    higher: str
    lower: str
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float
    distinguishable: bool
    # P(higher beats lower) implied by the difference.
    win_probability: float


@dataclass(frozen=True)
class HeadToHead:
    """Win rate of each row system over each column system (ties as halves) and the comparisons behind it."""

    systems: tuple[str, ...]
    win_rate: tuple[tuple[float | None, ...], ...]
    n: tuple[tuple[int, ...], ...]

    def rows(self, limit: int | None = None) -> list[tuple[str, list[tuple[float | None, int]]]]:
        """The first `limit` systems, each with its (win rate, comparisons) against each of them."""
        top = len(self.systems) if limit is None else limit
        return [
            (name, list(zip(self.win_rate[i][:top], self.n[i][:top], strict=True)))
            for i, name in enumerate(self.systems[:top])
        ]


@dataclass(frozen=True)
class BradleyTerryResult:
    """Systems ranked by Bradley–Terry score with bootstrap intervals, neighbours tested, head to head."""

    systems: tuple[SystemScore, ...]
    neighbours: tuple[Neighbour, ...]
    head_to_head: HeadToHead
    n_comparisons: int
    n_items: int
    n_boot: int
    prior: float
    # Groups of systems linked by comparisons; scores in different groups rest on the prior alone.
    groups: tuple[tuple[str, ...], ...]

    @property
    def rows(self) -> list[tuple[SystemScore, Neighbour | None]]:
        """Each system, best first, with its comparison to the next one down (None for the last)."""
        return list(zip(self.systems, [*self.neighbours, None], strict=True))


@dataclass(frozen=True)
class PositionShare:
    """Non-tie choices of the output shown on the left, with an exact two-sided binomial test against 1/2."""

    n: int
    n_ties: int
    left: int
    share: float | None
    p_value: float | None


@dataclass(frozen=True)
class AdjustedScore:
    """A system's Bradley–Terry score once the left position's advantage is fitted beside it."""

    system: str
    rank: int
    score: float
    ci_low: float
    ci_high: float
    # The score on the same judgements with the presented order ignored (θ fixed at 1).
    unadjusted: float

    @property
    def shift(self) -> float:
        """How far fitting the left position's advantage moves the score."""
        return self.score - self.unadjusted


@dataclass(frozen=True)
class PositionModel:
    """Bradley–Terry refitted with the presented order as a covariate: θ, its interval, the adjusted scores."""

    theta: float
    theta_low: float
    theta_high: float
    n_comparisons: int
    n_items: int
    systems: tuple[AdjustedScore, ...]

    @property
    def left_share(self) -> float:
        """How often the left output wins between two equally strong systems: θ / (1 + θ)."""
        return self.theta / (1 + self.theta)


@dataclass(frozen=True)
class SystemMean:
    """One system's mean score (a flag's rate) with its bootstrap interval and what it rests on."""

    system: str
    rank: int
    mean: float
    ci_low: float
    ci_high: float
    n_items: int
    n_ratings: int


@dataclass(frozen=True)
class MeanDifference:
    """Two systems' means compared: the difference, its interval, and whether it survives Holm's correction."""

    higher: str
    lower: str
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float
    distinguishable: bool


@dataclass(frozen=True)
class PointwiseResult:
    """Systems ranked by mean score, every pair of them compared."""

    systems: tuple[SystemMean, ...]
    differences: tuple[MeanDifference, ...]
    n_items: int
    n_ratings: int
    n_boot: int

    @property
    def has_flat_interval(self) -> bool:
        """Whether some system's interval has no width (every resample gave the same value)."""
        return any(s.ci_low == s.ci_high for s in self.systems)

    @property
    def rows(self) -> list[tuple[SystemMean, MeanDifference | None]]:
        """Each system, best first, with its comparison to the next one down (None for the last)."""
        below = {(d.higher, d.lower): d for d in self.differences}
        nexts = [below.get((a.system, b.system)) for a, b in zip(self.systems, self.systems[1:], strict=False)]
        return list(zip(self.systems, [*nexts, None], strict=True))


# --------------------------------------------------------------------------- inputs


def pairwise_outcomes(values: pd.Series | Sequence[Any]) -> np.ndarray:
    """Pairwise answers as the score of A: "A" 1, "tie" 0.5, "B" 0; graded answers by sign (negative prefers A).

    Anything else (None, other text, NaN) becomes NaN.
    """
    # A hundred thousand answers hold a handful of distinct values: score each distinct value once.
    codes, distinct = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    scored = np.array([_outcome(v) for v in distinct] + [math.nan], dtype=float)
    return scored[codes]


def _outcome(value: Any) -> float:
    if isinstance(value, str):
        word = {"a": 1.0, "tie": 0.5, "b": 0.0}.get(value.strip().lower())
        if word is not None:
            return word
        try:
            # Graded answers may arrive as their text from a database's JSON.
            value = float(value)
        except ValueError:
            return math.nan
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        return math.nan
    if not math.isfinite(value):
        return math.nan
    return 1.0 if value < 0 else 0.0 if value > 0 else 0.5


def _check(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}; got {', '.join(map(str, frame.columns))}")


def _pairwise_frame(comparisons: pd.DataFrame) -> pd.DataFrame:
    """Valid judgements only: both systems named and different, a known outcome; one pair per item."""
    _check(comparisons, ("item", "system_a", "system_b", "outcome"))
    df = comparisons.dropna(subset=["system_a", "system_b", "outcome"])
    df = df[df["system_a"].astype(str) != df["system_b"].astype(str)]
    bad = ~df["outcome"].isin([0.0, 0.5, 1.0])
    if bad.any():
        raise ValueError(f"outcome must be 1 (A better), 0.5 (tie) or 0 (B better); got {df['outcome'][bad].iloc[0]!r}")
    df = df.assign(system_a=df["system_a"].astype(str), system_b=df["system_b"].astype(str))
    pairs = df.groupby("item", sort=False)[["system_a", "system_b"]].nunique()
    if len(pairs) and (pairs.to_numpy() > 1).any():
        raise ValueError("each item compares one pair of systems; an item names different systems in its rows")
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------- resampling


def _cells(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of an integer matrix (items' contributions), how many items share each, and each item's cell."""
    cells, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    return cells, counts, inverse.reshape(-1)


def _draws(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """n_boot resamples of the items, as how many times each cell's items were drawn (a multinomial draw)."""
    total = int(counts.sum())
    return rng.multinomial(total, counts / total, size=n_boot)


def _blocks(n_boot: int, width: int) -> list[int]:
    """Resample counts per block so that a block holds about BOOT_BLOCK numbers."""
    size = max(1, min(n_boot, BOOT_BLOCK // max(width, 1)))
    return [min(size, n_boot - start) for start in range(0, n_boot, size)]


def _percentiles(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.nanpercentile(values, [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)], axis=axis)
    return low, high


def bootstrap_p(differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value that a difference is 0: twice the share of resamples on the far side of 0."""
    d = differences[~np.isnan(differences)]
    if d.size == 0:
        return 1.0
    return float(min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0))))


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979): the k-th smallest times (m − k + 1), kept monotone."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adjusted
    return out


# --------------------------------------------------------------------------- Bradley–Terry


def elo(log_strength: np.ndarray) -> np.ndarray:
    """Natural-log strengths as Elo-like scores: centred on the systems' mean, 1000 + 400·log10 π."""
    centred = log_strength - np.mean(log_strength, axis=-1, keepdims=True)
    return ELO_CENTRE + ELO_PER_LOG * centred


def win_probability(difference: float) -> float:
    """P(the higher system wins) for a score difference in Elo-like points."""
    return 1 / (1 + 10 ** (-difference / 400))


def prior_matrix(n_systems: int, prior: float = PRIOR) -> np.ndarray:
    """The virtual ties as a win matrix: each system ties `prior` times in all, evenly against every other."""
    if n_systems < 2 or prior <= 0:
        return np.zeros((n_systems, n_systems))
    half = prior / (n_systems - 1) / 2
    matrix = np.full((n_systems, n_systems), half)
    np.fill_diagonal(matrix, 0.0)
    return matrix


def fit_bradley_terry(wins: np.ndarray, *, initial: np.ndarray | None = None) -> np.ndarray:
    """Centred natural-log strengths from a win matrix (wins[i, j]: i over j, ties as halves), by choix's I-LSR.

    The maximum-likelihood estimate (Maystre and Grossglauser 2015); the matrix must link every system.
    """
    try:
        return choix.ilsr_pairwise_dense(wins, initial_params=initial, max_iter=500, tol=FIT_TOL)
    except RuntimeError:
        # Without the prior, sparse or lopsided judgements can need many more steps.
        return choix.ilsr_pairwise_dense(wins, max_iter=10_000, tol=FIT_TOL)


def _groups(counts: np.ndarray, names: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Systems linked by comparisons, directly or through others."""
    n, labels = sparse.csgraph.connected_components(sparse.csr_matrix(counts > 0), directed=False)
    return tuple(tuple(names[i] for i in np.flatnonzero(labels == g)) for g in range(n))


def _encoded(df: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """System names; per judgement the lower and higher system index, whether A was the higher one, the item."""
    n = len(df)
    both = np.concatenate([df["system_a"].to_numpy(dtype=object), df["system_b"].to_numpy(dtype=object)])
    codes, uniques = pd.factorize(both, sort=True)
    names = [str(name) for name in uniques]
    a, b = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    item_of = pd.factorize(df["item"].to_numpy(), sort=False)[0].astype(np.int64)
    return names, np.minimum(a, b), np.maximum(a, b), a > b, item_of.reshape(-1)


def _per_item(item_of: np.ndarray, lo: np.ndarray, hi: np.ndarray, sums: Sequence[np.ndarray]) -> np.ndarray:
    """Per item: its pair (lower, higher system index), then the total of each of `sums` over its judgements."""
    n_items = int(item_of.max()) + 1
    out = np.zeros((n_items, 2 + len(sums)), dtype=np.int64)
    out[item_of, 0] = lo
    out[item_of, 1] = hi
    for col, values in enumerate(sums, start=2):
        out[:, col] = np.bincount(item_of, weights=values, minlength=n_items).astype(np.int64)
    return out


def bradley_terry(
    comparisons: pd.DataFrame, *, n_boot: int = N_BOOT, seed: int = SEED, prior: float = PRIOR
) -> BradleyTerryResult:
    """Rank the systems of pairwise judgements: records, win rates, Bradley–Terry scores, neighbours, head to head.

    Win rates count a tie as half a win; scores are Elo-like (see the module's docstring); intervals are
    percentile 95% from n_boot item resamples. Needs judgements between at least two systems (ValueError).
    """
    df = _pairwise_frame(comparisons)
    names, lo, hi, swapped, item_of = _encoded(df)
    if len(names) < 2:
        raise ValueError("a leaderboard needs judgements between at least two systems")
    k = len(names)
    outcome = df["outcome"].to_numpy(float)
    # Each judgement in half points, from the lower-numbered system's side: 2 a win, 1 a tie, 0 a loss.
    lo_halves = np.rint(2 * np.where(swapped, 1 - outcome, outcome)).astype(np.int64)
    per_item = _per_item(item_of, lo, hi, [lo_halves, 2 - lo_halves])
    cells, weights, _ = _cells(per_item)
    contribution = _win_contributions(cells, k)
    point_wins = (weights @ contribution).reshape(k, k)
    counts = np.zeros((k, k))
    np.add.at(counts, (lo, hi), 1)
    counts += counts.T
    prior_wins = prior_matrix(k, prior)
    point = fit_bradley_terry(point_wins + prior_wins)
    rng = np.random.default_rng(seed)
    boot_log = np.empty((n_boot, k))
    boot_rate = np.empty((n_boot, k))
    start = np.r_[point, 0.0][None, :]
    done = 0
    for size in _blocks(n_boot, len(cells) + 3 * k * k):
        draws = _draws(weights, size, rng)
        wins = np.asarray(contribution.T @ draws.T).T.reshape(size, k, k)
        # As first/second matrices, each pair counted once: half of i's wins over j and of their games.
        fitted = newton_fit(
            wins / 2, (wins + np.swapaxes(wins, 1, 2)) / 2, prior_wins, np.repeat(start, size, axis=0), theta=False
        )
        boot_log[done : done + size] = fitted[:, :k]
        played = wins.sum(axis=2) + wins.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            boot_rate[done : done + size] = np.where(played > 0, wins.sum(axis=2) / played, np.nan)
        done += size
    record = _record(lo, hi, lo_halves, k)
    items_of = np.bincount(per_item[:, 0], minlength=k) + np.bincount(per_item[:, 1], minlength=k)
    return _bt_result(names, point, boot_log, boot_rate, point_wins, counts, record, items_of, n_boot, prior)


def _win_contributions(cells: np.ndarray, k: int) -> sparse.csr_matrix:
    """Each cell's item as a sparse row over the flattened K×K win matrix: half points become wins."""
    rows = np.r_[np.arange(len(cells)), np.arange(len(cells))]
    cols = np.r_[cells[:, 0] * k + cells[:, 1], cells[:, 1] * k + cells[:, 0]]
    values = np.r_[cells[:, 2], cells[:, 3]] / 2
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(cells), k * k))


def _record(lo: np.ndarray, hi: np.ndarray, lo_halves: np.ndarray, k: int) -> np.ndarray:
    """Per system: wins, ties, losses (whole judgements)."""
    record = np.zeros((k, 3), dtype=np.int64)
    for column, halves in ((0, 2), (1, 1), (2, 0)):
        np.add.at(record[:, column], lo[lo_halves == halves], 1)
        np.add.at(record[:, column], hi[lo_halves == 2 - halves], 1)
    return record


def _bt_result(
    names: list[str],
    point: np.ndarray,
    boot_log: np.ndarray,
    boot_rate: np.ndarray,
    wins: np.ndarray,
    counts: np.ndarray,
    record: np.ndarray,
    items_of: np.ndarray,
    n_boot: int,
    prior: float,
) -> BradleyTerryResult:
    k = len(names)
    score, boot_score = elo(point), elo(boot_log)
    low, high = _percentiles(boot_score)
    rate_low, rate_high = _percentiles(boot_rate)
    n_comparisons = counts.sum(axis=1).astype(int)
    order = sorted(range(k), key=lambda i: (-score[i], names[i]))
    systems = tuple(
        SystemScore(
            system=names[i],
            rank=rank,
            score=float(score[i]),
            ci_low=float(low[i]),
            ci_high=float(high[i]),
            wins=int(record[i, 0]),
            ties=int(record[i, 1]),
            losses=int(record[i, 2]),
            win_rate=float(wins[i].sum() / n_comparisons[i]) if n_comparisons[i] else None,
            win_low=_finite(rate_low[i]),
            win_high=_finite(rate_high[i]),
            n_comparisons=int(n_comparisons[i]),
            n_items=int(items_of[i]),
        )
        for rank, i in enumerate(order, start=1)
    )
    pairs = list(zip(order, order[1:], strict=False))
    diffs = [boot_score[:, i] - boot_score[:, j] for i, j in pairs]
    p = [bootstrap_p(d) for d in diffs]
    p_holm = holm(p)
    neighbours = []
    for (i, j), d, p_i, p_h in zip(pairs, diffs, p, p_holm, strict=True):
        lo, hi = _percentiles(d)
        difference = float(score[i] - score[j])
        neighbours.append(
            Neighbour(
                higher=names[i],
                lower=names[j],
                difference=difference,
                ci_low=float(lo),
                ci_high=float(hi),
                p_value=p_i,
                p_holm=float(p_h),
                distinguishable=bool(p_h < ALPHA),
                win_probability=win_probability(difference),
            )
        )
    return BradleyTerryResult(
        systems=systems,
        neighbours=tuple(neighbours),
        head_to_head=_head_to_head(names, order, wins, counts),
        n_comparisons=int(counts.sum() / 2),
        n_items=int(items_of.sum() // 2),
        n_boot=n_boot,
        prior=prior,
        groups=_groups(counts, names),
    )


def _head_to_head(names: list[str], order: list[int], wins: np.ndarray, counts: np.ndarray) -> HeadToHead:
    rates = []
    for i in order:
        rates.append(tuple(float(wins[i, j] / counts[i, j]) if counts[i, j] else None for j in order))
    return HeadToHead(
        systems=tuple(names[i] for i in order),
        win_rate=tuple(rates),
        n=tuple(tuple(int(counts[i, j]) for j in order) for i in order),
    )


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


# --------------------------------------------------------------------------- position


def position_share(comparisons: pd.DataFrame) -> PositionShare:
    """Share of non-tie judgements that chose the output shown on the left (rows with a known `left` only)."""
    return position_shares(comparisons.assign(_all=0), "_all").get(0) or PositionShare(0, 0, 0, None, None)


def position_shares(comparisons: pd.DataFrame, by: str) -> dict[Any, PositionShare]:
    """position_share for each value of the column `by` (e.g. per rater), counted in one pass."""
    _check(comparisons, ("outcome", "left", by))
    left = comparisons["left"].astype(str).str.lower().to_numpy()
    outcome = comparisons["outcome"].to_numpy(float)
    known = np.isin(left, ["a", "b"]) & ~np.isnan(outcome)
    decided = known & (outcome != 0.5)
    chose_left = decided & ((outcome == 1.0) == (left == "a"))
    codes, keys = pd.factorize(comparisons[by], sort=True)
    n = np.bincount(codes[decided], minlength=len(keys))
    ties = np.bincount(codes[known & ~decided], minlength=len(keys))
    lefts = np.bincount(codes[chose_left], minlength=len(keys))
    out = {}
    for i, key in enumerate(keys):
        if not n[i] and not ties[i]:
            continue
        p = float(stats.binomtest(int(lefts[i]), int(n[i]), 0.5).pvalue) if n[i] else None
        share = float(lefts[i] / n[i]) if n[i] else None
        out[key] = PositionShare(int(n[i]), int(ties[i]), int(lefts[i]), share, p)
    return out


def position_model(comparisons: pd.DataFrame, *, prior: float = PRIOR) -> PositionModel:
    """Bradley–Terry with a left-position advantage θ: P(i beats j | i on the left) = θπ_i / (θπ_i + π_j).

    Only judgements with a known `left` ("a"/"b") take part. Fitted by Newton's method on (log π, log θ) with
    the same virtual ties as bradley_terry (which carry no position). The 95% intervals of θ and of the adjusted
    scores are normal ones from standard errors clustered by item (the sandwich estimator of Liang and Zeger
    1986, with the G/(G − 1) small-sample factor): the same unit as the item bootstrap, at the cost of one fit
    instead of a thousand. ValueError without judgements of a known order between two systems.
    """
    df = _pairwise_frame(comparisons)
    _check(df, ("left",))
    left = df["left"].astype(str).str.lower()
    df = df[left.isin(["a", "b"])]
    if df.empty:
        raise ValueError("the position model needs judgements of a known order between at least two systems")
    names, lo, hi, swapped, item_of = _encoded(df)
    if len(names) < 2:
        raise ValueError("the position model needs judgements of a known order between at least two systems")
    k = len(names)
    outcome = df["outcome"].to_numpy(float)
    lo_halves = np.rint(2 * np.where(swapped, 1 - outcome, outcome)).astype(np.int64)
    lo_left = (df["left"].astype(str).str.lower() == "a").to_numpy() != swapped
    left_halves = np.where(lo_left, lo_halves, 2 - lo_halves)
    # Per item: its pair, then the left side's half points and judgements with the lower system on the left,
    # and again with the higher one on the left.
    per_item = _per_item(item_of, lo, hi, [left_halves * lo_left, lo_left, left_halves * ~lo_left, ~lo_left])
    cells, weights, _ = _cells(per_item)
    left_wins, played = _left_contributions(cells, k)
    virtual = prior_matrix(k, prior)
    s = (weights @ left_wins).reshape(1, k, k)
    n = (weights @ played).reshape(1, k, k)
    point = newton_fit(s, n, virtual, np.zeros((1, k + 1)), theta=True)
    information = _score_information(s, n, virtual, point, theta=True)[1][0]
    bread = np.linalg.pinv(information)
    covariance = bread @ _clustered_meat(cells, weights, point[0], k) @ bread
    se = np.sqrt(np.clip(np.diag(covariance), 0, None))
    z = stats.norm.ppf(1 - ALPHA / 2)
    score = elo(point[0, :k])
    plain = elo(newton_fit(s, n, virtual, np.zeros((1, k + 1)), theta=False)[0, :k])
    eta = point[0, k]
    order = sorted(range(k), key=lambda i: (-score[i], names[i]))
    return PositionModel(
        theta=float(np.exp(eta)),
        theta_low=float(np.exp(eta - z * se[k])),
        theta_high=float(np.exp(eta + z * se[k])),
        n_comparisons=int(len(df)),
        n_items=int(weights.sum()),
        systems=tuple(
            AdjustedScore(
                names[i],
                rank,
                float(score[i]),
                float(score[i] - z * ELO_PER_LOG * se[i]),
                float(score[i] + z * ELO_PER_LOG * se[i]),
                float(plain[i]),
            )
            for rank, i in enumerate(order, start=1)
        ),
    )


def _clustered_meat(cells: np.ndarray, weights: np.ndarray, params: np.ndarray, k: int) -> np.ndarray:
    """Σ over items of the outer product of each item's score vector (its gradient of the log-likelihood).

    An item of systems lo and hi adds r₁ − r₂ to lo's log strength, the opposite to hi's, and r₁ + r₂ to log θ,
    where r₁ and r₂ are its left side's wins less their expectation with lo and with hi on the left.
    """
    lo, hi = cells[:, 0], cells[:, 1]
    beta, eta = params[:k], params[k]
    p1 = 1 / (1 + np.exp(-(eta + beta[lo] - beta[hi])))
    p2 = 1 / (1 + np.exp(-(eta + beta[hi] - beta[lo])))
    r1 = cells[:, 2] / 2 - cells[:, 3] * p1
    r2 = cells[:, 4] / 2 - cells[:, 5] * p2
    d, e = r1 - r2, r1 + r2
    meat = np.zeros((k + 1, k + 1))
    np.add.at(meat, (lo, lo), weights * d * d)
    np.add.at(meat, (hi, hi), weights * d * d)
    np.add.at(meat, (lo, hi), -weights * d * d)
    np.add.at(meat, (hi, lo), -weights * d * d)
    np.add.at(meat, (lo, k), weights * d * e)
    np.add.at(meat, (hi, k), -weights * d * e)
    np.add.at(meat, (k, lo), weights * d * e)
    np.add.at(meat, (k, hi), -weights * d * e)
    meat[k, k] = np.sum(weights * e * e)
    clusters = weights.sum()
    return meat * clusters / max(clusters - 1, 1)


def _left_contributions(cells: np.ndarray, k: int) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Per cell, over the flattened K×K (left, right) matrix: the left side's wins (ties as halves) and the games."""
    lo, hi = cells[:, 0], cells[:, 1]
    rows = np.r_[np.arange(len(cells)), np.arange(len(cells))]
    cols = np.r_[lo * k + hi, hi * k + lo]
    left_won = np.r_[cells[:, 2], cells[:, 4]] / 2
    games = np.r_[cells[:, 3], cells[:, 5]]
    shape = (len(cells), k * k)
    return (
        sparse.csr_matrix((left_won.astype(float), (rows, cols)), shape=shape),
        sparse.csr_matrix((games.astype(float), (rows, cols)), shape=shape),
    )


def newton_fit(
    left_wins: np.ndarray, played: np.ndarray, virtual: np.ndarray, start: np.ndarray, *, theta: bool
) -> np.ndarray:
    """Maximum likelihood (log π_1..log π_K, log θ) for a batch of (first, second) win and game matrices.

    Newton's method on the logistic form logit P(first wins) = log θ + log π_first − log π_second, every matrix
    of the batch at once (choix fits one matrix at a time, at about half a millisecond per iteration even for
    four systems: a thousand resamples took seconds). Without `theta`, log θ stays at its start (0: plain
    Bradley–Terry). `virtual` adds the prior's ties, which carry no position. The log strengths stay centred.
    """
    k = left_wins.shape[1]
    size = k + 1 if theta else k
    params = start.astype(float).copy()
    for _ in range(NEWTON_STEPS):
        grad, info = _score_information(left_wins, played, virtual, params, theta=theta)
        step = np.linalg.solve(info, grad[:, :, None])[:, :, 0]
        largest = np.abs(step).max(axis=1, keepdims=True)
        step *= np.minimum(1.0, NEWTON_MAX_STEP / np.maximum(largest, 1e-300))
        params[:, :size] += step
        params[:, :k] -= params[:, :k].mean(axis=1, keepdims=True)
        if float(largest.max()) < FIT_TOL:
            break
    return params


def _score_information(
    left_wins: np.ndarray, played: np.ndarray, virtual: np.ndarray, params: np.ndarray, *, theta: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the log-likelihood and the information matrix (minus its Hessian), per matrix of a batch.

    The sum of the log strengths is not identified: 11ᵀ/K is added to their block of the information, which
    makes it invertible and keeps a Newton step orthogonal to that direction.
    """
    batch, k = left_wins.shape[0], left_wins.shape[1]
    size = k + 1 if theta else k
    beta, eta = params[:, :k], params[:, k]
    p0 = 1 / (1 + np.exp(-(beta[:, :, None] - beta[:, None, :])))
    p = 1 / (1 + np.exp(-(eta[:, None, None] + beta[:, :, None] - beta[:, None, :]))) if theta else p0
    resid = left_wins - played * p
    w = played * p * (1 - p)
    resid0 = virtual * (0.5 - p0)
    w0 = virtual * p0 * (1 - p0)
    grad = np.empty((batch, size))
    grad[:, :k] = resid.sum(2) - resid.sum(1) + resid0.sum(2) - resid0.sum(1)
    both = w + np.swapaxes(w, 1, 2) + w0 + np.swapaxes(w0, 1, 2)
    info = np.empty((batch, size, size))
    info[:, :k, :k] = np.where(np.eye(k, dtype=bool), both.sum(2)[:, :, None], -both) + 1 / k
    if theta:
        grad[:, k] = resid.sum((1, 2))
        info[:, :k, k] = info[:, k, :k] = w.sum(2) - w.sum(1)
        # Without a judgement of known order there is no information on θ: it stays where it is.
        info[:, k, k] = w.sum((1, 2)) + 1e-12
    return grad, info


# --------------------------------------------------------------------------- pointwise


def pointwise_means(scores: pd.DataFrame, *, n_boot: int = N_BOOT, seed: int = SEED) -> PointwiseResult:
    """Mean score per system (a flag's rate, as 0/1), with intervals from resampling items within each system.

    Every row counts (several raters of an item each add a rating; the item is resampled whole). Every pair of
    systems is compared: the bootstrap interval of the difference and Holm's correction over the pairs.
    """
    _check(scores, ("item", "system", "value"))
    df = scores.dropna(subset=["system", "value"])
    df = df.assign(system=df["system"].astype(str), value=pd.to_numeric(df["value"], errors="raise").astype(float))
    if df.empty:
        raise ValueError("no scores with a system")
    per_item = df.groupby(["system", "item"], sort=True)["value"].agg(["sum", "count"]).reset_index()
    names = sorted(per_item["system"].unique())
    rng = np.random.default_rng(seed)
    boot = np.empty((n_boot, len(names)))
    rows = []
    for s, name in enumerate(names):
        mine = per_item[per_item["system"] == name]
        keys = mine[["sum", "count"]].to_numpy(float)
        cells, weights, _ = _cells(keys)
        done = 0
        for size in _blocks(n_boot, len(cells)):
            draws = _draws(weights, size, rng)
            boot[done : done + size, s] = (draws @ cells[:, 0]) / (draws @ cells[:, 1])
            done += size
        n_ratings = int(mine["count"].sum())
        rows.append((name, float(mine["sum"].sum() / n_ratings), len(mine), n_ratings))
    low, high = _percentiles(boot)
    order = sorted(range(len(names)), key=lambda i: (-rows[i][1], names[i]))
    systems = tuple(
        SystemMean(names[i], rank, rows[i][1], float(low[i]), float(high[i]), rows[i][2], rows[i][3])
        for rank, i in enumerate(order, start=1)
    )
    pairs = [(order[x], order[y]) for x in range(len(order)) for y in range(x + 1, len(order))]
    diffs = [boot[:, i] - boot[:, j] for i, j in pairs]
    p = [bootstrap_p(d) for d in diffs]
    p_holm = holm(p)
    differences = []
    for (i, j), d, p_i, p_h in zip(pairs, diffs, p, p_holm, strict=True):
        lo, hi = _percentiles(d)
        differences.append(
            MeanDifference(
                higher=names[i],
                lower=names[j],
                difference=rows[i][1] - rows[j][1],
                ci_low=float(lo),
                ci_high=float(hi),
                p_value=p_i,
                p_holm=float(p_h),
                distinguishable=bool(p_h < ALPHA),
            )
        )
    return PointwiseResult(
        systems=systems,
        differences=tuple(differences),
        n_items=int(len(per_item)),
        n_ratings=int(per_item["count"].sum()),
        n_boot=n_boot,
    )
