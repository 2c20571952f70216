"""Rubric versions compared: what changed between any two, beside alpha per criterion under every version."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.forms.rubrics import RubricVersionPairForm
from annotate.permissions import get_rubric_for
from ratings import rubric_comparison
from ratings.reports import MIN_PAIRABLE_ITEMS


@login_required
@require_GET
def rubric_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two chosen versions (?from=&to=, the last two by default) diffed, with the figures the user may read."""
    rubric = get_rubric_for(request, pk)
    comparison = rubric_comparison.rubric_versions_compared(rubric, user=request.user)
    context = {
        "rubric": rubric,
        "comparison": comparison,
        "form": None,
        "pair": None,
        "min_pairable_items": MIN_PAIRABLE_ITEMS,
    }
    if not comparison.versions:
        return render(request, "ratings/agreement_compare.html", context)
    form = RubricVersionPairForm(request.GET, versions=rubric_comparison.version_choices(comparison))
    context["form"] = form
    if not form.is_valid():
        return render(request, "ratings/agreement_compare.html", context, status=400)
    numbers = form.cleaned_data["from"], form.cleaned_data["to"]
    context["pair"] = rubric_comparison.rubric_pair_compared(comparison, rubric, *numbers)
    return render(request, "ratings/agreement_compare.html", context)
