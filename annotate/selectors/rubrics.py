"""Named reads about rubrics and their versions."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Prefetch, QuerySet

from annotate.models import Campaign, Membership, Rubric, RubricVersion
from annotate.permissions import can_curate, rubrics_visible_to
from annotate.rubrics import RubricSpec, rubric_to_yaml
from annotate.selectors.names import named_among


def rubric_list_for(user: AbstractBaseUser | AnonymousUser) -> list[Rubric]:
    """Rubrics the user may see, each annotated with latest_number, n_versions and n_campaigns."""
    return list(
        rubrics_visible_to(user)
        .annotate(
            latest_number=Max("versions__number"),
            n_versions=Count("versions", distinct=True),
            n_campaigns=Count("versions__campaigns", distinct=True),
        )
        .order_by("name")
    )


def rubric_versions_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[RubricVersion]:
    """Every version of every rubric the user may see, newest version of each rubric first."""
    return (
        RubricVersion.objects.filter(rubric__in=rubrics_visible_to(user))
        .select_related("rubric")
        .order_by("rubric__name", "-number")
    )


def rubric_latest_version(rubric: Rubric) -> RubricVersion | None:
    """The highest-numbered version of a rubric."""
    return rubric.versions.order_by("-number").first()


def rubric_version_get(rubric: Rubric, number: int) -> RubricVersion | None:
    """One version of a rubric by number, or None."""
    return rubric.versions.filter(number=number).first()


def rubric_versions_with_campaigns(rubric: Rubric, user: AbstractBaseUser | AnonymousUser) -> list[RubricVersion]:
    """All versions, newest first, each with `frozen`, `n_campaigns`, `my_campaigns` and `previous_number`.

    `my_campaigns` are those the user belongs to; `previous_number` is the version before (None for the first).
    Campaigns the user is not a member of are only counted, so their names never leak.
    """
    campaigns = Campaign.objects.order_by("name")
    if not user.is_staff:
        member_of = Membership.objects.filter(user=user).values("campaign_id")
        campaigns = campaigns.filter(pk__in=member_of)
    versions = list(
        rubric.versions.select_related("created_by")
        .annotate(n_campaigns=Count("campaigns"))
        .prefetch_related(Prefetch("campaigns", queryset=campaigns, to_attr="my_campaigns"))
        .order_by("-number")
    )
    for version, older in zip(versions, [*versions[1:], None], strict=False):
        version.frozen = version.n_campaigns > 0
        version.n_other_campaigns = version.n_campaigns - len(version.my_campaigns)
        version.previous_number = older.number if older is not None else None
    return versions


def rubric_version_spec(version: RubricVersion) -> RubricSpec:
    """A version as a RubricSpec (the rubric's current name and description with this version's content)."""
    return RubricSpec(
        name=version.rubric.name,
        description=version.rubric.description,
        guidelines=version.guidelines,
        criteria=version.criteria,
    )


def rubric_version_yaml(version: RubricVersion) -> str:
    """A version dumped as an editable YAML rubric file."""
    return rubric_to_yaml(rubric_version_spec(version))


def rubric_version_source(version: RubricVersion) -> str:
    """The text to edit a version from: its author's YAML or JSON as written, else YAML generated from its content."""
    return version.source or rubric_version_yaml(version)


def rubrics_changeable_by(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Rubric]:
    """Rubrics the user may add versions to: those they see, if they may curate; None (an operator) reaches all."""
    if user is None:
        return Rubric.objects.all()
    if not can_curate(user):
        return Rubric.objects.none()
    return rubrics_visible_to(user)


def rubric_for_load(name: str, user: AbstractBaseUser | AnonymousUser | None) -> Rubric | None:
    """The rubric a file named `name` updates: the user's own of that name, else the one other they may change.

    None means the file makes a new rubric. Rubrics the user may not change are never considered, so the
    answer says nothing about other owners' names. Several candidates and none of them the user's own is an
    error listing them (all of them visible to the user).
    """
    hint = "load it with --owner USER" if user is None else "edit the one you mean on its page"
    return named_among(rubrics_changeable_by(user).filter(name__iexact=name), name, user, "rubric", hint)
