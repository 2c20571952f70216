"""A campaign's leaderboard for one criterion: which system behind the rated outputs is better, and how sure.

The statistics are ratings.leaderboard (no Django); this module picks the system field, reads the pool's labels
in bulk (machine raters stay out unless the campaign opted them in), turns them into judgements or scores per
system, words the verdict, and caches the result under the fingerprint of the ratings (and, for final labels,
of the adjudications) so it is recomputed only when they change.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Max
from django.db.models.fields.json import KeyTextTransform

from annotate.criteria import Criterion
from annotate.models import Campaign, CampaignItem
from ratings import leaderboard as stats
from ratings.final_labels import (
    AMBIGUOUS,
    DAWID_SKENE,
    current_adjudications,
    dawid_skene_criteria,
    dawid_skene_estimates,
    final_label,
    hashable,
    item_estimate,
    plain_value,
)
from ratings.models import Adjudication
from ratings.selectors import ALPHA_COLUMNS, presentation_frame, ratings_fingerprint, ratings_frame, usernames

PAIRWISE = "pairwise"
MEAN = "mean"
RATE = "rate"
# Whose labels count: one final label per item, or every rating of the pool.
FINAL = "final"
ALL = "all"
LABELS = (FINAL, ALL)
LABEL_WORDS = {FINAL: "final labels", ALL: "all ratings"}
DEFAULT_LABELS = ALL
# Metadata names preferred when a campaign names no system field.
PREFERRED_FIELDS = ("model", "system")
CACHE_SECONDS = 6 * 60 * 60
CACHE_VERSION = 1


class LeaderboardInputError(ValueError):
    """A query value the leaderboard cannot use; `field` names the parameter, `value` what was given."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


@dataclass(frozen=True)
class LeftOut:
    """Judgements or items a figure leaves out, and why."""

    reason: str
    n: int


@dataclass(frozen=True)
class RaterPosition:
    """One rater's share of non-tie choices for the left output, with an exact binomial test."""

    username: str
    n: int
    left: int
    share: float | None
    p_value: float | None


@dataclass(frozen=True)
class PositionSection:
    """Position bias beside the leaderboard: the pooled share, per rater, and the refit with the order as covariate."""

    share: stats.PositionShare
    raters: tuple[RaterPosition, ...]
    model: stats.PositionModel | None
    # Pool ratings without a recorded order, left out of the above.
    n_unknown: int
    # How the refit changes the order, in words; "" when it does not.
    ranking_changes: str
    message: str


@dataclass(frozen=True)
class Leaderboard:
    """What the leaderboard page and API show for one criterion of a campaign."""

    campaign_slug: str
    criterion_key: str
    criterion_label: str
    kind: str | None
    labels: str
    # "ok", "not_applicable" (no ranking for this criterion), "no_system_field", or "no_data".
    status: str
    message: str
    system_field: str | None
    system_field_guessed: bool
    metadata_fields: tuple[str, ...]
    verdict: str
    n_items: int
    n_judgements: int
    n_raters: int
    left_out: tuple[LeftOut, ...]
    ranking: stats.BradleyTerryResult | None
    position: PositionSection | None
    pointwise: stats.PointwiseResult | None
    n_boot: int
    computed_at: datetime

    @property
    def ok(self) -> bool:
        """Whether there is a ranking to show."""
        return self.status == "ok"

    @property
    def is_rate(self) -> bool:
        """Whether the ranking is of a flag's share of yes."""
        return self.kind == RATE

    @property
    def labels_words(self) -> str:
        """Which labels count, in words."""
        return LABEL_WORDS[self.labels]


# --------------------------------------------------------------------------- criteria and the system field


def leaderboard_kind(criterion: Criterion) -> str | None:
    """How a criterion ranks systems: pairwise preferences, a mean score, a flag's rate, or not at all (None)."""
    if criterion.compared_fields:
        return PAIRWISE
    domain = criterion.value_domain
    if domain and all(isinstance(v, bool) for v in domain):
        return RATE
    if criterion.value_kind == "number":
        return MEAN
    numeric = bool(domain) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in domain)
    if criterion.value_kind == "choice" and numeric and criterion.agreement_level != "nominal":
        return MEAN
    return None


def leaderboard_criteria(campaign: Campaign) -> list[Criterion]:
    """The criteria of the campaign's rubric that rank systems."""
    return [c for c in campaign.rubric_version.typed_criteria if leaderboard_kind(c) is not None]


