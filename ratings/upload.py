"""HTML page for importing existing labels into a campaign (owners only)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from annotate.models import Membership
from annotate.permissions import get_campaign_for
from annotate.services.campaigns import campaign_is_open
from ratings.forms import RatingsImportForm
from ratings.services import MAX_COMMENT_LENGTH, MAX_NEW_RATERS, ratings_import


@login_required
@require_http_methods(["GET", "POST"])
def ratings_import_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a labels file in the long or wide layout; show what was imported, or the row that failed."""
    campaign = get_campaign_for(request, slug, roles={Membership.Role.OWNER})
    form = RatingsImportForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = ratings_import(
                campaign=campaign,
                source=data["file"],
                fmt=data["fmt"],
                layout=form.import_layout(),
                add_missing_items=data["add_missing_items"],
                replace=data["replace"],
                match_members=data["match_members"],
                source_name=data["file"].name,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            context = {"campaign": campaign, "result": result, "filename": data["file"].name}
            return render(request, "ratings/ratings_import_done.html", context)
    status = 400 if form.errors else 200
    context = {"campaign": campaign, "form": form, "is_open": campaign_is_open(campaign)}
    context |= {"max_new_raters": MAX_NEW_RATERS, "max_comment_length": MAX_COMMENT_LENGTH}
    return render(request, "ratings/ratings_import.html", context, status=status)
