"""Agreement reports of large campaigns: computed by a task, kept in the database for every web process.

The first dashboard of a campaign with a million labels takes 4–6 s to compute (benchmarks/RESULTS.md): too
long to hold a request, and with the default per-process cache every web worker would compute it again. A
campaign of at least BACKGROUND_LABELS expected labels gets its report from a task (ratings.tasks); the page
says it is being computed and polls until the report is stored here. Smaller campaigns compute in the request.
"""

import pickle
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from annotate.models import Campaign, CampaignCounts
from ratings.models import AgreementReport
from ratings.report_results import CampaignAgreement

# Data items × overlap × criteria with agreement; at 200,000 labels a first report takes about a second here.
BACKGROUND_LABELS = 200_000
# A report queued this long ago without a result is presumed lost with its worker, and queued again.
REQUEUE_AFTER = timedelta(minutes=15)


def report_in_background(campaign: Campaign, n_criteria: int) -> bool:
    """Whether the campaign is large enough that its agreement report is computed by a task."""
    n_items = CampaignCounts.objects.filter(campaign=campaign).values_list("n_data_items", flat=True).first() or 0
    return n_items * campaign.overlap * n_criteria >= BACKGROUND_LABELS


def report_stored(key: str) -> CampaignAgreement | None:
    """The report stored under this key, or None while there is none."""
    pickled = AgreementReport.objects.filter(key=key, report__isnull=False).values_list("report", flat=True).first()
    # Written only by report_save below, from the report the task computed: never from anything a user sent.
    return pickle.loads(pickled) if pickled is not None else None


def report_latest(campaign: Campaign) -> CampaignAgreement | None:
    """The campaign's most recently computed report, whatever ratings it was computed from."""
    pickled = (
        AgreementReport.objects.filter(campaign=campaign, report__isnull=False)
        .order_by("-computed_at")
        .values_list("report", flat=True)
        .first()
    )
    return pickle.loads(pickled) if pickled is not None else None


def report_claim(*, campaign: Campaign, key: str) -> bool:
    """Record that the report under this key is wanted; True if a task must be queued to compute it.

    One task per campaign at a time: while raters work, every new rating changes the key, and a report queued
    per key would never catch up. A task queued more than REQUEUE_AFTER ago is presumed lost with its worker.
    """
    now = timezone.now()
    campaign_rows = AgreementReport.objects.filter(campaign=campaign)
    if campaign_rows.filter(report__isnull=True, queued_at__gt=now - REQUEUE_AFTER).exists():
        return False
    if campaign_rows.filter(key=key, report__isnull=False).exists():
        return False
    AgreementReport.objects.update_or_create(
        key=key, defaults={"campaign": campaign, "queued_at": now, "report": None, "computed_at": None}
    )
    return True


@transaction.atomic
def report_save(*, campaign: Campaign, key: str, report: CampaignAgreement) -> None:
    """Store a computed report under its key, in place of the campaign's other reports and claims."""
    now = timezone.now()
    AgreementReport.objects.update_or_create(
        key=key, defaults={"campaign": campaign, "report": pickle.dumps(report), "queued_at": now, "computed_at": now}
    )
    AgreementReport.objects.filter(campaign=campaign).exclude(key=key).delete()
