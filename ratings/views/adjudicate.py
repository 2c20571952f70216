"""Adjudication pages: the queue, one item's labels side by side with a decision per criterion, sending items."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accord.input_checks import parse_row_id
from accord.pages import render_page_or_fragment
from annotate.criteria import Criterion
from annotate.criteria.base import value_text
from annotate.models import Assignment, Campaign, CampaignItem, Membership
from annotate.permissions import READERS, get_campaign_for
from ratings import adjudication_queue as queue
from ratings.adjudication import (
    DECIDERS,
    MAX_EXTRA_OVERLAP,
    Decision,
    adjudication_lease_take,
    adjudication_record,
    adjudication_send,
    lease_holder,
)
from ratings.adjudication_item import AdjudicationItem, adjudication_item_read, rater_names, with_pseudonyms
from ratings.final_labels import (
    aggregated_criteria,
    disagreement_threshold,
    disagreement_unit,
    display_value,
    plain_value,
    results_for_pages,
)
from ratings.forms import AdjudicationSettingsForm
from ratings.models import Adjudication, AdjudicationLease
from ratings.pseudonyms import rater_pseudonym
from ratings.selectors import campaign_ratings
from ratings.views.rate import control_value, criteria_controls

QUEUE_PER_PAGE = 50
FILTERS = ("reason", "criterion")


def _filters(request: HttpRequest, campaign: Campaign) -> dict[str, str]:
    """The queue's filters from the query string; unknown values are dropped, never trusted."""
    keys = {c.key for c in aggregated_criteria(campaign.rubric_version.typed_criteria)}
    reason = request.GET.get("reason", "")
    criterion = request.GET.get("criterion", "")
    return {"reason": reason if reason in queue.REASONS else "", "criterion": criterion if criterion in keys else ""}


def _query(filters: dict[str, str]) -> str:
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in filters.items() if v})
    return query.urlencode()


