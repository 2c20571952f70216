"""Inter-rater agreement coefficients on tidy label tables.

One module of about 900 lines because Krippendorff's alpha, its bootstrap, its leave-one-rater-out variants
and the other coefficients all work on the same coincidence structures built below; what is computed from
the coefficients lives beside it (ratings.agreement_diagnostics, ratings.agreement_bias).

Every function takes a long pandas DataFrame with the columns ``item``, ``rater`` and
``value``: one row per label. A missing label is an absent row; a row whose value is
NaN/None is dropped as missing. Items and raters may be any hashable ids. A rater gives
at most one label per item: a repeated ``(item, rater)`` pair raises
``DuplicateLabelError`` (pass the latest revision only). Nothing here imports Django.

Levels of measurement are ``nominal``, ``ordinal``, ``interval`` and ``ratio``.
``value_domain`` is the ordered list of the scale's values: it orders non-numeric
ordinal labels and keeps scale points nobody used; callers that know the rubric's
scale always pass it. Without it the observed values are used, sorted.

Krippendorff's alpha is computed from the coincidence matrix, a sum of per-item
contributions, so a bootstrap resample of items is a reweighting of those
contributions. Items with identical label counts ("patterns") contribute identically,
so resampling N items is drawing multinomial counts over the distinct patterns, and
all resampled coincidence matrices come out of one sparse matrix product. Leaving one
rater out changes only the items that rater labelled, so every leave-one-rater-out
coincidence matrix is the full one plus a sum of per-(pattern, removed value) changes.
alpha() hands the pairable items' value counts to the ``krippendorff`` package at
ordinary sizes and, for very large tables, evaluates the coincidences it already built.

Degenerate inputs (the same rules everywhere):

* No item with at least two labels (including: only one rater) ->
  ``InsufficientDataError``: agreement needs items that two raters both labelled.
* No variation: every pairable label (a label on an item with at least two labels) is
  the same value -> ``NoVariationError`` ("all N labels are 'x': agreement is undefined
  when there is no variation"), because chance agreement is then 1 and alpha/kappa
  are 0/0. ``percent_agreement`` returns 1.0 instead; ``gwet_ac1`` is defined whenever
  the scale has at least two categories (pass ``value_domain``).
* A single item with disagreeing labels is defined: its coincidences equal the
  expected ones, so alpha is exactly 0 (this is what the ``krippendorff`` package
  computes too).
* A bad level, weight scheme or out-of-domain value raises ``ValueError`` naming the
  allowed choices or the offending values. All errors derive from ``ValueError``;
  the agreement-specific ones from ``AgreementError``.

Bootstrap intervals are percentile intervals over resampled items. Resamples in which
alpha is undefined (no variation in the resample) are left out of the percentiles;
if every resample is undefined the interval is (nan, nan).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
from scipy import sparse

LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = (None, "linear", "quadratic")
ALL_RATERS = "all raters"

# Above this many cells the krippendorff package's (items x V x V) intermediate would
# not fit comfortably in memory; masi_alpha() then evaluates the same formula sparsely.
_KRIPPENDORFF_MAX_CELLS = 30_000_000
# alpha() hands the (pairable items x values) count matrix to the krippendorff package up to
# this many items x V x V cells; beyond, the package would rebuild, at (items x V x V) memory,
# the coincidences the checks already counted, so alpha() evaluates them itself (same formula).
_PACKAGE_MAX_CELLS = 2_000_000
# Resampled count matrices are built in chunks of at most this many cells.
_CHUNK_CELLS = 8_000_000
# Up to this many distinct values the bootstrap keeps whole coincidence matrices.
_DENSE_MAX_VALUES = 128


class AgreementError(ValueError):
    """The data cannot support the requested agreement statistic."""


class InsufficientDataError(AgreementError):
    """No item carries labels from at least two raters."""


class NoVariationError(AgreementError):
    """Every pairable label is the same value, so chance-corrected agreement is 0/0."""


class UnequalRatingsError(AgreementError):
    """Fleiss' kappa needs the same number of ratings on every item."""


class DuplicateLabelError(AgreementError):
    """A rater labelled the same item more than once."""


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha with its bootstrap interval.

    n_items counts items with at least one label, n_raters distinct raters, and
    n_pairable the pairable labels (labels on items with at least two labels).
    """

    value: float
    ci_low: float
    ci_high: float
    n_items: int
    n_raters: int
    n_pairable: int
    level: str


@dataclass(frozen=True)
class PairwiseKappa:
    """Rater x rater Cohen's kappa and the number of items each pair shares."""

    kappa: pd.DataFrame
    n_shared: pd.DataFrame


