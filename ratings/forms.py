"""Forms for ratings pages: importing existing labels, gold answers, adjudication settings, exports."""

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from annotate.criteria import Criterion
from annotate.forms.campaigns import apply_service_errors
from annotate.forms.imports import ImportFileForm
from annotate.models import Campaign
from ratings.exports import ExportError, ExportSpec, export_spec
from ratings.final_labels import aggregated_criteria, default_threshold, disagreement_unit
from ratings.gold import gold_answer_validate, gold_criteria
from ratings.importers import Layout

LAYOUT_CHOICES = [("long", "Long: one row per label"), ("wide", "Wide: one row per item, one column per rater")]


class RatingsImportForm(ImportFileForm):
    """A labels file plus its layout and column names (the options of the import_ratings command)."""

    layout = forms.ChoiceField(choices=LAYOUT_CHOICES, initial="long", widget=forms.RadioSelect)
    criterion = forms.ChoiceField(
        required=False,
        help_text="Wide layout: the criterion every value answers. Long layout: leave empty to read the criterion "
        "column.",
    )
    item_field = forms.CharField(max_length=200, initial="item_id", label="Item id column")
    rater_field = forms.CharField(max_length=200, initial="rater", label="Rater column (long)")
    criterion_field = forms.CharField(max_length=200, initial="criterion", label="Criterion column (long)")
    value_field = forms.CharField(max_length=200, initial="value", label="Value column (long)")
    comment_field = forms.CharField(
        max_length=200, initial="comment", label="Comment column (long)", help_text="Optional in the file."
    )
    add_missing_items = forms.BooleanField(required=False, label="Add dataset items the campaign has not sampled yet")
    replace = forms.BooleanField(
        required=False, label="Replace existing ratings (their old versions are kept as revisions)"
    )
    match_members = forms.BooleanField(
        required=False,
        label="Credit labels to this campaign's raters of the same username",
        help_text="Unticked, every rater in the file becomes an external rater of this campaign, whatever their name.",
    )

    def __init__(self, *args: object, campaign: Campaign, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [("", "(from the criterion column)")] + [
            (c.key, f"{c.label} ({c.key}, {c.type})") for c in campaign.rubric_version.typed_criteria
        ]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("layout") == "wide" and not data.get("criterion"):
            self.add_error("criterion", "The wide layout holds one criterion: pick it.")
        self.clean_format(data)
        return data

    def import_layout(self) -> Layout:
        """The layout and column names chosen."""
        data = self.cleaned_data
        return Layout(
            wide=data["layout"] == "wide",
            item_field=data["item_field"].strip(),
            rater_field=data["rater_field"].strip(),
            criterion_field=data["criterion_field"].strip(),
            value_field=data["value_field"].strip(),
            comment_field=data["comment_field"].strip(),
            criterion=data["criterion"] or None,
        )


def _choice_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class GoldItemForm(forms.Form):
    """Mark one sampled item as gold: its external id and an expected value per criterion (blank: none)."""

    external_id = forms.CharField(max_length=255, label="Item id", help_text="The item's external id.")

    def __init__(self, *args: object, criteria: Iterable[Criterion | Mapping[str, Any]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = gold_criteria(criteria)
        # Form values are strings; remember which option value each one stands for.
        self._options: dict[str, dict[str, Any]] = {}
        for criterion in self.criteria:
            self.fields[f"c-{criterion.key}"] = self._field(criterion)

    def _field(self, criterion: Criterion) -> forms.Field:
        label = criterion.label
        if criterion.value_kind == "number":
            step = criterion.step
            return forms.FloatField(
                required=False,
                label=label,
                min_value=criterion.min,
                max_value=criterion.max,
                widget=forms.NumberInput(attrs={"step": str(step)}),
                help_text=f"{criterion.min}–{criterion.max}; a rating within {step / 2:g} counts as correct.",
            )
        options = {_choice_value(o.value): o.value for o in criterion.options}
        self._options[criterion.key] = options
        choices = [(_choice_value(o.value), o.label) for o in criterion.options]
        if criterion.is_multi_label:
            return forms.MultipleChoiceField(
                required=False,
                label=label,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                help_text="The exact set of labels expected; leave all unchecked for no expected value.",
            )
        return forms.ChoiceField(required=False, label=label, choices=[("", "— no expected value —"), *choices])

    def clean(self) -> dict:
        """Turn the inputs into typed expected values and check them against the rubric."""
        data = super().clean()
        self.answer: dict[str, Any] = {}
        for criterion in self.criteria:
            key, raw = criterion.key, data.get(f"c-{criterion.key}")
            if raw in (None, "", []):
                continue
            if criterion.value_kind == "number":
                # 3.0 is stored as 3, as the rating form stores a whole number.
                self.answer[key] = int(raw) if raw.is_integer() else raw
            elif criterion.is_multi_label:
                self.answer[key] = [self._options[key][r] for r in raw]
            else:
                self.answer[key] = self._options[key][raw]
        if not self.answer and not self.errors:
            self.add_error(None, "Give an expected value for at least one criterion.")
        try:
            self.answer = gold_answer_validate(criteria=self.criteria, answer=self.answer)
        except ValidationError as exc:
            apply_service_errors(self, ValidationError({f"c-{k}": v for k, v in exc.message_dict.items()}))
        return data


# A threshold beyond any disagreement a criterion can show (entropy of 500 options is under 9 bits).
MAX_THRESHOLD = 1e9


class AdjudicationSettingsForm(forms.Form):
    """Each criterion's disagreement threshold (blank: its default) and how final labels are reached."""

    final_label_method = forms.ChoiceField(
        choices=Campaign._meta.get_field("final_label_method").choices,
        label="Final labels where nobody adjudicated",
        help_text="Majority vote reports ties as ties. Dawid–Skene weighs each rater by their estimated accuracy "
        "(categorical and ordinal criteria; unanimous items stay unanimous).",
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["final_label_method"].initial = campaign.final_label_method
        chosen = campaign.adjudication_thresholds or {}
        self.criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
        for criterion in self.criteria:
            default = default_threshold(criterion)
            self.fields[f"threshold-{criterion.key}"] = forms.FloatField(
                required=False,
                min_value=0,
                max_value=MAX_THRESHOLD,
                label=f"{criterion.label} ({criterion.key})",
                initial=chosen.get(criterion.key),
                help_text=f"In {disagreement_unit(criterion)}. "
                + (f"Blank: the default, {default:g}." if default is not None else "Blank: items never enter."),
            )

    def save(self) -> Campaign:
        """Store the thresholds that were given and the method."""
        thresholds = {}
        for criterion in self.criteria:
            value = self.cleaned_data.get(f"threshold-{criterion.key}")
            if value is not None:
                thresholds[criterion.key] = value
        self.campaign.adjudication_thresholds = thresholds
        self.campaign.final_label_method = self.cleaned_data["final_label_method"]
        self.campaign.save(update_fields=["adjudication_thresholds", "final_label_method"])
        return self.campaign


FORMAT_CHOICES = [
    ("csv", "CSV: opens in a spreadsheet"),
    ("jsonl", "JSONL: one JSON object per line"),
    ("parquet", "Parquet: typed columns, for pandas, Arrow or a data warehouse"),
]
SCOPE_CHOICES = [
    ("rating", "One row per rating: every rater's answers"),
    ("item", "One row per item: the final label per criterion and how it was reached"),
]


class ExportForm(forms.Form):
    """What to export: format, one row per rating or per item, one criterion or all, real names (owners)."""

    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="csv", widget=forms.RadioSelect)
    per = forms.ChoiceField(choices=SCOPE_CHOICES, initial="rating", widget=forms.RadioSelect, label="Rows")
    criterion = forms.ChoiceField(required=False, help_text="One criterion's columns, or every criterion's.")
    names = forms.BooleanField(
        required=False,
        label="Add raters' usernames",
        help_text="Owners only. Every export names raters by a pseudonym that is stable within this campaign; "
        "ticked, a rater_name column (and usernames for adjudicators) is added.",
    )

    def __init__(self, *args: Any, campaign: Campaign, may_name: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.spec: ExportSpec | None = None
        criteria = campaign.rubric_version.typed_criteria
        self.fields["criterion"].choices = [("", "All criteria")] + [(c.key, f"{c.label} ({c.key})") for c in criteria]
        if not may_name:
            del self.fields["names"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.spec = export_spec(
                self.campaign,
                scope=data["per"],
                fmt=data["format"],
                criterion_key=data.get("criterion") or None,
                names=bool(data.get("names")),
            )
        except ExportError as exc:
            self.add_error("criterion", str(exc))
        return data