def _pairwise_bases(fields: Iterable[str]) -> list[str]:
    """Metadata names F for which both F_a and F_b exist, preferred names first, then alphabetical."""
    names = set(fields)
    bases = sorted({f[:-2] for f in names if f.endswith("_a") and f"{f[:-2]}_b" in names and f[:-2]})
    return sorted(
        bases, key=lambda b: (PREFERRED_FIELDS.index(b) if b in PREFERRED_FIELDS else len(PREFERRED_FIELDS), b)
    )


def system_field_guess(campaign: Campaign) -> str | None:
    """The system field guessed from the dataset's metadata fields, whatever the campaign has set.

    Pairwise rubrics: a name F such that F_a and F_b both exist ("model" first, then "system", then
    alphabetical). Otherwise "model", then "system", if the metadata has it.
    """
    fields = list(campaign.dataset.metadata_fields or [])
    if any(c.compared_fields for c in campaign.rubric_version.typed_criteria):
        bases = _pairwise_bases(fields)
        if bases:
            return bases[0]
    return next((f for f in PREFERRED_FIELDS if f in fields), None)


def system_field_for(campaign: Campaign) -> str | None:
    """The item metadata field naming the system behind an output: the campaign's setting, else the guess."""
    return campaign.system_field.strip() or system_field_guess(campaign)


def item_systems(campaign: Campaign, fields: tuple[str, ...]) -> pd.DataFrame:
    """Per campaign item, the named metadata fields as text (None where missing), read in one query."""
    names = {f"f{i}": KeyTextTransform(field, "item__metadata") for i, field in enumerate(fields)}
    rows = CampaignItem.objects.filter(campaign=campaign).annotate(**names).order_by().values_list("pk", *names)
    frame = pd.DataFrame.from_records(list(rows), columns=["item", *fields])
    for field in fields:
        # Thousands of items name a handful of systems: clean each distinct name once.
        codes, distinct = pd.factorize(frame[field].astype(object), use_na_sentinel=True)
        cleaned = np.array([_system_name(name) for name in distinct] + [None], dtype=object)
        frame[field] = cleaned[codes]
    return frame


def _system_name(value: Any) -> str | None:
    """A metadata value as a system name (SQLite hands back JSON numbers as numbers); blank is missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


# --------------------------------------------------------------------------- reading labels


def pool_frame(campaign: Campaign, criterion: Criterion) -> pd.DataFrame:
    """The pool's first-time ratings on the criterion: columns item, rater, value (one bulk read)."""
    return ratings_frame(campaign, criterion.key, criterion=criterion, columns=ALPHA_COLUMNS, who="pool")


def _labels_frame(
    campaign: Campaign, criterion: Criterion, labels: str, pool: pd.DataFrame
) -> tuple[pd.DataFrame, list[LeftOut]]:
    """Columns item, rater, value: every pool rating, or one final label per item (rater -1)."""
    if labels == ALL:
        return pool, []
    return _final_frame(campaign, criterion, pool)


def _final_frame(campaign: Campaign, criterion: Criterion, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[LeftOut]]:
    """One final label per item: the adjudicated value where decided, else the campaign's aggregate of the pool."""
    decisions = {
        item: decision
        for (item, key), decision in current_adjudications(campaign).items()
        if key == criterion.key and decision.outcome != Adjudication.Outcome.SEND_BACK
    }
    estimates = None
    if campaign.final_label_method == DAWID_SKENE and dawid_skene_criteria([criterion]):
        estimates = dawid_skene_estimates(campaign, [criterion]).get(criterion.key)
    values = _values_by_item(frame)
    rows, ambiguous, undecided = [], 0, 0
    # Without a decision or an estimate an item's final label depends on its values alone, and items share a few
    # value lists ([A, B], [A, A], ...): each list is aggregated once (benchmarks/leaderboard.py, final labels).
    by_values: dict[tuple, Any] = {}
    for item in sorted(set(values) | set(decisions)):
        answers, decision, estimate = values.get(item, []), decisions.get(item), item_estimate(estimates, item)
        if decision is None and estimate is None:
            key = tuple(hashable(v) for v in answers)
            label = by_values.get(key)
            if label is None:
                label = by_values[key] = final_label(criterion, answers)
        else:
            label = final_label(criterion, answers, adjudication=decision, estimate=estimate)
        if label.method == AMBIGUOUS:
            ambiguous += 1
        elif label.value is None:
            undecided += 1
        else:
            rows.append((item, -1, plain_value(label.value)))
    left_out = [
        LeftOut("marked genuinely ambiguous by an adjudicator", ambiguous),
        LeftOut("no final label: the raters split evenly and no adjudicator decided", undecided),
    ]
    return pd.DataFrame.from_records(rows, columns=["item", "rater", "value"]), [x for x in left_out if x.n]