@dataclass(frozen=True)
class PrecisionPlan:
    """Planning estimate: total items (value) for the alpha interval to reach ±target."""

    value: int | None
    current_items: int
    additional_items: int | None
    current_half_width: float
    target_half_width: float


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------


def check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")


def label_frame(ratings: pd.DataFrame, columns: Sequence[str] = ("item", "rater", "value")) -> pd.DataFrame:
    """Validate the tidy frame, drop missing values and reject duplicate labels."""
    if not isinstance(ratings, pd.DataFrame):
        raise ValueError("ratings must be a pandas DataFrame with columns item, rater, value")
    missing = [c for c in columns if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings is missing the column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    df = ratings.loc[:, list(columns)]
    if "value" in columns:
        df = df[~df["value"].isna()]
    df = df.reset_index(drop=True)
    if {"item", "rater"} <= set(columns) and _has_repeated_pair(df):
        dup = df.duplicated(["item", "rater"], keep=False)
        if dup.any():
            first = df[dup].iloc[0]
            n = int(((df["item"] == first["item"]) & (df["rater"] == first["rater"])).sum())
            raise DuplicateLabelError(
                f"rater {_describe(first['rater'])} labelled item {_describe(first['item'])} {n} times; "
                "pass one label per (item, rater), e.g. the latest revision"
            )
    return df


def _has_repeated_pair(df: pd.DataFrame) -> bool:
    """Whether some (item, rater) pair occurs twice: counted on integer codes, cheaper than DataFrame.duplicated."""
    item_idx, items = pd.factorize(df["item"], use_na_sentinel=False)
    rater_idx, raters = pd.factorize(df["rater"], use_na_sentinel=False)
    key = item_idx.astype(np.int64) * max(len(raters), 1) + rater_idx
    if len(items) * len(raters) <= 4 * len(key) + 1_000_000:
        return bool(len(key)) and int(np.bincount(key).max()) > 1
    return bool(pd.Series(key).duplicated().any())


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating, np.bool_)) and not isinstance(v, str)


def encode_values(values: pd.Series, level: str, value_domain: Sequence | None) -> tuple[np.ndarray, list]:
    """Map labels to codes 0..V-1 in scale order; return codes and the ordered domain."""
    if value_domain is not None:
        domain = list(value_domain)
        numeric_domain = all(_is_number(v) for v in domain)
        index = pd.Index(domain) if numeric_domain else pd.Index(domain, dtype=object)
        if not index.is_unique:
            raise ValueError("value_domain lists a value more than once")
        codes = index.get_indexer(pd.Index(values.to_numpy(), dtype=None if numeric_domain else object))
        if (codes < 0).any():
            unknown = pd.unique(values[codes < 0])[:5]
            raise ValueError(f"labels outside value_domain: {', '.join(_describe(v) for v in unknown)}")
    else:
        uniques = list(pd.unique(values))
        try:
            domain = sorted(uniques)
        except TypeError:
            if level != "nominal":
                raise ValueError(f"{level} labels of mixed types need value_domain to order them") from None
            domain = uniques
        if level == "ordinal" and not all(_is_number(v) for v in domain):
            raise ValueError("ordinal labels that are not numbers need value_domain to order them")
        codes = pd.Index(domain, dtype=object).get_indexer(pd.Index(values.to_numpy(), dtype=object))
    if level in ("interval", "ratio") and not all(_is_number(v) for v in domain):
        raise ValueError(f"{level} level needs numeric labels")
    return codes.astype(np.int64), domain


def _describe(v: Any) -> str:
    return repr(v.item() if isinstance(v, np.generic) else v)


@dataclass(frozen=True)
class _Coincidences:
    """Per-pattern coincidence contributions of the pairable items."""

    level: str
    domain: list
    numeric: np.ndarray | None
    n_items: int
    n_raters: int
    pattern_counts: np.ndarray  # (K,) pairable items per pattern
    item_pattern: np.ndarray  # (N,) pattern of each pairable item, items in order of first appearance
    pair_pattern: np.ndarray  # (P,) pattern of each within-pattern value pair
    pair_c: np.ndarray  # (P,) first value code
    pair_k: np.ndarray  # (P,) second value code
    pair_w: np.ndarray  # (P,) coincidence weight n_c (n_k - [c=k]) / (m - 1)

    @property
    def n_values(self) -> int:
        return len(self.domain)

    @property
    def n_pairable_items(self) -> int:
        return int(self.pattern_counts.sum())

    def contributions(self) -> sparse.csr_matrix:
        """(K, V*V) per-pattern coincidence matrices, flattened."""
        v = self.n_values
        return sparse.csr_matrix(
            (self.pair_w, (self.pair_pattern, self.pair_c * v + self.pair_k)),
            shape=(len(self.pattern_counts), v * v),
        )

    def marginals(self) -> sparse.csr_matrix:
        """(K, V) pairable value counts per pattern."""
        return sparse.csr_matrix(
            (self.pair_w, (self.pair_pattern, self.pair_c)), shape=(len(self.pattern_counts), self.n_values)
        )

    def total(self) -> np.ndarray:
        """The (V, V) coincidence matrix of the data."""
        v = self.n_values
        flat = np.bincount(
            self.pair_c * v + self.pair_k, weights=self.pair_w * self.pattern_counts[self.pair_pattern], minlength=v * v
        )
        return flat.reshape(v, v)


