"""Writes for rubrics: create, save a new or edited version, load from a file."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from annotate.models import Rubric, RubricVersion
from annotate.rubrics import RubricSpec, parse_rubric, validate_criteria


def _user_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


@transaction.atomic
def rubric_create(*, spec: RubricSpec, user: AbstractBaseUser | None) -> RubricVersion:
    """Create a rubric and its version 1 from a validated spec; a name already in use is an error."""
    existing = Rubric.objects.filter(name__iexact=spec.name).first()
    if existing is not None:
        raise ValidationError(
            f"name: a rubric named {existing.name!r} already exists; edit it to make a new version, "
            "or choose another name"
        )
    owner = _user_or_none(user)
    rubric = Rubric.objects.create(name=spec.name, description=spec.description, created_by=owner)
    return RubricVersion.objects.create(
        rubric=rubric, number=1, guidelines=spec.guidelines, criteria=spec.criteria, created_by=owner
    )


@transaction.atomic
def rubric_version_save(
    *,
    rubric: Rubric,
    guidelines: str,
    criteria: list,
    description: str | None,
    user: AbstractBaseUser | None,
) -> RubricVersion:
    """Save edited guidelines and criteria: in place while no campaign uses the latest version, else as version N+1."""
    criteria = validate_criteria(criteria)
    guidelines = guidelines.replace("\r\n", "\n").strip("\n")
    # Lock the rubric row so two editors saving at once cannot both create the same version number.
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if description is not None and description.strip() != rubric.description:
        rubric.description = description.strip()
        rubric.save(update_fields=["description"])
    latest = rubric.versions.order_by("-number").first()
    if latest is not None and latest.guidelines == guidelines and latest.criteria == criteria:
        return latest
    if latest is not None and not latest.is_frozen:
        latest.guidelines, latest.criteria = guidelines, criteria
        latest.save(update_fields=["guidelines", "criteria"])
        return latest
    number = (rubric.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return RubricVersion.objects.create(
        rubric=rubric, number=number, guidelines=guidelines, criteria=criteria, created_by=_user_or_none(user)
    )


@transaction.atomic
def rubric_load(
    *, text: str, fmt: str | None = None, user: AbstractBaseUser | None = None
) -> tuple[RubricVersion, bool]:
    """Load a rubric file: create it, add a version if its content changed, or return the latest unchanged.

    Returns the version and whether anything was written, so loading the same file twice is a no-op.
    """
    spec = parse_rubric(text, fmt)
    rubric = Rubric.objects.select_for_update().filter(name__iexact=spec.name).first()
    if rubric is None:
        return rubric_create(spec=spec, user=user), True
    changed = False
    if rubric.description != spec.description:
        rubric.description = spec.description
        rubric.save(update_fields=["description"])
        changed = True
    latest = rubric.versions.order_by("-number").first()
    if latest is not None and latest.guidelines == spec.guidelines and latest.criteria == spec.criteria:
        return latest, changed
    # A file is a snapshot: every changed load is kept as its own version, even if nothing used the last one.
    number = (latest.number if latest is not None else 0) + 1
    version = RubricVersion.objects.create(
        rubric=rubric,
        number=number,
        guidelines=spec.guidelines,
        criteria=spec.criteria,
        created_by=_user_or_none(user),
    )
    return version, True
