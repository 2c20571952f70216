"""Agreement per criterion across the versions of a rubric: did a new version make raters agree more?

Every version is a column; each version's campaigns that the user may read are pooled per criterion, and a
version no such campaign uses has no figures. The difference between two versions gets an approximate 95%
interval from their bootstrap intervals. Any two versions can be set side by side with what changed in their
criteria and guidelines (annotate.rubric_diff), whether or not the user may read any campaign's labels.
"""

import hashlib
import math
from dataclasses import dataclass, replace

import orjson
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

from annotate.criteria import Criterion
from annotate.models import Campaign, Rubric, RubricVersion
from annotate.permissions import campaigns_readable_of_rubric
from annotate.rubric_diff import CriterionChange, RubricDiff, rubric_diff
from ratings import agreement as stats
from ratings.agreement import AgreementError
from ratings.agreement_diagnostics import pairable_items
from ratings.report_results import number_or_none
from ratings.reports import CACHE_SECONDS, CACHE_VERSION, MIN_PAIRABLE_ITEMS, as_sentence, masi_with_ci
from ratings.selectors import ratings_fingerprints, ratings_frame

NOT_USED = "Not used by any campaign you can read."


@dataclass(frozen=True)
class VersionColumn:
    """One version of the rubric and the readable campaigns rated under it (none: the version has no figures)."""

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
    readable: bool = True
    # Items with labels from two or more raters: under reports.MIN_PAIRABLE_ITEMS the figure is too few to judge.
    n_pairable_items: int = 0

    @property
    def too_few(self) -> bool:
        """Whether the alpha rests on too few pairable items to judge, as the dashboard's slices say."""
        return self.alpha is not None and self.n_pairable_items < MIN_PAIRABLE_ITEMS


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

    @property
    def has_figures(self) -> bool:
        """Whether any version is used by a campaign the user can read."""
        return any(v.campaigns for v in self.versions)

    def cell(self, key: str, number: int) -> VersionCell | None:
        """The figure of one criterion under one version, or None for a criterion without agreement."""
        row = next((c for c in self.criteria if c.key == key), None)
        return next((c for c in row.cells if c.number == number), None) if row else None


@dataclass(frozen=True)
class PairRow:
    """One criterion between two chosen versions: what changed, and its alpha under each and the difference."""

    change: CriterionChange
    before: VersionCell | None
    after: VersionCell | None
    diff: VersionDiff | None


@dataclass(frozen=True)
class RubricPair:
    """Two chosen versions: what changed from one to the other, beside the agreement figures."""

    before: VersionColumn
    after: VersionColumn
    diff: RubricDiff
    rows: list[PairRow]

    @property
    def has_figures(self) -> bool:
        """Whether either version is used by a campaign the user can read."""
        return bool(self.before.campaigns or self.after.campaigns)


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
        n_pairable_items=pairable_items(frame),
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


def _cache_key(rubric: Rubric, versions: list[RubricVersion], campaigns: list[Campaign], n_boot: int) -> str:
    # Figures depend on the readable campaigns' ratings and on every version's criteria (a draft changes in place).
    fingerprints = ratings_fingerprints([c.pk for c in campaigns])
    scope = ",".join(f"{c.pk}:{fingerprints[c.pk]}" for c in campaigns)
    contents = b"".join(orjson.dumps([v.pk, v.number, v.criteria], option=orjson.OPT_NON_STR_KEYS) for v in versions)
    digest = hashlib.sha256(scope.encode() + b"|" + contents).hexdigest()[:32]
    return f"ratings:rubric-versions:v{CACHE_VERSION}:{rubric.pk}:{n_boot}:{digest}"


def _criterion_cell(version: RubricVersion, key: str, group: list[Campaign], n_boot: int) -> VersionCell:
    criterion = next((c for c in version.typed_criteria if c.key == key), None)
    if criterion is None:
        return VersionCell(version.number, None, None, None, 0, 0, "", "Not in this version.")
    if not criterion.has_agreement:
        return VersionCell(version.number, None, None, None, 0, 0, "", "No agreement for this type of criterion.")
    if not group:
        return VersionCell(version.number, None, None, None, 0, 0, criterion.level, NOT_USED, readable=False)
    frame = pd.concat([ratings_frame(c, key, criterion=criterion) for c in group], ignore_index=True)
    return _version_cell(version.number, frame, criterion, n_boot)


def rubric_versions_compared(rubric: Rubric, *, user: AbstractBaseUser, n_boot: int = 1000) -> RubricComparison:
    """Alpha per criterion key under every version, over the campaigns the user can read, with differences.

    A version that no readable campaign uses is still a column; its cells say so. Differences are between
    consecutive versions that have an alpha.
    """
    versions = list(rubric.versions.order_by("number"))
    campaigns = campaigns_readable_of_rubric(rubric, user)
    key = _cache_key(rubric, versions, campaigns, n_boot)
    cached = cache.get(key)
    if cached is not None:
        return cached
    by_version: dict[int, list[Campaign]] = {}
    for campaign in campaigns:
        by_version.setdefault(campaign.rubric_version.number, []).append(campaign)
    columns = [VersionColumn(v.number, [c.slug for c in by_version.get(v.number, [])]) for v in versions]
    order: dict[str, str] = {}
    for version in reversed(versions):
        for criterion in version.typed_criteria:
            if criterion.has_agreement:
                order.setdefault(criterion.key, criterion.label)
    rows = []
    for crit_key, label in order.items():
        cells = [_criterion_cell(v, crit_key, by_version.get(v.number, []), n_boot) for v in versions]
        measured = [c for c in cells if c.alpha is not None]
        diffs = [d for a, b in zip(measured, measured[1:], strict=False) if (d := _diff(a, b)) is not None]
        rows.append(CriterionComparison(crit_key, label, cells, diffs))
    result = RubricComparison(rubric.pk, rubric.name, columns, rows)
    cache.set(key, result, CACHE_SECONDS)
    return result


def rubric_pair_compared(comparison: RubricComparison, rubric: Rubric, before: int, after: int) -> RubricPair:
    """What changed from one version to another (any two, in either order), beside their figures."""
    versions = {v.number: v for v in rubric.versions.filter(number__in=[before, after])}
    old, new = versions[before], versions[after]
    diff = rubric_diff(old.criteria, new.criteria, old.guidelines, new.guidelines)
    rows = []
    for change in diff.criteria:
        first, second = comparison.cell(change.key, before), comparison.cell(change.key, after)
        difference = _diff(first, second) if first is not None and second is not None else None
        rows.append(PairRow(change, first, second, difference))
    columns = {v.number: v for v in comparison.versions}
    return RubricPair(columns[before], columns[after], diff, rows)


def version_choices(comparison: RubricComparison) -> list[tuple[int, str]]:
    """Every version as a choice, newest first, saying which readable campaigns use it."""
    choices = []
    for column in reversed(comparison.versions):
        n = len(column.campaigns)
        used = f"{n} campaign{'s' if n != 1 else ''} you can read" if n else "not used by any campaign you can read"
        choices.append((column.number, f"v{column.number} · {used}"))
    return choices


def rubric_has_versions_to_compare(rubric: Rubric) -> bool:
    """True when the rubric has at least two versions (used by a campaign or not)."""
    return rubric.versions.count() > 1
