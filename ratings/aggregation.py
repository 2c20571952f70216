"""One answer per item from several raters' labels: majority vote, mean and median, per-label rates, Dawid-Skene.

Pure functions, as in ratings.agreement: nothing here imports Django. The per-item functions
(``majority_vote``, ``central``, ``label_rates``) take one item's values; the table functions
(``majority_votes``, ``dawid_skene``) take a long DataFrame with the columns ``item``, ``rater`` and
``value``, one row per label. Everywhere a value of None or NaN is a missing label and is skipped.

Values are compared as Python compares them, except that booleans never equal numbers: True and 1
(False and 0) are two different values, although Python's ``True == 1``, so a yes/no label is never
counted together with a score of 1. Other numbers compare by value (1 and 1.0 and numpy's 1 are one
value). A dict cannot hold True and 1 as two keys, so ``Vote.counts`` is a plain dict except for an
item whose values mix booleans with the numbers 0 or 1: there it is a read-only mapping that keeps them
apart (iteration, ``[]``, ``get``, ``len`` and ``items`` work as on a dict).

Degenerate cases of the per-item functions: no values -> method "no_ratings" and no winner; one value
-> "single_rating"; a tie for first place is reported as "tie" with the tied values and never broken.

``dawid_skene`` is Dawid and Skene's (1979) EM algorithm. It needs at least one label; repeated rows of
one (item, rater) count as repeated observations, as the paper's observer 1, who rated every patient
three times. Items come out in order of first appearance; items whose every value is missing are left
out of the Dawid-Skene result but reported as "no_ratings" by ``majority_votes``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# Floor for the expected counts behind Dawid-Skene's priors and confusion matrices: crowd-kit's _EPS.
_SMOOTHING = 1e-10


@dataclass(frozen=True)
class Vote:
    """Majority vote over one item's values."""

    value: Any | None
    method: str
    counts: Mapping[Any, int]
    n_ratings: int
    tied: tuple
    share: float | None


@dataclass(frozen=True)
class Central:
    """Mean and median of one item's numeric values."""

    mean: float | None
    median: float | None
    std: float | None
    n_ratings: int


@dataclass(frozen=True)
class LabelRates:
    """Per-label rates over one item's label sets (multi-label criteria)."""

    rates: dict[str, float]
    counts: dict[str, int]
    chosen: tuple[str, ...]
    tied: tuple[str, ...]
    n_ratings: int
    method: str


@dataclass(frozen=True)
class DawidSkeneResult:
    """Dawid and Skene's (1979) maximum-likelihood labels, and each rater's estimated confusion matrix."""

    classes: tuple
    labels: pd.Series
    posteriors: pd.DataFrame
    confidence: pd.Series
    priors: pd.Series
    confusion: dict[Hashable, pd.DataFrame]
    reliability: pd.Series
    n_iter: int
    converged: bool


