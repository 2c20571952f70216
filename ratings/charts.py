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
        }
        for table in criterion.slices
    ]
    if criterion.over_time:
        out["over_time"] = {
            "periods": [p.period for p in criterion.over_time],
            "alpha": [p.alpha for p in criterion.over_time],
            "low": [p.ci_low for p in criterion.over_time],
            "high": [p.ci_high for p in criterion.over_time],
        }
    return out
