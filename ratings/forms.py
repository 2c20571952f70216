"""Forms for ratings pages: importing existing labels."""

from django import forms

from annotate.forms.imports import ImportFileForm
from annotate.models import Campaign
from ratings.importers import IMPORTABLE_TYPES, Layout

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
        criteria = [c for c in campaign.rubric_version.criteria if c["type"] in IMPORTABLE_TYPES]
        self.fields["criterion"].choices = [("", "(from the criterion column)")] + [
            (c["key"], f"{c['label']} ({c['key']}, {c['type']})") for c in criteria
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
