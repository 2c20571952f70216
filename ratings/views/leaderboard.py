"""The leaderboard page: the systems behind a campaign's outputs ranked on one criterion, with intervals."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.models import Membership
from annotate.permissions import READERS, get_campaign_for
from ratings import leaderboard_report as report

TEMPLATE = "ratings/campaign_leaderboard.html"
# Systems the head-to-head matrix shows: the best ones; the API has all of them.
MATRIX_SYSTEMS = 15
# Pairs the page lists for pointwise criteria, best first; the API has all of them.
LISTED_PAIRS = 66


@login_required
@require_GET
def campaign_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Win rates and Bradley–Terry scores (pairwise criteria) or means (scales, numbers, flags) per system."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    criteria = report.leaderboard_criteria(campaign)
    labels = request.GET.get("labels") or report.DEFAULT_LABELS
    context = {
        "campaign": campaign,
        "criteria": criteria,
        "labels": labels if labels in report.LABELS else report.DEFAULT_LABELS,
        "label_choices": [(value, report.LABEL_WORDS[value]) for value in (report.FINAL, report.ALL)],
        "can_set_field": campaign.caller_role == Membership.Role.OWNER,
        "matrix_systems": MATRIX_SYSTEMS,
        "listed_pairs": LISTED_PAIRS,
        "listed_pairs_slice": f":{LISTED_PAIRS}",
    }
    try:
        if report.criterion_require(campaign, request.GET.get("criterion")) is None:
            return render(request, TEMPLATE, context)
        board = report.campaign_leaderboard(campaign, criterion_key=request.GET.get("criterion"), labels=labels)
    except report.LeaderboardInputError as exc:
        context["error"] = str(exc)
        return render(request, TEMPLATE, context, status=400)
    context.update(board=board, selected=board.criterion_key, chart=report.chart_data(board))
    if board.ranking is not None:
        context["head_to_head"] = board.ranking.head_to_head.rows(MATRIX_SYSTEMS)
    return render(request, TEMPLATE, context)
