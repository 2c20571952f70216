"""Where agreement breaks down: per rater, per pair of raters, per item, per slice of the data, over time, on gold.

Tidy label tables in, DataFrames out, as in ratings.agreement (which computes the coefficients these use);
nothing here imports Django.
"""

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ratings.agreement import (
    ALL_RATERS,
    WEIGHTS,
    AgreementError,
    PairwiseKappa,
    alpha,
    alpha_with_ci,
    alphas_without_each_rater,
    check_level,
    encode_values,
    item_value_counts,
    kappa_weights,
    label_frame,
    nan_if_undefined,
    scale_positions,
)


def rater_agreement(ratings: pd.DataFrame, level: str, value_domain: Sequence | None = None) -> pd.DataFrame:
    """Per rater: labels given, alpha without them, and agreement with the other raters on their items.

    Nominal: ``agreement_with_others`` is the share of the rater's labels equal to the
    others' majority (items where the others tie are skipped). Other levels:
    ``mean_abs_diff`` from the others' mean (in scale steps for ordinal) and
    ``correlation`` with it (Spearman for ordinal, Pearson otherwise; nan with < 3 items
    or no spread). ``n_compared`` counts the rater's items that others labelled too.
    """
    check_level(level)
    df = label_frame(ratings)
    if value_domain is None:
        _, value_domain = encode_values(df["value"], level, None)
    codes, domain = encode_values(df["value"], level, value_domain)
    rater_idx, raters = pd.factorize(df["rater"])
    item_idx, _ = pd.factorize(df["item"])
    n_raters = len(raters)
    m = np.bincount(item_idx)
    others = m[item_idx] - 1
    without = alphas_without_each_rater(codes, item_idx, rater_idx, n_raters, level, domain)
    if without is None:
        without = np.array(
            [nan_if_undefined(lambda r=r: alpha(df[rater_idx != r], level, value_domain)) for r in range(n_raters)]
        )
    n_labels = np.bincount(rater_idx, minlength=n_raters)
    table = pd.DataFrame({"n_labels": n_labels}, index=pd.Index(raters, name="rater", dtype=object))
    if level == "nominal":
        v = len(domain)
        counts = np.bincount(item_idx * v + codes, minlength=m.size * v).reshape(m.size, v)
        other_counts = counts[item_idx]
        other_counts[np.arange(len(codes)), codes] -= 1
        best = other_counts.max(axis=1)
        unique_best = (other_counts == best[:, None]).sum(axis=1) == 1
        agrees = other_counts[np.arange(len(codes)), codes] == best
        compared = (others > 0) & unique_best
        n_cmp = np.bincount(rater_idx, weights=compared, minlength=n_raters)
        n_agree = np.bincount(rater_idx, weights=agrees & compared, minlength=n_raters)
        table["n_compared"] = n_cmp.astype(np.int64)
        table["alpha_without"] = without
        with np.errstate(divide="ignore", invalid="ignore"):
            table["agreement_with_others"] = np.where(n_cmp > 0, n_agree / np.maximum(n_cmp, 1), np.nan)
        return table
    x = codes.astype(float) if level == "ordinal" else np.asarray(domain, dtype=float)[codes]
    sums = np.bincount(item_idx, weights=x)
    with np.errstate(divide="ignore", invalid="ignore"):
        other_mean = (sums[item_idx] - x) / others
    sel = others > 0
    n_sel = np.bincount(rater_idx, weights=sel, minlength=n_raters)
    abs_diff = np.bincount(rater_idx[sel], weights=np.abs(x[sel] - other_mean[sel]), minlength=n_raters)
    # One stable sort groups each rater's compared labels for the correlations.
    order = np.argsort(rater_idx[sel], kind="stable")
    bounds = np.cumsum(np.bincount(rater_idx[sel], minlength=n_raters))
    groups_a = np.split(x[sel][order], bounds[:-1])
    groups_b = np.split(other_mean[sel][order], bounds[:-1])
    test = stats.spearmanr if level == "ordinal" else stats.pearsonr
    correlation = [
        float(test(a, b)[0]) if len(a) >= 3 and np.ptp(a) > 0 and np.ptp(b) > 0 else np.nan
        for a, b in zip(groups_a, groups_b, strict=True)
    ]
    table["n_compared"] = n_sel.astype(np.int64)
    table["alpha_without"] = without
    with np.errstate(divide="ignore", invalid="ignore"):
        table["mean_abs_diff"] = np.where(n_sel > 0, abs_diff / np.maximum(n_sel, 1), np.nan)
    table["correlation"] = correlation
    return table


