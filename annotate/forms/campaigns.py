"""Forms for creating campaigns and editing their settings, their gold checks and repeats, and their members."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError

from annotate.models import Campaign, Dataset, Membership, RubricVersion
from annotate.permissions import datasets_visible_to, rubrics_visible_to
from annotate.services.campaigns import (
    MAX_DESCRIPTION_LENGTH,
    MAX_GOLD_RATE,
    MAX_LEASE_MINUTES,
    MAX_OVERLAP,
    MAX_REPEAT_RATE,
    WHILE_OPEN,
)

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


# The largest order number a visible field may get; a field left blank comes after the numbered ones.
MAX_FIELD_ORDER = 999


class _CampaignFieldsForm(forms.Form):
    """The settings a campaign is created with and, where not locked, edits later."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        label="Description for raters",
        help_text="Shown to raters on the campaign's page, above the rubric's guidelines: what the campaign is for "
        "and anything it asks beyond the rubric.",
    )
    rubric_version = forms.ModelChoiceField(queryset=RubricVersion.objects.none(), label="Rubric version")
    method = forms.ChoiceField(choices=SAMPLE_METHODS, initial="all", widget=forms.RadioSelect, label="Method")
    n = forms.IntegerField(
        min_value=1, required=False, label="N", help_text="Items in a random sample, or items per stratum."
    )
    seed = forms.IntegerField(min_value=0, initial=0, help_text="The same seed always draws the same sample.")
    field = forms.ChoiceField(required=False, label="Stratify by", help_text="Metadata field for a stratified sample.")
    overlap = forms.IntegerField(
        min_value=1, max_value=MAX_OVERLAP, initial=3, label="Overlap k", help_text="Raters per item."
    )
    lease_minutes = forms.IntegerField(
        min_value=1,
        max_value=MAX_LEASE_MINUTES,
        initial=30,
        label="Lease (minutes)",
        help_text="How long an item stays reserved for a rater.",
    )
    visible_fields = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Fields raters see",
        help_text="Leave metadata such as the model name unchecked to keep raters blind to it. Raters see the "
        "checked fields in the order of their numbers (1 first); with none checked, every content field.",
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

    def _set_choices(self, *, user: AbstractBaseUser, dataset: Dataset, shown: list[str]) -> None:
        """Offer the rubric versions the user may use, and the dataset's fields with `shown` checked and first."""
        self.dataset = dataset
        self.fields["rubric_version"].queryset = (
            RubricVersion.objects.filter(rubric__in=rubrics_visible_to(user))
            .select_related("rubric")
            .order_by("rubric__name", "-number")
        )
        self.fields["field"].choices = [("", "—")] + [(f, f) for f in dataset.metadata_fields]
        self.field_names = list(dict.fromkeys([*shown, *dataset.content_fields, *dataset.metadata_fields]))
        self.content_names = set(dataset.content_fields)
        self.fields["visible_fields"].choices = [(name, name) for name in self.field_names]
        self.fields["visible_fields"].initial = list(shown)
        for position, name in enumerate(self.field_names):
            self.fields[f"order_{position}"] = forms.IntegerField(
                required=False, min_value=1, max_value=MAX_FIELD_ORDER, initial=position + 1, label=f"Order of {name}"
            )

    def visible_field_rows(self) -> list[dict]:
        """One row per dataset field for the template: its checkbox, name, kind and order number."""
        boxes = list(self["visible_fields"])
        return [
            {
                "checkbox": box,
                "name": name,
                "kind": "content" if name in self.content_names else "metadata",
                "order": self[f"order_{position}"],
            }
            for position, (box, name) in enumerate(zip(boxes, self.field_names, strict=True))
        ]

    def ordered_visible_fields(self) -> list[str]:
        """The checked fields by their order numbers; a blank number, or a tie, keeps the order shown."""
        data = self.cleaned_data
        position = {name: i for i, name in enumerate(self.field_names)}

        def rank(name: str) -> tuple[int, int]:
            number = data.get(f"order_{position[name]}")
            return (number if number is not None else MAX_FIELD_ORDER + 1, position[name])

        return sorted(data.get("visible_fields") or [], key=rank)

    def clean(self) -> dict:
        """Ask for N and the stratify field only when the chosen method needs them."""
        data = super().clean()
        method = data.get("method")
        if method in ("random", "stratified") and data.get("n") is None:
            self.add_error("n", "n: this sampling method needs N.")
        if method == "stratified" and not data.get("field"):
            self.add_error("field", "field: choose a metadata field to stratify by.")
        return data

    def sample_spec(self) -> dict:
        """The chosen sample in the shape the services take."""
        data = self.cleaned_data
        spec: dict = {"method": data["method"], "seed": data["seed"]}
        if data["method"] == "random":
            spec["n"] = data["n"]
        elif data["method"] == "stratified":
            spec.update(per_stratum=data["n"], field=data["field"])
        return spec


