"""Campaign-level agreement: what the dashboard, the API and the `agreement` command show.

About 900 lines: one short function per figure of a criterion's report (coefficients, raters, kappa matrix,
distribution, disputed items, slices, time, gold, bias, triads, retest), all fed by one read of its labels,
plus the campaign-wide cache and the drill-down that reuse them. The result types are ratings.report_results,
the statistics ratings.agreement*.

The statistics live in ratings.agreement (pure functions); this module reads each
criterion's labels in bulk, picks the statistics that fit the criterion's type and level
of measurement, names raters and items, and caches the result under a fingerprint of the
campaign's ratings so it is recomputed only when a rating changes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from django.core.cache import cache

from annotate.criteria import Criterion
from annotate.models import Campaign
from ratings import agreement as stats
from ratings import agreement_bias, agreement_diagnostics, judge_report
from ratings.agreement import AgreementError, AlphaResult, InsufficientDataError, NoVariationError, PrecisionPlan
from ratings.report_results import (
    BiasRow,
    CampaignAgreement,
    Coefficient,
    CriterionAgreement,
    DisputedItem,
    Distribution,
    DistributionRow,
    GoldRow,
    Histogram,
    KappaCell,
    KappaMatrix,
    KappaRow,
    LabelAlpha,
    RaterRow,
    RaterSpeed,
    Reading,
    RetestRow,
    SkippedCriterion,
    SliceRow,
    SliceTable,
    SpeedRow,
    TimePoint,
    TriadRow,
    number_or_none,
)
from ratings.selectors import (
    content_lengths,
    external_ids,
    gold_answers,
    item_metadata,
    presentation_frame,
    rating_seconds_frame,
    ratings_fingerprint,
    ratings_frame,
    repeat_pairs,
    repeat_pairs_frame,
    usernames,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

CACHE_SECONDS = 6 * 60 * 60
CACHE_VERSION = 3
RELIABLE = 0.800
TENTATIVE = 0.667
# An interval wider than ±0.10 cannot tell "reliable" from "tentative" apart.
WIDE_HALF_WIDTH = 0.10
TARGET_HALF_WIDTH = 0.05
# Per-slice and per-day intervals are secondary: fewer resamples keep the page quick.
SLICE_BOOT = 500
TIME_BOOT = 200
# A subset with its own alpha (a metadata value, the labels up to a period, one rater's repeats) is marked "too
# few to judge" below this many pairable items. benchmarks/slice_minimum.py draws small slices from known models
# (600 runs per size): at 10 pairable items the 95% interval of a yes/no label with a 20% minority covered the
# true alpha in 73% of runs and shrank to a single point such as [1.000, 1.000] in 11%; at 20 items coverage was
# 90-95% in every model (ordinal scales and that yes/no label) and single points fell below 1%.
MIN_PAIRABLE_ITEMS = 20
# A rater is implausibly fast when, over at least SPEED_MIN_TIMED timed items, their median time per item is
# under SPEED_FLOOR_SECONDS (too little to read any item and answer) or under SPEED_RATIO of the median of the
# other raters' medians (skimming where the others read: demo raters take 10-90 s per item).
SPEED_FLOOR_SECONDS = 3.0
SPEED_RATIO = 0.25
SPEED_MIN_TIMED = 5
SPEED_RULE = (
    f"A rater is marked implausibly fast when, over at least {SPEED_MIN_TIMED} timed items, their median time "
    f"per item is under {SPEED_FLOOR_SECONDS:g} seconds, or under {SPEED_RATIO:.0%} of the median of the other "
    "raters' medians."
)
MAX_SLICE_FIELDS = 8
MAX_SLICE_VALUES = 20
MAX_MATRIX_RATERS = 30
N_DISPUTED = 10
DASHBOARD_COLUMNS = ["item", "rater", "value", "time"]
DIAGNOSTIC_ERRORS = (ValueError, KeyError, TypeError, ZeroDivisionError, IndexError)


class UnknownCriterionError(LookupError):
    """The campaign's rubric has no criterion with that key."""


# --------------------------------------------------------------------------- helpers


def _try(fn: Callable[[], T], default: T) -> T:
    """Run a diagnostic; degenerate data yields the default instead of an exception."""
    try:
        return fn()
    except DIAGNOSTIC_ERRORS as exc:
        logger.debug("agreement diagnostic skipped: %s", exc)
        return default


def _label_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def reading(result: AlphaResult | None) -> Reading:
    """Krippendorff's thresholds in plain words, judged on the whole 95% interval rather than the point.

    Reliable only when the whole interval is at or above .800, unreliable only when all of it is below .667,
    tentative when it lies between; an interval across a threshold is "unsettled" (more items will tell). Without
    an interval the point is read, and the text says so.
    """
    value = number_or_none(result.value) if result else None
    if value is None:
        return Reading("undefined", "Alpha is undefined for these labels.")
    low, high = number_or_none(result.ci_low), number_or_none(result.ci_high)
    if low is None or high is None:
        verdict, text = _point_reading(value)
        return Reading(verdict, text + " No interval could be computed: read this as a first look.")
    interval = f"the 95% interval ({low:.3f} to {high:.3f})"
    if low >= RELIABLE:
        verdict, text = "reliable", f"Reliable: {interval} is at or above .800; labels on this criterion can be used."
    elif high < TENTATIVE:
        verdict, text = "unreliable", f"Unreliable: {interval} is below .667; revise the guidelines or the criterion."
    elif low >= TENTATIVE and high < RELIABLE:
        verdict, text = "tentative", f"Tentative conclusions only: {interval} lies between .667 and .800."
    else:
        crossed = " and ".join(f"{t:.3f}" for t in (TENTATIVE, RELIABLE) if low < t <= high)
        verdict = "unsettled"
        text = f"Not settled yet: α is {value:.3f}, but {interval} spans {crossed}; rate more items to tell."
    if (high - low) / 2 > WIDE_HALF_WIDTH:
        text += " The interval is wide: rate more items before relying on it."
    return Reading(verdict, text)


