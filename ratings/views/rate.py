"""The rating page: the next item and its criteria, skip, flag, back, and the rater's own ratings."""

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.input_checks import parse_row_id
from accord.pages import render_page_or_fragment
from annotate.criteria import RATE_PAGE_KEYS, RESERVED_KEYS, Criterion, pairwise_swap, values_from_post
from annotate.models import Assignment, Campaign
from annotate.permissions import get_campaign_to_rate
from ratings.models import Rating
from ratings.queue import assignment_flag, assignment_next, assignment_skip
from ratings.queue_selectors import (
    assignment_for_rater,
    item_view,
    progress_beside,
    rate_unavailable_reason,
    seconds_on_item,
)
from ratings.selectors import latest_rating_of_rater, rating_of_rater, ratings_of_rater
from ratings.services import REVISABLE, rating_revise, rating_submit

RATINGS_PER_PAGE = 50
FLAG_CHOICES = [(value, label, str(n)) for n, (value, label) in enumerate(Assignment.Flag.choices[1:], start=1)]
# The page's own keys as rate.js reads them from the page.
PAGE_KEYS_JSON = json.dumps(RATE_PAGE_KEYS)
# The one query a revision may return to besides the bare page: a page of My ratings.
RETURN_QUERY_RE = re.compile(r"page=[0-9]{1,9}")


def control_value(value: Any) -> str:
    """A stored answer as the form control's value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def criteria_controls(
    criteria: tuple[Criterion, ...], values: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict]:
    """Criteria as the template draws them: each option knows its form value and whether it is chosen."""
    controls = []
    for criterion in criteria:
        value = values.get(criterion.key)
        chosen = {control_value(v) for v in value} if isinstance(value, list) else {control_value(value)}
        options = []
        for option in criterion.options:
            form_value = control_value(option.value)
            # A version stored before the page kept a key for itself: the page's action wins, the option has none.
            key = "" if option.key.lower() in RESERVED_KEYS else option.key
            options.append({**option.to_dict(), "key": key, "input_value": form_value, "checked": form_value in chosen})
        controls.append(
            {
                **criterion.to_dict(),
                "options": options,
                "error": " ".join(errors.get(criterion.key, [])),
                "input_value": control_value(value),
                "midpoint": criterion.midpoint,
                "template": criterion.template,
            }
        )
    return controls


RATE_LINKS = {
    "rate": "ratings:rate",
    "back": "ratings:rate-back",
    "submit": "ratings:rate-submit",
    "skip": "ratings:rate-skip",
    "flag": "ratings:rate-flag",
    "my_ratings": "ratings:my-ratings",
    "campaign": "ratings:campaign-detail",
}


def _rate_links(slug: str) -> dict[str, str]:
    """The rating panel's links for a campaign, reversed once and kept in the cache (keyed by the URL prefix too)."""
    # The names are in the key, so a shared cache never hands a new release an older set of links.
    key = f"accord:rate-links:{get_script_prefix()}:{slug}:{','.join(RATE_LINKS)}"
    links = cache.get(key)
    if links is None:
        links = {name: reverse(view, args=[slug]) for name, view in RATE_LINKS.items()}
        cache.set(key, links, None)
    return links


def _panel_context(
    campaign: Campaign,
    rater: Any,
    assignment: Assignment | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    comment: str = "",
    notice: str = "",
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "campaign": campaign,
        "assignment": assignment,
        "notice": notice,
        "my_progress": progress_beside(campaign=campaign, rater=rater, assignment=assignment),
        "reason": "" if assignment else rate_unavailable_reason(campaign),
        "flag_choices": FLAG_CHOICES,
        "links": _rate_links(campaign.slug),
        "page_keys": RATE_PAGE_KEYS,
        "page_keys_json": PAGE_KEYS_JSON,
    }
    if assignment is not None:
        item = assignment.campaign_item.item
        context.update(
            item_view=item_view(
                campaign=campaign,
                item_content=item.content,
                item_metadata=item.metadata,
                presentation=assignment.presentation,
            ),
            # Drawn from the template's cache when the form is blank (see _rate_panel.html): built only if needed.
            criteria=lambda: criteria_controls(campaign.rubric_version.typed_criteria, values or {}, errors or {}),
            blank_form=not values and not errors and not comment,
            comment=comment,
            rendered_at=f"{timezone.now().timestamp():.3f}",
            form_errors=errors or {},
        )
    return context