@dataclass(frozen=True)
class _Counts:
    """Label counts of the pairable items as sparse (item, value, count) triples, after the degenerate checks."""

    domain: list
    n_items: int
    n_raters: int
    item: np.ndarray  # pairable item index 0..N-1, in order of first appearance
    code: np.ndarray  # value code 0..V-1
    count: np.ndarray  # labels of that value on that item

    @property
    def n_pairable_items(self) -> int:
        return int(self.item.max()) + 1

    def dense(self) -> np.ndarray:
        """The (pairable items, V) value-count matrix the krippendorff package accepts."""
        out = np.zeros((self.n_pairable_items, len(self.domain)), dtype=np.int64)
        out[self.item, self.code] = self.count
        return out


def _pairable_counts(df: pd.DataFrame, level: str, value_domain: Sequence | None) -> _Counts:
    """Encode labels and count them per pairable item (raises on degenerate data)."""
    check_level(level)
    n_raters = int(df["rater"].nunique())
    if df.empty:
        raise InsufficientDataError("there are no labels: agreement needs items labelled by at least two raters")
    if n_raters < 2:
        raise InsufficientDataError(
            f"only one rater ({_describe(df['rater'].iloc[0])}) gave labels: "
            "agreement needs items labelled by at least two raters"
        )
    codes, domain = encode_values(df["value"], level, value_domain)
    v = len(domain)
    item_idx, items = pd.factorize(df["item"])
    key = item_idx.astype(np.int64) * v + codes
    if len(items) * v <= 4 * len(key) + 1_000_000:
        # Counting beats sorting when the item x value grid is not much larger than the labels.
        flat = np.bincount(key, minlength=len(items) * v)
        ukey = np.flatnonzero(flat)
        cnt = flat[ukey]
    else:
        ukey, cnt = np.unique(key, return_counts=True)
    u, c = ukey // v, ukey % v
    per_item = np.bincount(u, weights=cnt, minlength=len(items))
    keep = per_item[u] >= 2
    if not keep.any():
        raise InsufficientDataError(
            f"no item has labels from two raters ({len(items)} items, {n_raters} raters): "
            "agreement needs items labelled by at least two raters"
        )
    u, c, cnt = u[keep], c[keep], cnt[keep]
    present = np.unique(c)
    if len(present) == 1:
        raise NoVariationError(
            f"all {int(cnt.sum())} labels are {_describe(domain[present[0]])}: "
            "agreement is undefined when there is no variation"
        )
    _, u = np.unique(u, return_inverse=True)
    return _Counts(domain=domain, n_items=len(items), n_raters=n_raters, item=u, code=c, count=cnt)


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(rows, axis=0) with return_inverse and return_counts, in the same (lexicographic) order.

    Rows of small counts are read as one mixed-radix integer each (first column most
    significant, so the order is kept); sorting those is many times faster than the
    structured-row sort np.unique(axis=0) does.
    """
    base = int(rows.max()) + 1 if rows.size else 1
    if rows.shape[1] * math.log2(max(base, 2)) <= 62:
        weights = base ** np.arange(rows.shape[1] - 1, -1, -1, dtype=np.int64)
        _, first, inverse, counts = np.unique(
            rows.astype(np.int64) @ weights, return_index=True, return_inverse=True, return_counts=True
        )
        return rows[first], inverse.ravel(), counts
    patterns, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    return patterns, inverse.ravel(), counts


def _coincidences(df: pd.DataFrame, level: str, value_domain: Sequence | None) -> _Coincidences:
    """Encode labels and build per-pattern coincidence contributions (raises on degenerate data)."""
    return _coincidences_from(_pairable_counts(df, level, value_domain), level)


def _coincidences_from(counts: _Counts, level: str) -> _Coincidences:
    """Per-pattern coincidence contributions of already counted labels."""
    domain, u, c, cnt = counts.domain, counts.item, counts.code, counts.count
    v = len(domain)
    n_pairable_items = counts.n_pairable_items
    if n_pairable_items * v <= _CHUNK_CELLS and v <= _DENSE_MAX_VALUES:
        # Items with identical label counts contribute identically: keep each pattern once.
        dense = np.zeros((n_pairable_items, v), dtype=np.int32)
        dense[u, c] = cnt
        patterns, item_pattern, pattern_counts = _unique_rows(dense)
        p, c = np.nonzero(patterns)
        cnt = patterns[p, c]
    else:
        p, pattern_counts = u, np.ones(n_pairable_items, dtype=np.int64)
        item_pattern = np.arange(n_pairable_items)
    k_patterns = len(pattern_counts)
    m = np.bincount(p, weights=cnt, minlength=k_patterns)
    length = np.bincount(p, minlength=k_patterns)
    start = np.cumsum(length) - length
    le = length[p]
    i = np.repeat(np.arange(len(p)), le)
    offset = np.arange(len(i)) - np.repeat(np.cumsum(le) - le, le)
    j = np.repeat(start[p], le) + offset
    w = cnt[i] * (cnt[j] - (i == j)) / (m[p[i]] - 1)
    numeric = np.asarray(domain, dtype=float) if level in ("interval", "ratio") else None
    return _Coincidences(
        level=level,
        domain=domain,
        numeric=numeric,
        n_items=counts.n_items,
        n_raters=counts.n_raters,
        pattern_counts=pattern_counts.astype(np.int64),
        item_pattern=item_pattern,
        pair_pattern=p[i],
        pair_c=c[i],
        pair_k=c[j],
        pair_w=w,
    )


# ---------------------------------------------------------------------------
# Alpha from coincidences
# ---------------------------------------------------------------------------


def _fixed_distance(level: str, numeric: np.ndarray | None, v: int) -> np.ndarray:
    """Distance matrix for levels whose metric does not depend on the marginals."""
    if level == "nominal":
        return 1.0 - np.eye(v)
    diff = numeric[:, None] - numeric[None, :]
    if level == "interval":
        return diff**2
    total = numeric[:, None] + numeric[None, :]
    return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2


def _ordinal_distance(n_c: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal metric from marginal frequencies, shape (..., V, V)."""
    v = n_c.shape[-1]
    cum = np.cumsum(n_c, axis=-1)
    before = cum - n_c
    idx = np.arange(v)
    hi, lo = np.maximum(idx[:, None], idx[None, :]), np.minimum(idx[:, None], idx[None, :])
    between = cum[..., hi] - before[..., lo]
    return (between - (n_c[..., :, None] + n_c[..., None, :]) / 2) ** 2


