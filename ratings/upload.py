"""HTML pages for importing existing labels into a campaign (owners only): the upload, then its progress."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.pages import render_page_or_fragment
from annotate.models import ImportRun, Membership
from annotate.permissions import get_campaign_for, get_import_run_for
from annotate.services.campaigns import campaign_is_open, campaign_lock_open
from annotate.services.pending_uploads import upload_save
from ratings.forms import RatingsImportForm
from ratings.services import MAX_COMMENT_LENGTH, MAX_NEW_RATERS
from ratings.tasks import ratings_import_start


@login_required
@require_http_methods(["GET", "POST"])
def ratings_import_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a labels file in the long or wide layout (people's or a machine judge's); the import runs as a task."""
    campaign = get_campaign_for(request, slug, roles={Membership.Role.OWNER})
    form = RatingsImportForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            # Refused here, not by the task: a closed campaign's form says so at once.
            with transaction.atomic():
                campaign_lock_open(campaign=campaign, change="ratings can no longer be imported")
        except ValidationError as exc:
            form.add_error(None, exc)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _token, path = upload_save(chunks=data["file"].chunks(), filename=data["file"].name)
        run = ratings_import_start(
            user=request.user, campaign=campaign, path=path, filename=data["file"].name, **form.import_options()
        )
        return redirect("ratings-upload:ratings-import-progress", slug=campaign.slug, pk=run.pk)
    status = 400 if form.errors else 200
    context = {"campaign": campaign, "form": form, "is_open": campaign_is_open(campaign)}
    context |= {"max_new_raters": MAX_NEW_RATERS, "max_comment_length": MAX_COMMENT_LENGTH}
    return render(request, "ratings/ratings_import.html", context, status=status)


@login_required
@require_GET
def ratings_import_progress(request: HttpRequest, slug: str, pk: UUID) -> HttpResponse:
    """A labels import's progress, then what it imported or the row that failed; htmx polls until it finishes."""
    campaign = get_campaign_for(request, slug, roles={Membership.Role.OWNER})
    run = get_import_run_for(request, pk, kind=ImportRun.Kind.RATINGS)
    if run.campaign_id != campaign.pk:
        raise Http404("No such import.")
    context = {"campaign": campaign, "run": run, "result": run.result}
    return render_page_or_fragment(
        request, "ratings/ratings_import_progress.html", "ratings/partials/_ratings_import_progress.html", context
    )
