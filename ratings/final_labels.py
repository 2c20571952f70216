"""An item's final label per criterion, and how it was reached.

Where an adjudicator decided, the decision stands: a final value ("adjudicated") or "ambiguous". Elsewhere the
raters' first-time ratings are aggregated as the criterion's values allow (ratings.aggregation): a vote for
choices ("unanimous", "majority", "tie" — a tie is reported, never broken — or "single_rating"), Dawid and
Skene's estimate when the campaign asks for it ("dawid_skene", categorical and ordinal criteria), the mean for
numbers ("mean"), per-label majorities for label sets. An item with one rating has no disagreement (None), not 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache

from annotate.criteria import Criterion
from annotate.models import Campaign, CampaignItem
from ratings import aggregation
from ratings.models import Adjudication
from ratings.report_store import report_in_background
from ratings.selectors import campaign_ratings, ratings_fingerprint, ratings_frame

ADJUDICATED = "adjudicated"
AMBIGUOUS = "ambiguous"
DAWID_SKENE = "dawid_skene"
MEAN = "mean"
# Every way a final label can be reached, as exports and pages name them.
METHODS = (ADJUDICATED, "unanimous", "majority", DAWID_SKENE, MEAN, AMBIGUOUS, "tie", "single_rating", "no_ratings")
# How pages word each method.
METHOD_LABELS = {
    ADJUDICATED: "adjudicated",
    "unanimous": "unanimous",
    "majority": "majority vote",
    DAWID_SKENE: "Dawid–Skene estimate",
    MEAN: "mean of the ratings",
    AMBIGUOUS: "genuinely ambiguous",
    "tie": "tie: no majority",
    "single_rating": "a single rating",
    "no_ratings": "no ratings yet",
}
# Disagreement of a nominal criterion's labels at which an item enters the adjudication queue by default: one
# bit, an even two-way split or worse. A 2-2 split of four raters (1 bit) or three different labels from three
# raters (1.58 bits) enter; a 2-1 split of three (0.92 bits) does not, or a third of a typical campaign would.
DEFAULT_NOMINAL_THRESHOLD = 1.0
# Otherwise, by default, a standard deviation of a quarter of the scale's span: 1 step on a 1-5 scale, where
# 2-3-5 (1.25) enters and 3-4-5 (0.82) does not.
DEFAULT_SPAN_SHARE = 0.25
# Items whose final labels are worked out per database read.
CHUNK_ITEMS = 2_000


@dataclass(frozen=True)
class FinalLabel:
    """One criterion of one item: the final value, how it was reached, and what it rests on."""

    criterion_key: str
    value: Any
    method: str
    # What the raters' labels alone give, and how (the final value may be an adjudicator's instead).
    aggregate: Any
    aggregate_method: str
    # Value -> raters who gave it (label -> raters who chose it, for label sets), most common first.
    distribution: dict[Any, int]
    n_raters: int
    # Entropy in bits (nominal), standard deviation in scale steps (ordinal) or units (interval); None below 2.
    disagreement: float | None
    mean: float | None = None
    median: float | None = None
    # Dawid and Skene's posterior probability of the estimated label.
    confidence: float | None = None
    adjudication: Adjudication | None = field(default=None, compare=False)

    @property
    def method_label(self) -> str:
        """How the final value was reached, in words."""
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def aggregate_method_label(self) -> str:
        """How the raters' aggregate was reached, in words."""
        return METHOD_LABELS.get(self.aggregate_method, self.aggregate_method)

    @property
    def is_settled(self) -> bool:
        """Whether the item has a final value or an adjudicator called it genuinely ambiguous."""
        return self.method == AMBIGUOUS or self.value is not None


def aggregated_criteria(criteria: Iterable[Criterion]) -> list[Criterion]:
    """The criteria that get a final label: every one with agreement (free text has neither)."""
    return [c for c in criteria if c.has_agreement]


def disagreement_threshold(campaign: Campaign, criterion: Criterion) -> float | None:
    """The disagreement at which an item enters the adjudication queue on this criterion (None: never)."""
    chosen = (campaign.adjudication_thresholds or {}).get(criterion.key)
    if isinstance(chosen, int | float) and not isinstance(chosen, bool):
        return float(chosen)
    return default_threshold(criterion)


