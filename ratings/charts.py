"""The agreement dashboard's chart data: what its charts draw, from a computed report (ratings.report_results)."""

from typing import Any

from ratings.report_results import CampaignAgreement, CriterionAgreement, number_or_none


def overview_chart(report: CampaignAgreement) -> dict[str, Any]:
    """Alpha and its interval per criterion, for the overview chart."""
    rows = [c for c in report.criteria if c.alpha is not None]
    return {
        "labels": [c.label for c in rows],
        "alpha": [number_or_none(c.alpha.value) for c in rows],
        "low": [number_or_none(c.alpha.ci_low) for c in rows],
        "high": [number_or_none(c.alpha.ci_high) for c in rows],
    }


def criterion_charts(criterion: CriterionAgreement) -> dict[str, Any]:
    """The per-criterion chart data: distributions, disagreement histogram, slices and alpha over time."""
    out: dict[str, Any] = {"key": criterion.key}
    if criterion.distribution:
        out["distribution"] = {
            "values": criterion.distribution.values,
            "raters": [r.username for r in criterion.distribution.rows],
            "shares": [r.shares for r in criterion.distribution.rows],
        }
    if criterion.disagreement:
        out["disagreement"] = {
            "bins": criterion.disagreement.bins,
            "counts": criterion.disagreement.counts,
            "measure": criterion.disagreement.measure,
        }
    out["slices"] = [
        {
            "field": table.field,
            "labels": [r.value for r in table.rows],
            "alpha": [r.alpha for r in table.rows],
            "low": [r.ci_low for r in table.rows],
            "high": [r.ci_high for r in table.rows],
            # Drawn in grey: too few pairable items to judge.
            "too_few": [r.too_few for r in table.rows],
            "n_pairable_items": [r.n_pairable_items for r in table.rows],
        }
        for table in criterion.slices
    ]
    curve = criterion.time_curve
    if len(curve) >= 2:
        out["over_time"] = {
            "periods": [p.label or p.period for p in curve],
            "alpha": [p.alpha for p in curve],
            "low": [p.ci_low for p in curve],
            "high": [p.ci_high for p in curve],
        }
    return out


def time_words(criterion: CriterionAgreement, min_pairable_items: int) -> str:
    """What the curve over time would show, in words, when it has fewer than two periods to draw ("" otherwise)."""
    points, curve = criterion.over_time, criterion.time_curve
    if not points or len(curve) >= 2:
        return ""
    last = points[-1]
    unit = last.unit or "period"
    if len(points) == 1:
        where = f"All {last.n_labels:,} labels so far were given within one {unit} ({last.label or last.period})"
    else:
        enough = "none of them has" if not curve else "only one of them has"
        where = f"The labels so far span {len(points)} {unit}s, but {enough} alpha on enough pairable items"
    return f"{where}: a curve over time needs two {unit}s with at least {min_pairable_items} pairable items each."
