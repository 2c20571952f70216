"""The export page: a campaign's labels as a file (at once, or written by a task with a progress page), and its
data card."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.pages import render_page_or_fragment
from annotate.models import Campaign
from annotate.permissions import READERS, get_campaign_for
from ratings.data_card import data_card_markdown
from ratings.export_encoders import FORMULA_START_NAMES
from ratings.export_runs import (
    EXPORT_INLINE_RATINGS,
    export_is_inline,
    export_names_allowed,
    export_response,
    export_run_file,
    export_runs_recent,
    get_export_run_for,
)
from ratings.export_tasks import export_start
from ratings.forms import ExportForm
from ratings.models import ExportRun
from ratings.preference_export import preference_overview

# The caller's latest large exports, as the page lists them.
RECENT_RUNS = 5


@login_required
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The export form and the data card; a small campaign downloads at once, a large one starts a task."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    may_name = export_names_allowed(campaign.caller_role)
    form = ExportForm(request.POST or None, campaign=campaign, may_name=may_name)
    if request.method == "POST" and form.is_valid():
        if export_is_inline(campaign, form.spec):
            return export_response(campaign, form.spec)
        run = export_start(campaign=campaign, user=request.user, spec=form.spec)
        return redirect("ratings:export-progress", slug=campaign.slug, pk=run.pk)
    context = {
        "campaign": campaign,
        "form": form,
        "may_name": may_name,
        "inline_limit": EXPORT_INLINE_RATINGS,
        "formula_starts": FORMULA_START_NAMES,
        "runs": export_runs_recent(campaign=campaign, user=request.user, with_names=may_name)[:RECENT_RUNS],
        "data_card": data_card_markdown(campaign),
        "preference": preference_overview(campaign),
    }
    return render(request, "ratings/export.html", context, status=400 if form.errors else 200)


def _run_of(request: HttpRequest, slug: str, pk: UUID) -> tuple[Campaign, ExportRun]:
    campaign = get_campaign_for(request, slug, roles=READERS)
    run = get_export_run_for(request.user, pk)
    if run.campaign_id != campaign.pk:
        raise Http404("No such export.")
    return campaign, run


@login_required
@require_GET
def export_progress(request: HttpRequest, slug: str, pk: UUID) -> HttpResponse:
    """A large export's progress (rows written so far), then its download link; htmx polls until it ends."""
    campaign, run = _run_of(request, slug, pk)
    context = {"campaign": campaign, "run": run}
    return render_page_or_fragment(
        request, "ratings/export_progress.html", "ratings/partials/_export_progress.html", context
    )


@login_required
@require_GET
def export_download(request: HttpRequest, slug: str, pk: UUID) -> HttpResponse:
    """A finished export's file (readers of the campaign; one with real names, its owners)."""
    _campaign, run = _run_of(request, slug, pk)
    return export_run_file(run)
