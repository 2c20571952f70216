"""Writes for rubrics: create, save a new or edited version, load from a file."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from annotate.models import Rubric, RubricVersion
from annotate.rubrics import RubricSpec, parse_rubric, validate_criteria
from annotate.selectors.rubrics import rubric_for_load


def _user_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


@transaction.atomic
def rubric_create(*, spec: RubricSpec, user: AbstractBaseUser | None) -> RubricVersion:
    """Create a rubric and its version 1 from a validated spec; a name the creator already uses is an error.

    Names are unique per creator, so the error never tells one owner what another has named a rubric.
    """
    owner = _user_or_none(user)
    existing = Rubric.objects.filter(name__iexact=spec.name, created_by=owner).values_list("name", flat=True).first()
    if existing is not None:
        raise ValidationError(
            f"name: you already have a rubric named {existing!r}; edit it to make a new version, or choose another name"
        )
    try:
        with transaction.atomic():
            rubric = Rubric.objects.create(name=spec.name, description=spec.description, created_by=owner)
    except IntegrityError:
        # The same creator saved a rubric of this name a moment ago, from another tab or request.
        raise ValidationError(f"name: you already have a rubric named {spec.name!r}; choose another name") from None
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

    The file's name reaches only rubrics the user may change (`rubric_for_load`); any other name, even one
    another owner uses, makes a new rubric of the user's. Without a user (an operator's command) it reaches
    every rubric. Returns the version and whether anything was written, so loading the same file twice is a no-op.
    """
    spec = parse_rubric(text, fmt)
    found = rubric_for_load(spec.name, user)
    if found is None:
        return rubric_create(spec=spec, user=user), True
    rubric = Rubric.objects.select_for_update().get(pk=found.pk)
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
