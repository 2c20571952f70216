"""How an automatic judge (a machine rater) compares with the human raters of a criterion.

Django-free, like ratings.agreement: a tidy frame (item, rater, value) holding the humans' labels and the
judge's (rater == judge) goes in, a frozen JudgeReport comes out. Every label rule of ratings.agreement holds
(missing values dropped, one label per item and rater, ``value_domain`` orders and bounds the scale).

Agreement is Krippendorff's alpha at the criterion's level throughout, so nominal, ordinal and numeric
criteria read the same way:

* ``with_each_human``: the judge and human j as two raters, on the items both labelled, beside human j and
  the other humans: every pair (j, k) of labels on an item is one two-rater unit, pooled over the other
  humans k. Both numbers answer "how well does someone else agree with j": the judge, or j's peers.
* ``with_final``: the judge and the item's final label as two raters. Without ``final`` the final label is
  the humans' majority (a tie is left out, never broken) for nominal and ordinal criteria and their mean for
  numeric ones, as ratings.final_labels aggregates.
* ``pool_alpha``: the humans' alpha. ``pool_alpha_with_judge``: the judge stands in for each human j in
  turn (its labels replace j's on j's items) and the coincidence matrices of those tables are averaged over
  the humans before one alpha is taken (an average of the tables rather than of their alphas, so it has
  one bootstrap interval like the rest; with every human on every item the two differ in the third decimal).

Intervals are 95% percentile bootstrap intervals over items. Every statistic above is a ratio of sums of
per-item coincidence terms, so resampling items reweights those terms. A statistic's terms depend only on
a few labels of the item (the judge's and one human's, say), so items with the same terms are kept once and
a resample is one multinomial draw of how many items fall on each: each statistic resamples the items it
rests on, as ratings.agreement.alpha_with_ci does. When the labels are too varied for that to pay (many
distinct numeric values), one draw of all items serves every statistic instead. An undefined statistic (no
pairable item, or no variation) is nan, never an exception.

The alternative annotator test follows Calderon, Reichart and Dror (2025), "The Alternative Annotator Test for
LLM-as-a-Judge: How to Statistically Justify Replacing Human Annotators with LLMs" (ACL 2025, arXiv
2501.10970), and its authors' reference implementation (github.com/nitaytech/AltTest, alt_test() in
alt_test_example.ipynb). Each human j is left out in turn. On the items j and the judge labelled that at least
one other human labelled, the judge and j are each scored by how well they represent the remaining humans: the
share of the others' labels they match (nominal criteria; the reference's "accuracy") or minus the root mean
squared distance to them (ordinal criteria on scale ranks, numeric ones on values; the reference's "neg_rmse";
on an evenly spaced scale such as 1-5 ranks and values give the same comparisons; pass ``value_domain`` so
that unused scale points keep their place). W_f = 1 when the judge scores at least as well as j, W_h = 1 when
j scores at least as well as the judge (a tie counts for both). A one-sided one-sample t-test of the per-item
W_h - W_f against epsilon tests H0: mean(W_h - W_f) >= epsilon, i.e. the judge is worse than j by at least
epsilon. The humans' p-values are corrected by Benjamini-Yekutieli at q; the winning rate omega is the share
of humans whose H0 is rejected, and the judge passes when omega >= 0.5. The average advantage probability rho
is the mean over humans of mean(W_f): the chance the judge does at least as well as a randomly chosen human,
for comparing judges.

epsilon is the paper's cost-benefit margin: how much worse than a human the judge may be before it stops
paying for itself. The paper's FAQ and the reference suggest 0.2 when the humans are experts (reliable but
expensive), 0.15 for skilled raters (trained workers, students) and 0.1 for crowd workers, and a smaller
epsilon when the humans agree little. The paper asks for at least three humans (two give no consensus to
represent) and at least 30 items per human (the t-test's normality assumption), 50-100 being enough in
most cases; with fewer, ``alt_test`` is None and ``alt_test_note`` says why. Humans with fewer than 30
such items are left out of the test, as the reference does. Two details differ from the reference, both
where its floating point is ill-defined: distances are compared as sums of squares (the same order as RMSE,
without the rounding that can split a tie), and a left-out human whose W_h - W_f never varies gets p = 0
when that constant is below epsilon and p = 1 otherwise (the limits of the t statistic, as SciPy returns
them; SciPy gives nan when the constant equals epsilon).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ratings.agreement import check_level, encode_values, label_frame

# The alternative annotator test's minimums, from the paper's FAQ: three humans, so the left-out human is
# compared with a consensus, and 30 items per human for the t-test's normality assumption.
MIN_HUMANS = 3
MIN_ITEMS_PER_HUMAN = 30
# The paper's rule of thumb for epsilon by who the humans are.
EPSILON_EXPERTS = 0.2
EPSILON_SKILLED = 0.15
EPSILON_CROWD = 0.1
CONFIDENCE = 0.95
# Resampled counts are drawn in chunks of at most this many cells.
_CHUNK_CELLS = 8_000_000
# Up to this many (rows x columns) cells a statistic's contributions are held as a dense array.
_DENSE_CELLS = 20_000_000


@dataclass(frozen=True)
class Interval:
    """A statistic with its 95% percentile bootstrap interval over resampled items (nan when undefined).

    n_items counts the items that contribute to the statistic (for alpha: its pairable items).
    """

    value: float
    ci_low: float
    ci_high: float
    n_items: int


@dataclass(frozen=True)
class HumanComparison:
    """The judge's alpha with one human, beside that human's alpha with the other humans (pairs pooled)."""

    human: Hashable
    judge_agreement: Interval
    human_agreement: Interval


@dataclass(frozen=True)
class AltTestHuman:
    """One left-out human: items compared, how often each side did at least as well, and the test."""

    human: Hashable
    n_items: int
    judge_win_rate: float
    human_win_rate: float
    p_value: float
    rejected: bool


@dataclass(frozen=True)
class AltTestResult:
    """The alternative annotator test: can the judge replace a human rater on this criterion.

    ``excluded`` lists humans left out of the test for labelling too few comparable items.
    """

    epsilon: float
    q: float
    winning_rate: float
    passed: bool
    per_human: tuple[AltTestHuman, ...]
    advantage_probability: float
    verdict: str
    excluded: tuple[Hashable, ...] = ()


@dataclass(frozen=True)
class JudgeReport:
    """One judge on one criterion: agreement with each human, the final labels and the pool, and the alt-test.

    n_items counts the items the judge and at least one human labelled; n_humans the humans with a label.
    """

    judge: Hashable
    level: str
    n_items: int
    n_humans: int
    with_each_human: tuple[HumanComparison, ...]
    with_final: Interval | None
    pool_alpha: Interval
    pool_alpha_with_judge: Interval
    alt_test: AltTestResult | None
    alt_test_note: str = ""


def judge_report(
    labels: pd.DataFrame,
    judge: Hashable,
    level: str,
    *,
    value_domain: Sequence | None = None,
    final: pd.Series | None = None,
    epsilon: float = EPSILON_EXPERTS,
    q: float = 0.05,
    n_boot: int = 1000,
    seed: int = 0,
    min_humans: int = MIN_HUMANS,
    min_items_per_human: int = MIN_ITEMS_PER_HUMAN,
) -> JudgeReport:
    """Compare the judge's labels with the humans' on one criterion (agreement with intervals and the alt-test)."""
    check_level(level)
    _check_arguments(epsilon, q, n_boot, min_humans, min_items_per_human)
    table = _label_table(label_frame(labels), judge, level, value_domain, final)
    blocks = _Contributions(table)
    pool = blocks.add(_pool(table))
    each = [(blocks.add(_with_judge(table, j)), blocks.add(_with_peers(table, j))) for j in range(table.n_humans)]
    stand_in = blocks.add(_stand_in(table))
    final_block = blocks.add(_with_final(table))
    point, resampled = blocks.evaluate(n_boot, seed)

    def interval(block: int) -> Interval:
        return _interval(point[block], resampled[block], blocks.stats[block].n_items)

    alt_test, note = _alt_test(table, epsilon, q, min_humans, min_items_per_human)
    return JudgeReport(
        judge=judge,
        level=level,
        n_items=table.n_shared_items,
        n_humans=table.n_humans,
        with_each_human=tuple(
            HumanComparison(human=h, judge_agreement=interval(a), human_agreement=interval(b))
            for h, (a, b) in zip(table.humans, each, strict=True)
        ),
        with_final=interval(final_block) if blocks.stats[final_block].n_items else None,
        pool_alpha=interval(pool),
        pool_alpha_with_judge=interval(stand_in),
        alt_test=alt_test,
        alt_test_note=note,
    )


def _check_arguments(epsilon: float, q: float, n_boot: int, min_humans: int, min_items: int) -> None:
    if not isinstance(epsilon, (int, float)) or not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be a number from 0 to 1; got {epsilon!r}")
    if not isinstance(q, (int, float)) or not 0 < q < 1:
        raise ValueError(f"q must be a number between 0 and 1; got {q!r}")
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")
    if min_humans < 2 or min_items < 2:
        raise ValueError("the alternative annotator test needs at least 2 humans and 2 items per human")


# ---------------------------------------------------------------------------
# Labels as distinct rows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """The items' label rows, each distinct row kept once with how many items share it."""

    level: str
    humans: list
    rows: np.ndarray  # (K, H + 2) value codes, -1 for no label: humans, then the judge, then the final label
    counts: np.ndarray  # (K,) items per row
    positions: np.ndarray  # (V,) a code's place on the scale: rank (ordinal) or value (interval, ratio)
    n_shared_items: int

    @property
    def n_humans(self) -> int:
        return len(self.humans)

    @property
    def n_values(self) -> int:
        return len(self.positions)

    @property
    def judge_col(self) -> int:
        return self.n_humans

    @property
    def final_col(self) -> int:
        return self.n_humans + 1


