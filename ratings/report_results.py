"""What an agreement report holds: plain frozen dataclasses of numbers and words, ready for a page or JSON.

ratings.reports computes them (and caches them); ratings.charts and the templates read them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from ratings.agreement import AlphaResult, PrecisionPlan


def number_or_none(value: Any) -> float | None:
    """A plain float, or None where the statistic is undefined (nan)."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


@dataclass(frozen=True)
class Reading:
    """Krippendorff's guidance in plain words: verdict (reliable/tentative/unsettled/unreliable/undefined), text."""

    verdict: str
    text: str


@dataclass(frozen=True)
class Coefficient:
    """A further agreement coefficient: its value, or why it does not apply."""

    key: str
    name: str
    value: float | None
    note: str = ""


@dataclass(frozen=True)
class RaterRow:
    """One rater against the others (agreement_with_others for nominal, mean_abs_diff/correlation otherwise)."""

    rater_id: int
    username: str
    n_labels: int
    n_compared: int
    alpha_without: float | None
    agreement_with_others: float | None = None
    mean_abs_diff: float | None = None
    correlation: float | None = None


@dataclass(frozen=True)
class KappaCell:
    """Cohen's kappa of two raters on the items they share; bucket is a CSS class by value band."""

    value: float | None
    n_shared: int
    bucket: str


@dataclass(frozen=True)
class KappaRow:
    """One rater's kappa with every rater (in the order of KappaMatrix.raters)."""

    rater: str
    cells: list[KappaCell]


@dataclass(frozen=True)
class KappaMatrix:
    """Rater x rater Cohen's kappa (weighted quadratically on ordinal scales)."""

    raters: list[str]
    weights: str
    rows: list[KappaRow]


@dataclass(frozen=True)
class DistributionRow:
    """One rater's label counts and shares, in the order of the scale."""

    username: str
    n_labels: int
    counts: list[int]
    shares: list[float]


@dataclass(frozen=True)
class Distribution:
    """Per-rater label distribution (the last row is every rater together)."""

    values: list[str]
    rows: list[DistributionRow]


@dataclass(frozen=True)
class Histogram:
    """How many items fall in each band of per-item disagreement."""

    measure: str
    bins: list[str]
    counts: list[int]
    n_items: int
    n_full_agreement: int


@dataclass(frozen=True)
class DisputedItem:
    """An item raters disagree on most, with every rater's label."""

    campaign_item_id: int
    external_id: str
    score: float
    n_ratings: int
    labels: list[tuple[str, str]]


@dataclass(frozen=True)
class SliceRow:
    """Alpha with its interval within one metadata value; too_few when it rests on too few pairable items."""

    value: str
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int
    n_raters: int
    n_pairable: int
    reason: str
    n_pairable_items: int = 0
    too_few: bool = False


@dataclass(frozen=True)
class SliceTable:
    """Agreement by the values of one metadata field."""

    field: str
    rows: list[SliceRow]


@dataclass(frozen=True)
class TimePoint:
    """Alpha over every label up to the end of one period (label: the period in words, as the chart shows it)."""

    period: str
    n_labels: int
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    reason: str
    label: str = ""
    unit: str = ""
    n_pairable_items: int = 0
    too_few: bool = False


@dataclass(frozen=True)
class GoldRow:
    """One rater's accuracy on gold items."""

    username: str
    n: int
    correct: int
    accuracy: float | None


@dataclass(frozen=True)
class LabelAlpha:
    """Binary alpha of one label of a multi-label criterion (present vs absent)."""

    label: str
    alpha: float | None


@dataclass(frozen=True)
class BiasRow:
    """Share of a rater's decided pairwise choices for one side (left, or the longer response)."""

    username: str
    n: int
    chosen: int
    share: float | None
    p_value: float | None


@dataclass(frozen=True)
class TriadRow:
    """A rater's cyclic preferences (x over y, y over z, z over x) among the systems a pairwise criterion compares."""

    username: str
    n_judgements: int
    n_options: int
    triads_checked: int
    intransitive: int