def pairwise_kappa_matrix(
    ratings: pd.DataFrame, weights: str | None = None, value_domain: Sequence | None = None
) -> PairwiseKappa:
    """Rater x rater Cohen's kappa (nan with < 2 shared items or undefined) and shared item counts.

    All pairs use one scale (value_domain, or every observed value sorted), so weighted
    kappas are comparable; the diagonal is nan (a rater is not compared with themselves).
    Each pair's value is what cohen_kappa gives on the same labels.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic'; got {weights!r}")
    df = label_frame(ratings)
    if value_domain is None:
        _, value_domain = encode_values(df["value"], "ordinal" if weights else "nominal", None)
    codes, domain = encode_values(df["value"], "nominal", value_domain)
    rater_idx, raters = pd.factorize(df["rater"])
    item_idx, items = pd.factorize(df["item"])
    r, k = len(raters), len(domain)
    # One sparse product counts, for every pair of raters at once, the items where the first
    # gave value c and the second value k: every pair's contingency table.
    labels = sparse.csr_matrix(
        (np.ones(len(codes)), (rater_idx * k + codes, item_idx)), shape=(r * k, max(len(items), 1))
    )
    tables = (labels @ labels.T).toarray().reshape(r, k, r, k).transpose(0, 2, 1, 3)
    n = tables.sum(axis=(2, 3))
    w = kappa_weights(k, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = tables / n[:, :, None, None]
        expected = np.einsum("abc,abk,ck->ab", p.sum(axis=3), p.sum(axis=2), w)
        values = 1.0 - np.einsum("abck,ck->ab", p, w) / expected
    values = np.where((n >= 2) & (expected > 0) & ~np.eye(r, dtype=bool), values, np.nan)
    names = pd.Index(raters, name="rater", dtype=object)
    kappa = pd.DataFrame(values, index=names, columns=names.copy())
    shared = pd.DataFrame(np.rint(n).astype(np.int64), index=names.copy(), columns=names.copy())
    return PairwiseKappa(kappa=kappa, n_shared=shared)


def item_disagreement(ratings: pd.DataFrame, level: str, value_domain: Sequence | None = None) -> pd.DataFrame:
    """Per item: n_ratings and spread, most disputed first.

    Nominal: ``entropy`` in bits, ``majority`` (nan on a tie) and ``majority_share``.
    Other levels: ``std`` (population, in scale steps for ordinal), ``range`` and ``median``
    (for ordinal, the lower median label).
    """
    check_level(level)
    df = label_frame(ratings)
    if level == "nominal":
        counts, domain, items = item_value_counts(df, value_domain)
        m = counts.sum(axis=1)
        p = counts / m[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=1)
        top = counts.max(axis=1)
        tie = (counts == top[:, None]).sum(axis=1) > 1
        majority = pd.Series([domain[i] for i in counts.argmax(axis=1)], index=items, dtype=object)
        majority[tie] = np.nan
        out = pd.DataFrame(
            {
                "n_ratings": m,
                "entropy": entropy + 0.0,
                "majority": majority.to_numpy(),
                "majority_share": top / m,
            },
            index=items,
        )
        out = out.sort_values(["entropy", "majority_share", "n_ratings"], ascending=[False, True, False], kind="stable")
    else:
        x, domain = scale_positions(df, level, value_domain)
        frame = pd.DataFrame({"item": df["item"], "x": x})
        g = frame.groupby("item", sort=False)["x"]
        out = pd.DataFrame(
            {
                "n_ratings": g.size(),
                "std": g.std(ddof=0),
                "range": g.max() - g.min(),
                "median": g.median() if level != "ordinal" else g.quantile(0.5, interpolation="lower"),
            }
        )
        if level == "ordinal":
            out["median"] = [domain[int(i)] for i in out["median"]]
        out = out.sort_values(["std", "range", "n_ratings"], ascending=[False, False, False], kind="stable")
    out.index.name = "item"
    return out


def most_disputed(ratings: pd.DataFrame, level: str, n: int = 20, value_domain: Sequence | None = None) -> pd.DataFrame:
    """The n most disputed items with at least two ratings (see item_disagreement)."""
    table = item_disagreement(ratings, level, value_domain)
    return table[table["n_ratings"] >= 2].head(n)


def label_distribution(ratings: pd.DataFrame, value_domain: Sequence | None = None) -> pd.DataFrame:
    """Rater x value label counts and shares (columns ("count"|"share", value)), plus an all-raters row."""
    df = label_frame(ratings)
    codes, domain = encode_values(df["value"], "nominal", value_domain)
    rater_idx, raters = pd.factorize(df["rater"])
    counts = np.zeros((len(raters) + 1, len(domain)), dtype=np.int64)
    np.add.at(counts, (rater_idx, codes), 1)
    counts[-1] = counts[:-1].sum(axis=0)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / totals
    index = pd.Index([*raters, ALL_RATERS], name="rater", dtype=object)
    columns = pd.MultiIndex.from_product([["count", "share"], domain], names=["", "value"])
    out = pd.DataFrame(np.hstack([counts, shares]), index=index, columns=columns)
    out[("n_labels", "")] = totals[:, 0]
    for value in domain:
        out[("count", value)] = out[("count", value)].astype(np.int64)
    return out


_RESULT_FIELDS = ("value", "ci_low", "ci_high", "n_items", "n_raters", "n_pairable", "level")


def pairable_items(ratings: pd.DataFrame) -> int:
    """Items with labels from two or more raters: the only ones that carry information about agreement."""
    counts = ratings["item"].value_counts()
    return int((counts >= 2).sum())


def _result_row(df: pd.DataFrame, level: str, value_domain: Sequence | None, n_boot: int, seed: int) -> dict:
    n_pairable_items = pairable_items(df)
    try:
        r = alpha_with_ci(df, level, value_domain, n_boot=n_boot, seed=seed)
        return {**{f: getattr(r, f) for f in _RESULT_FIELDS}, "n_pairable_items": n_pairable_items, "reason": ""}
    except AgreementError as exc:
        return {
            "value": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n_items": int(df["item"].nunique()),
            "n_raters": int(df["rater"].nunique()),
            "n_pairable": 0,
            "level": level,
            "n_pairable_items": n_pairable_items,
            "reason": str(exc),
        }


def alpha_by_slice(
    ratings: pd.DataFrame,
    slices: Mapping[Hashable, str],
    level: str,
    value_domain: Sequence | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Per slice (e.g. a metadata value): AlphaResult fields and pairable items, with nan and a reason where undefined.

    Items missing from ``slices`` are left out.
    """
    check_level(level)
    df = label_frame(ratings)
    if value_domain is None:
        _, value_domain = encode_values(df["value"], level, None)
    # Map each distinct item once, then broadcast: a per-label Python call costs seconds at a million labels.
    item_idx, items = pd.factorize(df["item"])
    names = pd.Series(pd.Series(items, dtype=object).map(lambda i: slices.get(i)).to_numpy(dtype=object)[item_idx])
    rows = []
    for name in sorted((n for n in pd.unique(names) if n is not None), key=str):
        rows.append({"slice": name, **_result_row(df[names == name], level, value_domain, n_boot, seed)})
    columns = ["slice", *_RESULT_FIELDS, "n_pairable_items", "reason"]
    return pd.DataFrame(rows, columns=columns).set_index("slice")


