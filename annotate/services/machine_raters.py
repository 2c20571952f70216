"""Machine raters: automatic judges whose labels a campaign keeps apart from its human raters."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accord.limits import quoted_text
from annotate.models import Campaign, MachineRater

MAX_NAME_LENGTH = MachineRater._meta.get_field("name").max_length
MAX_PROMPT_LENGTH = 100_000


@dataclass(frozen=True)
class Provenance:
    """What a machine rater is: the model, the prompt it was given and a version, each optional."""

    model: str = ""
    prompt: str = ""
    version: str = ""

    def fields(self) -> dict[str, str]:
        """The non-empty fields by name."""
        return {k: v for k, v in (("model", self.model), ("prompt", self.prompt), ("version", self.version)) if v}


def machine_rater_username(*, name: str, campaign: Campaign) -> str:
    """The account name holding a machine rater's labels: never a login, never an external rater's name."""
    return f"{name}+machine@{campaign.slug}"


def machine_rater_name_check(name: object) -> str:
    """A machine rater's name, stripped, or a ValidationError naming the value and what is wrong."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise ValidationError(f"A machine rater needs a name; got {quoted_text(str(name))}.")
    if len(text) > MAX_NAME_LENGTH:
        raise ValidationError(f"A machine rater's name has at most {MAX_NAME_LENGTH} characters, got {len(text):,}.")
    try:
        UnicodeUsernameValidator()(text)
    except ValidationError:
        raise ValidationError(
            f"The machine rater name {quoted_text(text)} may contain only letters, digits and @/./+/-/_."
        ) from None
    return text


def _provenance_check(provenance: Provenance) -> None:
    limits = {
        "model": MachineRater._meta.get_field("model").max_length,
        "prompt": MAX_PROMPT_LENGTH,
        "version": MachineRater._meta.get_field("version").max_length,
    }
    for field, value in provenance.fields().items():
        if len(value) > limits[field]:
            raise ValidationError(
                f"A machine rater's {field} has at most {limits[field]:,} characters, got {len(value):,}."
            )


@transaction.atomic
def machine_rater_get_or_create(
    *, campaign: Campaign, name: str, provenance: Provenance | None = None
) -> tuple[MachineRater, bool]:
    """The campaign's machine rater of this name, created (with an account without a login) if new.

    Provenance given for an existing machine rater must match what it was created with (a field it lacked is
    filled in): a judge with another model, prompt or version is another judge, under another name.
    """
    name = machine_rater_name_check(name)
    provenance = provenance or Provenance()
    _provenance_check(provenance)
    machine = MachineRater.objects.select_for_update().filter(campaign=campaign, name=name).first()
    if machine is not None:
        changed = []
        for field, value in provenance.fields().items():
            held = getattr(machine, field)
            if held and held != value:
                raise ValidationError(
                    f"Machine rater '{name}' was recorded with {field} {quoted_text(held)}, not "
                    f"{quoted_text(value)}: a judge with another {field} is another judge; give it another name."
                )
            if not held:
                setattr(machine, field, value)
                changed.append(field)
        if changed:
            machine.save(update_fields=changed)
        return machine, False
    user = get_user_model()(username=machine_rater_username(name=name, campaign=campaign), is_active=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            f"The account name '{user.username}' for machine rater '{name}' is taken; give the machine rater "
            "another name."
        ) from None
    machine = MachineRater.objects.create(campaign=campaign, user=user, name=name, **provenance.fields())
    return machine, True
