"""Agreement pages: the dashboard and its drill-down to items."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRefresh

from accord.pages import render_page_or_fragment
from annotate.models import CampaignItem, Membership
from annotate.permissions import READERS, get_campaign_for, rubrics_visible_to
from ratings import charts, report_results, reports, rubric_comparison, tasks
from ratings.final_labels import final_label_rows
from ratings.selectors import campaign_item_ratings, criterion_of

ITEMS_PER_PAGE = 50


def _selected(report: report_results.CampaignAgreement, key: str | None) -> report_results.CriterionAgreement | None:
    """The criterion named in ?criterion=, else the first one; an unknown key is a 404."""
    if not key:
        return report.criteria[0] if report.criteria else None
    chosen = report.criterion(key)
    if chosen is None:
        raise Http404("No such criterion.")
    return chosen


@login_required
@require_GET
def agreement_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Alpha per criterion with intervals, and the selected criterion's diagnostics (htmx swaps the panel)."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    report, newer_coming = tasks.agreement_report_served(campaign)
    if report is None:
        # A large campaign's first report: a worker computes it; this page polls until it is stored.
        if request.htmx and "wait" in request.GET:
            return render(request, "ratings/partials/_agreement_computing.html", {"campaign": campaign})
        return render(request, "ratings/agreement_computing.html", {"campaign": campaign})
    if request.htmx and "wait" in request.GET:
        return HttpResponseClientRefresh()
    selected = _selected(report, request.GET.get("criterion"))
    rubric = campaign.rubric_version.rubric
    min_items = report.min_pairable_items or reports.MIN_PAIRABLE_ITEMS
    context = {
        "campaign": campaign,
        "report": report,
        "newer_coming": newer_coming,
        "selected": selected,
        "min_pairable_items": min_items,
        "time_words": charts.time_words(selected, min_items) if selected else "",
        "fast_raters": [r.username for r in report.rater_speed.fast] if report.rater_speed else [],
        "charts": {c.key: charts.criterion_charts(c) for c in report.criteria},
        "overview": charts.overview_chart(report),
        "can_compare": rubrics_visible_to(request.user).filter(pk=rubric.pk).exists()
        and rubric_comparison.rubric_has_versions_to_compare(rubric),
    }
    return render_page_or_fragment(
        request, "ratings/agreement_dashboard.html", "ratings/partials/_agreement_criterion.html", context
    )


@login_required
@require_GET
def agreement_items(request: HttpRequest, slug: str) -> HttpResponse:
    """Items behind a criterion's numbers: every rater's label and the disagreement, sortable and filterable."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    criteria = reports.agreement_criteria(campaign)
    key = request.GET.get("criterion") or (criteria[0].key if criteria else "")
    criterion = next((c for c in criteria if c.key == key), None)
    if criterion is None:
        raise Http404("No such criterion.")
    filters = {name: request.GET.get(name, "").strip() for name in ("field", "value", "rater")}
    order = "item" if request.GET.get("sort") == "item" else "disagreement"
    rows = reports.agreement_item_rows(
        campaign,
        criterion,
        field_name=filters["field"],
        field_value=filters["value"],
        rater=filters["rater"],
        order=order,
    )
    page = Paginator(rows, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"campaign": campaign, "criterion": criterion, "criteria": criteria, "page": page, "filters": filters}
    context.update(order=order, query=query.urlencode(), n_rows=len(rows))
    return render(request, "ratings/agreement_items.html", context)


@login_required
@require_GET
def agreement_item(request: HttpRequest, slug: str, item_pk: int) -> HttpResponse:
    """One item's content and every rater's labels and comments side by side."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    campaign_item = get_object_or_404(CampaignItem.objects.select_related("item"), campaign=campaign, pk=item_pk)
    ratings = list(campaign_item_ratings(campaign_item))
    rows = [
        {"criterion": c, "labels": [c.display(r.values.get(c.key)) for r in ratings]}
        for c in campaign.rubric_version.typed_criteria
    ]
    context = {
        "campaign": campaign,
        "campaign_item": campaign_item,
        "item": campaign_item.item,
        "ratings": ratings,
        "rows": rows,
        "final_rows": final_label_rows(campaign, campaign_item),
        "can_decide": campaign.caller_role in (Membership.Role.OWNER, Membership.Role.ADJUDICATOR),
        "shown_left": any(r.presentation for r in ratings),
        "speed_floor": reports.SPEED_FLOOR_SECONDS,
        "back_criterion": request.GET.get("criterion")
        if criterion_of(campaign, request.GET.get("criterion", ""))
        else "",
    }
    return render(request, "ratings/agreement_item.html", context)
