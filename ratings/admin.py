"""Admin for every ratings model: a rating is corrected under the rating page's checks, keeping every version."""

import json
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from ratings.models import (
    Adjudication,
    AdjudicationLease,
    AdjudicationRequest,
    AgreementReport,
    ExportRun,
    Rating,
    RatingRevision,
)
from ratings.services import rating_answers_check, rating_correct


def _json(values: Any) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _seconds(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:g}"


def _when(moment: datetime) -> str:
    return date_format(localtime(moment), "DATETIME_FORMAT")


class RatingCorrectForm(forms.ModelForm):
    """A rating's answers (as JSON, in stored labelling) and comment, checked against its rubric version."""

    values = forms.JSONField(
        required=False,
        help_text="A JSON object from criterion key to answer, checked as the rating page checks it. Pairwise "
        "answers name the outputs as stored (A is the first), whatever order the rater saw.",
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
    )

    class Meta:
        model = Rating
        fields = ["values", "comment"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "values" not in data:
            # Not JSON at all: the field has already said so.
            return data
        try:
            data["values"], data["comment"] = rating_answers_check(
                rating=self.instance, values=data["values"], comment=data.get("comment") or ""
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                self.add_error("comment" if key == "comment" else "values", errors)
        return data


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Ratings: listed, and corrected through rating_correct; never added or deleted here."""

    form = RatingCorrectForm
    list_display = ["pk", "campaign", "campaign_item", "rater", "answers", "is_repeat", "source", "updated_at"]
    list_filter = ["is_repeat", "source"]
    list_select_related = ["rater", "campaign"]
    show_full_result_count = False
    fields = [
        "campaign",
        "campaign_item",
        "rater",
        "rubric_version",
        "values",
        "comment",
        "seconds_spent",
        "is_repeat",
        "presentation",
        "source",
        "created_at",
        "updated_at",
        "revision_history",
    ]
    readonly_fields = [f for f in fields if f not in ("values", "comment")]

    @admin.display(description="values")
    def answers(self, rating: Rating) -> str:
        """The answers as JSON."""
        return _json(rating.values)

    @admin.display(description="earlier versions")
    def revision_history(self, rating: Rating) -> str:
        """Every earlier version, oldest first, read-only."""
        revisions = rating.revisions.order_by("number")
        if not revisions:
            return "none: this is the rating as first given"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            (
                (r.number, _when(r.recorded_at), _json(r.values), r.comment, _seconds(r.seconds_spent))
                for r in revisions
            ),
        )
        return format_html(
            "<table><thead><tr><th>#</th><th>recorded</th><th>values</th><th>comment</th><th>seconds</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Ratings come from raters and from imports, which check them against the campaign; none is made up here.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        # Ratings are the product: corrected (keeping the old version), never deleted.
        return False

    def save_model(self, request: HttpRequest, obj: Rating, form: RatingCorrectForm, change: bool) -> None:
        rating_correct(rating=obj, values=form.cleaned_data["values"], comment=form.cleaned_data["comment"])


@admin.register(RatingRevision)
class RatingRevisionAdmin(admin.ModelAdmin):
    """Earlier versions of ratings: history, shown read-only."""

    list_display = ["rating", "number", "recorded_at", "answers"]
    fields = readonly_fields = ["rating", "number", "values", "comment", "seconds_spent", "recorded_at"]
    show_full_result_count = False

    @admin.display(description="values")
    def answers(self, revision: RatingRevision) -> str:
        """The answers as JSON."""
        return _json(revision.values)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RatingRevision | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RatingRevision | None = None) -> bool:
        return False


@admin.register(AgreementReport)
class AgreementReportAdmin(admin.ModelAdmin):
    """Large campaigns' agreement reports kept by their task, shown for inspection; deleting one recomputes it."""

    list_display = ["campaign", "key", "queued_at", "computed_at"]
    list_select_related = ["campaign"]
    fields = ["campaign", "key", "queued_at", "computed_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AgreementReport | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept by the services, shown for inspection only: a decision supersedes, it is never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Adjudication)
class AdjudicationAdmin(ReadOnlyAdmin):
    """Every adjudication decision, current and superseded."""

    list_display = ["campaign_item", "criterion_key", "outcome", "decided_by", "decided_at", "is_current"]
    list_filter = ["outcome", "is_current"]
    list_select_related = ["campaign_item", "decided_by"]


@admin.register(AdjudicationRequest)
class AdjudicationRequestAdmin(ReadOnlyAdmin):
    """Items sent to the adjudication queue, with who sent them and why."""

    list_display = ["campaign_item", "sent_by", "sent_at", "note"]
    list_select_related = ["campaign_item", "sent_by"]


@admin.register(AdjudicationLease)
class AdjudicationLeaseAdmin(ReadOnlyAdmin):
    """Items adjudicators hold; deleting a lease frees the item at once."""

    list_display = ["campaign_item", "adjudicator", "expires_at"]
    list_select_related = ["campaign_item", "adjudicator"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(ExportRun)
class ExportRunAdmin(ReadOnlyAdmin):
    """Large exports written by their task: the task records what happened; deleting a run deletes only the row."""

    list_display = ["campaign", "scope", "fmt", "criterion_key", "names", "status", "started_by", "rows", "created_at"]
    list_filter = ["status", "scope", "fmt"]
    list_select_related = ["campaign", "started_by"]