class ValueCounts(Mapping):
    """Value -> count for one item whose values mix booleans with equal numbers (True and 1), which a dict merges."""

    def __init__(self, pairs: Iterable[tuple[Any, int]]) -> None:
        self._pairs = tuple(pairs)
        self._index = {_key(value): i for i, (value, _) in enumerate(self._pairs)}

    def __getitem__(self, value: Any) -> int:
        try:
            return self._pairs[self._index[_key(value)]][1]
        except (KeyError, TypeError):
            raise KeyError(value) from None

    def __iter__(self) -> Iterator[Any]:
        return (value for value, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __repr__(self) -> str:
        return "ValueCounts({" + ", ".join(f"{v!r}: {n}" for v, n in self._pairs) + "})"


# ---------------------------------------------------------------------------
# One item
# ---------------------------------------------------------------------------


def majority_vote(values: Sequence[Hashable]) -> Vote:
    """The most common value, or a reported tie; None and NaN are skipped as missing."""
    tally: dict[tuple[bool, Hashable], list] = {}
    for value in values:
        if _is_missing(value):
            continue
        try:
            tally.setdefault(_key(value), [value, 0])[1] += 1
        except TypeError:
            raise ValueError(f"values must be hashable (a label set as a tuple); got {_describe(value)}") from None
    # sorted() is stable, so values with equal counts stay in first-seen order.
    ranked = sorted(((v, n) for v, n in tally.values()), key=lambda pair: -pair[1])
    counts = _counts(ranked)
    n = sum(count for _, count in ranked)
    if n == 0:
        return Vote(value=None, method="no_ratings", counts=counts, n_ratings=0, tied=(), share=None)
    top = ranked[0][1]
    leaders = tuple(v for v, count in ranked if count == top)
    if len(leaders) > 1:
        return Vote(value=None, method="tie", counts=counts, n_ratings=n, tied=leaders, share=top / n)
    method = "single_rating" if n == 1 else "unanimous" if len(ranked) == 1 else "majority"
    return Vote(value=leaders[0], method=method, counts=counts, n_ratings=n, tied=(), share=top / n)


def central(values: Sequence[float]) -> Central:
    """Mean, median and population std (ddof=0) of one item's numbers; None and NaN are skipped."""
    numbers = []
    for value in values:
        if _is_missing(value):
            continue
        if isinstance(value, str) or not isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
            raise ValueError(f"central needs numbers; got {_describe(value)}")
        numbers.append(float(value))
    if not numbers:
        return Central(mean=None, median=None, std=None, n_ratings=0)
    # Plain Python: an item has a handful of values, for which NumPy's per-call cost is most of the time (an
    # export of 200,000 items calls this once per item and criterion).
    mean = math.fsum(numbers) / len(numbers)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in numbers) / len(numbers)) if len(numbers) >= 2 else None
    return Central(mean=mean, median=float(statistics.median(numbers)), std=std, n_ratings=len(numbers))