@dataclass(frozen=True)
class RetestRow:
    """A rater's consistency with themselves on repeated items; too_few when they repeated too few to judge."""

    username: str
    n_repeated: int
    exact_agreement: float | None
    alpha: float | None
    too_few: bool = False


@dataclass(frozen=True)
class SpeedRow:
    """One rater's pace: items rated, how many were timed, the median seconds per item, and whether that is
    implausibly fast (note says why)."""

    rater_id: int
    username: str
    n_rated: int
    n_timed: int
    median_seconds: float | None
    fast: bool
    note: str = ""


@dataclass(frozen=True)
class RaterSpeed:
    """Every rater's pace over the campaign, and the rule that marks a rater implausibly fast."""

    rule: str
    rows: list[SpeedRow]

    @property
    def fast(self) -> list[SpeedRow]:
        """The raters marked implausibly fast."""
        return [r for r in self.rows if r.fast]


@dataclass(frozen=True)
class CriterionAgreement:
    """Everything the dashboard says about one criterion; status "ok" or why agreement is undefined."""

    key: str
    label: str
    type: str
    level: str
    measure: str
    value_domain: list | None
    status: str
    message: str
    n_labels: int
    n_items: int
    n_raters: int
    alpha: AlphaResult | None = None
    percent_agreement: float | None = None
    coefficients: list[Coefficient] = field(default_factory=list)
    reading: Reading = Reading("undefined", "")
    precision: PrecisionPlan | None = None
    raters: list[RaterRow] = field(default_factory=list)
    kappa_matrix: KappaMatrix | None = None
    distribution: Distribution | None = None
    disagreement: Histogram | None = None
    most_disputed: list[DisputedItem] = field(default_factory=list)
    slices: list[SliceTable] = field(default_factory=list)
    over_time: list[TimePoint] = field(default_factory=list)
    gold: list[GoldRow] = field(default_factory=list)
    per_label: list[LabelAlpha] = field(default_factory=list)
    position_bias: list[BiasRow] = field(default_factory=list)
    length_bias: list[BiasRow] = field(default_factory=list)
    triads: list[TriadRow] = field(default_factory=list)
    triads_fields: tuple[str, str] | None = None
    test_retest: list[RetestRow] = field(default_factory=list)
    # Answers are label sets: alpha uses the MASI distance, and slices compare exact sets.
    multi_label: bool = False
    # Each machine rater held against the raters (ratings.judge_report.JudgeSection), by machine rater name.
    judges: tuple[Any, ...] = ()

    @property
    def ok(self) -> bool:
        """Alpha is defined for this criterion."""
        return self.status == "ok"

    @property
    def time_curve(self) -> list[TimePoint]:
        """The periods the curve over time draws: alpha defined over enough pairable items so far."""
        return [p for p in self.over_time if p.alpha is not None and not p.too_few]

    @property
    def interval_defined(self) -> bool:
        """The bootstrap interval exists (some resamples had variation)."""
        return (
            self.alpha is not None
            and number_or_none(self.alpha.ci_low) is not None
            and number_or_none(self.alpha.ci_high) is not None
        )


@dataclass(frozen=True)
class SkippedCriterion:
    """A criterion with no agreement statistic (free text)."""

    key: str
    label: str
    reason: str


@dataclass(frozen=True)
class CampaignAgreement:
    """Agreement for every rated criterion of a campaign, computed at one fingerprint of its ratings."""

    campaign_slug: str
    campaign_name: str
    rubric_name: str
    rubric_version: int
    fingerprint: str
    computed_at: str
    n_boot: int
    criteria: list[CriterionAgreement]
    skipped: list[SkippedCriterion]
    # Slices with fewer pairable items than this are marked too_few (0 in reports computed before it was set).
    min_pairable_items: int = 0
    rater_speed: RaterSpeed | None = None

    def criterion(self, key: str) -> CriterionAgreement | None:
        """The criterion with this key, or None."""
        return next((c for c in self.criteria if c.key == key), None)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float):
        return number_or_none(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def report_as_dict(report: Any) -> dict[str, Any]:
    """A report dataclass as JSON-ready data (undefined numbers become None)."""
    return _plain(report)
