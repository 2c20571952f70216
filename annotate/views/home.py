"""The landing page: the campaigns I belong to, with my role in each."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.models import Campaign
from annotate.permissions import can_curate
from annotate.selectors.campaigns import campaigns_for_user


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """List the caller's campaigns by role; archived ones apart, folded away."""
    mine = campaigns_for_user(request.user)
    campaigns = [c for c in mine if c.status != Campaign.Status.ARCHIVED]
    # Still listed, folded away, so that an owner can open an archived campaign and unarchive it.
    archived = [c for c in mine if c.status == Campaign.Status.ARCHIVED]
    context = {"campaigns": campaigns, "archived": archived, "can_curate": can_curate(request.user)}
    return render(request, "home.html", context)
