"""The landing page: the campaigns I belong to, with my role in each."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.permissions import can_curate
from annotate.selectors.campaigns import campaigns_for_user


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """List the caller's campaigns by role."""
    campaigns = campaigns_for_user(request.user)
    return render(request, "home.html", {"campaigns": campaigns, "can_curate": can_curate(request.user)})