def _alpha_from_matrices(o: np.ndarray, level: str, numeric: np.ndarray | None) -> np.ndarray:
    """Alpha for a stack of coincidence matrices (..., V, V); nan where undefined."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    d = _ordinal_distance(n_c) if level == "ordinal" else _fixed_distance(level, numeric, o.shape[-1])
    observed = (o * d).sum(axis=(-2, -1))
    expected = np.einsum("...c,...ck,...k->...", n_c, d, n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - (n - 1) * observed / expected
    return np.where(expected > 0, out, np.nan)


class _Reweighter:
    """Alpha for any reweighting of the patterns, with the per-pattern sums prepared once."""

    def __init__(self, co: _Coincidences) -> None:
        self.co = co
        v, k = co.n_values, len(co.pattern_counts)
        self.dense = co.level == "ordinal" or v <= _DENSE_MAX_VALUES
        if self.dense:
            self.contrib_t = co.contributions().T.tocsr()
            return
        # Many distinct values: keep only the per-pattern sums the metric needs.
        self.observed = np.bincount(co.pair_pattern, weights=co.pair_w * _pair_distance(co), minlength=k)
        if co.level == "interval":
            x = co.numeric[co.pair_c]
            self.moments = np.stack(
                [np.bincount(co.pair_pattern, weights=co.pair_w * x**p, minlength=k) for p in (0, 1, 2)], axis=1
            )
        else:
            self.marginals_t = co.marginals().T.tocsr()

    def alphas(self, weights: np.ndarray) -> np.ndarray:
        """Alpha for each row of pattern weights (B, K); nan where undefined."""
        co = self.co
        v = co.n_values
        if self.dense:
            o = np.asarray(self.contrib_t @ weights.T).T.reshape(-1, v, v)
            return _alpha_from_matrices(o, co.level, co.numeric)
        observed = weights @ self.observed
        if co.level == "interval":
            n, s1, s2 = (weights @ self.moments).T
            expected = 2 * n * s2 - 2 * s1**2
        else:
            n_c = np.asarray(self.marginals_t @ weights.T).T
            n = n_c.sum(axis=1)
            if co.level == "nominal":
                expected = n**2 - (n_c**2).sum(axis=1)
            else:
                expected = np.zeros(len(n))
                for lo in range(0, v, 512):
                    expected += ((n_c @ _ratio_rows(co, lo).T) * n_c[:, lo : lo + 512]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1.0 - (n - 1) * observed / expected
        # Guard against round-off: expected disagreement of a constant resample is 0.
        return np.where(expected > 1e-12 * np.maximum(n, 1) ** 2, out, np.nan)


def _ratio_rows(co: _Coincidences, lo: int) -> np.ndarray:
    rows = co.numeric[lo : lo + 512, None]
    diff, total = rows - co.numeric[None, :], rows + co.numeric[None, :]
    return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2


def _pair_distance(co: _Coincidences) -> np.ndarray:
    if co.level == "nominal":
        return (co.pair_c != co.pair_k).astype(float)
    a, b = co.numeric[co.pair_c], co.numeric[co.pair_k]
    if co.level == "interval":
        return (a - b) ** 2
    total = a + b
    return np.divide(a - b, total, out=np.zeros_like(a), where=total != 0) ** 2


def _point_alpha(co: _Coincidences) -> float:
    return (
        float(_alpha_from_matrices(co.total(), co.level, co.numeric))
        if co.n_values <= 2048
        else float(_Reweighter(co).alphas(co.pattern_counts[None, :].astype(float))[0])
    )


def _resampled_weights(co: _Coincidences, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Yield chunks of bootstrap pattern counts: each row is one resample of the pairable items."""
    rng = np.random.default_rng(seed)
    counts = co.pattern_counts
    n, k = int(counts.sum()), len(counts)
    dense = co.level == "ordinal" or co.n_values <= _DENSE_MAX_VALUES
    per_row = max(k, co.n_values * co.n_values if dense else co.n_values)
    if 4 * k <= n:
        chunk = max(1, min(n_boot, _CHUNK_CELLS // per_row))
        p = counts / n
        for lo in range(0, n_boot, chunk):
            yield rng.multinomial(n, p, size=min(chunk, n_boot - lo)).astype(float)
    else:
        # Nearly every item is its own pattern: draw item indices and count them per resample.
        pattern_of_item = None if k == n else np.repeat(np.arange(k, dtype=np.int32), counts)
        chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n, per_row)))
        for lo in range(0, n_boot, chunk):
            rows = min(chunk, n_boot - lo)
            drawn = rng.integers(0, n, size=(rows, n), dtype=np.int32)
            if pattern_of_item is not None:
                drawn = pattern_of_item[drawn]
            drawn += (np.arange(rows, dtype=np.int32) * k)[:, None]
            yield np.bincount(drawn.ravel(), minlength=rows * k).reshape(rows, k).astype(float)


