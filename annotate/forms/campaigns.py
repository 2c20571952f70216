"""Forms for creating campaigns, their gold checks and repeats, and managing their members."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError

from annotate.models import Campaign, Dataset, Membership, RubricVersion
from annotate.permissions import datasets_visible_to, rubrics_visible_to
from annotate.services.campaigns import MAX_GOLD_RATE, MAX_OVERLAP, MAX_REPEAT_RATE

SAMPLE_METHODS = [
    ("all", "All items (shuffled by the seed)"),
    ("random", "Random sample of N items"),
    ("stratified", "Stratified: N items per value of a metadata field"),
]


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the matching form fields (the rest to the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class DatasetPickForm(forms.Form):
    """First step of creating a campaign: which dataset to sample from."""

    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), empty_label=None)

    def __init__(self, *args: object, user: AbstractBaseUser, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = datasets_visible_to(user).order_by("name")


class CampaignCreateForm(forms.Form):
    """Everything a campaign needs once its dataset is chosen."""

    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, help_text="Appears in the address: /c/<slug>/.")
    description = forms.CharField(widget=forms.Textarea, required=False, max_length=10_000)
    rubric_version = forms.ModelChoiceField(queryset=RubricVersion.objects.none(), label="Rubric version")
    method = forms.ChoiceField(choices=SAMPLE_METHODS, initial="all", widget=forms.RadioSelect, label="Sample")
    n = forms.IntegerField(
        min_value=1, required=False, label="N", help_text="Items in a random sample, or items per stratum."
    )
    seed = forms.IntegerField(min_value=0, initial=0, help_text="The same seed always draws the same sample.")
    field = forms.ChoiceField(required=False, label="Stratify by", help_text="Metadata field for a stratified sample.")
    overlap = forms.IntegerField(
        min_value=1, max_value=MAX_OVERLAP, initial=3, label="Overlap k", help_text="Raters per item."
    )
    lease_minutes = forms.IntegerField(
        min_value=1, initial=30, label="Lease (minutes)", help_text="How long an item stays reserved for a rater."
    )
    visible_fields = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Fields raters see",
        help_text="Leave metadata such as the model name unchecked to keep raters blind to it.",
    )
    gold_rate = forms.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_GOLD_RATE,
        initial=0,
        label="Gold rate",
        help_text=f"Share of each rater's items that are gold checks (0–{MAX_GOLD_RATE}; 0.1 = one in ten).",
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    repeat_rate = forms.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_REPEAT_RATE,
        initial=0,
        label="Repeat rate",
        help_text=f"Share of each rater's items that come back to them later, unannounced (0–{MAX_REPEAT_RATE}).",
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )

    def __init__(self, *args: object, user: AbstractBaseUser, dataset: Dataset, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        self.fields["rubric_version"].queryset = (
            RubricVersion.objects.filter(rubric__in=rubrics_visible_to(user))
            .select_related("rubric")
            .order_by("rubric__name", "-number")
        )
        self.fields["field"].choices = [("", "—")] + [(f, f) for f in dataset.metadata_fields]
        content = [(f, f"{f} (content)") for f in dataset.content_fields]
        metadata = [(f, f"{f} (metadata)") for f in dataset.metadata_fields if f not in dataset.content_fields]
        self.fields["visible_fields"].choices = content + metadata
        self.fields["visible_fields"].initial = list(dataset.content_fields)

    def clean(self) -> dict:
        """Ask for N and the stratify field only when the chosen method needs them."""
        data = super().clean()
        method = data.get("method")
        if method in ("random", "stratified") and data.get("n") is None:
            self.add_error("n", "n: this sampling method needs N.")
        if method == "stratified" and not data.get("field"):
            self.add_error("field", "field: choose a metadata field to stratify by.")
        return data

    def service_kwargs(self) -> dict:
        """The cleaned data in the shape campaign_create takes."""
        data = self.cleaned_data
        spec: dict = {"method": data["method"], "seed": data["seed"]}
        if data["method"] == "random":
            spec["n"] = data["n"]
        elif data["method"] == "stratified":
            spec.update(per_stratum=data["n"], field=data["field"])
        return {
            "slug": data["slug"],
            "name": data["name"],
            "description": data["description"],
            "dataset": self.dataset,
            "rubric_version": data["rubric_version"],
            "sample_spec": spec,
            "overlap": data["overlap"],
            "lease_minutes": data["lease_minutes"],
            "visible_fields": list(data["visible_fields"]),
            # Blank means none: no gold checks, no repeats.
            "gold_rate": data["gold_rate"] or 0.0,
            "repeat_rate": data["repeat_rate"] or 0.0,
        }


class CampaignRatesForm(forms.Form):
    """Change how many gold checks and repeats are mixed into each rater's queue."""

    gold_rate = forms.FloatField(
        min_value=0, max_value=MAX_GOLD_RATE, label="Gold rate", widget=forms.NumberInput(attrs={"step": "0.01"})
    )
    repeat_rate = forms.FloatField(
        min_value=0, max_value=MAX_REPEAT_RATE, label="Repeat rate", widget=forms.NumberInput(attrs={"step": "0.01"})
    )


class CampaignStatusForm(forms.Form):
    """Start, pause or close a campaign."""

    status = forms.ChoiceField(choices=Campaign.Status.choices)


class MemberInviteForm(forms.Form):
    """Add a user the owner knows to a campaign with a role, or make an invitation link for anyone else."""

    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.RATER)


class InvitationAccountForm(forms.Form):
    """The password for the account an invitation creates; the username is the invitation's."""

    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = " ".join(password_validators_help_texts())

    def clean(self) -> dict:
        """Both passwords must match; the service checks the password itself."""
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords differ.")
        return data


class MemberUpdateForm(forms.Form):
    """Change a member's role, or remove them."""

    action = forms.ChoiceField(choices=[("role", "Change role"), ("remove", "Remove")], initial="role")
    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)

    def clean(self) -> dict:
        """A role change needs the new role."""
        data = super().clean()
        if data.get("action") == "role" and not data.get("role"):
            self.add_error("role", "role: choose the new role.")
        return data