def default_threshold(criterion: Criterion) -> float | None:
    """The threshold a criterion has until the owner sets one."""
    level = criterion.agreement_level
    if level == "nominal":
        return DEFAULT_NOMINAL_THRESHOLD
    if level == "ordinal" and criterion.value_domain:
        return round(DEFAULT_SPAN_SHARE * (len(criterion.value_domain) - 1), 3)
    return round(DEFAULT_SPAN_SHARE * criterion.span, 3) if criterion.span else None


def disagreement_unit(criterion: Criterion) -> str:
    """What an item's disagreement on the criterion is measured in."""
    level = criterion.agreement_level
    if level == "nominal":
        return "bits (entropy of the labels)"
    if level == "ordinal":
        return "scale steps (standard deviation)"
    return "standard deviation of the values"


def hashable(value: Any) -> Any:
    """A stored answer as a vote counts it: label lists as tuples."""
    return tuple(value) if isinstance(value, list) else value


# An item's disagreement (FinalLabel.disagreement) is worked out by each aggregate below from what it has
# already counted: the entropy of its vote for nominal criteria, the spread of its values otherwise.


def entropy_bits(counts: list[int]) -> float | None:
    """Shannon entropy in bits of a distribution given as counts (0 when every count is in one value); None
    with fewer than two labels, where disagreement is undefined."""
    total = sum(counts)
    if total < 2:
        return None
    return abs(-math.fsum(n / total * math.log2(n / total) for n in counts if n))


def _ordinal_spread(criterion: Criterion, values: list[Any]) -> float | None:
    """The standard deviation of the values' positions on the criterion's scale (in scale steps)."""
    if criterion.value_domain:
        order = {hashable(v): i for i, v in enumerate(criterion.value_domain)}
        return aggregation.central([order[hashable(v)] for v in values if hashable(v) in order]).std
    return aggregation.central([float(v) for v in values if _is_number(v)]).std


def final_label(
    criterion: Criterion,
    values: list[Any],
    *,
    adjudication: Adjudication | None = None,
    estimate: tuple[Any, float] | None = None,
) -> FinalLabel:
    """The final label of one item on one criterion from its raters' values (first-time ratings, answered only).

    `estimate` is the item's Dawid–Skene label and its posterior probability, when the campaign uses them.
    """
    if criterion.is_multi_label:
        base = _labels_aggregate(criterion, values)
    elif criterion.value_kind == "number" or criterion.agreement_level in ("interval", "ratio"):
        base = _numeric_aggregate(values)
    else:
        base = _choice_aggregate(criterion, values, estimate)
    value, method = base["aggregate"], base["aggregate_method"]
    if adjudication is not None and adjudication.outcome == Adjudication.Outcome.FINAL:
        value, method = adjudication.value, ADJUDICATED
    elif adjudication is not None and adjudication.outcome == Adjudication.Outcome.AMBIGUOUS:
        value, method = None, AMBIGUOUS
    return FinalLabel(
        criterion_key=criterion.key,
        value=value,
        method=method,
        adjudication=adjudication,
        **base,
    )


def _choice_aggregate(criterion: Criterion, values: list[Any], estimate: tuple[Any, float] | None) -> dict:
    vote = aggregation.majority_vote([hashable(v) for v in values])
    out: dict[str, Any] = {
        "aggregate": vote.value,
        "aggregate_method": vote.method,
        "distribution": dict(vote.counts),
        "n_raters": vote.n_ratings,
        "disagreement": entropy_bits(list(vote.counts.values()))
        if criterion.agreement_level == "nominal"
        else _ordinal_spread(criterion, values),
    }
    if criterion.agreement_level == "ordinal" and values and all(_is_number(v) for v in values):
        centre = aggregation.central([float(v) for v in values])
        out.update(mean=centre.mean, median=centre.median)
    if estimate is not None and vote.method in ("majority", "tie"):
        out.update(aggregate=estimate[0], aggregate_method=DAWID_SKENE, confidence=estimate[1])
    return out


def _numeric_aggregate(values: list[Any]) -> dict:
    numbers = [float(v) for v in values if _is_number(v)]
    centre = aggregation.central(numbers)
    vote = aggregation.majority_vote(numbers)
    method = vote.method if vote.method in ("unanimous", "single_rating", "no_ratings") else MEAN
    return {
        "aggregate": centre.mean,
        "aggregate_method": method,
        "distribution": dict(vote.counts),
        "n_raters": len(numbers),
        "disagreement": centre.std,
        "mean": centre.mean,
        "median": centre.median,
    }


