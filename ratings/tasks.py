"""Tasks of the ratings app (Django's task framework): importing a labels file, a large agreement report."""

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django_tasks import task

from annotate.models import Campaign, ImportRun
from annotate.services.import_runs import (
    import_run_begin,
    import_run_execute,
    import_run_start,
    import_run_succeed,
)
from annotate.services.machine_raters import Provenance
from ratings import reports
from ratings.importers import Layout
from ratings.report_results import CampaignAgreement
from ratings.report_store import report_claim, report_in_background, report_latest, report_save, report_stored
from ratings.services import ratings_import


def ratings_import_start(
    *,
    user: AbstractBaseUser,
    campaign: Campaign,
    path: str | Path,
    filename: str,
    fmt: str | None,
    layout: Layout,
    add_missing_items: bool,
    replace: bool,
    match_members: bool,
    repeats: str = "error",
    machine: str | None = None,
    provenance: Provenance | None = None,
) -> ImportRun:
    """Record an import of an uploaded labels file into the campaign and enqueue it; the task owns the file."""
    options: dict[str, Any] = {
        "fmt": fmt,
        "layout": asdict(layout),
        "add_missing_items": add_missing_items,
        "replace": replace,
        "match_members": match_members,
        "repeats": repeats,
        # The machine judge whose labels these are: its name and provenance, or None for people's labels.
        "machine": None if machine is None else {"name": machine, **asdict(provenance or Provenance())},
    }
    return import_run_start(
        task=ratings_import_task,
        kind=ImportRun.Kind.RATINGS,
        user=user,
        path=path,
        filename=filename,
        options=options,
        campaign=campaign,
    )


@task()
def ratings_import_task(run_id: str) -> int:
    """Import an uploaded labels file into its campaign, all or nothing; return the ratings written."""
    run = import_run_begin(run_id=run_id)
    if run is None or run.campaign is None:
        return 0
    options = run.options
    machine = options.get("machine") or {}
    result = import_run_execute(
        run=run,
        work=lambda: ratings_import(
            campaign=run.campaign,
            source=run.path,
            fmt=options.get("fmt"),
            layout=Layout(**options.get("layout", {})),
            add_missing_items=bool(options.get("add_missing_items")),
            replace=bool(options.get("replace")),
            match_members=bool(options.get("match_members")),
            source_name=run.filename,
            repeats=options.get("repeats", "error"),
            machine=machine.get("name"),
            provenance=Provenance(**{k: machine.get(k, "") for k in ("model", "prompt", "version")}),
        ),
    )
    if result is None:
        return 0
    import_run_succeed(run=run, rows=result.n_labels, result=asdict(result))
    return result.n_ratings


def agreement_report_served(
    campaign: Campaign, *, criterion_key: str | None = None
) -> tuple[CampaignAgreement | None, bool]:
    """The campaign's agreement report (or one criterion's) as the dashboard and the API serve it, and whether
    a newer one is coming.

    A small campaign's report is computed here, or read from the cache. A large one's comes from a task
    (ratings.report_store): until its first report is stored there is none (None); after that the latest stored
    one is served while a task computes the report of the ratings as they stand now.
    """
    if not report_in_background(campaign, len(reports.agreement_criteria(campaign))):
        return reports.campaign_agreement(campaign, criterion_key=criterion_key), False
    reports.criterion_require(campaign, criterion_key)
    report, newer_coming = _stored_report(campaign)
    if report is not None and criterion_key is not None:
        report = reports.only_criterion(report, criterion_key)
    return report, newer_coming


def _stored_report(campaign: Campaign) -> tuple[CampaignAgreement | None, bool]:
    key = reports.agreement_key(campaign)
    current = report_stored(key)
    if current is None and report_claim(campaign=campaign, key=key):
        agreement_report_task.enqueue(campaign.pk)
        current = report_stored(key)
    if current is not None:
        return current, False
    latest = report_latest(campaign)
    return latest, latest is not None


@task()
def agreement_report_task(campaign_id: int) -> None:
    """Compute a large campaign's agreement report and store it for every web process (ratings.report_store)."""
    campaign = Campaign.objects.select_related("rubric_version__rubric").filter(pk=campaign_id).first()
    if campaign is None:
        return
    report = reports.campaign_agreement(campaign)
    report_save(campaign=campaign, key=reports.report_key(campaign, report), report=report)