def _queue_context(request: HttpRequest, campaign: Campaign, filters: dict[str, str]) -> dict[str, Any]:
    entries = queue.adjudication_queue(campaign)
    shown = queue.queue_filtered(entries, reason=filters["reason"], criterion_key=filters["criterion"])
    criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
    counts = queue.queue_counts(entries)
    page = Paginator(shown, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = queue.named(page.object_list)
    context = {
        "campaign": campaign,
        "page": page,
        "counts": counts,
        "reason_counts": [(kind, label, counts.by_reason[kind]) for kind, label in queue.REASONS.items()],
        "criterion_counts": [(c, counts.by_criterion.get(c.key, 0)) for c in criteria],
        "n_shown": len(shown),
        "filters": filters,
        "query": _query(filters),
        "reasons": queue.REASONS,
        "criteria": criteria,
        "can_decide": campaign.caller_role in DECIDERS,
        "thresholds": [
            {"criterion": c, "value": disagreement_threshold(campaign, c), "unit": disagreement_unit(c)}
            for c in criteria
        ],
    }
    if campaign.caller_role == Membership.Role.OWNER:
        context["settings_form"] = AdjudicationSettingsForm(campaign=campaign)
    context["reliability"] = _reliability(campaign)
    return context


def _reliability(campaign: Campaign) -> list[dict[str, Any]] | None:
    """Each rater's reliability and confusion matrix per criterion, as Dawid and Skene estimate them (None: the
    campaign is too large to estimate them in a page)."""
    results = results_for_pages(campaign)
    if results is None:
        return None
    criteria = {c.key: c for c in aggregated_criteria(campaign.rubric_version.typed_criteria)}
    rated = dict(
        campaign_ratings(campaign)
        .filter(is_repeat=False)
        .order_by()
        .values("rater")
        .annotate(n=Count("id"))
        .values_list("rater", "n")
    )
    out = []
    for key, result in results.items():
        classes = list(result.classes)
        raters = []
        for rater_id, reliability in result.reliability.sort_values(ascending=False).items():
            matrix = result.confusion[rater_id]
            rows = [(value_text(plain_value(c)), [float(matrix.loc[c, g]) for g in classes]) for c in classes]
            name = rater_pseudonym(campaign, rater_id)
            raters.append({"name": name, "reliability": float(reliability), "n": rated.get(rater_id, 0), "rows": rows})
        heads = [value_text(plain_value(c)) for c in classes]
        out.append({"criterion": criteria[key], "classes": heads, "n_items": len(result.labels), "raters": raters})
    return out


@login_required
@require_GET
def adjudication_queue_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Items waiting for an adjudicator: why each is there, most disputed first, filtered by reason and criterion."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    context = _queue_context(request, campaign, _filters(request, campaign))
    return render(request, "ratings/adjudication_queue.html", context)


@login_required
@require_GET
def adjudication_next(request: HttpRequest, slug: str) -> HttpResponse:
    """Open the next item nobody else holds (after `after`, keeping the filters), or say the queue is clear."""
    campaign = get_campaign_for(request, slug, roles=DECIDERS)
    entry = _next_entry(request, campaign, parse_row_id(request.GET.get("after")))
    if entry is None:
        messages.success(request, "Nothing left to adjudicate here: the queue is clear.")
        return redirect(_queue_url(request, campaign))
    return redirect(_item_url(request, campaign, entry.campaign_item_id))


def _next_entry(request: HttpRequest, campaign: Campaign, after: int | None) -> queue.QueueEntry | None:
    filters = _filters(request, campaign)
    entries = queue.queue_filtered(
        queue.adjudication_queue(campaign), reason=filters["reason"], criterion_key=filters["criterion"]
    )
    return queue.queue_next(entries, adjudicator_id=request.user.pk, after=after)


def _queue_url(request: HttpRequest, campaign: Campaign) -> str:
    query = _query(_filters(request, campaign))
    return reverse("ratings:adjudicate", args=[campaign.slug]) + (f"?{query}" if query else "")


def _item_url(request: HttpRequest, campaign: Campaign, item_pk: int) -> str:
    query = _query(_filters(request, campaign))
    return reverse("ratings:adjudicate-item", args=[campaign.slug, item_pk]) + (f"?{query}" if query else "")


def _criterion_rows(
    campaign: Campaign, read: AdjudicationItem, errors: dict[str, list[str]], posted: QueryDict | None
) -> list[dict[str, Any]]:
    rows = []
    for criterion in read.criteria:
        label = read.labels[criterion.key]
        if posted is not None:
            outcome = posted.get(f"outcome-{criterion.key}", "")
            value = criterion.from_post(posted)
            rationale = posted.get(f"rationale-{criterion.key}", "")
        else:
            current = label.adjudication
            outcome = current.outcome if current else ("final" if label.aggregate is not None else "")
            value = current.value if current and current.outcome == "final" else label.aggregate
            rationale = current.rationale if current else ""
        control = criteria_controls((criterion,), {criterion.key: plain_value(value)}, {})[0]
        # The outcome decides whether a value is needed: the browser must not demand one for "ambiguous".
        control["required"] = False
        rows.append(
            {
                "criterion": criterion,
                "control": control,
                "label": label,
                "labels": [criterion.display(r.values.get(criterion.key)) for r in read.ratings],
                "distribution": [
                    {"value": criterion.display(list(v) if isinstance(v, tuple) else v), "n": n}
                    for v, n in label.distribution.items()
                ],
                "aggregate": display_value(criterion, label.aggregate),
                # The form value of the aggregate: choosing any other value asks for a rationale (adjudicate.js).
                "aggregate_input": control_value(plain_value(label.aggregate)),
                "final": display_value(criterion, label.value),
                "threshold": disagreement_threshold(campaign, criterion),
                "unit": disagreement_unit(criterion),
                "outcome": outcome,
                "rationale": rationale,
                "history": read.history.get(criterion.key, []),
                "error": " ".join(errors.get(criterion.key, [])),
            }
        )
    return rows


def _item_context(
    request: HttpRequest,
    campaign: Campaign,
    campaign_item: CampaignItem,
    *,
    errors: dict[str, list[str]] | None = None,
    posted: QueryDict | None = None,
    holder: AdjudicationLease | None = None,
) -> dict[str, Any]:
    read = adjudication_item_read(campaign, campaign_item)
    is_owner = campaign.caller_role == Membership.Role.OWNER
    reveal = is_owner and request.GET.get("names") == "1"
    filters = _filters(request, campaign)
    # The lease just taken (or someone else's), else whoever holds the item now.
    holder = holder if holder is not None else lease_holder(campaign_item)
    return {
        "campaign": campaign,
        "campaign_item": campaign_item,
        "item": campaign_item.item,
        "raters": [
            {"name": name, "rating": r}
            for name, r in zip(rater_names(campaign, read.ratings, reveal=reveal), read.ratings, strict=True)
        ],
        "rows": _criterion_rows(campaign, read, errors or {}, posted),
        "free_text": [{"criterion": c, "texts": [r.values.get(c.key) for r in read.ratings]} for c in read.free_text],
        "entry": read.entry,
        "holder": holder,
        "holds_it": holder is not None and holder.adjudicator_id == request.user.pk,
        "can_decide": campaign.caller_role in DECIDERS,
        "can_reveal": is_owner,
        "reveal": reveal,
        "query": _query(filters),
        "form_errors": errors or {},
        # Errors about the whole form: the item held by someone else, nothing chosen, sending back refused.
        "general_errors": [*(errors or {}).get("__all__", []), *(errors or {}).get("more_raters", [])],
        "more_raters": (posted.get("more_raters") if posted is not None else "") or "2",
        "max_more_raters": MAX_EXTRA_OVERLAP,
        "flags": read.flags,
    }


@login_required
@require_http_methods(["GET", "POST"])
def adjudication_item(request: HttpRequest, slug: str, item_pk: int) -> HttpResponse:
    """One item: every rater's labels side by side, the aggregate, and a decision per criterion."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    campaign_item = get_object_or_404(CampaignItem.objects.select_related("item"), campaign=campaign, pk=item_pk)
    can_decide = campaign.caller_role in DECIDERS
    if request.method == "POST":
        if not can_decide:
            raise Http404("No such page.")
        return _record(request, campaign, campaign_item)
    return _item_page(request, campaign, campaign_item)


def _item_page(
    request: HttpRequest,
    campaign: Campaign,
    campaign_item: CampaignItem,
    *,
    errors: dict[str, list[str]] | None = None,
    notice: str = "",
) -> HttpResponse:
    """The item's page, or its panel alone for htmx; a decider takes (or renews) the item's lease first.

    Invalid decisions come back with the posted form and its errors: status 400 for a page, 200 for htmx, which
    swaps only successful responses.
    """
    lease = None
    if campaign.caller_role in DECIDERS and errors is None:
        lease = adjudication_lease_take(campaign=campaign, campaign_item=campaign_item, adjudicator=request.user)
    posted = request.POST if errors is not None else None
    context = _item_context(request, campaign, campaign_item, errors=errors, posted=posted, holder=lease)
    context["notice"] = notice
    response = render_page_or_fragment(
        request, "ratings/adjudication_item.html", "ratings/partials/_adjudication_panel.html", context
    )
    if errors is not None and not request.htmx:
        response.status_code = 400
    return response


def _decisions_from_post(criteria: list[Criterion], post: QueryDict) -> list[Decision]:
    decisions = []
    for criterion in criteria:
        outcome = post.get(f"outcome-{criterion.key}", "")
        if not outcome:
            continue
        value = criterion.from_post(post) if outcome == Adjudication.Outcome.FINAL else None
        rationale = post.get(f"rationale-{criterion.key}", "")
        decisions.append(Decision(criterion.key, outcome, value, rationale))
    return decisions


def _record(request: HttpRequest, campaign: Campaign, campaign_item: CampaignItem) -> HttpResponse:
    criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
    decisions = _decisions_from_post(criteria, request.POST)
    more = parse_row_id(request.POST.get("more_raters"))
    try:
        adjudication_record(
            campaign=campaign,
            campaign_item=campaign_item,
            adjudicator=request.user,
            decisions=decisions,
            more_raters=more if more is not None else 0,
        )
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        return _item_page(request, campaign, campaign_item, errors=errors)
    n = len(decisions)
    done = f"Recorded {n} decision{'s' if n != 1 else ''} on item {campaign_item.item.external_id}."
    if not request.htmx:
        messages.success(request, done)
        url = reverse("ratings:adjudicate-next", args=[campaign.slug]) + f"?after={campaign_item.pk}"
        query = _query(_filters(request, campaign))
        return redirect(url + (f"&{query}" if query else ""))
    # htmx: the next item's panel in place of this one, as the rating page does, and its URL in the address bar.
    entry = _next_entry(request, campaign, campaign_item.pk)
    if entry is None:
        messages.success(request, f"{done} Nothing left to adjudicate here: the queue is clear.")
        return HttpResponseClientRedirect(_queue_url(request, campaign))
    following = get_object_or_404(CampaignItem.objects.select_related("item"), pk=entry.campaign_item_id)
    response = _item_page(request, campaign, following, notice=done)
    response["HX-Push-Url"] = _item_url(request, campaign, following.pk)
    return response


@login_required
@require_POST
def adjudication_send_view(request: HttpRequest, slug: str, item_pk: int) -> HttpResponse:
    """Send an item to the adjudication queue with a note, from any item page."""
    campaign = get_campaign_for(request, slug, roles=DECIDERS)
    campaign_item = get_object_or_404(CampaignItem.objects.select_related("item"), campaign=campaign, pk=item_pk)
    try:
        adjudication_send(
            campaign=campaign, campaign_item=campaign_item, user=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Item {campaign_item.item.external_id} is in the adjudication queue.")
    return redirect(reverse("ratings:adjudicate-item", args=[slug, campaign_item.pk]))


@login_required
@require_POST
def adjudication_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners set each criterion's disagreement threshold and how final labels are reached."""
    campaign = get_campaign_for(request, slug, roles=frozenset({Membership.Role.OWNER}))
    form = AdjudicationSettingsForm(request.POST, campaign=campaign)
    if form.is_valid():
        form.save()
        messages.success(request, "Adjudication settings saved.")
        return redirect("ratings:adjudicate", slug=slug)
    context = _queue_context(request, campaign, {"reason": "", "criterion": ""})
    context.update(settings_form=form, settings_open=True)
    return render(request, "ratings/adjudication_queue.html", context, status=400)


@login_required
@require_GET
def campaign_flags(request: HttpRequest, slug: str) -> HttpResponse:
    """Every flag and skip of the campaign with its reason, linked to the item, newest first."""
    campaign = get_campaign_for(request, slug, roles=DECIDERS)
    rows = (
        queue.flags_and_skips(campaign)
        .select_related("campaign_item__item")
        .order_by("-submitted_at", "-leased_at", "-pk")
    )
    kind = request.GET.get("kind", "")
    if kind == "flag":
        rows = rows.exclude(flag="")
    elif kind == "skip":
        rows = rows.filter(flag="", status=Assignment.Status.SKIPPED)
    else:
        kind = ""
    page = Paginator(rows, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_pseudonyms(campaign, page.object_list)
    context = {"campaign": campaign, "page": page, "kind": kind, "query": f"kind={kind}" if kind else ""}
    return render(request, "ratings/campaign_flags.html", context)
