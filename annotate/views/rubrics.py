"""Rubric pages: list, write a new rubric, read a version, edit as YAML."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annotate.forms.rubrics import (
    RUBRIC_EXAMPLES,
    STARTER_TEMPLATE,
    RubricEditForm,
    RubricSourceForm,
    rubric_example_text,
)
from annotate.models import Rubric, RubricVersion
from annotate.permissions import can_curate, get_rubric_for
from annotate.selectors.rubrics import (
    rubric_latest_version,
    rubric_list_for,
    rubric_version_source,
    rubric_versions_with_campaigns,
)
from annotate.services import rubrics as rubric_services


@login_required
@require_GET
def rubric_list(request: HttpRequest) -> HttpResponse:
    """Rubrics the caller may see, with their latest version and how many campaigns use them."""
    context = {"rubrics": rubric_list_for(request.user), "can_curate": can_curate(request.user)}
    return render(request, "annotate/rubric_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rubric_create(request: HttpRequest) -> HttpResponse:
    """Write a new rubric as YAML/JSON (pasted, uploaded or started from an example)."""
    if not can_curate(request.user):
        raise PermissionDenied("You may not create rubrics.")
    if request.method == "POST":
        form = RubricSourceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                version = rubric_services.rubric_create(
                    spec=form.cleaned_data["spec"], user=request.user, source=form.cleaned_data["source"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Created rubric {version.rubric.name} (version 1).")
                return redirect("annotate:rubric-detail", pk=version.rubric_id)
    else:
        text = rubric_example_text(request.GET.get("example", "")) or STARTER_TEMPLATE
        form = RubricSourceForm(initial={"text": text})
    return render(request, "annotate/rubric_create.html", {"form": form, "examples": RUBRIC_EXAMPLES})


@login_required
@require_GET
def rubric_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest version of a rubric, and the list of all its versions."""
    rubric = get_rubric_for(request, pk)
    versions = rubric_versions_with_campaigns(rubric, request.user)
    return _render_version(request, rubric, versions, versions[0] if versions else None)


@login_required
@require_GET
def rubric_version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One version of a rubric, older or current."""
    rubric = get_rubric_for(request, pk)
    versions = rubric_versions_with_campaigns(rubric, request.user)
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        raise Http404("No such version.")
    return _render_version(request, rubric, versions, version)


def _render_version(
    request: HttpRequest, rubric: Rubric, versions: list[RubricVersion], version: RubricVersion | None
) -> HttpResponse:
    context = {
        "rubric": rubric,
        "versions": versions,
        "version": version,
        "is_latest": bool(versions) and version is versions[0],
        "can_edit": can_curate(request.user),
    }
    return render(request, "annotate/rubric_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the latest version as YAML: saved in place while unused, else as a new version."""
    rubric = get_rubric_for(request, pk)
    if not can_curate(request.user):
        raise PermissionDenied("You may not edit rubrics.")
    latest = rubric_latest_version(rubric)
    if request.method == "POST":
        form = RubricEditForm(request.POST, rubric=rubric, latest=latest)
        if form.is_valid():
            spec = form.cleaned_data["spec"]
            try:
                version = rubric_services.rubric_version_save(
                    rubric=rubric,
                    guidelines=spec.guidelines,
                    criteria=spec.criteria,
                    description=spec.description,
                    user=request.user,
                    source=form.cleaned_data["source"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _saved_message(latest, version))
                return redirect("annotate:rubric-detail", pk=rubric.pk)
    else:
        initial = (
            rubric_version_source(latest)
            if latest
            else STARTER_TEMPLATE.replace("My rubric", json.dumps(rubric.name), 1)
        )
        form = RubricEditForm(rubric=rubric, latest=latest, initial={"text": initial})
    frozen = latest is not None and latest.is_frozen
    context = {"rubric": rubric, "latest": latest, "frozen": frozen, "form": form}
    return render(request, "annotate/rubric_edit.html", context)


def _saved_message(before: RubricVersion | None, after: RubricVersion) -> str:
    if before is None or before.pk != after.pk:
        return f"Saved as version {after.number}."
    if before.guidelines != after.guidelines or before.criteria != after.criteria:
        return f"Updated version {after.number} in place (no campaign uses it yet)."
    if before.source != after.source:
        return f"Saved your text of version {after.number}; its guidelines and criteria did not change."
    return f"No changes to version {after.number}."