def _render_panel(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    return render_page_or_fragment(request, "ratings/rate_page.html", "ratings/partials/_rate_panel.html", context)


def _next_panel(request: HttpRequest, campaign: Campaign, notice: str = "") -> HttpResponse:
    if not request.htmx:
        # Without htmx the POST ends in a redirect, so a reload never resubmits.
        if notice:
            messages.info(request, notice)
        return redirect("ratings:rate", slug=campaign.slug)
    assignment = assignment_next(campaign=campaign, rater=request.user, after_close=True)
    return _render_panel(request, _panel_context(campaign, request.user, assignment, notice=notice))


def _posted_assignment(request: HttpRequest, campaign: Campaign) -> Assignment:
    pk = parse_row_id(request.POST.get("assignment"))
    assignment = assignment_for_rater(campaign=campaign, rater=request.user, pk=pk) if pk is not None else None
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def _seconds_spent(request: HttpRequest, started: datetime | None) -> float | None:
    """Seconds since the form was rendered (bounded by the lease start and now), capped at an hour."""
    try:
        rendered = datetime.fromtimestamp(float(request.POST.get("rendered_at", "")), tz=UTC)
    except (ValueError, OverflowError, OSError):
        rendered = None
    return seconds_on_item(started=started, shown_at=rendered, now=timezone.now())


@login_required
@require_GET
def rate(request: HttpRequest, slug: str) -> HttpResponse:
    """The rating page: the rater's current or next item; htmx gets the panel alone."""
    campaign = get_campaign_to_rate(request, slug)
    assignment = assignment_next(campaign=campaign, rater=request.user)
    return _render_panel(request, _panel_context(campaign, request.user, assignment))


@login_required
@require_POST
def rate_submit(request: HttpRequest, slug: str) -> HttpResponse:
    """Store the answers and return the panel with the next item; invalid answers come back with inline errors."""
    campaign = get_campaign_to_rate(request, slug)
    assignment = _posted_assignment(request, campaign)
    values = values_from_post(campaign.rubric_version.typed_criteria, request.POST)
    comment = request.POST.get("comment", "")
    try:
        rating_submit(
            assignment=assignment,
            values=values,
            comment=comment,
            seconds_spent=_seconds_spent(request, assignment.leased_at),
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            return _next_panel(request, campaign, notice=" ".join(exc.messages))
        context = _panel_context(
            campaign, request.user, assignment, values=values, errors=exc.message_dict, comment=comment
        )
        # 200, not 400: htmx swaps only successful responses, and the errors belong in the panel.
        return _render_panel(request, context)
    return _next_panel(request, campaign, notice="Saved.")


@login_required
@require_POST
def rate_skip(request: HttpRequest, slug: str) -> HttpResponse:
    """Give the current item back with an optional reason and move on."""
    campaign = get_campaign_to_rate(request, slug)
    assignment = _posted_assignment(request, campaign)
    try:
        assignment_skip(assignment=assignment, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _next_panel(request, campaign, notice=" ".join(exc.messages))
    return _next_panel(request, campaign, notice="Skipped.")


@login_required
@require_POST
def rate_flag(request: HttpRequest, slug: str) -> HttpResponse:
    """Flag the current item (broken, unsafe, needs an expert) with a note and move on."""
    campaign = get_campaign_to_rate(request, slug)
    assignment = _posted_assignment(request, campaign)
    try:
        assignment_flag(assignment=assignment, flag=request.POST.get("flag", ""), note=request.POST.get("note", ""))
    except ValidationError as exc:
        return _next_panel(request, campaign, notice=" ".join(exc.messages))
    return _next_panel(request, campaign, notice="Flagged; the owner will see your note.")


@login_required
@require_GET
def rate_back(request: HttpRequest, slug: str) -> HttpResponse:
    """Open the rater's most recent rating for revision."""
    campaign = get_campaign_to_rate(request, slug)
    rating = latest_rating_of_rater(campaign=campaign, rater=request.user)
    if rating is None:
        messages.info(request, "You have not rated anything in this campaign yet.")
        return redirect("ratings:rate", slug=campaign.slug)
    # Saving the revision brings the rater back here, to the item they left.
    revise = reverse("ratings:rating-revise", args=[campaign.slug, rating.pk])
    return redirect(f"{revise}?{urlencode({'next': _rate_links(campaign.slug)['rate']})}")


def _return_url(slug: str, requested: str | None) -> str:
    """Where a revision returns to: the rating page or a page of My ratings, if asked for, else My ratings.

    Only this campaign's own two pages, compared as text: nothing else a link may carry is ever followed.
    """
    links = _rate_links(slug)
    path, _, query = (requested or "").partition("?")
    if path == links["rate"] and not query:
        return path
    if path == links["my_ratings"] and (not query or RETURN_QUERY_RE.fullmatch(query)):
        return f"{path}?{query}" if query else path
    return links["my_ratings"]


def _answers(rating: Rating) -> list[tuple[str, str]]:
    """The rating's answers as the rater saw them, by option label."""
    criteria = rating.rubric_version.typed_criteria
    shown = pairwise_swap(criteria, rating.values, rating.presentation)
    answers = []
    for criterion in criteria:
        if criterion.key not in shown:
            continue
        value = shown[criterion.key]
        labels = {control_value(o.value): o.label for o in criterion.options}
        items = value if isinstance(value, list) else [value]
        answers.append((criterion.label, ", ".join(labels.get(control_value(v), control_value(v)) for v in items)))
    return answers


@login_required
@require_GET
def my_ratings(request: HttpRequest, slug: str) -> HttpResponse:
    """The rater's own ratings in the campaign, newest first, each linking to its revision form."""
    campaign = get_campaign_to_rate(request, slug)
    ratings = ratings_of_rater(campaign=campaign, rater=request.user).select_related("rubric_version")
    page = Paginator(ratings, RATINGS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(rating, _answers(rating)) for rating in page.object_list]
    here = _rate_links(campaign.slug)["my_ratings"] + (f"?page={page.number}" if page.number > 1 else "")
    context = {
        "campaign": campaign,
        "page": page,
        "rows": rows,
        "can_revise": campaign.status in REVISABLE,
        "revise_query": urlencode({"next": here}),
    }
    return render(request, "ratings/rate_my_ratings.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rating_revise_view(request: HttpRequest, slug: str, rating_pk: int) -> HttpResponse:
    """Show one of my ratings with the item as I saw it; POST stores a revision."""
    campaign = get_campaign_to_rate(request, slug)
    rating = rating_of_rater(campaign=campaign, rater=request.user, pk=rating_pk)
    if rating is None:
        raise Http404("No such rating.")
    criteria = rating.rubric_version.typed_criteria
    values, comment, errors = pairwise_swap(criteria, rating.values, rating.presentation), rating.comment, {}
    back_to = _return_url(campaign.slug, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        values, comment = values_from_post(criteria, request.POST), request.POST.get("comment", "")
        try:
            rating_revise(rating=rating, values=values, comment=comment, seconds_spent=_seconds_spent(request, None))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, "Your rating was revised; the earlier version is kept.")
            return redirect(back_to)
    context = _revise_context(campaign, rating, values, errors, comment)
    return render(request, "ratings/rate_revise.html", {**context, "back_to": back_to})


def _revise_context(
    campaign: Campaign, rating: Rating, values: dict[str, Any], errors: dict[str, list[str]], comment: str
) -> dict[str, Any]:
    item = rating.campaign_item.item
    return {
        "campaign": campaign,
        "links": _rate_links(campaign.slug),
        "page_keys": RATE_PAGE_KEYS,
        "page_keys_json": PAGE_KEYS_JSON,
        "rating": rating,
        "item_view": item_view(
            campaign=campaign, item_content=item.content, item_metadata=item.metadata, presentation=rating.presentation
        ),
        "criteria": criteria_controls(rating.rubric_version.typed_criteria, values, errors),
        "form_errors": errors,
        "non_field_errors": errors.get("__all__", []),
        "comment": comment,
        "rendered_at": f"{timezone.now().timestamp():.3f}",
        "can_revise": campaign.status in REVISABLE,
        "answers": _answers(rating),
    }