def _values_by_item(frame: pd.DataFrame) -> dict[int, list[Any]]:
    """Each item's values as stored answers hold them (plain Python values), grouped without a Python groupby."""
    if frame.empty:
        return {}
    order = np.argsort(frame["item"].to_numpy(), kind="stable")
    items = frame["item"].to_numpy()[order]
    codes, distinct = pd.factorize(frame["value"].to_numpy(dtype=object)[order])
    plain = [plain_value(v) for v in distinct]
    starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
    groups = np.split(codes, starts[1:])
    return {int(item): [plain[c] for c in group] for item, group in zip(items[starts], groups, strict=True)}


# --------------------------------------------------------------------------- the report


def campaign_leaderboard(
    campaign: Campaign, *, criterion_key: str | None = None, labels: str = DEFAULT_LABELS, n_boot: int = stats.N_BOOT
) -> Leaderboard:
    """The leaderboard of one criterion (the first that ranks systems by default), cached while nothing changes.

    LeaderboardInputError names the parameter when the criterion or the labels are not ones this campaign has.
    """
    criterion = criterion_require(campaign, criterion_key)
    if labels not in LABELS:
        raise LeaderboardInputError("labels", labels, f"labels: {labels!r} is not one of {', '.join(LABELS)}")
    if criterion is None:
        raise LeaderboardInputError(
            "criterion",
            criterion_key or "",
            "criterion: this campaign's rubric has no criterion that ranks systems "
            "(a pairwise preference, a scale, a number or a yes/no flag)",
        )
    key = _cache_key(campaign, criterion, labels, n_boot)
    found = cache.get(key)
    if found is None:
        found = build_leaderboard(campaign, criterion, labels=labels, n_boot=n_boot)
        cache.set(key, found, CACHE_SECONDS)
    return found


def criterion_require(campaign: Campaign, criterion_key: str | None) -> Criterion | None:
    """The criterion named (None asks for the first that ranks systems); LeaderboardInputError for others."""
    criteria = leaderboard_criteria(campaign)
    if not criterion_key:
        return criteria[0] if criteria else None
    chosen = next((c for c in criteria if c.key == criterion_key), None)
    if chosen is None:
        known = ", ".join(c.key for c in criteria) or "none"
        raise LeaderboardInputError(
            "criterion",
            criterion_key,
            f"criterion: {criterion_key!r} is not a criterion of this campaign that ranks systems "
            f"(choose from {known})",
        )
    return chosen


def _cache_key(campaign: Campaign, criterion: Criterion, labels: str, n_boot: int) -> str:
    # A decision changes final labels without touching a rating.
    decided = adjudications_fingerprint(campaign) if labels == FINAL else "-"
    field = system_field_for(campaign) or ""
    return ":".join(
        str(part)
        for part in (
            f"accord:leaderboard:v{CACHE_VERSION}",
            campaign.pk,
            campaign.rubric_version_id,
            criterion.key,
            labels,
            n_boot,
            # A field name may be long: a cache key must stay short.
            hashlib.blake2s(field.encode(), digest_size=8).hexdigest(),
            int(campaign.machine_raters_in_pool),
            campaign.final_label_method,
            ratings_fingerprint(campaign),
            decided,
        )
    )


def adjudications_fingerprint(campaign: Campaign) -> str:
    """Changes whenever a decision of the campaign is recorded (one aggregate query)."""
    agg = Adjudication.objects.filter(campaign=campaign).aggregate(n=Count("id"), last=Max("decided_at"), top=Max("id"))
    last = agg["last"].timestamp() if agg["last"] else 0
    return f"{agg['n']}-{last:.6f}-{agg['top'] or 0}"


def build_leaderboard(campaign: Campaign, criterion: Criterion, *, labels: str, n_boot: int) -> Leaderboard:
    """Compute the leaderboard of one criterion from the database (no cache)."""
    kind = leaderboard_kind(criterion)
    field = system_field_for(campaign)
    base = {
        "campaign_slug": campaign.slug,
        "criterion_key": criterion.key,
        "criterion_label": criterion.label,
        "kind": kind,
        "labels": labels,
        "system_field": field,
        "system_field_guessed": not campaign.system_field.strip(),
        "metadata_fields": tuple(campaign.dataset.metadata_fields or ()),
        "n_boot": n_boot,
        "computed_at": datetime.now(UTC),
    }
    if kind is None:
        return _empty(base, "not_applicable", f"{criterion.label} has no scale or preference to rank systems by.")
    if field is None:
        return _empty(base, "no_system_field", _no_field_message(campaign, None, kind))
    if kind == PAIRWISE:
        return _pairwise(campaign, criterion, field, labels, base)
    return _pointwise(campaign, criterion, field, labels, kind, base)