def _bootstrap(co: _Coincidences, n_boot: int, seed: int, confidence: float) -> tuple[float, float]:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}")
    reweighter = _Reweighter(co)
    alphas = np.concatenate([reweighter.alphas(w) for w in _resampled_weights(co, int(n_boot), seed)])
    alphas = alphas[~np.isnan(alphas)]
    if alphas.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(alphas, [tail, 1 - tail])
    return float(low), float(high)


# ---------------------------------------------------------------------------
# Alpha
# ---------------------------------------------------------------------------


def alpha(ratings: pd.DataFrame, level: str = "nominal", value_domain: Sequence | None = None) -> float:
    """Krippendorff's alpha at the given level (raises InsufficientDataError/NoVariationError)."""
    counts = _pairable_counts(label_frame(ratings), level, value_domain)
    v = len(counts.domain)
    if counts.n_pairable_items * v * v > _PACKAGE_MAX_CELLS:
        return _point_alpha(_coincidences_from(counts, level))
    if level == "ordinal":
        domain = np.arange(v)  # the ordinal metric uses ranks only; ranks follow value_domain
    elif level in ("interval", "ratio"):
        domain = np.asarray(counts.domain, dtype=float)
    else:
        domain = np.asarray(counts.domain, dtype=object)
    return float(krippendorff.alpha(value_counts=counts.dense(), value_domain=domain, level_of_measurement=level))