def label_rates(label_sets: Sequence[Iterable[str]], labels: Sequence[str]) -> LabelRates:
    """Share of raters choosing each label; labels chosen by more than half, and labels at exactly half.

    Each rater's set counts a label once however often it is listed; a None set is a missing rating,
    an empty set a rating that chose nothing. Rates are NaN when there is no rating.
    """
    order = list(dict.fromkeys(labels))
    counts = dict.fromkeys(order, 0)
    given: list[frozenset] = []
    for label_set in label_sets:
        if label_set is None:
            continue
        if isinstance(label_set, str):
            raise ValueError(f"each rating must be a collection of labels, not the string {label_set!r}")
        chosen_by_rater = list(dict.fromkeys(label_set))
        given.append(frozenset(chosen_by_rater))
        for label in chosen_by_rater:
            # A label outside `labels` is appended after them, in first-seen order, never dropped.
            counts[label] = counts.get(label, 0) + 1
    n = len(given)
    rates = {label: count / n if n else math.nan for label, count in counts.items()}
    chosen = tuple(label for label, count in counts.items() if 2 * count > n)
    tied = tuple(label for label, count in counts.items() if n and 2 * count == n)
    if n == 0:
        method = "no_ratings"
    elif n == 1:
        method = "single_rating"
    elif len(set(given)) == 1:
        method = "unanimous"
    else:
        method = "tie" if tied else "majority"
    return LabelRates(rates=rates, counts=counts, chosen=chosen, tied=tied, n_ratings=n, method=method)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def majority_votes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per item: the majority_vote value (None unless majority, unanimous or single), method, n_ratings, share."""
    df = _label_rows(frame, "majority_votes")
    item_idx, items = _ids(df["item"], "item")
    codes, uniques = _encode_values(df["value"])
    n_items, n_values = len(items), max(len(uniques), 1)
    valid = codes >= 0
    n_ratings = np.bincount(item_idx[valid], minlength=n_items)
    # Count each (item, value) pair once: sorted pair keys group every item's values together.
    keys, pair_counts = np.unique(item_idx[valid].astype(np.int64) * n_values + codes[valid], return_counts=True)
    pair_item, pair_value = keys // n_values, keys % n_values
    starts = np.flatnonzero(np.r_[True, pair_item[1:] != pair_item[:-1]]) if keys.size else np.zeros(0, np.int64)
    voted = pair_item[starts]
    top = np.zeros(n_items, dtype=np.int64)
    n_top = np.zeros(n_items, dtype=np.int64)
    n_distinct = np.zeros(n_items, dtype=np.int64)
    winner = np.full(n_items, -1, dtype=np.int64)
    if keys.size:
        top[voted] = np.maximum.reduceat(pair_counts, starts)
        is_top = pair_counts == top[pair_item]
        n_top[voted] = np.add.reduceat(is_top.astype(np.int64), starts)
        n_distinct[voted] = np.diff(np.r_[starts, keys.size])
        winner[pair_item[is_top]] = pair_value[is_top]
    method = np.full(n_items, "majority", dtype=object)
    method[n_top > 1] = "tie"
    method[(n_distinct == 1) & (n_ratings >= 2)] = "unanimous"
    method[n_ratings == 1] = "single_rating"
    method[n_ratings == 0] = "no_ratings"
    has_winner = (n_ratings > 0) & (n_top == 1)
    value_table = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):
        value_table[i] = value
    value = np.full(n_items, None, dtype=object)
    value[has_winner] = value_table[winner[has_winner]]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n_ratings > 0, top / np.maximum(n_ratings, 1), np.nan)
    index = pd.Index(items, name="item")
    # Object columns, so values keep their type (pandas would read text as its string dtype, None as NaN).
    return pd.DataFrame(
        {
            "value": pd.Series(value, index=index, dtype=object),
            "method": pd.Series(method, index=index, dtype=object),
            "n_ratings": n_ratings,
            "share": share,
        },
        index=index,
    )


def dawid_skene(
    frame: pd.DataFrame, *, classes: Sequence | None = None, max_iter: int = 100, tol: float = 1e-5
) -> DawidSkeneResult:
    """Dawid and Skene's (1979) EM estimate of each item's true class and each rater's confusion matrix.

    Starts from the per-item vote shares, then alternates E-steps (posteriors) and M-steps (priors and
    confusion matrices from the posteriors), as crowd-kit's DawidSkene does. It stops when no posterior
    probability moves by ``tol`` or more from one E-step to the next (``converged``), or after
    ``max_iter`` E-steps (``tol=0`` runs exactly ``max_iter``). The posteriors are the last E-step's;
    priors and confusion matrices come from them. ``classes`` fixes the class order (default: the
    values' first-seen order); a value outside it raises ValueError. A tie between classes goes to the
    class listed first, and ``confidence`` shows it (0.5 for a two-way tie).
    """
    if max_iter < 0:
        raise ValueError(f"max_iter must be 0 or more; got {max_iter}")
    df = _label_rows(frame, "dawid_skene")
    codes, uniques = _encode_values(df["value"])
    present = codes >= 0
    if not present.any():
        raise ValueError("dawid_skene needs at least one label; the frame has no row with a value")
    df, codes = df[present], codes[present]
    item_idx, items = _ids(df["item"], "item")
    rater_idx, raters = _ids(df["rater"], "rater")
    class_values, class_of_code = _match_classes(uniques, classes)
    label_idx = class_of_code[codes]
    n_items, n_raters, k = len(items), len(raters), len(class_values)

    # Every label is one (rater, given class) cell; the model's parameters are looked up per cell.
    cell = rater_idx.astype(np.int64) * k + label_idx
    n_cells = n_raters * k
    used = np.bincount(cell, minlength=n_cells) > 0
    # Items with the same cells have the same posterior, so EM runs once per distinct pattern, weighted by
    # how many items share it: when 5 raters each give one of 5 classes there are at most 5**5 = 3,125
    # patterns, however many items (the benchmark: 0.4 s for 1,000,000 labels, 3.1 s item by item).
    pattern_of_item, weight, rep_pattern, rep_cell = _patterns(item_idx, cell, n_items)
    starts = np.flatnonzero(np.r_[True, rep_pattern[1:] != rep_pattern[:-1]])
    lengths = np.diff(np.r_[starts, len(rep_pattern)])

    def m_step(post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Priors (k,) and confusion matrices (raters, true, given) from pattern posteriors (k, patterns)."""
        weighted = post * weight
        # Floored so that log(prior) stays finite for a listed class that nobody gave.
        priors = np.maximum(weighted.sum(axis=1) / n_items, _SMOOTHING)
        priors /= priors.sum()
        per_label = np.repeat(weighted, lengths, axis=1)
        expected = np.stack([np.bincount(rep_cell, weights=per_label[c], minlength=n_cells) for c in range(k)])
        # Smoothing: every (rater, given class) cell the rater used at least once gets an expected count
        # of at least 1e-10 before each row is normalised, so log() in the E-step never sees 0 (a rater's
        # first off-diagonal answer would otherwise rule a class out for good) while moving no estimate
        # by more than about 1e-10. Cells a rater never used stay exactly 0, their maximum-likelihood
        # value, which no label looks up. crowd-kit's DawidSkene does the same (clip at _EPS = 1e-10 of
        # the (worker, label) rows it has), which is what lets the tests match it to 1e-8.
        expected = np.where(used, np.maximum(expected, _SMOOTHING), 0.0)
        confusion = expected.reshape(k, n_raters, k).transpose(1, 0, 2)
        return priors, confusion / confusion.sum(axis=2, keepdims=True)

    def e_step(priors: np.ndarray, confusion: np.ndarray) -> np.ndarray:
        """Pattern posteriors (k, patterns), in log space so long products of small rates never underflow."""
        log_cell = np.log(np.where(used, confusion.transpose(1, 0, 2).reshape(k, n_cells), 1.0))
        log_joint = np.add.reduceat(np.take(log_cell, rep_cell, axis=1), starts, axis=1)
        log_joint += np.log(priors)[:, None]
        odds = np.exp(log_joint - log_joint.max(axis=0))
        return odds / odds.sum(axis=0)

    # Start from the vote shares: each item's share of labels per class (Dawid and Skene's eq. 3.1).
    n_patterns = len(weight)
    votes = np.bincount(rep_cell % k * n_patterns + rep_pattern, minlength=k * n_patterns).reshape(k, n_patterns)
    post = votes / votes.sum(axis=0)
    priors, confusion = m_step(post)
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        previous, post = post, e_step(priors, confusion)
        priors, confusion = m_step(post)
        # Posteriors, not the log-likelihood: EM creeps along flat likelihoods. On the tests' simulated
        # campaign (500 items x 5 raters) the log-likelihood per label rose by under 1e-5 after 14 steps
        # while a posterior was still 0.14 from its limit; this rule stops after 74, within 1e-4 of it.
        if np.abs(post - previous).max() < tol:
            converged = True
            break
    post = post[:, pattern_of_item]

    item_index = pd.Index(items, name="item")
    class_index = pd.Index(_object_array(class_values), name="class", tupleize_cols=False).infer_objects()
    best = post.argmax(axis=0)
    rater_ids = list(raters)
    confusion_frames = {
        rater: pd.DataFrame(
            confusion[r],
            index=class_index.rename("true"),
            columns=class_index.rename("given"),
        )
        for r, rater in enumerate(rater_ids)
    }
    reliability = np.einsum("c,rcc->r", priors, confusion)
    return DawidSkeneResult(
        classes=tuple(class_values),
        labels=pd.Series(_object_array(class_values)[best], index=item_index, name="label").infer_objects(),
        posteriors=pd.DataFrame(post.T, index=item_index.copy(), columns=class_index),
        confidence=pd.Series(post[best, np.arange(n_items)], index=item_index.copy(), name="confidence"),
        priors=pd.Series(priors, index=class_index.copy(), name="prior"),
        confusion=confusion_frames,
        reliability=pd.Series(reliability, index=pd.Index(raters, name="rater"), name="reliability"),
        n_iter=n_iter,
        converged=converged,
    )


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _key(value: Any) -> tuple[bool, Any]:
    """Booleans apart from numbers: True and 1 hash and compare equal in Python."""
    return (_is_bool(value), value)


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _describe(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _counts(ranked: list[tuple[Any, int]]) -> Mapping[Any, int]:
    counts = dict(ranked)
    return counts if len(counts) == len(ranked) else ValueCounts(ranked)


def _object_array(values: Sequence) -> np.ndarray:
    """A 1-d object array, even of tuples (np.array would make them a second axis)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


def _label_rows(frame: pd.DataFrame, caller: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{caller} needs a pandas DataFrame with columns item, rater, value")
    missing = [c for c in ("item", "rater", "value") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{caller}: the frame is missing the column(s) {', '.join(missing)}; expected item, rater, value"
        )
    return frame.loc[:, ["item", "rater", "value"]].reset_index(drop=True)


def _ids(column: pd.Series, name: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes in first-seen order; a missing id is an error, not a missing label."""
    codes, uniques = pd.factorize(column)
    if (codes < 0).any():
        raise ValueError(f"{name} ids must not be missing (None/NaN); row {int(np.argmax(codes < 0))} has none")
    return codes.astype(np.int64), pd.Index(uniques)


def _encode_values(values: pd.Series) -> tuple[np.ndarray, list]:
    """Codes in first-seen order (-1 for missing) and the first-seen value of each code, booleans kept apart."""
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:
        raise ValueError("values must be hashable: pass a label set as a tuple, not a list") from None
    uniques = list(uniques.tolist() if hasattr(uniques, "tolist") else uniques)
    if values.dtype != object or not any(
        _is_bool(u) or (u is not None and _is_number(u) and u in (0, 1)) for u in uniques
    ):
        return codes.astype(np.int64), uniques
    # pandas hashes True with 1 and False with 0; split each such code by whether the value is a boolean.
    raw = values.to_numpy()
    flags = np.fromiter((_is_bool(v) for v in raw), dtype=bool, count=len(raw))
    present = np.flatnonzero(codes >= 0)
    split = np.full(len(raw), -1, dtype=np.int64)
    sub, _ = pd.factorize(codes[present].astype(np.int64) * 2 + flags[present])
    split[present] = sub
    _, first_rows = np.unique(sub, return_index=True)
    return split, [raw[present[i]] for i in first_rows]


def _patterns(item_idx: np.ndarray, cell: np.ndarray, n_items: int) -> tuple[np.ndarray, ...]:
    """Group items by their multiset of cells: each item's pattern, each pattern's item count, and the
    patterns' cells as (pattern, cell) rows sorted by pattern."""
    order = np.lexsort((cell, item_idx))
    sorted_cells = cell[order]
    sizes = np.bincount(item_idx, minlength=n_items)
    first = np.cumsum(sizes) - sizes
    pattern_of_item = np.empty(n_items, dtype=np.int64)
    rep_pattern, rep_cell, n_patterns = [], [], 0
    # Exact grouping, one item length at a time: each item's sorted cells are one row of a matrix.
    for length in np.unique(sizes):
        members = np.flatnonzero(sizes == length)
        rows = sorted_cells[first[members][:, None] + np.arange(length)]
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
        pattern_of_item[members] = n_patterns + inverse.reshape(-1)
        rep_pattern.append(np.repeat(np.arange(n_patterns, n_patterns + len(distinct)), length))
        rep_cell.append(distinct.reshape(-1))
        n_patterns += len(distinct)
    weight = np.bincount(pattern_of_item, minlength=n_patterns).astype(float)
    return pattern_of_item, weight, np.concatenate(rep_pattern), np.concatenate(rep_cell)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not _is_bool(value)


def _match_classes(uniques: list, classes: Sequence | None) -> tuple[list, np.ndarray]:
    """The class list and, per value code, its class index; values outside `classes` raise ValueError."""
    if classes is None:
        return list(uniques), np.arange(len(uniques), dtype=np.int64)
    class_values = list(classes)
    if not class_values:
        raise ValueError("classes must list at least one class")
    position: dict[tuple[bool, Any], int] = {}
    for i, value in enumerate(class_values):
        if _key(value) in position:
            raise ValueError(f"classes lists {_describe(value)} more than once")
        position[_key(value)] = i
    unknown = [u for u in uniques if _key(u) not in position]
    if unknown:
        listed = ", ".join(_describe(u) for u in unknown[:5])
        raise ValueError(f"labels outside classes: {listed}; classes are {', '.join(map(_describe, class_values))}")
    return class_values, np.array([position[_key(u)] for u in uniques], dtype=np.int64)