def _empty(base: dict[str, Any], status: str, message: str, **counts: Any) -> Leaderboard:
    fields = {"n_items": 0, "n_judgements": 0, "n_raters": 0, "left_out": ()} | counts
    return Leaderboard(
        **base,
        **fields,
        status=status,
        message=message,
        verdict="",
        ranking=None,
        position=None,
        pointwise=None,
    )


def _no_field_message(campaign: Campaign, field: str | None, kind: str) -> str:
    names = ", ".join(campaign.dataset.metadata_fields or []) or "none"
    wanted = f"{field}_a and {field}_b" if kind == PAIRWISE else field
    if field is None:
        shape = "F_a and F_b, e.g. model_a and model_b" if kind == PAIRWISE else "e.g. model"
        return (
            "No metadata field names the system behind each output, so there is nothing to rank. "
            f"The dataset's metadata fields are: {names}. Set the system field ({shape}) in the campaign settings."
        )
    return (
        f"No rated item names its systems in {wanted}. The dataset's metadata fields are: {names}. "
        "Choose another system field in the campaign settings."
    )


def _pairwise(campaign: Campaign, criterion: Criterion, field: str, labels: str, base: dict[str, Any]) -> Leaderboard:
    pool = pool_frame(campaign, criterion)
    frame, left_out = _labels_frame(campaign, criterion, labels, pool)
    systems = item_systems(campaign, (f"{field}_a", f"{field}_b")).set_index("item")
    frame, dropped = _judgements(frame, systems, field, "items" if labels == FINAL else "ratings")
    left_out += dropped
    counts = {
        "n_items": int(frame["item"].nunique()),
        "n_judgements": len(frame),
        "n_raters": int(frame["rater"].nunique()) if labels == ALL else 0,
        "left_out": tuple(left_out),
    }
    if pool.empty:
        return _empty(base, "no_data", f"No ratings on {criterion.label} yet.", **counts)
    if systems[[f"{field}_a", f"{field}_b"]].notna().all(axis=1).sum() == 0:
        return _empty(base, "no_system_field", _no_field_message(campaign, field, PAIRWISE), **counts)
    if pd.concat([frame["system_a"], frame["system_b"]]).nunique() < 2:
        message = f"The {LABEL_WORDS[labels]} on {criterion.label} compare fewer than two different systems."
        return _empty(base, "no_data", message, **counts)
    ranking = stats.bradley_terry(frame, n_boot=base["n_boot"])
    rated = frame if labels == ALL else _judgements(pool, systems, field, "ratings")[0]
    return Leaderboard(
        **base,
        **counts,
        status="ok",
        message="",
        verdict=pairwise_verdict(ranking, labels),
        ranking=ranking,
        position=_position(campaign, rated, ranking),
        pointwise=None,
    )


def _judgements(
    frame: pd.DataFrame, systems: pd.DataFrame, field: str, unit: str
) -> tuple[pd.DataFrame, list[LeftOut]]:
    """Labels as judgements between the items' two systems; those that are none, left out and counted."""
    frame = frame.assign(
        system_a=frame["item"].map(systems[f"{field}_a"]),
        system_b=frame["item"].map(systems[f"{field}_b"]),
        outcome=stats.pairwise_outcomes(frame["value"]),
    )
    named = frame["system_a"].notna() & frame["system_b"].notna()
    same = named & (frame["system_a"] == frame["system_b"])
    left_out = [
        LeftOut(f"{unit} of items that do not name both systems ({field}_a, {field}_b)", int((~named).sum())),
        LeftOut(f"{unit} of items comparing a system with itself", int(same.sum())),
        LeftOut(f"{unit} without a readable preference", int((named & ~same & frame["outcome"].isna()).sum())),
    ]
    used = frame[named & ~same & frame["outcome"].notna()].reset_index(drop=True)
    return used, [x for x in left_out if x.n]