def alpha_ci(
    ratings: pd.DataFrame,
    level: str = "nominal",
    value_domain: Sequence | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval for alpha, resampling items (same degenerate rules as alpha)."""
    co = _coincidences(label_frame(ratings), level, value_domain)
    return _bootstrap(co, n_boot, seed, confidence)


def alpha_with_ci(
    ratings: pd.DataFrame,
    level: str,
    value_domain: Sequence | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> AlphaResult:
    """Alpha and its bootstrap interval from one coincidence pass (what dashboards call)."""
    co = _coincidences(label_frame(ratings), level, value_domain)
    low, high = _bootstrap(co, n_boot, seed, confidence)
    return AlphaResult(
        value=_point_alpha(co),
        ci_low=low,
        ci_high=high,
        n_items=co.n_items,
        n_raters=co.n_raters,
        n_pairable=int(round(co.total().sum())),
        level=level,
    )


def coincidence_matrix(
    ratings: pd.DataFrame, level: str = "nominal", value_domain: Sequence | None = None
) -> pd.DataFrame:
    """Krippendorff's coincidence matrix (values x values) of the pairable labels."""
    co = _coincidences(label_frame(ratings), level, value_domain)
    return pd.DataFrame(co.total(), index=co.domain, columns=co.domain)


# ---------------------------------------------------------------------------
# Other coefficients
# ---------------------------------------------------------------------------


def item_value_counts(df: pd.DataFrame, value_domain: Sequence | None = None) -> tuple[np.ndarray, list, pd.Index]:
    """Items x categories label counts (nominal coding)."""
    codes, domain = encode_values(df["value"], "nominal", value_domain)
    item_idx, items = pd.factorize(df["item"])
    counts = np.zeros((len(items), len(domain)), dtype=np.int64)
    np.add.at(counts, (item_idx, codes), 1)
    return counts, domain, items


def _require_pairs(df: pd.DataFrame) -> None:
    if df["rater"].nunique() < 2:
        who = f" ({_describe(df['rater'].iloc[0])})" if len(df) else ""
        raise InsufficientDataError(
            f"only one rater{who} gave labels: agreement needs items labelled by at least two raters"
        )


def percent_agreement(ratings: pd.DataFrame) -> float:
    """Share of agreeing pairs among all pairs of labels on the same item (1.0 when nothing varies)."""
    df = label_frame(ratings)
    _require_pairs(df)
    counts, _, _ = item_value_counts(df)
    m = counts.sum(axis=1)
    pairs = (m * (m - 1)).sum()
    if pairs == 0:
        raise InsufficientDataError("no item has labels from two raters: percent agreement needs pairs of labels")
    return float((counts * (counts - 1)).sum() / pairs)


def _no_variation(n: int, value: Any) -> NoVariationError:
    return NoVariationError(f"all {n} labels are {_describe(value)}: agreement is undefined when there is no variation")


def kappa_weights(k: int, weights: str | None) -> np.ndarray:
    """Disagreement weights between k ordered categories: 0/1 (unweighted), linear or quadratic in the distance."""
    if weights is None:
        return 1.0 - np.eye(k)
    idx = np.arange(k)
    dist = np.abs(idx[:, None] - idx[None, :]) / max(k - 1, 1)
    return dist if weights == "linear" else dist**2


def cohen_kappa(
    ratings: pd.DataFrame,
    rater_a: Hashable,
    rater_b: Hashable,
    weights: str | None = None,
    value_domain: Sequence | None = None,
) -> float:
    """Cohen's kappa (weights None, "linear" or "quadratic") on the items both raters labelled."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic'; got {weights!r}")
    df = label_frame(ratings)
    a = df[df["rater"] == rater_a].set_index("item")["value"]
    b = df[df["rater"] == rater_b].set_index("item")["value"]
    for name, labels in ((rater_a, a), (rater_b, b)):
        if labels.empty:
            raise InsufficientDataError(f"rater {_describe(name)} has no labels")
    shared = a.index.intersection(b.index)
    if len(shared) == 0:
        raise InsufficientDataError(f"raters {_describe(rater_a)} and {_describe(rater_b)} labelled no item in common")
    pair = pd.concat([a.loc[shared], b.loc[shared]], ignore_index=True)
    codes, domain = encode_values(pair, "ordinal" if weights and value_domain is None else "nominal", value_domain)
    k = len(domain)
    n = len(shared)
    table = np.zeros((k, k))
    np.add.at(table, (codes[:n], codes[n:]), 1)
    table /= n
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    w = kappa_weights(k, weights)
    disagreement_expected = (w * expected).sum()
    if disagreement_expected == 0:
        raise _no_variation(2 * n, domain[codes[0]])
    return float(1.0 - (w * table).sum() / disagreement_expected)


def fleiss_kappa(ratings: pd.DataFrame) -> float:
    """Fleiss' kappa (nominal); every item must carry the same number of ratings."""
    df = label_frame(ratings)
    _require_pairs(df)
    counts, domain, items = item_value_counts(df)
    m = counts.sum(axis=1)
    if m.min() != m.max():
        example = items[int(np.argmin(m))]
        raise UnequalRatingsError(
            f"Fleiss' kappa needs the same number of ratings on every item, but items have between "
            f"{int(m.min())} and {int(m.max())} (e.g. item {_describe(example)} has {int(m.min())}); "
            "use alpha(), which handles missing labels, or gwet_ac1()"
        )
    r = int(m[0])
    if r < 2:
        raise InsufficientDataError("every item has a single rating: Fleiss' kappa needs at least two per item")
    p_items = ((counts * (counts - 1)).sum(axis=1)) / (r * (r - 1))
    p_cat = counts.sum(axis=0) / counts.sum()
    p_e = (p_cat**2).sum()
    if np.isclose(p_e, 1.0):
        raise _no_variation(int(counts.sum()), domain[int(np.argmax(p_cat))])
    return float((p_items.mean() - p_e) / (1 - p_e))


def gwet_ac1(ratings: pd.DataFrame, value_domain: Sequence | None = None) -> float:
    """Gwet's AC1 for any number of raters per item (Gwet 2014; items with >= 2 ratings for p_a).

    The number of categories q is len(value_domain), or the number of observed values;
    with q >= 2 AC1 is defined even when every label is the same (it is then 1.0).
    """
    df = label_frame(ratings)
    _require_pairs(df)
    counts, domain, _ = item_value_counts(df, value_domain)
    m = counts.sum(axis=1)
    two = m >= 2
    if not two.any():
        raise InsufficientDataError("no item has labels from two raters: AC1 needs items with at least two ratings")
    q = len(domain)
    if q < 2:
        raise _no_variation(int(counts.sum()), domain[0])
    p_a = ((counts[two] * (counts[two] - 1)).sum(axis=1) / (m[two] * (m[two] - 1))).mean()
    pi = (counts / m[:, None]).mean(axis=0)
    p_e = (pi * (1 - pi)).sum() / (q - 1)
    return float((p_a - p_e) / (1 - p_e))


# ---------------------------------------------------------------------------
# Multi-label
# ---------------------------------------------------------------------------


def _label_set(value: Any) -> frozenset:
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, Iterable):
        return frozenset(value)
    raise ValueError(f"multi-label values must be lists, tuples or sets of labels; got {value!r}")