def _label_table(
    df: pd.DataFrame, judge: Hashable, level: str, value_domain: Sequence | None, final: pd.Series | None
) -> _Table:
    item_idx, items = pd.factorize(df["item"])
    rater_idx, raters = pd.factorize(df["rater"])
    humans = _ordered([r for r in raters if r != judge])
    # Each rater's column in the grid: the humans in order, then the judge.
    place = {h: i for i, h in enumerate(humans)}
    column = np.array([place.get(r, len(humans)) for r in raters], dtype=np.int64)
    rater_col = column[rater_idx] if len(raters) else np.zeros(0, dtype=np.int64)
    is_judge = rater_col == len(humans)
    final = _final_series(final, items)
    numeric = level in ("interval", "ratio")
    if numeric:
        codes, domain = encode_values(df["value"], level, value_domain)
        values = np.asarray(domain, dtype=float)[codes]
        if final is None:
            final_items, final_values = _item_means(item_idx[~is_judge], values[~is_judge], len(items))
        else:
            final_items, final_values = final[0], _numbers(final[1])
        # Means and adjudicated values need not be scale points: the numeric metric needs none.
        domain_values = np.unique(np.concatenate([values, final_values]))
        codes = np.searchsorted(domain_values, values)
        final_codes = np.searchsorted(domain_values, final_values)
        positions = domain_values
    else:
        both = df["value"] if final is None else pd.concat([df["value"], final[1]], ignore_index=True)
        all_codes, domain = encode_values(both, level, value_domain)
        codes = all_codes[: len(df)]
        if final is None:
            final_items, final_codes = _item_majorities(item_idx[~is_judge], codes[~is_judge], len(items), len(domain))
        else:
            final_items, final_codes = final[0], all_codes[len(df) :]
        positions = np.arange(len(domain), dtype=float)
    grid = np.full((len(items), len(humans) + 2), -1, dtype=np.int64)
    grid[item_idx, rater_col] = codes
    grid[final_items, len(humans) + 1] = final_codes
    judged = grid[:, len(humans)] >= 0
    shared = int((judged & (grid[:, : len(humans)] >= 0).any(axis=1)).sum())
    rows, counts = _distinct_rows(grid)
    return _Table(level, humans, rows, counts, positions, shared)


