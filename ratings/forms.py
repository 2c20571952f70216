"""Forms for ratings pages: importing existing labels, gold answers, adjudication settings, exports."""

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accord.limits import quoted_text
from annotate.criteria import Criterion
from annotate.forms.campaigns import apply_service_errors
from annotate.forms.imports import ImportFileForm
from annotate.models import Campaign, MachineRater
from annotate.services.machine_raters import MAX_NAME_LENGTH, MAX_PROMPT_LENGTH, Provenance, machine_rater_name_check
from ratings.exports import PREFERENCE_FORMAT, ExportError, ExportSpec, export_spec
from ratings.final_labels import aggregated_criteria, default_threshold, disagreement_unit
from ratings.gold import gold_answer_validate, gold_criteria
from ratings.importers import Layout
from ratings.preference_export import pairwise_criteria

LAYOUT_CHOICES = [("long", "Long: one row per label"), ("wide", "Wide: one row per item, one column per rater")]
REPEAT_CHOICES = [
    ("error", "Refuse the file, naming both rows"),
    ("first", "Keep the first label, leave out the others"),
    ("last", "Keep the last label, leave out the others"),
    ("keep", "Keep them all: each further label is a test–retest repeat"),
]
MACHINE_FIELDS = ("machine_name", "machine_model", "machine_version", "machine_prompt")


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
    repeats = forms.ChoiceField(
        choices=REPEAT_CHOICES,
        initial="error",
        required=False,
        label="A rater labelled an item twice",
        help_text="The n-th label of an item, rater and criterion is the rater's n-th rating of the item. Kept "
        "repeats measure each rater against themselves; a label of an item the rater already rated here becomes a "
        "repeat too.",
    )
    is_machine = forms.BooleanField(
        required=False,
        label="These labels are a machine judge's",
        help_text="An automatic judge (an LLM as judge, a classifier): its labels are kept apart from the raters', "
        "it takes no rater's place, and the rater column is not needed (a file naming two raters is refused).",
    )
    machine_name = forms.CharField(
        required=False, max_length=MAX_NAME_LENGTH, label="Machine rater's name", help_text="Letters, digits, @.+-_"
    )
    machine_model = forms.CharField(
        required=False, max_length=MachineRater._meta.get_field("model").max_length, label="Model"
    )
    machine_version = forms.CharField(
        required=False, max_length=MachineRater._meta.get_field("version").max_length, label="Version"
    )
    machine_prompt = forms.CharField(
        required=False, max_length=MAX_PROMPT_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), label="Prompt"
    )

    def __init__(self, *args: object, campaign: Campaign, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["criterion"].choices = [("", "(from the criterion column)")] + [
            (c.key, f"{c.label} ({c.key}, {c.type})") for c in campaign.rubric_version.typed_criteria
        ]

    @property
    def file_fields(self) -> list[forms.BoundField]:
        """The fields about the file and what its labels mean."""
        return [self[name] for name in self.fields if name not in ("is_machine", *MACHINE_FIELDS)]

    @property
    def machine_fields(self) -> list[forms.BoundField]:
        """The fields naming and describing a machine judge."""
        return [self[name] for name in ("is_machine", *MACHINE_FIELDS)]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("layout") == "wide" and not data.get("criterion"):
            self.add_error("criterion", "The wide layout holds one criterion: pick it.")
        # A post without the choice (an older page's) keeps the import's default.
        data["repeats"] = data.get("repeats") or "error"
        if data.get("repeats") == "keep" and data.get("replace"):
            self.add_error(
                "replace", "Keeping repeats stores labels of items already rated as repeats: leave replace unticked."
            )
        if data.get("is_machine"):
            self._clean_machine(data)
        else:
            for name in MACHINE_FIELDS:
                if data.get(name, "").strip():
                    self.add_error(name, "Tick “These labels are a machine judge's” to import a judge's labels.")
        self.clean_format(data)
        return data

    def _clean_machine(self, data: dict) -> None:
        """The judge's name is valid, its labels go to no member, and its provenance is the one it was recorded with."""
        if data.get("match_members"):
            self.add_error("match_members", "A machine judge's labels belong to its machine rater: untick this.")
        try:
            data["machine_name"] = machine_rater_name_check(data.get("machine_name", ""))
        except ValidationError as exc:
            self.add_error("machine_name", exc)
            return
        # Checked again by the import; said here so that the form, not the import's page, names the field.
        machine = MachineRater.objects.filter(campaign=self.campaign, name=data["machine_name"]).first()
        if machine is None:
            return
        for key, value in self.provenance().fields().items():
            held = getattr(machine, key)
            if held and held != value:
                self.add_error(
                    f"machine_{key}",
                    f"Machine rater '{machine.name}' was recorded with {key} {quoted_text(held)}: a judge with "
                    f"another {key} is another judge; give it another name.",
                )

    def provenance(self) -> Provenance:
        """The machine judge's model, prompt and version as given."""
        data = self.cleaned_data
        return Provenance(
            model=data.get("machine_model", "").strip(),
            prompt=data.get("machine_prompt", "").strip(),
            version=data.get("machine_version", "").strip(),
        )

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

    def import_options(self) -> dict[str, Any]:
        """The options of the import (`ratings.tasks.ratings_import_start`) as chosen."""
        data = self.cleaned_data
        machine = data["is_machine"]
        return {
            "fmt": data["fmt"],
            "layout": self.import_layout(),
            "add_missing_items": data["add_missing_items"],
            "replace": data["replace"],
            "match_members": data["match_members"],
            "repeats": data["repeats"],
            "machine": data["machine_name"] if machine else None,
            "provenance": self.provenance() if machine else None,
        }


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
PREFERENCE_CHOICE = (PREFERENCE_FORMAT, "Preference pairs (JSONL, one row per pair): prompt, chosen, rejected")


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
    include_ties = forms.BooleanField(
        required=False,
        label="Preference pairs: keep ties",
        help_text="Ties are left out unless ticked; kept, they have tie true and response A as chosen.",
    )
    include_ambiguous = forms.BooleanField(
        required=False,
        label="Preference pairs: keep genuinely ambiguous items",
        help_text="Items an adjudicator marked genuinely ambiguous are left out unless ticked.",
    )
    prompt_field = forms.ChoiceField(
        required=False,
        label="Preference pairs: prompt field",
        help_text="The content field holding the prompt; needed where items have several besides the compared two.",
    )

    def __init__(self, *args: Any, campaign: Campaign, may_name: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.spec: ExportSpec | None = None
        criteria = campaign.rubric_version.typed_criteria
        self.fields["criterion"].choices = [("", "All criteria")] + [(c.key, f"{c.label} ({c.key})") for c in criteria]
        if not may_name:
            del self.fields["names"]
        pairwise = pairwise_criteria(campaign)
        if pairwise:
            self.fields["format"].choices = [*FORMAT_CHOICES, PREFERENCE_CHOICE]
            others = [f for f in campaign.dataset.content_fields if all(f not in c.compared_fields for c in pairwise)]
            self.fields["prompt_field"].choices = [("", "Automatic: the one other field")] + [(f, f) for f in others]
        else:
            for name in ("include_ties", "include_ambiguous", "prompt_field"):
                del self.fields[name]

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
                include_ties=bool(data.get("include_ties")),
                include_ambiguous=bool(data.get("include_ambiguous")),
                prompt_field=data.get("prompt_field") or None,
            )
        except ExportError as exc:
            self.add_error(exc.field if exc.field in self.fields else "criterion", str(exc))
        return data
