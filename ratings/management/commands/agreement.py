"""Print a campaign's agreement per criterion: an aligned table, or the full report as JSON."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.models import Campaign
from ratings import report_results, reports

COLUMNS = ["criterion", "level", "alpha", "95% interval", "items", "raters", "pairable", "% agree", "reading"]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _row(c: report_results.CriterionAgreement) -> list[str]:
    if c.alpha is None:
        return [c.key, c.level, "—", "—", str(c.n_items), str(c.n_raters), "0", _fmt(c.percent_agreement), c.message]
    interval = f"[{_fmt(c.alpha.ci_low)}, {_fmt(c.alpha.ci_high)}]" if c.interval_defined else "—"
    return [
        c.key,
        c.level,
        _fmt(c.alpha.value),
        interval,
        str(c.n_items),
        str(c.n_raters),
        str(c.alpha.n_pairable),
        _fmt(c.percent_agreement),
        c.reading.verdict,
    ]


def format_table(report: report_results.CampaignAgreement) -> str:
    """The per-criterion table with aligned columns (numbers right-aligned)."""
    rows = [COLUMNS, *[_row(c) for c in report.criteria]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    numeric = {2, 3, 4, 5, 6, 7}
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.extend(f"{s.key}: not measured ({s.reason})" for s in report.skipped)
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print inter-rater agreement per criterion of a campaign."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The campaign's slug.")
        parser.add_argument("--criterion", help="Only this criterion key.")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--n-boot", type=int, default=1000, help="Bootstrap resamples for the intervals.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Compute (or read from cache) the report and print it."""
        if options["n_boot"] < 1:
            raise CommandError("--n-boot must be at least 1")
        campaign = Campaign.objects.select_related("rubric_version__rubric").filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {options['slug']!r}")
        try:
            report = reports.campaign_agreement(campaign, criterion_key=options["criterion"], n_boot=options["n_boot"])
        except reports.UnknownCriterionError as exc:
            keys = ", ".join(c.key for c in campaign.rubric_version.typed_criteria)
            raise CommandError(f"{exc} (criteria: {keys})") from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(report_results.report_as_dict(report), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(
                f"{campaign.name} ({campaign.slug}) · rubric {report.rubric_name} v{report.rubric_version}"
            )
            self.stdout.write(format_table(report))