def _ordered(values: np.ndarray) -> list:
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def _final_series(final: pd.Series | None, items: pd.Index) -> tuple[np.ndarray, pd.Series] | None:
    """The final labels of the items in the table: (item positions, values); None to derive them."""
    if final is None:
        return None
    if not isinstance(final, pd.Series):
        raise ValueError("final must be a pandas Series of final labels indexed by item")
    final = final[~final.isna()]
    if final.index.has_duplicates:
        twice = final.index[final.index.duplicated()][0]
        raise ValueError(f"final names item {twice!r} more than once; pass one final label per item")
    where = items.get_indexer(final.index)
    keep = where >= 0
    return where[keep], final[keep].reset_index(drop=True)


def _numbers(values: pd.Series) -> np.ndarray:
    converted = pd.to_numeric(values, errors="coerce")
    if converted.isna().any():
        raise ValueError(f"final labels must be numbers at this level; got {values[converted.isna()].iloc[0]!r}")
    return converted.to_numpy(dtype=float)


def _item_means(item: np.ndarray, values: np.ndarray, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    n = np.bincount(item, minlength=n_items)
    total = np.bincount(item, weights=values, minlength=n_items)
    has = np.flatnonzero(n)
    return has, total[has] / n[has]


def _item_majorities(item: np.ndarray, codes: np.ndarray, n_items: int, v: int) -> tuple[np.ndarray, np.ndarray]:
    """The most frequent human label per item; an item whose top count is shared has none (a tie)."""
    key = item.astype(np.int64) * max(v, 1) + codes
    if n_items * v <= 4 * len(key) + 1_000_000:
        # Counting beats sorting when the item x value grid is not much larger than the labels.
        flat = np.bincount(key, minlength=n_items * v)
        keys = np.flatnonzero(flat)
        n = flat[keys]
    else:
        keys, n = np.unique(key, return_counts=True)
    key_item, key_code = keys // max(v, 1), keys % max(v, 1)
    top = np.zeros(n_items, dtype=np.int64)
    np.maximum.at(top, key_item, n)
    at_top = n == top[key_item]
    unique_top = np.bincount(key_item[at_top], minlength=n_items) == 1
    winner = at_top & unique_top[key_item]
    return key_item[winner], key_code[winner]


def _distinct_rows(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows and how often each occurs; rows of small codes are compared as one integer each."""
    if grid.shape[0] == 0:
        return grid, np.zeros(0, dtype=np.int64)
    shifted = grid + 1
    base = int(shifted.max()) + 1
    if grid.shape[1] * math.log2(max(base, 2)) <= 62:
        weights = base ** np.arange(grid.shape[1] - 1, -1, -1, dtype=np.int64)
        _, first, counts = np.unique(shifted @ weights, return_index=True, return_counts=True)
        return grid[first], counts
    contiguous = np.ascontiguousarray(grid)
    view = contiguous.view(np.dtype((np.void, contiguous.dtype.itemsize * grid.shape[1]))).ravel()
    _, first, counts = np.unique(view, return_index=True, return_counts=True)
    return grid[first], counts


# ---------------------------------------------------------------------------
# What each statistic rests on: groups of labels and pairs of labels per row
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """The labels (row, code) of one table of raters; each row's coincidences count `times`."""

    row: np.ndarray
    code: np.ndarray
    times: np.ndarray  # per label: how many times its row's coincidences count


@dataclass(frozen=True)
class _Pairs:
    """Ordered label pairs (row, first value, second value, weight) whose coincidences add to one alpha."""

    row: np.ndarray
    first: np.ndarray
    second: np.ndarray
    weight: np.ndarray


def _labels_of(table: _Table, cols: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(row, code) of every label in the given columns (of the given rows), sorted by row."""
    grid = table.rows[:, cols] if rows is None else table.rows[np.ix_(rows, cols)]
    at, col = np.nonzero(grid >= 0)
    row = at if rows is None else rows[at]
    return row, table.rows[row, cols[col]]


def _group(row: np.ndarray, code: np.ndarray, times: np.ndarray | None = None) -> _Group:
    return _Group(row, code, np.ones(len(row)) if times is None else times)


def _both_ways(row: np.ndarray, a: np.ndarray, b: np.ndarray) -> _Pairs:
    """Two-rater units: each (a, b) counted in both orders with weight 1."""
    return _Pairs(np.r_[row, row], np.r_[a, b], np.r_[b, a], np.ones(2 * len(row)))


def _humans_except(table: _Table, human: int | None) -> np.ndarray:
    cols = np.arange(table.n_humans)
    return cols if human is None else cols[cols != human]


def _pool(table: _Table) -> list[_Group]:
    return [_group(*_labels_of(table, _humans_except(table, None)))]


def _stand_in(table: _Table) -> list[_Group]:
    """The tables in which the judge replaces each human in turn, summed.

    Replacing human j changes only the rows j labelled; every other row keeps the humans' coincidences.
    So the sum over j is each row's humans' coincidences times (humans - labels on the row), plus, for
    each j, the replaced table on j's rows: work in proportion to the labels, not to humans x labels.
    """
    row, code = _labels_of(table, _humans_except(table, None))
    per_row = np.bincount(row, minlength=len(table.counts))
    groups = [_group(row, code, (table.n_humans - per_row[row]).astype(float))]
    judge = table.rows[:, table.judge_col]
    for j in range(table.n_humans):
        mine = np.flatnonzero(table.rows[:, j] >= 0)
        row, code = _labels_of(table, _humans_except(table, j), mine)
        swapped = mine[judge[mine] >= 0]
        groups.append(_group(np.r_[row, swapped], np.r_[code, judge[swapped]]))
    return groups


def _with_judge(table: _Table, human: int) -> list[_Pairs]:
    a, b = table.rows[:, table.judge_col], table.rows[:, human]
    row = np.flatnonzero((a >= 0) & (b >= 0))
    return [_both_ways(row, a[row], b[row])]


def _with_peers(table: _Table, human: int) -> list[_Pairs]:
    """Human j paired with each other human on the items both labelled, as pooled two-rater units."""
    mine = np.flatnonzero(table.rows[:, human] >= 0)
    row, code = _labels_of(table, _humans_except(table, human), mine)
    return [_both_ways(row, table.rows[row, human], code)]


def _with_final(table: _Table) -> list[_Pairs]:
    a, b = table.rows[:, table.judge_col], table.rows[:, table.final_col]
    row = np.flatnonzero((a >= 0) & (b >= 0))
    return [_both_ways(row, a[row], b[row])]


def _within_rows(group: _Group) -> _Pairs:
    """Every ordered pair of labels on the same row, weighted times / (labels on the row - 1)."""
    row, code, times = group.row, group.code, group.times
    if len(row) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Pairs(empty, empty, empty, np.zeros(0))
    if (row[1:] < row[:-1]).any():
        order = np.argsort(row, kind="stable")
        row, code, times = row[order], code[order], times[order]
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    sizes = np.diff(np.r_[starts, len(row)])
    size = np.repeat(sizes, sizes)
    i = np.repeat(np.arange(len(row)), size)
    j = np.repeat(np.repeat(starts, sizes), size) + (np.arange(len(i)) - np.repeat(np.cumsum(size) - size, size))
    keep = (i != j) & (times[i] > 0)
    i, j = i[keep], j[keep]
    return _Pairs(row[i], code[i], code[j], times[i] / (size[i] - 1))


# ---------------------------------------------------------------------------
# Alpha from summed contributions, for the data and for every resample
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Statistic:
    """One statistic's distinct per-row contributions, how many items share each, and where its rows went."""

    patterns: np.ndarray | sparse.csr_matrix  # (P, width)
    counts: np.ndarray  # (P,) items per pattern
    used: np.ndarray  # rows of the table that contribute
    pattern_of_used: np.ndarray  # (len(used),) each used row's pattern
    n_items: int


class _Contributions:
    """Per-row sums that determine each statistic's alpha.

    A statistic keeps what its level's alpha needs: the coincidence matrix (ordinal, whose metric depends on
    the marginals; its upper triangle, the matrix being symmetric), or the observed disagreement and the
    value marginals (nominal, ratio), or the observed disagreement and the first two moments of the pairable
    values (interval). Nominal and interval sums of a group of labels follow from its value counts or sums,
    so they cost one pass over the labels; ordinal and ratio ones go through the pairs of labels.
    """

    def __init__(self, table: _Table) -> None:
        self.table = table
        self.level = table.level
        v = table.n_values
        self.width = {"ordinal": v * (v + 1) // 2, "interval": 4}.get(self.level, 1 + v)
        pos = table.positions
        # Centred values keep the interval moments' difference (n s2 - s1^2) away from cancellation.
        self.x = pos - pos.mean() if self.level == "interval" and len(pos) else pos
        # The upper-triangle cell that holds the coincidences of values (a, b) and (b, a).
        upper = np.zeros((v, v), dtype=np.int64)
        upper[np.triu_indices(v)] = np.arange(v * (v + 1) // 2)
        self.cell = np.maximum(upper, upper.T)
        self.stats: list[_Statistic] = []

    def add(self, parts: Sequence[_Group | _Pairs]) -> int:
        """Append one statistic, the coincidences of all its parts summed; return its index."""
        triplets = [self._group_triplets(p) if isinstance(p, _Group) else self._pair_triplets(p) for p in parts]
        rows, cols, vals = (np.concatenate(x) for x in zip(*triplets, strict=True))
        # The rows that contribute, and each triplet's place among them (counting, not sorting).
        present = np.zeros(len(self.table.counts), dtype=bool)
        present[rows] = True
        used = np.flatnonzero(present)
        at = (np.cumsum(present) - 1)[rows]
        if len(used) * self.width <= _DENSE_CELLS:
            block = np.bincount(at * self.width + cols, weights=vals, minlength=len(used) * self.width)
            dense = block.reshape(len(used), self.width)
            first, inverse = _distinct(dense)
            patterns: np.ndarray | sparse.csr_matrix = dense[first]
        else:
            # Too wide to compare rows (many distinct numeric values): every row is its own pattern.
            patterns = sparse.csr_matrix((vals, (at, cols)), shape=(len(used), self.width))
            inverse = np.arange(len(used))
        inverse = inverse.ravel()
        n = np.bincount(inverse, weights=self.table.counts[used], minlength=patterns.shape[0]).astype(np.int64)
        self.stats.append(_Statistic(patterns, n, used, inverse, int(n.sum())))
        return len(self.stats) - 1

    def _group_triplets(self, group: _Group) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.level in ("ordinal", "ratio"):
            return self._pair_triplets(_within_rows(group))
        k = len(self.table.counts)
        row, code, times = group.row, group.code, group.times
        m = np.bincount(row, minlength=k)
        pairable = (m[row] >= 2) & (times > 0)
        row, code, times = row[pairable], code[pairable], times[pairable]
        rows = np.flatnonzero(np.bincount(row, minlength=k))
        t = np.zeros(k)
        t[row] = times
        w = t[rows] / (m[rows] - 1)
        if self.level == "nominal":
            # Observed disagreement of a row: (m^2 - sum of squared value counts) / (m - 1).
            v = self.table.n_values
            keys, same = np.unique(row * v + code, return_counts=True)
            squares = np.bincount(keys // v, weights=same.astype(float) ** 2, minlength=k)[rows]
            observed = w * (m[rows].astype(float) ** 2 - squares)
            return np.r_[rows, row], np.r_[np.zeros(len(rows), np.int64), 1 + code], np.r_[observed, times]
        x = self.x[code]
        s1 = np.bincount(row, weights=x, minlength=k)[rows]
        s2 = np.bincount(row, weights=x * x, minlength=k)[rows]
        mr = m[rows].astype(float)
        # Sum over ordered pairs of (x_a - x_b)^2 is 2 (m s2 - s1^2).
        vals = [w * 2 * (mr * s2 - s1**2), t[rows] * mr, t[rows] * s1, t[rows] * s2]
        cols = [np.full(len(rows), c, dtype=np.int64) for c in range(4)]
        return np.tile(rows, 4), np.concatenate(cols), np.concatenate(vals)

    def _pair_triplets(self, pairs: _Pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, a, b, w = pairs.row, pairs.first, pairs.second, pairs.weight
        zero = np.zeros(len(r), dtype=np.int64)
        if self.level == "ordinal":
            return r, self.cell[a, b], w
        if self.level == "interval":
            xa = self.x[a]
            vals = [w * (xa - self.x[b]) ** 2, w, w * xa, w * xa**2]
            return np.tile(r, 4), np.concatenate([zero, zero + 1, zero + 2, zero + 3]), np.concatenate(vals)
        return np.r_[r, r], np.r_[zero, 1 + a], np.r_[w * _distance(self.level, self.x, a, b), w]

    def evaluate(self, n_boot: int, seed: int) -> tuple[list[float], list[np.ndarray]]:
        """Each statistic's alpha on the data, and on n_boot item resamples (one array per statistic)."""
        point = [
            float(self._alpha(np.asarray(s.counts @ s.patterns, dtype=float).reshape(1, -1))[0]) for s in self.stats
        ]
        rng = np.random.default_rng(seed)
        counts = self.table.counts
        each_cost = sum(_draw_cost(len(s.counts), s.n_items) for s in self.stats)
        if each_cost <= _draw_cost(len(counts), int(counts.sum())):
            # Usual case: a statistic rests on few distinct rows, so each resamples its own items.
            sums = [np.vstack([np.asarray(w @ s.patterns) for w in _draws(s.counts, n_boot, rng)]) for s in self.stats]
        else:
            # Rows too varied for that to pay: one draw of all items serves every statistic.
            k, widths = len(counts), [s.patterns.shape[1] for s in self.stats]
            if k * sum(widths) <= _DENSE_CELLS:
                table = np.zeros((k, sum(widths)))
                for s, lo in zip(self.stats, np.cumsum([0, *widths[:-1]]), strict=True):
                    table[s.used, lo : lo + s.patterns.shape[1]] = _dense(s.patterns)[s.pattern_of_used]
                both = np.vstack([w @ table for w in _draws(counts, n_boot, rng)])
                sums = np.split(both, np.cumsum(widths)[:-1], axis=1)
            else:
                chunks = [
                    [np.asarray(w[:, s.used] @ s.patterns[s.pattern_of_used]) for s in self.stats]
                    for w in _draws(counts, n_boot, rng)
                ]
                sums = [np.vstack([c[i] for c in chunks]) for i in range(len(self.stats))]
        return point, [self._alpha(s) for s in sums]

    def _alpha(self, sums: np.ndarray) -> np.ndarray:
        """Alpha for each row of (B, width) sums; nan where undefined."""
        v = self.table.n_values
        if v == 0 or sums.shape[0] == 0:
            return np.full(sums.shape[0], np.nan)
        if self.level == "ordinal":
            upper = np.zeros((sums.shape[0], v, v))
            upper[:, *np.triu_indices(v)] = sums
            o = (upper + upper.transpose(0, 2, 1)) / 2
            n_c = o.sum(axis=2)
            # Krippendorff's ordinal metric is the squared distance between mid-ranks of the marginals.
            mid = np.cumsum(n_c, axis=1) - n_c / 2
            d = (mid[:, :, None] - mid[:, None, :]) ** 2
            observed = (o * d).sum(axis=(1, 2))
            expected = np.einsum("bc,bck,bk->b", n_c, d, n_c)
            n = n_c.sum(axis=1)
            scale = n**4
        elif self.level == "interval":
            observed, n, s1, s2 = sums.T
            expected = 2 * n * s2 - 2 * s1**2
            scale = n * s2
        else:
            observed, n_c = sums[:, 0], sums[:, 1:]
            n = n_c.sum(axis=1)
            expected = n**2 - (n_c**2).sum(axis=1) if self.level == "nominal" else _ratio_expected(n_c, self.x)
            scale = n**2
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = 1.0 - (n - 1) * observed / expected
        # Round-off guard: a resample without variation has an expected disagreement of (nearly) 0.
        return np.where(expected > 1e-10 * np.maximum(scale, 1e-300), alpha, np.nan)


# Measured on the 2-core benchmark machine: numpy's multinomial costs about 100-250 ns per category and
# resample, drawing an item index and counting it about 20 ns per item and resample.
_NS_PER_CATEGORY = 250
_NS_PER_ITEM = 20


def _distinct(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First occurrence of each distinct row and every row's distinct row, like np.unique(axis=0), faster.

    Rows are hashed to one 64-bit number each and those are sorted; a collision (two different rows with one
    hash) is detected by comparing every row with its representative, and then rows are compared whole.
    """
    if rows.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bits = np.ascontiguousarray(rows).view(np.uint64)
    multipliers = np.random.default_rng(0x5EED).integers(1, 2**63, size=bits.shape[1], dtype=np.uint64) | 1
    with np.errstate(over="ignore"):
        key = (bits * multipliers).sum(axis=1, dtype=np.uint64)
        key ^= key >> np.uint64(31)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if np.array_equal(rows[first][inverse], rows):
        return first, inverse
    view = np.ascontiguousarray(rows).view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _dense(patterns: np.ndarray | sparse.csr_matrix) -> np.ndarray:
    return patterns if isinstance(patterns, np.ndarray) else patterns.toarray()


def _draw_cost(k: int, n: int) -> int:
    """Relative cost of one resample of n items that fall into k distinct rows."""
    return min(_NS_PER_CATEGORY * k, _NS_PER_ITEM * n)


def _draws(counts: np.ndarray, n_boot: int, rng: np.random.Generator):
    """Yield chunks of bootstrap counts (B, K) of the rows: each resample draws all the rows' items anew."""
    n, k = int(counts.sum()), len(counts)
    if n == 0:
        yield np.zeros((n_boot, k))
        return
    if _NS_PER_CATEGORY * k <= _NS_PER_ITEM * n:
        chunk = max(1, min(n_boot, _CHUNK_CELLS // max(k, 1)))
        for lo in range(0, n_boot, chunk):
            yield rng.multinomial(n, counts / n, size=min(chunk, n_boot - lo)).astype(float)
        return
    # Nearly every item is its own row: draw item indices and count them per item, then per row (an item's
    # row is found by position, since items are laid out row by row). Larger chunks let the caller's matrix
    # product read its right-hand side fewer times.
    starts = np.cumsum(counts) - counts
    chunk = max(1, min(n_boot, 2 * _CHUNK_CELLS // max(k, 1)))
    for lo in range(0, n_boot, chunk):
        out = np.empty((min(chunk, n_boot - lo), k))
        for r in range(len(out)):
            per_item = np.bincount(rng.integers(0, n, size=n, dtype=np.int32), minlength=n)
            out[r] = per_item if k == n else np.add.reduceat(per_item, starts)
        yield out


def _distance(level: str, x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if level == "nominal":
        return (a != b).astype(float)
    total = x[a] + x[b]
    return np.divide(x[a] - x[b], total, out=np.zeros(len(a)), where=total != 0) ** 2


def _ratio_expected(n_c: np.ndarray, x: np.ndarray) -> np.ndarray:
    out = np.zeros(n_c.shape[0])
    for lo in range(0, len(x), 512):
        rows = x[lo : lo + 512, None]
        total = rows + x[None, :]
        d = np.divide(rows - x[None, :], total, out=np.zeros_like(total), where=total != 0) ** 2
        out += ((n_c @ d.T) * n_c[:, lo : lo + 512]).sum(axis=1)
    return out


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def _interval(value: float, resampled: np.ndarray, n_items: int) -> Interval:
    if math.isnan(value):
        return Interval(float("nan"), float("nan"), float("nan"), n_items)
    low, high = _percentiles(resampled)
    return Interval(value, low, high, n_items)


# ---------------------------------------------------------------------------
# The alternative annotator test
# ---------------------------------------------------------------------------


def _alt_test(
    table: _Table, epsilon: float, q: float, min_humans: int, min_items: int
) -> tuple[AltTestResult | None, str]:
    if table.n_humans < min_humans:
        return None, (
            f"The alternative annotator test needs at least {min_humans} human raters; "
            f"this criterion has {table.n_humans}."
        )
    tested, excluded = [], []
    for j, human in enumerate(table.humans):
        outcome = _left_out(table, j, epsilon)
        if outcome.n_items < min_items:
            excluded.append((human, outcome.n_items))
        else:
            tested.append((human, outcome))
    if len(tested) < min_humans:
        return None, (
            f"The alternative annotator test needs at least {min_humans} human raters who each labelled "
            f"{min_items} or more items that the judge and another human also labelled; "
            f"{len(tested)} of {table.n_humans} did."
        )
    rejected = _benjamini_yekutieli([o.p_value for _, o in tested], q)
    per_human = tuple(
        AltTestHuman(human, o.n_items, o.judge_win_rate, o.human_win_rate, o.p_value, bool(r))
        for (human, o), r in zip(tested, rejected, strict=True)
    )
    wins = int(sum(rejected))
    omega = wins / len(tested)
    rho = float(np.mean([o.judge_win_rate for _, o in tested]))
    passed = omega >= 0.5
    result = AltTestResult(
        epsilon=float(epsilon),
        q=float(q),
        winning_rate=omega,
        passed=passed,
        per_human=per_human,
        advantage_probability=rho,
        verdict=_verdict(passed, wins, len(tested), omega, epsilon),
        excluded=tuple(h for h, _ in excluded),
    )
    note = ""
    if excluded:
        # Count, not name: callers name the humans in `excluded` as their pages do.
        note = (
            f"{len(excluded)} of {table.n_humans} human raters were left out of the test for labelling fewer "
            f"than {min_items} items that the judge and another human also labelled."
        )
    return result, note


@dataclass(frozen=True)
class _Outcome:
    n_items: int
    judge_win_rate: float
    human_win_rate: float
    p_value: float


def _left_out(table: _Table, j: int, epsilon: float) -> _Outcome:
    """Score the judge and left-out human j against the remaining humans on each comparable item."""
    rows, counts = table.rows, table.counts
    judge, mine = rows[:, table.judge_col], rows[:, j]
    row, code = _labels_of(table, _humans_except(table, j), np.flatnonzero((judge >= 0) & (mine >= 0)))
    k = len(counts)
    if table.level == "nominal":
        # Share of the others' labels matched; the same denominator on both sides, so compare counts.
        judge_score = np.bincount(row, weights=(judge[row] == code), minlength=k)
        human_score = np.bincount(row, weights=(mine[row] == code), minlength=k)
    else:
        # Minus the RMSE to the others: compare the sums of squared distances, in the opposite order.
        x = table.positions
        judge_score = -np.bincount(row, weights=(x[judge[row]] - x[code]) ** 2, minlength=k)
        human_score = -np.bincount(row, weights=(x[mine[row]] - x[code]) ** 2, minlength=k)
    compared = np.zeros(k, dtype=bool)
    compared[row] = True
    c = counts[compared].astype(np.int64)
    judge_wins = (judge_score >= human_score)[compared].astype(np.int64)
    human_wins = (human_score >= judge_score)[compared].astype(np.int64)
    n = int(c.sum())
    if n == 0:
        return _Outcome(0, float("nan"), float("nan"), float("nan"))
    diff = human_wins - judge_wins
    return _Outcome(
        n_items=n,
        judge_win_rate=float((c * judge_wins).sum() / n),
        human_win_rate=float((c * human_wins).sum() / n),
        p_value=_one_sided_p(int((c * diff).sum()), int((c * diff**2).sum()), n, epsilon),
    )


def _one_sided_p(s1: int, s2: int, n: int, epsilon: float) -> float:
    """p of the one-sample t-test of H0: mean >= epsilon against mean < epsilon, from integer sums."""
    mean = s1 / n
    spread = n * s2 - s1 * s1  # n (n - 1) times the sample variance, exact in integers
    if n < 2 or spread == 0:
        # No variation: the t statistic is -inf or +inf, so the test is certain either way.
        return 0.0 if n >= 2 and mean < epsilon else 1.0
    se = math.sqrt(spread / (n * (n - 1)) / n)
    return float(stats.t.cdf((mean - epsilon) / se, df=n - 1))


def _benjamini_yekutieli(p_values: Sequence[float], q: float) -> list[bool]:
    """Which hypotheses the Benjamini-Yekutieli step-up procedure rejects at false discovery rate q."""
    p = np.array([1.0 if math.isnan(x) else x for x in p_values])
    m = len(p)
    order = np.argsort(p, kind="stable")
    thresholds = np.arange(1, m + 1) / m * q / np.sum(1.0 / np.arange(1, m + 1))
    below = np.flatnonzero(p[order] <= thresholds)
    rejected = np.zeros(m, dtype=bool)
    if below.size:
        rejected[order[: below[-1] + 1]] = True
    return rejected.tolist()


def _verdict(passed: bool, wins: int, n: int, omega: float, epsilon: float) -> str:
    """One sentence for the practitioner: can the judge replace a rater, and on what evidence."""
    evidence = (
        f"it represented the other raters at least as well as the left-out rater, give or take "
        f"\u03b5 = {epsilon:g}, for {'' if passed else 'only '}{wins} of {n} raters "
        f"(winning rate {omega:.2f}; 0.50 needed)."
    )
    if passed:
        return f"The judge can replace a human rater on this criterion: {evidence}"
    return f"The judge cannot replace a human rater on this criterion: {evidence}"
