"""Agreement per criterion across the versions of a rubric: did a new version make raters agree more?

Each version's campaigns that the user may read are pooled per criterion; the difference between consecutive
versions gets an approximate 95% interval from their bootstrap intervals.
"""

import hashlib
import math
from dataclasses import dataclass, replace

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

from annotate.criteria import Criterion
from annotate.models import Campaign, Rubric
from annotate.permissions import campaigns_readable_of_rubric
from ratings import agreement as stats
from ratings.agreement import AgreementError
from ratings.report_results import number_or_none
from ratings.reports import CACHE_SECONDS, CACHE_VERSION, as_sentence, masi_with_ci
from ratings.selectors import ratings_fingerprints, ratings_frame


@dataclass(frozen=True)
class VersionColumn:
    """One version of the rubric and the readable campaigns rated under it."""

    number: int
    campaigns: list[str]


@dataclass(frozen=True)
class VersionCell:
    """Alpha of one criterion under one rubric version (labels of its campaigns pooled)."""

    number: int
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int
    n_raters: int
    level: str
    message: str


@dataclass(frozen=True)
class VersionDiff:
    """Alpha of the later version minus the earlier one, with an approximate 95% interval."""

    from_number: int
    to_number: int
    diff: float
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class CriterionComparison:
    """One criterion key across rubric versions."""

    key: str
    label: str
    cells: list[VersionCell]
    diffs: list[VersionDiff]


@dataclass(frozen=True)
class RubricComparison:
    """Alpha per criterion per rubric version, side by side."""

    rubric_id: int
    rubric_name: str
    versions: list[VersionColumn]
    criteria: list[CriterionComparison]


def _version_cell(number: int, frame: pd.DataFrame, criterion: Criterion, n_boot: int) -> VersionCell:
    level = criterion.level
    empty = VersionCell(number, None, None, None, 0, 0, level, "No ratings.")
    if frame.empty:
        return empty
    try:
        if criterion.is_multi_label:
            result = masi_with_ci(frame, n_boot)
        else:
            result = stats.alpha_with_ci(frame, level, criterion.value_domain, n_boot=n_boot)
    except (AgreementError, ValueError) as exc:
        return replace(
            empty,
            n_items=int(frame["item"].nunique()),
            n_raters=int(frame["rater"].nunique()),
            message=as_sentence(str(exc)),
        )
    return VersionCell(
        number,
        number_or_none(result.value),
        number_or_none(result.ci_low),
        number_or_none(result.ci_high),
        result.n_items,
        result.n_raters,
        level,
        "",
    )


def _diff(a: VersionCell, b: VersionCell) -> VersionDiff | None:
    if a.alpha is None or b.alpha is None:
        return None
    diff = b.alpha - a.alpha
    halves = [(c.ci_high - c.ci_low) / 2 for c in (a, b) if c.ci_low is not None and c.ci_high is not None]
    if len(halves) < 2:
        return VersionDiff(a.number, b.number, diff, None, None)
    # Independent samples: the half-widths add in quadrature (a normal approximation).
    half = math.hypot(*halves)
    return VersionDiff(a.number, b.number, diff, diff - half, diff + half)


def rubric_versions_compared(rubric: Rubric, *, user: AbstractBaseUser, n_boot: int = 1000) -> RubricComparison:
    """Alpha per criterion key per rubric version over the campaigns the user can read, with differences."""
    campaigns = campaigns_readable_of_rubric(rubric, user)
    by_version: dict[int, list[Campaign]] = {}
    for campaign in campaigns:
        by_version.setdefault(campaign.rubric_version.number, []).append(campaign)
    fingerprints = ratings_fingerprints([c.pk for c in campaigns])
    scope = ",".join(f"{c.pk}:{fingerprints[c.pk]}" for c in campaigns)
    digest = hashlib.sha256(scope.encode()).hexdigest()[:32]
    key = f"ratings:rubric-compare:v{CACHE_VERSION}:{rubric.pk}:{n_boot}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    versions = [VersionColumn(n, [c.slug for c in by_version[n]]) for n in sorted(by_version)]
    order: dict[str, str] = {}
    for number in sorted(by_version, reverse=True):
        for criterion in by_version[number][0].rubric_version.typed_criteria:
            if criterion.has_agreement:
                order.setdefault(criterion.key, criterion.label)
    rows = []
    for crit_key, label in order.items():
        cells = []
        for number in sorted(by_version):
            group = by_version[number]
            criterion = next((c for c in group[0].rubric_version.typed_criteria if c.key == crit_key), None)
            if criterion is None or not criterion.has_agreement:
                cells.append(VersionCell(number, None, None, None, 0, 0, "", "Not in this version."))
                continue
            frame = pd.concat([ratings_frame(c, crit_key, criterion=criterion) for c in group], ignore_index=True)
            cells.append(_version_cell(number, frame, criterion, n_boot))
        diffs = [d for a, b in zip(cells, cells[1:], strict=False) if (d := _diff(a, b)) is not None]
        rows.append(CriterionComparison(crit_key, label, cells, diffs))
    result = RubricComparison(rubric.pk, rubric.name, versions, rows)
    cache.set(key, result, CACHE_SECONDS)
    return result


def rubric_has_versions_to_compare(rubric: Rubric) -> bool:
    """True when campaigns use at least two versions of the rubric."""
    return Campaign.objects.filter(rubric_version__rubric=rubric).values("rubric_version").distinct().count() > 1