def multilabel_alpha_per_label(ratings: pd.DataFrame, labels: Sequence[str] | None = None) -> dict[str, float]:
    """Binary nominal alpha per label (present/absent per item and rater); nan for labels that never vary.

    Values are lists/tuples/sets of labels (a bare string is one label; an empty set is
    "no label chosen"). ``labels`` lists every possible label, so unused ones appear as nan.
    """
    df = label_frame(ratings)
    sets = df["value"].map(_label_set)
    names = list(labels) if labels is not None else sorted({x for s in sets for x in s}, key=str)
    out: dict[str, float] = {}
    for name in names:
        binary = df.assign(value=sets.map(lambda s, name=name: name in s))
        try:
            out[name] = alpha(binary, "nominal", value_domain=[False, True])
        except NoVariationError:
            out[name] = float("nan")
    return out


def masi_distance(a: frozenset, b: frozenset) -> float:
    """MASI distance (Passonneau 2006): 1 - Jaccard x monotonicity (1, 2/3, 1/3, 0)."""
    if a == b:
        return 0.0
    inter = len(a & b)
    if inter == 0:
        return 1.0
    jaccard = inter / len(a | b)
    m = 2 / 3 if (a <= b or b <= a) else 1 / 3
    return 1.0 - jaccard * m


def masi_alpha(ratings: pd.DataFrame) -> float:
    """Krippendorff's alpha with the MASI distance over the distinct label sets."""
    df = label_frame(ratings)
    sets = df.assign(value=df["value"].map(_label_set))
    co = _coincidences(sets, "nominal", None)
    v = co.n_values
    d = np.array([[masi_distance(a, b) for b in co.domain] for a in co.domain])
    o = co.total()
    n_c = o.sum(axis=1)
    expected = n_c @ d @ n_c
    if expected == 0:
        raise NoVariationError(
            "all label sets are at MASI distance 0: agreement is undefined when there is no variation"
        )
    if co.n_pairable_items * v * v > _KRIPPENDORFF_MAX_CELLS:
        return float(1.0 - (n_c.sum() - 1) * (o * d).sum() / expected)
    codes, _ = encode_values(sets["value"], "nominal", co.domain)
    item_idx, items = pd.factorize(sets["item"])
    value_counts = np.zeros((len(items), v), dtype=np.int64)
    np.add.at(value_counts, (item_idx, codes), 1)

    def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
        return d[i1, i2].astype(dtype)

    return float(
        krippendorff.alpha(
            value_counts=value_counts[value_counts.sum(axis=1) >= 2],
            value_domain=np.arange(v),
            level_of_measurement=metric,
        )
    )