def _point_reading(value: float) -> tuple[str, str]:
    if value >= RELIABLE:
        return "reliable", "Reliable (α ≥ .800): labels on this criterion can be used to draw conclusions."
    if value >= TENTATIVE:
        return "tentative", "Tentative conclusions only (.667 ≤ α < .800)."
    return "unreliable", "Unreliable (α < .667): revise the guidelines or the criterion."


def kappa_bucket(value: float | None) -> str:
    """A CSS class for a kappa value, in Landis and Koch's bands."""
    if value is None:
        return "k-na"
    if value < 0:
        return "k-neg"
    for bound, name in ((0.2, "k-b0"), (0.4, "k-b1"), (0.6, "k-b2"), (0.8, "k-b3")):
        if value < bound:
            return name
    return "k-b4"


def precision_plan(result: AlphaResult, n_pairable_items: int, target: float = TARGET_HALF_WIDTH) -> PrecisionPlan:
    """Items needed for the interval to reach ±target, from the interval already computed (see agreement)."""
    half = (result.ci_high - result.ci_low) / 2
    if math.isnan(half) or n_pairable_items == 0:
        return PrecisionPlan(None, n_pairable_items, None, half, target)
    needed = max(n_pairable_items, math.ceil(n_pairable_items * (half / target) ** 2))
    return PrecisionPlan(needed, n_pairable_items, needed - n_pairable_items, half, target)