def _labels_aggregate(criterion: Criterion, values: list[Any]) -> dict:
    rates = aggregation.label_rates([v for v in values if isinstance(v, list)], criterion.value_domain or [])
    settled = rates.method not in ("tie", "no_ratings")
    # Label sets compare as nominal values (criterion.agreement_level): the entropy of the sets given.
    sets = aggregation.majority_vote([hashable(v) for v in values])
    return {
        "aggregate": list(rates.chosen) if settled else None,
        "aggregate_method": rates.method,
        "distribution": {label: n for label, n in rates.counts.items() if n},
        "n_raters": rates.n_ratings,
        "disagreement": entropy_bits(list(sets.counts.values())),
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --------------------------------------------------------------------------- reading them for items


def current_adjudications(
    campaign: Campaign, item_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], Adjudication]:
    """The current decision per (campaign item, criterion key), of the given items or all of the campaign's."""
    rows = Adjudication.objects.filter(campaign=campaign, is_current=True).select_related("decided_by")
    if item_ids is not None:
        rows = rows.filter(campaign_item_id__in=list(item_ids))
    return {(a.campaign_item_id, a.criterion_key): a for a in rows}


def item_values(campaign: Campaign, item_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The pool's first-time ratings' values per campaign item (repeats are a rater's second look, not another
    rater; machine raters count only where the owner opted them in)."""
    out: dict[int, list[dict[str, Any]]] = {}
    rows = campaign_ratings(campaign).filter(campaign_item_id__in=list(item_ids), is_repeat=False)
    for item_id, values in rows.order_by("campaign_item_id", "id").values_list("campaign_item_id", "values"):
        out.setdefault(item_id, []).append(values or {})
    return out


def answered(ratings: list[Mapping[str, Any]], key: str) -> list[Any]:
    """The answers given to one criterion (left out where a rater gave none)."""
    return [r[key] for r in ratings if r.get(key) not in (None, "")]


def final_labels(
    campaign: Campaign,
    item_ids: Iterable[int],
    *,
    estimates: Mapping[str, pd.DataFrame] | None = None,
    ratings: Mapping[int, list[dict[str, Any]]] | None = None,
) -> dict[int, dict[str, FinalLabel]]:
    """Final labels of the given campaign items, per criterion key.

    `ratings` are the items' first-time ratings' values (see item_values) when the caller has read them already.
    """
    item_ids = list(item_ids)
    criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
    if ratings is None:
        ratings = item_values(campaign, item_ids)
    decisions = current_adjudications(campaign, item_ids)
    if estimates is None:
        estimates = dawid_skene_estimates(campaign, criteria) if campaign.final_label_method == DAWID_SKENE else {}
    out: dict[int, dict[str, FinalLabel]] = {}
    for item_id in item_ids:
        rated = ratings.get(item_id, [])
        out[item_id] = {
            c.key: final_label(
                c,
                answered(rated, c.key),
                adjudication=decisions.get((item_id, c.key)),
                estimate=item_estimate(estimates.get(c.key), item_id),
            )
            for c in criteria
        }
    return out


def plain_value(value: Any) -> Any:
    """A final or aggregate value as stored answers hold it: NumPy scalars (Dawid–Skene's labels) as Python
    values, label sets (tuples, as votes count them) as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [plain_value(v) for v in value]
    return value


def display_value(criterion: Criterion, value: Any) -> str:
    """A final or aggregate value as pages show it (label sets and NumPy scalars included)."""
    value = plain_value(value)
    if isinstance(value, float) and criterion.value_kind == "number":
        value = round(value, 3)
    return criterion.display(value)


def final_label_rows(campaign: Campaign, campaign_item: CampaignItem) -> list[dict[str, Any]]:
    """One item's final labels as the item pages list them: criterion, label, final and aggregate shown."""
    labels = final_labels(campaign, [campaign_item.pk], estimates=estimates_for_pages(campaign))[campaign_item.pk]
    return [
        {
            "criterion": c,
            "label": labels[c.key],
            "final": display_value(c, labels[c.key].value),
            "aggregate": display_value(c, labels[c.key].aggregate),
        }
        for c in aggregated_criteria(campaign.rubric_version.typed_criteria)
    ]


def final_labels_chunks(
    campaign: Campaign, *, chunk_items: int = CHUNK_ITEMS
) -> Iterator[list[tuple[CampaignItem, dict[str, FinalLabel]]]]:
    """Every campaign item with its final labels, a chunk of items at a time (in campaign item id order)."""
    criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
    estimates = dawid_skene_estimates(campaign, criteria) if campaign.final_label_method == DAWID_SKENE else {}
    after = 0
    while True:
        items = list(
            CampaignItem.objects.filter(campaign=campaign, pk__gt=after)
            .select_related("item")
            .order_by("pk")[:chunk_items]
        )
        if not items:
            return
        labels = final_labels(campaign, [ci.pk for ci in items], estimates=estimates)
        yield [(ci, labels[ci.pk]) for ci in items]
        after = items[-1].pk


def item_estimate(table: pd.DataFrame | None, item_id: int) -> tuple[Any, float] | None:
    """An item's Dawid–Skene label and its probability from a criterion's estimates, or None."""
    if table is None or item_id not in table.index:
        return None
    return table.at[item_id, "label"], float(table.at[item_id, "confidence"])


def dawid_skene_criteria(criteria: Iterable[Criterion]) -> list[Criterion]:
    """The criteria Dawid and Skene's model applies to: single choices on a nominal or ordinal scale."""
    return [
        c
        for c in criteria
        if c.has_agreement
        and not c.is_multi_label
        and c.value_kind == "choice"
        and c.agreement_level in ("nominal", "ordinal")
    ]


def dawid_skene_results(campaign: Campaign, criteria: Iterable[Criterion]) -> dict[str, aggregation.DawidSkeneResult]:
    """Per criterion key (categorical and ordinal criteria with labels): Dawid and Skene's estimates."""
    out: dict[str, aggregation.DawidSkeneResult] = {}
    for criterion in dawid_skene_criteria(criteria):
        frame = choice_frame(campaign, criterion)
        if not frame.empty:
            out[criterion.key] = aggregation.dawid_skene(frame, classes=_classes(criterion, frame))
    return out


def dawid_skene_estimates(campaign: Campaign, criteria: Iterable[Criterion]) -> dict[str, pd.DataFrame]:
    """Per criterion key: each rated item's Dawid–Skene label and confidence (index: campaign item id)."""
    return _as_estimates(dawid_skene_results(campaign, criteria))


def _as_estimates(results: dict[str, aggregation.DawidSkeneResult]) -> dict[str, pd.DataFrame]:
    return {key: pd.DataFrame({"label": r.labels, "confidence": r.confidence}) for key, r in results.items()}


# How long pages keep a campaign's Dawid–Skene estimates for one state of its ratings.
ESTIMATES_CACHE_SECONDS = 600


def results_for_pages(campaign: Campaign) -> dict[str, aggregation.DawidSkeneResult] | None:
    """Dawid and Skene's estimates as pages show them, kept for the ratings as they stand; None for a campaign
    large enough that its agreement report is computed by a task (an export computes them there instead).

    Estimating is campaign-wide (each rater's accuracy is read from all their labels), so one page view must not
    pay for it again and again.
    """
    criteria = dawid_skene_criteria(campaign.rubric_version.typed_criteria)
    if not criteria:
        return {}
    if report_in_background(campaign, len(criteria)):
        return None
    key = f"accord:dawid-skene:{campaign.pk}:{campaign.rubric_version_id}:{ratings_fingerprint(campaign)}"
    return cache.get_or_set(key, lambda: dawid_skene_results(campaign, criteria), ESTIMATES_CACHE_SECONDS)


def estimates_for_pages(campaign: Campaign) -> dict[str, pd.DataFrame]:
    """The Dawid–Skene labels item pages use: none unless the campaign's final labels use them (and none for a
    large campaign, see results_for_pages)."""
    if campaign.final_label_method != DAWID_SKENE:
        return {}
    return _as_estimates(results_for_pages(campaign) or {})


def choice_frame(campaign: Campaign, criterion: Criterion) -> pd.DataFrame:
    """The criterion's first-time answers as a tidy frame (item, rater, value), read in one query."""
    frame = ratings_frame(campaign, criterion.key, criterion=criterion, include_repeats=False)
    return frame[["item", "rater", "value"]]


def _classes(criterion: Criterion, frame: pd.DataFrame) -> list[Any]:
    domain = list(criterion.value_domain or [])
    extra = [v for v in pd.unique(frame["value"]) if v not in domain]
    return domain + extra