# ---------------------------------------------------------------------------
# Shared by the diagnostics and bias modules
# ---------------------------------------------------------------------------


def nan_if_undefined(fn: Callable[[], float]) -> float:
    try:
        return fn()
    except AgreementError:
        return float("nan")


def scale_positions(df: pd.DataFrame, level: str, value_domain: Sequence | None) -> tuple[np.ndarray, list]:
    """Numeric position of each label: its value (interval/ratio) or its rank on the scale (ordinal)."""
    codes, domain = encode_values(df["value"], level, value_domain)
    if level in ("interval", "ratio"):
        return np.asarray(domain, dtype=float)[codes], domain
    return codes.astype(float), domain


# Leave-one-rater-out alphas are computed together while the (raters or count patterns) x V x V
# intermediates stay this small; beyond, rater_agreement recomputes alpha per rater.
_LOO_MAX_CELLS = 20_000_000


def alphas_without_each_rater(
    codes: np.ndarray, item_idx: np.ndarray, rater_idx: np.ndarray, n_raters: int, level: str, domain: list
) -> np.ndarray | None:
    """Alpha without each rater in turn, from the item x value counts minus that rater's labels.

    Removing a rater changes only the items they labelled, and an item's coincidences depend
    only on its value counts, so each rater's change to the coincidence matrix is a sum of
    per-(count pattern, removed value) differences: one sparse product gives every rater's
    matrix. None when the scale is too wide for whole coincidence matrices (callers recompute).
    """
    v = len(domain)
    n_items = int(item_idx.max()) + 1 if len(item_idx) else 0
    if v > _DENSE_MAX_VALUES or n_items * v > 4 * _CHUNK_CELLS or n_raters * v * v > _LOO_MAX_CELLS:
        return None
    counts = np.bincount(item_idx * v + codes, minlength=n_items * v).reshape(n_items, v)
    patterns, item_pattern, _ = _unique_rows(counts)
    k = len(patterns)
    # Each label removes one value from its item's pattern: group labels by (rater, pattern, value).
    key = item_pattern[item_idx].astype(np.int64) * v + codes
    cell, n_labels = np.unique(rater_idx.astype(np.int64) * (k * v) + key, return_counts=True)
    used, column = np.unique(cell % (k * v), return_inverse=True)
    if (k + len(used)) * v * v > _LOO_MAX_CELLS:
        return None
    before = patterns[used // v].astype(float)
    after = before.copy()
    after[np.arange(len(used)), used % v] -= 1

    def contribution(n: np.ndarray) -> np.ndarray:
        m = n.sum(axis=1)
        outer = n[:, :, None] * n[:, None, :] - n[:, :, None] * np.eye(v)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((m >= 2)[:, None, None], outer / (m - 1)[:, None, None], 0.0)

    delta = (contribution(after) - contribution(before)).reshape(len(used), v * v)
    change = sparse.csr_matrix((n_labels.astype(float), (cell // (k * v), column.ravel())), shape=(n_raters, len(used)))
    pattern_counts = np.bincount(item_pattern, minlength=k).astype(float)
    total = (pattern_counts @ contribution(patterns.astype(float)).reshape(k, v * v)).reshape(v, v)
    matrices = total + np.asarray(change @ delta).reshape(n_raters, v, v)
    numeric = np.asarray(domain, dtype=float) if level in ("interval", "ratio") else None
    out = _alpha_from_matrices(matrices, level, numeric)
    # Pairable value counts are whole numbers: round away the float residue before deciding
    # whether anything is left to agree on (at least two values used).
    marginals = np.rint(matrices.sum(axis=2))
    return np.where((marginals > 0).sum(axis=1) >= 2, out, np.nan)


def items_needed_for_precision(
    ratings: pd.DataFrame,
    level: str,
    value_domain: Sequence | None = None,
    target_half_width: float = 0.05,
    n_boot: int = 500,
    seed: int = 0,
) -> PrecisionPlan:
    """Planning estimate of total items (at the current raters per item) for the interval to reach ±target.

    Uses half-width ∝ 1/sqrt(items) from the current bootstrap interval; ``value`` is
    None when the current interval is undefined. Items are those with >= 2 labels.
    """
    if target_half_width <= 0:
        raise ValueError("target_half_width must be positive")
    co = _coincidences(label_frame(ratings), level, value_domain)
    low, high = _bootstrap(co, n_boot, seed, 0.95)
    current = co.n_pairable_items
    half = (high - low) / 2
    if math.isnan(half):
        return PrecisionPlan(None, current, None, half, target_half_width)
    needed = max(current, math.ceil(current * (half / target_half_width) ** 2))
    return PrecisionPlan(needed, current, needed - current, half, target_half_width)