def masi_with_ci(frame: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> AlphaResult:
    """Krippendorff's alpha with the MASI distance on label sets, with a percentile bootstrap over items.

    Each pairable item contributes n_i' D n_i / (m_i - 1) to the observed disagreement and
    n_i to the marginals, so a resample is a reweighting of those per-item sums.
    """
    sets = frame["value"].map(frozenset)
    codes, domain = pd.factorize(sets)
    item_idx, items = pd.factorize(frame["item"])
    n_raters = int(frame["rater"].nunique())
    if n_raters < 2:
        raise InsufficientDataError("only one rater gave labels: agreement needs items labelled by at least two raters")
    counts = np.zeros((len(items), len(domain)))
    np.add.at(counts, (item_idx, codes), 1)
    m = counts.sum(axis=1)
    counts = counts[m >= 2]
    m = m[m >= 2]
    if len(m) == 0:
        raise InsufficientDataError("no item has labels from two raters")
    d = np.array([[stats.masi_distance(a, b) for b in domain] for a in domain])
    observed_i = np.einsum("ic,ck,ik->i", counts, d, counts) / (m - 1)

    def alphas(weights: np.ndarray) -> np.ndarray:
        n_c = weights @ counts
        expected = np.einsum("bc,ck,bk->b", n_c, d, n_c)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1.0 - (n_c.sum(axis=1) - 1) * (weights @ observed_i) / expected
        return np.where(expected > 0, out, np.nan)

    point = float(alphas(np.ones((1, len(m))))[0])
    if math.isnan(point):
        raise NoVariationError("all label sets are identical: agreement is undefined when there is no variation")
    rng = np.random.default_rng(seed)
    chunk = max(1, 4_000_000 // len(m))
    boots = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        boots.append(alphas(rng.multinomial(len(m), np.full(len(m), 1 / len(m)), size=size).astype(float)))
    sample = np.concatenate(boots) if boots else np.array([np.nan])
    sample = sample[~np.isnan(sample)]
    low, high = (float(x) for x in np.percentile(sample, [2.5, 97.5])) if len(sample) else (np.nan, np.nan)
    return AlphaResult(point, low, high, len(items), n_raters, int(m.sum()), "nominal")


def _set_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Multi-label sets as single nominal labels ("a, b"), for exact-match statistics."""
    return frame.assign(value=frame["value"].map(_label_text))


# --------------------------------------------------------------------------- per criterion


@dataclass
class _Inputs:
    """What every criterion of a campaign shares: names, metadata, gold answers."""

    campaign: Campaign
    names: dict[int, str]
    metadata: dict[int, dict[str, Any]]
    gold: dict[int, dict[str, Any]]
    external_ids: dict[int, str]
    repeat_pairs: dict[str, pd.DataFrame] = field(default_factory=dict)

    def name(self, rater: Hashable) -> str:
        return self.names.get(int(rater), f"user {rater}")

    def fetch_external_ids(self, items: Sequence[Hashable]) -> None:
        """Read the external ids of the few items a page names (not one per label)."""
        missing = [int(i) for i in items if int(i) not in self.external_ids]
        if missing:
            self.external_ids.update(external_ids(self.campaign, missing))


def _status(exc: Exception) -> str:
    if isinstance(exc, NoVariationError):
        return "no_variation"
    if isinstance(exc, InsufficientDataError):
        return "insufficient_data"
    return "invalid"


def as_sentence(text: str) -> str:
    """An error's text as a sentence for the dashboard: capitalised, ending with a full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def criterion_agreement(
    frame: pd.DataFrame, criterion: Criterion, inputs: _Inputs, *, n_boot: int = 1000
) -> CriterionAgreement:
    """Alpha with its interval, the other coefficients and every diagnostic for one criterion's labels."""
    level, domain, multi = criterion.level, criterion.value_domain, criterion.is_multi_label
    base = CriterionAgreement(
        key=criterion.key,
        label=criterion.label,
        type=criterion.type,
        multi_label=multi,
        level=level,
        measure="Krippendorff's α with the MASI distance on label sets" if multi else f"Krippendorff's α ({level})",
        value_domain=[_label_text(v) for v in domain] if domain is not None else None,
        status="no_ratings",
        message="No ratings on this criterion yet.",
        n_labels=len(frame),
        n_items=int(frame["item"].nunique()),
        n_raters=int(frame["rater"].nunique()),
    )
    if frame.empty:
        return base
    nominal = _set_frame(frame) if multi else frame
    try:
        result = masi_with_ci(frame, n_boot) if multi else stats.alpha_with_ci(frame, level, domain, n_boot=n_boot)
    except (AgreementError, ValueError) as exc:
        result, status, message = None, _status(exc), as_sentence(str(exc))
    else:
        status, message = "ok", ""
    diag = _diagnostics(frame, nominal, criterion, level, domain, inputs, n_boot)
    extra: dict[str, Any] = {}
    if result is not None:
        extra = {
            "alpha": replace(
                result, value=float(result.value), ci_low=float(result.ci_low), ci_high=float(result.ci_high)
            ),
            "precision": precision_plan(result, agreement_diagnostics.pairable_items(frame)),
            "reading": reading(result),
        }
    return replace(
        base,
        status=status,
        message=message,
        percent_agreement=_try(lambda: number_or_none(stats.percent_agreement(nominal)), None),
        coefficients=_coefficients(nominal, criterion.agreement_level, criterion.agreement_domain, diag),
        **extra,
        **{k: v for k, v in diag.items() if not k.startswith("_")},
    )


def _coefficients(frame: pd.DataFrame, level: str, domain: list | None, diag: dict[str, Any]) -> list[Coefficient]:
    """Kappa-family coefficients that apply at this level."""
    out: list[Coefficient] = []
    raters = list(pd.unique(frame["rater"]))
    if level == "nominal":
        try:
            out.append(Coefficient("fleiss_kappa", "Fleiss' κ", number_or_none(stats.fleiss_kappa(frame))))
        except stats.UnequalRatingsError:
            out.append(Coefficient("fleiss_kappa", "Fleiss' κ", None, "n/a: unequal raters per item"))
        except AgreementError as exc:
            out.append(Coefficient("fleiss_kappa", "Fleiss' κ", None, f"n/a: {exc}"))
        out.append(_coefficient("gwet_ac1", "Gwet's AC1", lambda: stats.gwet_ac1(frame, domain)))
    if len(raters) == 2 and level in ("nominal", "ordinal"):
        weights = "quadratic" if level == "ordinal" else None
        name = "Cohen's κw (quadratic)" if weights else "Cohen's κ"
        out.append(
            _coefficient("cohen_kappa", name, lambda: stats.cohen_kappa(frame, raters[0], raters[1], weights, domain))
        )
    if level == "ordinal" and len(raters) > 2:
        values = diag.get("_kappa_values", [])
        mean = float(np.mean(values)) if values else None
        note = "" if values else "n/a: no pair of raters shares two items"
        out.append(Coefficient("mean_pairwise_kappa", "Mean pairwise κw (quadratic)", mean, note))
    return out


def _coefficient(key: str, name: str, fn: Callable[[], float]) -> Coefficient:
    try:
        return Coefficient(key, name, number_or_none(fn()))
    except AgreementError as exc:
        return Coefficient(key, name, None, f"n/a: {exc}")


def _diagnostics(
    frame: pd.DataFrame,
    nominal: pd.DataFrame,
    criterion: Criterion,
    level: str,
    domain: list | None,
    inputs: _Inputs,
    n_boot: int,
) -> dict[str, Any]:
    """Per-rater, per-item, per-slice and bias diagnostics; each is empty when the data cannot support it."""
    multi = criterion.is_multi_label
    work_level, work_domain = criterion.agreement_level, criterion.agreement_domain
    work = nominal if multi else frame
    out: dict[str, Any] = {}
    out["raters"] = _try(lambda: _rater_rows(work, work_level, work_domain, inputs), [])
    matrix = _try(lambda: _kappa_matrix(work, work_level, work_domain, inputs), None)
    out["kappa_matrix"] = matrix
    out["_kappa_values"] = (
        [c.value for i, row in enumerate(matrix.rows) for j, c in enumerate(row.cells) if j > i and c.value is not None]
        if matrix
        else []
    )
    out["distribution"] = _try(lambda: _distribution(frame, criterion, domain, inputs), None)
    # The histogram and the most disputed items rank the same per-item scores: score once.
    scored = _try(lambda: _scores(work, work_level, work_domain), None)
    out["disagreement"] = _try(lambda: _histogram(work, work_level, work_domain, scored), None)
    out["most_disputed"] = _try(lambda: _disputed(work, work_level, work_domain, inputs, scored), [])
    out["slices"] = _try(lambda: _slices(work, work_level, work_domain, inputs, n_boot), [])
    out["over_time"] = _try(lambda: _over_time(work, work_level, work_domain, n_boot), [])
    out["gold"] = _try(lambda: _gold(work, criterion, inputs), [])
    if multi:
        out["per_label"] = _try(lambda: _per_label(frame, domain), [])
    if criterion.compared_fields:
        out["position_bias"] = _try(lambda: _position_bias(frame, inputs), [])
        out["length_bias"] = _try(lambda: _length_bias(frame, criterion, inputs), [])
        out["triads_fields"] = _system_fields(criterion, inputs)
        out["triads"] = _try(lambda: _triads(frame, out["triads_fields"], inputs), [])
    out["test_retest"] = _try(lambda: _retest(criterion, work_level, work_domain, inputs), [])
    return out


def _rater_rows(frame: pd.DataFrame, level: str, domain: list | None, inputs: _Inputs) -> list[RaterRow]:
    table = agreement_diagnostics.rater_agreement(frame, level, domain)
    rows = []
    for rater, row in table.iterrows():
        rows.append(
            RaterRow(
                rater_id=int(rater),
                username=inputs.name(rater),
                n_labels=int(row["n_labels"]),
                n_compared=int(row["n_compared"]),
                alpha_without=number_or_none(row.get("alpha_without")),
                agreement_with_others=number_or_none(row.get("agreement_with_others")),
                mean_abs_diff=number_or_none(row.get("mean_abs_diff")),
                correlation=number_or_none(row.get("correlation")),
            )
        )
    return sorted(rows, key=lambda r: r.username)


def _kappa_matrix(frame: pd.DataFrame, level: str, domain: list | None, inputs: _Inputs) -> KappaMatrix | None:
    if level not in ("nominal", "ordinal"):
        return None
    # The busiest raters, so a crowd of occasional raters does not make the matrix unreadable.
    top = frame["rater"].value_counts().head(MAX_MATRIX_RATERS).index
    subset = frame[frame["rater"].isin(top)]
    weights = "quadratic" if level == "ordinal" else None
    kappa, shared = _pairwise_kappa(subset, weights, domain)
    order = sorted(pd.unique(subset["rater"]), key=inputs.name)
    rows = []
    for a in order:
        row = []
        for b in order:
            value = None if a == b else kappa.get(frozenset((a, b)))
            n_shared = shared.get(a if a == b else frozenset((a, b)), 0)
            row.append(KappaCell(value, n_shared, _cell_bucket(a == b, value, n_shared)))
        rows.append(KappaRow(inputs.name(a), row))
    return KappaMatrix([inputs.name(r) for r in order], weights or "none", rows)


def _cell_bucket(self_pair: bool, value: float | None, n_shared: int) -> str:
    """A matrix cell's CSS class: the rater's own cell, its kappa band, or grey on too few shared items to judge."""
    if self_pair:
        return "k-self"
    return kappa_bucket(value) if n_shared >= MIN_PAIRABLE_ITEMS else "k-na"


def _pairwise_kappa(
    frame: pd.DataFrame, weights: str | None, domain: list | None
) -> tuple[dict[frozenset, float | None], dict[Any, int]]:
    """Cohen's kappa per pair of raters (>= 2 shared items) and shared item counts, keyed for the matrix."""
    # Without a domain the matrix orders the observed values as alpha does (numbers by value).
    result = agreement_diagnostics.pairwise_kappa_matrix(frame[["item", "rater", "value"]], weights, domain)
    raters = list(result.kappa.index)
    kappa: dict[frozenset, float | None] = {}
    shared: dict[Any, int] = {r: int(result.n_shared.loc[r, r]) for r in raters}
    for i, a in enumerate(raters):
        for b in raters[i + 1 :]:
            n = int(result.n_shared.loc[a, b])
            shared[frozenset((a, b))] = n
            if n >= 2:
                kappa[frozenset((a, b))] = number_or_none(result.kappa.loc[a, b])
    return kappa, shared


def _distribution(
    frame: pd.DataFrame, criterion: Criterion, domain: list | None, inputs: _Inputs
) -> Distribution | None:
    # A distribution counts each value: numbers on a continuous range have none to count.
    if criterion.value_kind == "number":
        return None
    if criterion.is_multi_label:
        exploded = frame.explode("value").dropna(subset=["value"])
        # One row per chosen label: key the rows by (item, label) so each rater still labels each "item" once.
        exploded = exploded.assign(item=exploded["item"].astype(str) + "\x1f" + exploded["value"].astype(str))
        known = set(domain or [])
        extra = sorted({v for v in exploded["value"] if v not in known}, key=str)
        table = agreement_diagnostics.label_distribution(exploded, [*(domain or []), *extra])
    else:
        table = agreement_diagnostics.label_distribution(frame, domain)
    values = list(table["count"].columns)
    rows = []
    for rater in table.index:
        name = "all raters" if rater == stats.ALL_RATERS else inputs.name(rater)
        rows.append(
            DistributionRow(
                username=name,
                n_labels=int(table.loc[rater, ("n_labels", "")]),
                counts=[int(table.loc[rater, ("count", v)]) for v in values],
                shares=[number_or_none(table.loc[rater, ("share", v)]) or 0.0 for v in values],
            )
        )
    rows = sorted(rows[:-1], key=lambda r: r.username) + rows[-1:]
    return Distribution([_label_text(v) for v in values], rows)


def _scores(frame: pd.DataFrame, level: str, domain: list | None) -> tuple[pd.DataFrame, str]:
    table = agreement_diagnostics.item_disagreement(frame, level, domain)
    table = table[table["n_ratings"] >= 2]
    column = "entropy" if level == "nominal" else "std"
    return table.assign(score=table[column].astype(float)), column


def _histogram(
    frame: pd.DataFrame, level: str, domain: list | None, scored: tuple[pd.DataFrame, str] | None = None
) -> Histogram | None:
    table, column = scored or _scores(frame, level, domain)
    if table.empty:
        return None
    scores = table["score"].to_numpy()
    top = float(scores.max())
    if level == "nominal":
        measure = "entropy of the labels (bits)"
        n_values = len(domain) if domain else max(2, int(frame["value"].nunique()))
        top = max(top, math.log2(min(n_values, int(table["n_ratings"].max()))))
        edges = np.linspace(0, top if top > 0 else 1, 9)
    else:
        measure = "standard deviation of the labels" + (" (scale steps)" if level == "ordinal" else "")
        step = 0.25 if level == "ordinal" else (top / 8 if top > 0 else 0.25)
        edges = np.arange(0, max(top, step) + step, step)
        if len(edges) < 2:
            edges = np.array([0.0, step])
    counts, edges = np.histogram(scores, bins=edges)
    bins = [f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    return Histogram(measure, bins, [int(c) for c in counts], len(scores), int((scores == 0).sum()))


def _labels_by_item(frame: pd.DataFrame, items: Sequence[int], inputs: _Inputs) -> dict[int, list[tuple[str, str]]]:
    subset = frame[frame["item"].isin(list(items))]
    out: dict[int, list[tuple[str, str]]] = {int(i): [] for i in items}
    for item, rater, value in subset[["item", "rater", "value"]].itertuples(index=False):
        out[int(item)].append((inputs.name(rater), _label_text(value)))
    return {k: sorted(v) for k, v in out.items()}


def _disputed(
    frame: pd.DataFrame,
    level: str,
    domain: list | None,
    inputs: _Inputs,
    scored: tuple[pd.DataFrame, str] | None = None,
) -> list[DisputedItem]:
    table, _ = scored or _scores(frame, level, domain)
    table = table[table["score"] > 0].head(N_DISPUTED)
    labels = _labels_by_item(frame, list(table.index), inputs)
    inputs.fetch_external_ids(table.index)
    return [
        DisputedItem(
            campaign_item_id=int(item),
            external_id=inputs.external_ids.get(int(item), str(item)),
            score=float(row["score"]),
            n_ratings=int(row["n_ratings"]),
            labels=labels[int(item)],
        )
        for item, row in table.iterrows()
    ]


def slice_fields(metadata: Mapping[int, Mapping[str, Any]], items: Sequence[int]) -> dict[str, dict[int, str]]:
    """Metadata fields worth slicing by: scalar values, 2 to MAX_SLICE_VALUES distinct values among the items."""
    # Items with identical metadata share one dict (see item_metadata): read each dict once
    # and hand its values to all of its items, rather than walking every item's fields.
    empty: Mapping[str, Any] = {}
    groups: dict[int, tuple[Mapping[str, Any], list[int]]] = {}
    for item in items:
        meta = metadata.get(int(item)) or empty
        group = groups.get(id(meta))
        if group is None:
            groups[id(meta)] = (meta, [int(item)])
        else:
            group[1].append(int(item))
    values: dict[str, dict[int, str]] = {}
    for meta, members in groups.values():
        for name, value in meta.items():
            if isinstance(value, str | int | float | bool) and value != "":
                values.setdefault(str(name), {}).update(dict.fromkeys(members, _label_text(value)))
    keep = {}
    for name in sorted(values):
        distinct = len(set(values[name].values()))
        if 2 <= distinct <= MAX_SLICE_VALUES:
            keep[name] = values[name]
    return dict(list(keep.items())[:MAX_SLICE_FIELDS])


def _slices(frame: pd.DataFrame, level: str, domain: list | None, inputs: _Inputs, n_boot: int) -> list[SliceTable]:
    tables = []
    for name, mapping in slice_fields(inputs.metadata, pd.unique(frame["item"]).tolist()).items():
        table = agreement_diagnostics.alpha_by_slice(frame, mapping, level, domain, n_boot=min(n_boot, SLICE_BOOT))
        rows = [
            SliceRow(
                value=str(value),
                alpha=number_or_none(row["value"]),
                ci_low=number_or_none(row["ci_low"]),
                ci_high=number_or_none(row["ci_high"]),
                n_items=int(row["n_items"]),
                n_raters=int(row["n_raters"]),
                n_pairable=int(row["n_pairable"]),
                reason=as_sentence(row["reason"]) if row["reason"] else "",
                n_pairable_items=int(row["n_pairable_items"]),
                too_few=int(row["n_pairable_items"]) < MIN_PAIRABLE_ITEMS,
            )
            for value, row in table.iterrows()
        ]
        tables.append(SliceTable(name, rows))
    return tables


PERIOD_UNITS = {"h": "hour", "D": "day", "W": "week"}


def _period(times: pd.Series) -> str:
    """The period of the curve over time: hours for labels within a day, days up to two months, weeks beyond."""
    # A curve needs two points: a campaign rated within one day would otherwise be a single daily dot.
    span = times.max() - times.min()
    if span < pd.Timedelta(days=1):
        return "h"
    return "D" if span <= pd.Timedelta(days=62) else "W"


def _period_label(period: pd.Period) -> str:
    """A period in words for the chart's axis: "6 Dec 14:00", "6 Dec 2026", "week of 30 Nov 2026"."""
    start = period.start_time
    if period.freqstr.startswith("h"):
        return f"{start.day} {start:%b %H:%M}"
    if period.freqstr.startswith("W"):
        return f"week of {start.day} {start:%b %Y}"
    return f"{start.day} {start:%b %Y}"


def _over_time(frame: pd.DataFrame, level: str, domain: list | None, n_boot: int) -> list[TimePoint]:
    times = pd.to_datetime(frame["time"], utc=True)
    freq = _period(times)
    naive = frame.assign(time=times.dt.tz_convert(None))
    table = agreement_diagnostics.alpha_over_time(
        naive, level, freq, value_domain=domain, n_boot=min(n_boot, TIME_BOOT)
    )
    return [
        TimePoint(
            period=str(period),
            n_labels=int(row["n_labels"]),
            alpha=number_or_none(row["value"]),
            ci_low=number_or_none(row["ci_low"]),
            ci_high=number_or_none(row["ci_high"]),
            reason=as_sentence(row["reason"]) if row["reason"] else "",
            label=_period_label(period),
            unit=PERIOD_UNITS[freq],
            n_pairable_items=int(row["n_pairable_items"]),
            too_few=int(row["n_pairable_items"]) < MIN_PAIRABLE_ITEMS,
        )
        for period, row in table.iterrows()
    ]


def _gold(frame: pd.DataFrame, criterion: Criterion, inputs: _Inputs) -> list[GoldRow]:
    key, multi = criterion.key, criterion.is_multi_label
    gold = {}
    for item, answer in inputs.gold.items():
        if key in answer and answer[key] is not None:
            value = answer[key]
            gold[item] = _label_text(tuple(sorted(map(str, value)))) if multi and isinstance(value, list) else value
    if not gold or not frame["item"].isin(list(gold)).any():
        return []
    table = agreement_diagnostics.gold_accuracy(frame, gold)
    rows = [
        GoldRow(inputs.name(r), int(row["n"]), int(row["correct"]), number_or_none(row["accuracy"]))
        for r, row in table.iterrows()
    ]
    return sorted(rows, key=lambda r: r.username)


def _per_label(frame: pd.DataFrame, domain: list | None) -> list[LabelAlpha]:
    result = stats.multilabel_alpha_per_label(frame, domain)
    return [LabelAlpha(str(label), number_or_none(value)) for label, value in result.items()]


def _choices(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairwise labels as A/B/tie (graded scales: negative prefers A, positive B)."""

    def side(value: Any) -> str:
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
            return "A" if value < 0 else "B" if value > 0 else "tie"
        return str(value)

    return frame.assign(value=frame["value"].map(side))


def _bias_rows(table: pd.DataFrame, chosen: str, share: str, inputs: _Inputs) -> list[BiasRow]:
    rows = [
        BiasRow(
            inputs.name(r), int(row["n"]), int(row[chosen]), number_or_none(row[share]), number_or_none(row["p_value"])
        )
        for r, row in table.iterrows()
    ]
    return sorted(rows, key=lambda r: r.username)


def _position_bias(frame: pd.DataFrame, inputs: _Inputs) -> list[BiasRow]:
    shown = presentation_frame(inputs.campaign)
    if shown.empty:
        return []
    choices = _choices(frame).merge(shown, on=["item", "rater"])
    if choices.empty:
        return []
    return _bias_rows(agreement_bias.position_bias(choices), "left", "left_share", inputs)


def _length_bias(frame: pd.DataFrame, criterion: Criterion, inputs: _Inputs) -> list[BiasRow]:
    fields = criterion.compared_fields
    lengths = content_lengths(inputs.campaign, list(fields))
    len_a, len_b = lengths[fields[0]], lengths[fields[1]]
    choices = _choices(frame)
    choices = choices[choices["item"].isin(list(len_a))]
    if choices.empty:
        return []
    return _bias_rows(agreement_bias.length_bias(choices, len_a, len_b), "longer", "longer_share", inputs)


def _system_fields(criterion: Criterion, inputs: _Inputs) -> tuple[str, str] | None:
    """The metadata fields naming the systems behind sides A and B, e.g. model_a and model_b.

    The campaign's system field F names them F_a and F_b where it is set. Otherwise, by convention, a pair's
    metadata names each side's system with the side's suffix: content fields response_a/response_b go with
    metadata such as model_a/model_b.
    """
    fields = criterion.compared_fields
    suffix_a, suffix_b = (f"_{name.rsplit('_', 1)[-1]}" for name in fields)
    if inputs.campaign.system_field:
        return f"{inputs.campaign.system_field}_a", f"{inputs.campaign.system_field}_b"
    keys = {key for meta in inputs.metadata.values() for key in meta}
    for key in sorted(keys):
        if key.endswith(suffix_a) and f"{key[: -len(suffix_a)]}{suffix_b}" in keys:
            return key, f"{key[: -len(suffix_a)]}{suffix_b}"
    return None


def _triads(frame: pd.DataFrame, system_fields: tuple[str, str] | None, inputs: _Inputs) -> list[TriadRow]:
    if system_fields is None:
        return []
    field_a, field_b = system_fields
    choices = _choices(frame)
    meta = choices["item"].map(lambda item: inputs.metadata.get(int(item), {}))
    prefs = pd.DataFrame(
        {
            "rater": choices["rater"],
            "option_x": meta.map(lambda m: m.get(field_a)),
            "option_y": meta.map(lambda m: m.get(field_b)),
        }
    )
    prefs["winner"] = np.where(
        choices["value"] == "A", prefs["option_x"], np.where(choices["value"] == "B", prefs["option_y"], None)
    )
    prefs = prefs.dropna(subset=["option_x", "option_y"])
    if prefs.empty:
        return []
    table = agreement_bias.intransitive_triads(prefs)
    rows = [
        TriadRow(
            inputs.name(r),
            int(row["n_judgements"]),
            int(row["n_options"]),
            int(row["triads_checked"]),
            int(row["intransitive"]),
        )
        for r, row in table.iterrows()
    ]
    return sorted(rows, key=lambda r: r.username)


def _retest(criterion: Criterion, level: str, domain: list | None, inputs: _Inputs) -> list[RetestRow]:
    pairs = inputs.repeat_pairs.get(criterion.key)
    if pairs is None:
        pairs = repeat_pairs_frame(inputs.campaign, criterion.key, criterion=criterion)
    if pairs.empty:
        return []
    if criterion.is_multi_label:
        pairs = pairs.assign(first=pairs["first"].map(_label_text), repeat=pairs["repeat"].map(_label_text))
    first = pairs.rename(columns={"first": "value"})[["item", "rater", "value"]]
    again = pairs.rename(columns={"repeat": "value"})[["item", "rater", "value"]]
    table = agreement_bias.test_retest(first, again, level, domain)
    rows = [
        RetestRow(
            inputs.name(r),
            int(row["n_repeated"]),
            number_or_none(row["exact_agreement"]),
            number_or_none(row["alpha"]),
            too_few=int(row["n_repeated"]) < MIN_PAIRABLE_ITEMS,
        )
        for r, row in table.iterrows()
    ]
    return sorted(rows, key=lambda r: r.username)


def _speed_note(row: pd.Series) -> str:
    """Why a rater is marked implausibly fast, or why their pace is not judged; "" for a plausible pace."""
    if row["n_timed"] < SPEED_MIN_TIMED:
        return f"Fewer than {SPEED_MIN_TIMED} timed items: too few to judge."
    if not row["fast"]:
        return ""
    median, others = float(row["median_seconds"]), float(row["others_median"])
    reasons = []
    if median < SPEED_FLOOR_SECONDS:
        reasons.append(f"under {SPEED_FLOOR_SECONDS:g} s per item")
    if not math.isnan(others) and median < SPEED_RATIO * others:
        reasons.append(f"under {SPEED_RATIO:.0%} of the other raters' typical {others:.1f} s")
    return f"Median {median:.1f} s: " + " and ".join(reasons) + "."


def rater_speed(campaign: Campaign, names: Mapping[int, str]) -> RaterSpeed | None:
    """Each rater's median seconds per item over their first-time ratings, with implausibly fast raters marked."""
    seconds = rating_seconds_frame(campaign)
    # Imported ratings carry no timing: a table of dashes would say nothing.
    if not seconds["seconds"].notna().any():
        return None
    missing = [int(r) for r in pd.unique(seconds["rater"]) if int(r) not in names]
    names = {**names, **usernames(missing)} if missing else names
    table = agreement_diagnostics.rater_speed(seconds, SPEED_FLOOR_SECONDS, SPEED_RATIO, SPEED_MIN_TIMED)
    rows = [
        SpeedRow(
            rater_id=int(rater),
            username=names.get(int(rater), f"user {rater}"),
            n_rated=int(row["n_rated"]),
            n_timed=int(row["n_timed"]),
            median_seconds=number_or_none(row["median_seconds"]),
            fast=bool(row["fast"]),
            note=_speed_note(row),
        )
        for rater, row in table.iterrows()
    ]
    return RaterSpeed(SPEED_RULE, sorted(rows, key=lambda r: r.username))


# --------------------------------------------------------------------------- campaign


def _cache_key(campaign: Campaign, criterion_key: str | None, n_boot: int, fingerprint: str) -> str:
    scope = criterion_key or "*"
    return (
        f"ratings:agreement:v{CACHE_VERSION}:{campaign.pk}:{campaign.rubric_version_id}:{scope}:{n_boot}:{fingerprint}"
    )


def agreement_criteria(campaign: Campaign) -> list[Criterion]:
    """The criteria of the campaign's rubric that have an agreement level (free text has none)."""
    return [c for c in campaign.rubric_version.typed_criteria if c.has_agreement]


def agreement_key(campaign: Campaign, *, n_boot: int = 1000) -> str:
    """The key of the campaign's whole report as its ratings stand now."""
    return _cache_key(campaign, None, n_boot, ratings_fingerprint(campaign))


def report_key(campaign: Campaign, report: CampaignAgreement) -> str:
    """The key of a computed whole report: the ratings it was computed from."""
    return _cache_key(campaign, None, report.n_boot, report.fingerprint)


def criterion_require(campaign: Campaign, criterion_key: str | None) -> None:
    """Refuse a criterion key the campaign's rubric does not have (None asks for every criterion)."""
    criteria = campaign.rubric_version.typed_criteria
    if criterion_key is not None and not any(c.key == criterion_key for c in criteria):
        raise UnknownCriterionError(f"the rubric of campaign {campaign.slug!r} has no criterion {criterion_key!r}")


def campaign_agreement(
    campaign: Campaign, *, criterion_key: str | None = None, n_boot: int = 1000
) -> CampaignAgreement:
    """Agreement per criterion of the campaign (or one criterion), served from cache while no rating changes."""
    criterion_require(campaign, criterion_key)
    fingerprint = ratings_fingerprint(campaign)
    whole = cache.get(_cache_key(campaign, None, n_boot, fingerprint))
    if whole is not None:
        return whole if criterion_key is None else only_criterion(whole, criterion_key)
    key = _cache_key(campaign, criterion_key, n_boot, fingerprint)
    report = cache.get(key)
    if report is None:
        report = _compute(campaign, criterion_key, n_boot, fingerprint)
        cache.set(key, report, CACHE_SECONDS)
    return report


def only_criterion(report: CampaignAgreement, criterion_key: str) -> CampaignAgreement:
    """The report cut down to one criterion."""
    return replace(
        report,
        criteria=[c for c in report.criteria if c.key == criterion_key],
        skipped=[s for s in report.skipped if s.key == criterion_key],
    )


def _compute(campaign: Campaign, criterion_key: str | None, n_boot: int, fingerprint: str) -> CampaignAgreement:
    wanted = [c for c in campaign.rubric_version.typed_criteria if criterion_key in (None, c.key)]
    rated = [c for c in wanted if c.has_agreement]
    # One read per criterion serves agreement (first labels) and test-retest (repeats); the time
    # column feeds alpha over time; external ids are read later for the few items shown.
    frames, pairs = {}, {}
    for c in rated:
        labels = ratings_frame(campaign, c.key, criterion=c, columns=DASHBOARD_COLUMNS, include_repeats=True)
        repeat = labels["is_repeat"].to_numpy()
        frames[c.key] = labels.loc[~repeat, DASHBOARD_COLUMNS].reset_index(drop=True)
        pairs[c.key] = repeat_pairs(frames[c.key], labels.loc[repeat, DASHBOARD_COLUMNS])
    rater_ids = {int(r) for f in frames.values() for r in pd.unique(f["rater"])}
    inputs = _Inputs(
        campaign=campaign,
        names=usernames(rater_ids),
        metadata=item_metadata(campaign),
        gold=gold_answers(campaign),
        external_ids={},
        repeat_pairs=pairs,
    )
    version = campaign.rubric_version
    judges = judge_report.campaign_judges(campaign, rated, n_boot=n_boot)
    return CampaignAgreement(
        campaign_slug=campaign.slug,
        campaign_name=campaign.name,
        rubric_name=version.rubric.name,
        rubric_version=version.number,
        fingerprint=fingerprint,
        computed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        n_boot=n_boot,
        criteria=[
            replace(criterion_agreement(frames[c.key], c, inputs, n_boot=n_boot), judges=judges.get(c.key, ()))
            for c in rated
        ],
        skipped=[
            SkippedCriterion(c.key, c.label, "free text has no level of measurement")
            for c in wanted
            if not c.has_agreement
        ],
        min_pairable_items=MIN_PAIRABLE_ITEMS,
        rater_speed=rater_speed(campaign, inputs.names),
    )


# --------------------------------------------------------------------------- drill-down


@dataclass(frozen=True)
class ItemRow:
    """One campaign item on the drill-down list: every rater's label and the disagreement score."""

    campaign_item_id: int
    external_id: str
    score: float | None
    n_ratings: int
    labels: list[tuple[str, str]]


def agreement_item_rows(
    campaign: Campaign,
    criterion: Criterion,
    *,
    field_name: str = "",
    field_value: str = "",
    rater: str = "",
    order: str = "disagreement",
) -> list[ItemRow]:
    """Items rated on the criterion with their labels per rater, filtered by a metadata value or a rater."""
    frame = ratings_frame(campaign, criterion.key, criterion=criterion)
    if frame.empty:
        return []
    names = usernames(pd.unique(frame["rater"]).tolist())
    if field_name:
        meta = item_metadata(campaign)
        keep = [i for i, m in meta.items() if _label_text(m.get(field_name, "")) == field_value and field_value != ""]
        frame = frame[frame["item"].isin(keep)]
    if rater:
        ids = [pk for pk, name in names.items() if name == rater]
        frame = frame[frame["item"].isin(frame.loc[frame["rater"].isin(ids), "item"])]
    if frame.empty:
        return []
    work = _set_frame(frame) if criterion.is_multi_label else frame
    level, domain = criterion.agreement_level, criterion.agreement_domain
    scores = _try(lambda: agreement_diagnostics.item_disagreement(work, level, domain), None)
    column = "entropy" if level == "nominal" else "std"
    inputs = _Inputs(campaign, names, {}, {}, {})
    labels = _labels_by_item(work, list(pd.unique(work["item"])), inputs)
    external = dict(zip(frame["item"].tolist(), frame["item_external_id"].tolist(), strict=True))
    rows = [
        ItemRow(
            campaign_item_id=int(item),
            external_id=str(external[int(item)]),
            score=number_or_none(scores.loc[item, column]) if scores is not None and item in scores.index else None,
            n_ratings=len(labels[int(item)]),
            labels=labels[int(item)],
        )
        for item in labels
    ]
    if order == "item":
        return sorted(rows, key=lambda r: r.external_id)
    return sorted(rows, key=lambda r: (-(r.score if r.score is not None else -1), r.external_id))
