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


def _source_text(text: str) -> str:
    # Browsers send a textarea's line breaks as CRLF whatever the author typed; files may too.
    return text.replace("\r\n", "\n")


def _same_content(version: RubricVersion | None, guidelines: str, criteria: list) -> bool:
    return version is not None and version.guidelines == guidelines and version.criteria == criteria


def _keep_source(version: RubricVersion, source: str) -> bool:
    """Store new text of a version whose content it does not change (comments, layout); True if it was new.

    Only the text changes, so this holds for a frozen version too: its guidelines and criteria stay as rated.
    """
    if not source or source == version.source:
        return False
    version.source = source
    version.save(update_fields=["source"])
    return True


@transaction.atomic
def rubric_create(*, spec: RubricSpec, user: AbstractBaseUser | None, source: str = "") -> RubricVersion:
    """Create a rubric and its version 1 from a validated spec; a name the creator already uses is an error.

    `source` is the YAML or JSON the spec was parsed from, kept as written ("" for a version made otherwise).
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
        rubric=rubric,
        number=1,
        guidelines=spec.guidelines,
        criteria=spec.criteria,
        source=_source_text(source),
        created_by=owner,
    )


@transaction.atomic
def rubric_version_save(
    *,
    rubric: Rubric,
    guidelines: str,
    criteria: list,
    description: str | None,
    user: AbstractBaseUser | None,
    source: str = "",
) -> RubricVersion:
    """Save edited guidelines and criteria: in place while no campaign uses the latest version, else as version N+1.

    `source` is the author's YAML or JSON, kept as written; new text with the same content updates the text only.
    """
    criteria = validate_criteria(criteria)
    source = _source_text(source)
    guidelines = guidelines.replace("\r\n", "\n").strip("\n")
    # Lock the rubric row so two editors saving at once cannot both create the same version number.
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if description is not None and description.strip() != rubric.description:
        rubric.description = description.strip()
        rubric.save(update_fields=["description"])
    latest = rubric.versions.order_by("-number").first()
    if _same_content(latest, guidelines, criteria):
        _keep_source(latest, source)
        return latest
    if latest is not None and not latest.is_frozen:
        latest.guidelines, latest.criteria, latest.source = guidelines, criteria, source
        latest.save(update_fields=["guidelines", "criteria", "source"])
        return latest
    number = (rubric.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return RubricVersion.objects.create(
        rubric=rubric,
        number=number,
        guidelines=guidelines,
        criteria=criteria,
        source=source,
        created_by=_user_or_none(user),
    )


@transaction.atomic
def rubric_load(
    *, text: str, fmt: str | None = None, user: AbstractBaseUser | None = None
) -> tuple[RubricVersion, bool]:
    """Load a rubric file: create it, add a version if its content changed, or return the latest unchanged.

    The file's name reaches only rubrics the user may change (`rubric_for_load`); any other name, even one
    another owner uses, makes a new rubric of the user's. Without a user (an operator's command) it reaches
    every rubric. Returns the version and whether anything was written, so loading the same file twice is a no-op.
    The file's text is kept as the version's source; a file whose content is unchanged but whose text differs
    (comments, layout) updates the latest version's source only.
    """
    spec = parse_rubric(text, fmt)
    found = rubric_for_load(spec.name, user)
    if found is None:
        return rubric_create(spec=spec, user=user, source=text), True
    rubric = Rubric.objects.select_for_update().get(pk=found.pk)
    changed = False
    if rubric.description != spec.description:
        rubric.description = spec.description
        rubric.save(update_fields=["description"])
        changed = True
    latest = rubric.versions.order_by("-number").first()
    if _same_content(latest, spec.guidelines, spec.criteria):
        return latest, _keep_source(latest, _source_text(text)) or changed
    # A file is a snapshot: every changed load is kept as its own version, even if nothing used the last one.
    number = (latest.number if latest is not None else 0) + 1
    version = RubricVersion.objects.create(
        rubric=rubric,
        number=number,
        guidelines=spec.guidelines,
        criteria=spec.criteria,
        source=_source_text(text),
        created_by=_user_or_none(user),
    )
    return version, True