def _position(campaign: Campaign, rated: pd.DataFrame, ranking: stats.BradleyTerryResult) -> PositionSection:
    """Position bias of the pool's ratings (always every rating: a final label has no presented order)."""
    shown = presentation_frame(campaign)
    merged = rated.merge(shown, on=["item", "rater"], how="left")
    merged["left"] = merged["shown_left"].fillna("").astype(str)
    known = merged[merged["left"].isin(["a", "b"])].reset_index(drop=True)
    share = stats.position_share(known)
    model, message = None, ""
    try:
        model = stats.position_model(known)
    except ValueError as exc:
        message = f"No refit with the presented order: {exc}."
    return PositionSection(
        share, _rater_positions(known), model, len(merged) - len(known), _order_change(ranking, model), message
    )


def _order_change(ranking: stats.BradleyTerryResult, model: stats.PositionModel | None) -> str:
    """What fitting the left position's advantage does to the order, in words ("" when nothing changes)."""
    if model is None:
        return ""
    before = {s.system: rank for rank, s in enumerate(sorted(model.systems, key=lambda s: -s.unadjusted), 1)}
    moved = [s.system for s in model.systems if before[s.system] != s.rank]
    if not moved:
        return ""
    shift = max(abs(s.shift) for s in model.systems)
    half_width = float(np.median([(s.ci_high - s.ci_low) / 2 for s in ranking.systems]))
    scale = "well inside" if shift < half_width / 2 else "inside" if shift < half_width else "beyond"
    return (
        f"Fitting the left position's advantage changes the order of {', '.join(moved)}. The largest shift is "
        f"{shift:.0f} points, {scale} the typical half-width of a score's interval ({half_width:.0f} points)."
    )


def _rater_positions(known: pd.DataFrame) -> tuple[RaterPosition, ...]:
    """Each rater's share of non-tie choices for the left output (an exact binomial test each)."""
    if known.empty:
        return ()
    shares = stats.position_shares(known, "rater")
    names = usernames(int(r) for r in shares)
    rows = [
        RaterPosition(names.get(int(rater), f"user {rater}"), share.n, share.left, share.share, share.p_value)
        for rater, share in shares.items()
    ]
    return tuple(sorted(rows, key=lambda r: r.username))


def _number(value: Any) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _pointwise(
    campaign: Campaign, criterion: Criterion, field: str, labels: str, kind: str, base: dict[str, Any]
) -> Leaderboard:
    pool = pool_frame(campaign, criterion)
    frame, left_out = _labels_frame(campaign, criterion, labels, pool)
    systems = item_systems(campaign, (field,)).set_index("item")[field]
    frame = frame.assign(system=frame["item"].map(systems), score=_scores(frame["value"]))
    named = frame["system"].notna()
    unit = "items" if labels == FINAL else "ratings"
    left_out += [
        LeftOut(f"{unit} of items that do not name their system ({field})", int((~named).sum())),
        LeftOut(f"{unit} without a number", int((named & frame["score"].isna()).sum())),
    ]
    used = frame[named & frame["score"].notna()]
    counts = {
        "n_items": int(used["item"].nunique()),
        "n_judgements": len(used),
        "n_raters": int(used["rater"].nunique()) if labels == ALL else 0,
        "left_out": tuple(x for x in left_out if x.n),
    }
    if pool.empty:
        return _empty(base, "no_data", f"No ratings on {criterion.label} yet.", **counts)
    if systems.notna().sum() == 0:
        return _empty(base, "no_system_field", _no_field_message(campaign, field, kind), **counts)
    if used.empty:
        return _empty(base, "no_data", f"No {LABEL_WORDS[labels]} on {criterion.label} name a system.", **counts)
    scores = used[["item", "system"]].assign(value=used["score"].astype(float))
    result = stats.pointwise_means(scores, n_boot=base["n_boot"])
    return Leaderboard(
        **base,
        **counts,
        status="ok",
        message="",
        verdict=pointwise_verdict(result, criterion.label, kind, labels),
        ranking=None,
        position=None,
        pointwise=result,
    )


def _scores(values: pd.Series) -> pd.Series:
    """Labels as numbers: flags as 0/1, scale points and numbers as they are; anything else NaN."""
    return values.map(_score).astype(float)


def _score(value: Any) -> float:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating) and np.isfinite(value):
        return float(value)
    return math.nan


# --------------------------------------------------------------------------- words