class CampaignCreateForm(_CampaignFieldsForm):
    """Everything a campaign needs once its dataset is chosen."""

    slug = forms.SlugField(
        max_length=80,
        required=False,
        help_text="The campaign's address, /c/your-slug/: letters, digits, hyphens and underscores. "
        "Left blank, it is made from the name.",
    )

    def __init__(self, *args: object, user: AbstractBaseUser, dataset: Dataset, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices(user=user, dataset=dataset, shown=list(dataset.content_fields))

    def service_kwargs(self) -> dict:
        """The cleaned data in the shape campaign_create takes."""
        data = self.cleaned_data
        return {
            "slug": data["slug"],
            "name": data["name"],
            "description": data["description"],
            "dataset": self.dataset,
            "rubric_version": data["rubric_version"],
            "sample_spec": self.sample_spec(),
            "overlap": data["overlap"],
            "lease_minutes": data["lease_minutes"],
            "visible_fields": self.ordered_visible_fields(),
            # Blank means none: no gold checks, no repeats.
            "gold_rate": data["gold_rate"] or 0.0,
            "repeat_rate": data["repeat_rate"] or 0.0,
        }


# The form fields behind each setting campaign_settings_locks may lock.
LOCKABLE_FIELDS = {
    "rubric_version": ("rubric_version",),
    "sample": ("method", "n", "seed", "field"),
    **{key: (key,) for key in WHILE_OPEN},
}


OVERLAP_CHANGE_HELP = "Raters per item. It may rise at any time, and go down to the most ratings any item already has."


class CampaignSettingsForm(_CampaignFieldsForm):
    """A campaign's settings after creation; the locked ones are left out (the page says why).

    `system_fields` are the fields the campaign may name as its system field; `system_guess` the one it would
    guess (None: not known here).
    """

    system_field = forms.ChoiceField(
        required=False,
        label="System field",
        help_text="The item metadata field naming the model or system behind each output, for the leaderboard and "
        "for comparing systems. For pairwise items, the base name F of the fields F_a and F_b.",
    )
    machine_raters_in_pool = forms.BooleanField(
        required=False,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "machine-raters-in-pool-help"}),
        label="Machine raters count as raters",
        help_text="Off, automatic judges' labels are kept apart: agreement, final labels, adjudication and the "
        "data card read people's labels only, and the dashboard holds each judge against them. On, judges count "
        "like any rater in agreement, final labels and adjudication. The queue serves every item to its k people "
        "either way.",
    )

    def __init__(
        self,
        *args: object,
        user: AbstractBaseUser,
        campaign: Campaign,
        locks: dict[str, str],
        system_fields: list[str] | None = None,
        system_guess: str | None = None,
        **kwargs: object,
    ) -> None:
        spec = campaign.sample_spec or {}
        initial = {
            "name": campaign.name,
            "description": campaign.description,
            "rubric_version": campaign.rubric_version_id,
            "method": spec.get("method", "all"),
            "n": spec.get("per_stratum", spec.get("n")),
            "seed": spec.get("seed", 0),
            "field": spec.get("field", ""),
            "overlap": campaign.overlap,
            "lease_minutes": campaign.lease_minutes,
            "gold_rate": campaign.gold_rate,
            "repeat_rate": campaign.repeat_rate,
            "system_field": campaign.system_field,
            "machine_raters_in_pool": campaign.machine_raters_in_pool,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.campaign = campaign
        self._set_system_choices(system_fields or [], system_guess)
        self.fields["overlap"].help_text = OVERLAP_CHANGE_HELP
        self._set_choices(user=user, dataset=campaign.dataset, shown=list(campaign.visible_fields))
        self.fields["rubric_version"].queryset |= RubricVersion.objects.filter(pk=campaign.rubric_version_id)
        for key in locks:
            for name in LOCKABLE_FIELDS.get(key, ()):
                self.fields.pop(name, None)
        if "visible_fields" in locks:
            for position in range(len(self.field_names)):
                self.fields.pop(f"order_{position}")

    def _set_system_choices(self, fields: list[str], guess: str | None) -> None:
        empty = f"Guess ({guess})" if guess else "Guess from the metadata"
        self.fields["system_field"].choices = [("", empty)] + [(f, f) for f in fields]
        known = ", ".join(fields) if fields else "none"
        self.fields["system_field"].error_messages["invalid_choice"] = (
            f"system field: %(value)s is not a field of the dataset that names a system (its fields: {known})."
        )

    def evaluation_kwargs(self) -> dict:
        """The system field and whether machine raters count, in the shape campaign_evaluation_update takes."""
        data = self.cleaned_data
        return {"system_field": data["system_field"], "machine_raters_in_pool": data["machine_raters_in_pool"]}

    def service_kwargs(self) -> dict:
        """The cleaned data in the shape campaign_update takes; a locked setting is given as it stands."""
        data, campaign = self.cleaned_data, self.campaign
        kwargs = {
            "name": data["name"],
            "description": data["description"],
            "overlap": data.get("overlap", campaign.overlap),
            "lease_minutes": data.get("lease_minutes", campaign.lease_minutes),
            "visible_fields": self.ordered_visible_fields() if "visible_fields" in data else campaign.visible_fields,
            "gold_rate": data.get("gold_rate", campaign.gold_rate) or 0.0,
            "repeat_rate": data.get("repeat_rate", campaign.repeat_rate) or 0.0,
        }
        if "rubric_version" in self.fields:
            kwargs["rubric_version"] = data["rubric_version"]
        if "method" in self.fields:
            kwargs["sample_spec"] = self.sample_spec()
        return kwargs


class CampaignRatesForm(forms.Form):
    """Change how many gold checks and repeats are mixed into each rater's queue."""

    gold_rate = forms.FloatField(
        min_value=0, max_value=MAX_GOLD_RATE, label="Gold rate", widget=forms.NumberInput(attrs={"step": "0.01"})
    )
    repeat_rate = forms.FloatField(
        min_value=0, max_value=MAX_REPEAT_RATE, label="Repeat rate", widget=forms.NumberInput(attrs={"step": "0.01"})
    )


class CampaignStatusForm(forms.Form):
    """Start, pause, close, reopen, archive or unarchive a campaign; closing asks first (see `confirm`)."""

    status = forms.ChoiceField(choices=Campaign.Status.choices)
    confirm = forms.BooleanField(required=False)


class MemberInviteForm(forms.Form):
    """Add a user the owner knows to a campaign with a role, or make an invitation link for anyone else."""

    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.RATER)
    rates = forms.BooleanField(
        required=False,
        label="Also rates",
        help_text="For an owner or adjudicator who rates items too. Raters always rate; viewers never do.",
    )


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
    """Change a member's role, say whether an owner or adjudicator also rates, or remove them.

    Removing asks first: without `confirm` the view shows what removing does and asks again.
    """

    action = forms.ChoiceField(
        choices=[("role", "Change role"), ("rates", "Change whether they rate"), ("remove", "Remove")], initial="role"
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)
    rates = forms.TypedChoiceField(
        choices=[("yes", "rates"), ("no", "does not rate")], coerce=lambda value: value == "yes", required=False
    )
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict:
        """A role change needs the new role; a change of rating needs yes or no."""
        data = super().clean()
        if data.get("action") == "role" and not data.get("role"):
            self.add_error("role", "role: choose the new role.")
        if data.get("action") == "rates" and data.get("rates") in (None, ""):
            self.add_error("rates", "rates: say yes or no.")
        return data