def alpha_over_time(
    ratings_with_time: pd.DataFrame,
    level: str,
    freq: str = "D",
    window: str | None = None,
    value_domain: Sequence | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Alpha with interval after each period (``freq``, a pandas period alias such as "D" or "W").

    Cumulative over all labels up to the period's end, or, with ``window`` (a duration
    such as "7D"), over the labels inside that trailing window only. The frame needs an
    extra ``time`` column.
    """
    check_level(level)
    df = label_frame(ratings_with_time, ("item", "rater", "value", "time"))
    if value_domain is None:
        _, value_domain = encode_values(df["value"], level, None)
    time = pd.to_datetime(df["time"])
    periods = time.dt.to_period(freq)
    span = pd.Timedelta(window) if window is not None else None
    rows = []
    for period in sorted(periods.unique()):
        end = period.end_time
        mask = time <= end
        if span is not None:
            mask &= time > end - span
        rows.append(
            {
                "period": period,
                "end": end,
                "n_labels": int(mask.sum()),
                **_result_row(df[mask.to_numpy()], level, value_domain, n_boot, seed),
            }
        )
    return pd.DataFrame(rows).set_index("period")


def gold_accuracy(ratings: pd.DataFrame, gold: Mapping[Hashable, Any]) -> pd.DataFrame:
    """Per rater accuracy on gold items: n gold items labelled, correct, accuracy."""
    df = label_frame(ratings)
    on_gold = df[df["item"].isin(list(gold))]
    expected = on_gold["item"].map(lambda i: gold[i])
    correct = (on_gold["value"].to_numpy() == expected.to_numpy()).astype(int)
    table = pd.DataFrame({"rater": on_gold["rater"], "correct": correct})
    out = table.groupby("rater", sort=False)["correct"].agg(n="size", correct="sum")
    out = out.reindex(pd.unique(df["rater"]), fill_value=0)
    out.index.name = "rater"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["accuracy"] = np.where(out["n"] > 0, out["correct"] / out["n"].where(out["n"] > 0, 1), np.nan)
    return out


def rater_speed(seconds: pd.DataFrame, floor: float, ratio: float, min_timed: int) -> pd.DataFrame:
    """Per rater: items rated, items timed, median seconds per item, the others' typical median, and ``fast``.

    ``seconds`` has columns rater and seconds (nan where a rating was not timed). A rater with at least
    ``min_timed`` timed items is fast when their median is below ``floor`` seconds, or below ``ratio`` times
    the median of the other such raters' medians. Raters with fewer timed items are never marked.
    """
    grouped = seconds.loc[:, ["rater", "seconds"]].groupby("rater", sort=True)["seconds"]
    table = pd.DataFrame({"n_rated": grouped.size(), "n_timed": grouped.count(), "median_seconds": grouped.median()})
    judged = table["n_timed"] >= min_timed
    medians = table.loc[judged, "median_seconds"]
    table["others_median"] = [float(medians.drop(rater, errors="ignore").median()) for rater in table.index]
    with np.errstate(invalid="ignore"):
        below = (table["median_seconds"] < floor) | (table["median_seconds"] < ratio * table["others_median"])
    table["fast"] = judged & below
    return table