def pairwise_verdict(ranking: stats.BradleyTerryResult, labels: str) -> str:
    """The ranking in one plain sentence or two: who is first, by how much, and whether it is distinguishable."""
    top, second = ranking.systems[0], ranking.systems[1]
    step = ranking.neighbours[0]
    n = f"{ranking.n_comparisons:,} comparison{'s' if ranking.n_comparisons != 1 else ''}"
    gap = (
        f"{step.difference:.0f} points above {second.system} (95% interval of the difference "
        f"{_number_text(step.ci_low, 0)} to {_number_text(step.ci_high, 0)}; it would win "
        f"{step.win_probability:.0%} of their comparisons)"
    )
    if step.distinguishable:
        first = f"{top.system} ranks first, {gap}: the top two are distinguishable with {n}."
    elif step.ci_low > 0:
        first = (
            f"{top.system} ranks first, {gap}, but not by enough to survive the correction for "
            f"{len(ranking.neighbours)} neighbouring pairs: the top two are not distinguishable with {n}."
        )
    else:
        first = (
            f"{top.system} ranks first, {gap}; the interval includes 0, so the top two are not distinguishable "
            f"with {n}."
        )
    apart = sum(nb.distinguishable for nb in ranking.neighbours)
    rest = (
        f" {apart} of {len(ranking.neighbours)} neighbouring pairs are distinguishable."
        if len(ranking.systems) > 2
        else ""
    )
    return f"{first}{rest} Counted from {LABEL_WORDS[labels]}."


def pointwise_verdict(result: stats.PointwiseResult, label: str, kind: str, labels: str) -> str:
    """The ranking of means (rates) in one plain sentence or two."""
    top = result.systems[0]
    what = f"the highest rate of {label}" if kind == RATE else f"the highest mean {label}"
    shown = _share if kind == RATE else _mean
    first = f"{top.system} has {what} ({shown(top.mean)}, 95% interval {shown(top.ci_low)} to {shown(top.ci_high)})"
    if len(result.systems) < 2:
        return f"{first}; it is the only system rated. Counted from {LABEL_WORDS[labels]}."
    second = result.systems[1]
    step = next(d for d in result.differences if d.higher == top.system and d.lower == second.system)
    gap = _points(step.difference, kind)
    m = len(result.differences)
    tested = f"after {stats.CORRECTION}'s correction over {m} pair{'s' if m != 1 else ''}"
    verdict = "distinguishable" if step.distinguishable else "not distinguishable"
    n = f"{result.n_items:,} items"
    return (
        f"{first}, {gap} above {second.system}; {tested} the difference is {verdict} with {n}. "
        f"Counted from {LABEL_WORDS[labels]}."
    )


def _number_text(value: float, digits: int) -> str:
    """A number as text with a true minus sign."""
    text = f"{value:.{digits}f}"
    return f"−{text[1:]}" if text.startswith("-") and float(text) != 0 else text.lstrip("-")


def _mean(value: float) -> str:
    return _number_text(value, 2)


def _share(value: float) -> str:
    return f"{_number_text(100 * value, 0)}%"


def _points(difference: float, kind: str) -> str:
    return f"{100 * difference:.0f} percentage points" if kind == RATE else _number_text(difference, 2)


# --------------------------------------------------------------------------- the page's chart


def chart_data(board: Leaderboard) -> dict[str, Any]:
    """What the leaderboard chart draws: per system (best first) the estimate and its 95% interval."""
    if board.ranking is not None:
        rows = board.ranking.systems
        adjusted = {}
        # Beside final labels the refit (on ratings) would compare different data: only beside all ratings.
        if board.labels == ALL and board.position is not None and board.position.model is not None:
            adjusted = {s.system: s.score for s in board.position.model.systems}
        return {
            "kind": PAIRWISE,
            "axis": "Bradley–Terry score (Elo-like: 400 points = 10:1 odds)",
            "labels": [s.system for s in rows],
            "value": [round(s.score, 1) for s in rows],
            "low": [round(s.ci_low, 1) for s in rows],
            "high": [round(s.ci_high, 1) for s in rows],
            "adjusted": [round(adjusted[s.system], 1) if s.system in adjusted else None for s in rows],
            "centre": stats.ELO_CENTRE,
        }
    if board.pointwise is not None:
        rows = board.pointwise.systems
        scale = 100 if board.kind == RATE else 1
        return {
            "kind": board.kind,
            "axis": f"{'% rated yes' if board.kind == RATE else 'mean'}: {board.criterion_label}",
            "labels": [s.system for s in rows],
            "value": [round(scale * s.mean, 4) for s in rows],
            "low": [round(scale * s.ci_low, 4) for s in rows],
            "high": [round(scale * s.ci_high, 4) for s in rows],
            "adjusted": [],
            "centre": None,
        }
    return {}
