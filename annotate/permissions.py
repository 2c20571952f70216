"""Who may do what: one place that answers for every view and API endpoint."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from annotate.models import Campaign, Dataset, ImportRun, Membership, Rubric, RubricVersion
from annotate.services.campaign_counts import CAMPAIGN_COUNTS_COLUMNS, CAMPAIGN_COUNTS_JOIN
from fixed_sql.rows import models_from_sql

Role = Membership.Role
ALL_ROLES = frozenset(Role.values)
# Roles that may read every label in a campaign (raters only ever see their own).
READERS = frozenset({Role.OWNER, Role.ADJUDICATOR, Role.VIEWER})


def campaign_role(user: AbstractBaseUser | AnonymousUser, campaign: Campaign) -> str | None:
    """The user's role in the campaign; staff act as owners; None for outsiders."""
    return campaign_role_and_rates(user, campaign)[0]


def campaign_role_and_rates(user: AbstractBaseUser | AnonymousUser, campaign: Campaign) -> tuple[str | None, bool]:
    """The user's role in the campaign (staff act as owners; None for outsiders) and whether they rate in it."""
    if not user.is_authenticated:
        return None, False
    found = Membership.objects.filter(user=user, campaign=campaign).values_list("role", "rates").first()
    role, rates = found if found is not None else (None, False)
    return (Role.OWNER if user.is_staff else role), rates


def get_campaign_for(request: HttpRequest, slug: str, roles: frozenset[str] | set[str] = ALL_ROLES) -> Campaign:
    """Fetch a campaign the caller holds one of `roles` in, else 404 (never reveal it exists).

    The campaign carries the caller's role as `caller_role` and whether they rate in it as `caller_rates`.
    """
    campaign = Campaign.objects.select_related("dataset", "rubric_version__rubric").filter(slug=slug).first()
    role, rates = campaign_role_and_rates(request.user, campaign) if campaign is not None else (None, False)
    if campaign is None or role is None or role not in roles:
        # One answer whether the campaign is missing or not the caller's.
        raise Http404("No such campaign, or none in which your role allows this.")
    campaign.caller_role = role
    campaign.caller_rates = rates
    return campaign


# The campaign and the caller's role in it, in one statement, with the counts the rating page shows beside
# every item (its items, gold items, complete items and raters; see rater_progress) and its rubric version's
# creation time, which keys the version in the cache; and its dataset's content fields, whose order the page
# shows an item's fields in when the campaign names no visible fields.
_CAMPAIGN_WITH_ROLE_SQL = f"""
SELECT c.*, m.role AS member_role, m.rates AS member_rates, rv.created_at AS rubric_version_created,
    d.content_fields AS dataset_content_fields, {CAMPAIGN_COUNTS_COLUMNS}
FROM annotate_campaign c
JOIN annotate_rubricversion rv ON rv.id = c.rubric_version_id
JOIN annotate_dataset d ON d.id = c.dataset_id
LEFT JOIN annotate_membership m ON m.campaign_id = c.id AND m.user_id = %(user)s
{CAMPAIGN_COUNTS_JOIN}
WHERE c.slug = %(slug)s"""


def get_campaign_to_rate(request: HttpRequest, slug: str) -> Campaign:
    """A campaign the caller rates in (as a rater, or an owner or adjudicator who also rates), else 404.

    The rating pages' lean fetch, in fixed SQL: they run on every item a rater sees and need neither the
    dataset (only its content fields) nor the rubric's name, and building the general query cost more than
    running it.
    """
    params = {"user": request.user.pk, "slug": slug}
    found = models_from_sql(Campaign, _CAMPAIGN_WITH_ROLE_SQL, params)
    if not found or not found[0].member_rates:
        raise Http404("No such campaign.")
    campaign = found[0]
    campaign.caller_role = campaign.member_role
    campaign.caller_rates = True
    campaign.rubric_version = used_rubric_version(campaign.rubric_version_id, campaign.rubric_version_created)
    return campaign


# How long a used rubric version stays in the cache after it was last read into it.
RUBRIC_VERSION_CACHE_SECONDS = 3600


def used_rubric_version(pk: int, created_at: object) -> RubricVersion:
    """A rubric version that a campaign uses, from the cache: such a version never changes.

    Editing a used version makes a new one (and the admin shows used versions read-only), so the rating pages
    need not read and decode the criteria again on every item. Keyed by the version's id and creation time
    (an id may come back after a rollback or a deletion); each call gets its own instance.
    """
    stamp = created_at.timestamp() if hasattr(created_at, "timestamp") else created_at
    key = f"accord:rubric-version:{pk}:{stamp}"
    version = cache.get(key)
    if version is None:
        version = RubricVersion.objects.get(pk=pk)
        cache.set(key, version, RUBRIC_VERSION_CACHE_SECONDS)
    return version


def can_curate(user: AbstractBaseUser | AnonymousUser) -> bool:
    """May create datasets, rubrics and campaigns (staff, or granted the permission)."""
    return user.is_authenticated and (user.is_staff or user.has_perm("annotate.add_campaign"))


def datasets_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Dataset]:
    """Datasets the user created or owns a campaign on; staff see all."""
    if not user.is_authenticated:
        return Dataset.objects.none()
    if user.is_staff:
        return Dataset.objects.all()
    owned = Q(created_by=user) | Q(campaigns__memberships__user=user, campaigns__memberships__role=Role.OWNER)
    return Dataset.objects.filter(pk__in=Dataset.objects.filter(owned).values("pk"))


def rubrics_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Rubric]:
    """Rubrics the user created or owns a campaign with; staff see all."""
    if not user.is_authenticated:
        return Rubric.objects.none()
    if user.is_staff:
        return Rubric.objects.all()
    owned = Q(created_by=user) | Q(
        versions__campaigns__memberships__user=user, versions__campaigns__memberships__role=Role.OWNER
    )
    return Rubric.objects.filter(pk__in=Rubric.objects.filter(owned).values("pk"))


def get_dataset_for(request: HttpRequest, pk: int) -> Dataset:
    """A dataset the caller may see, else 404."""
    dataset = datasets_visible_to(request.user).filter(pk=pk).first()
    if dataset is None:
        raise Http404("No such dataset, or not one you can see.")
    return dataset


def get_import_run_for(request: HttpRequest, pk: object, *, kind: str) -> ImportRun:
    """An import the caller started, or one into a dataset or campaign they own, else 404."""
    run = ImportRun.objects.filter(pk=pk, kind=kind).select_related("dataset", "campaign").first()
    if run is None or not request.user.is_authenticated:
        raise Http404("No such import.")
    if run.started_by_id == request.user.pk:
        return run
    if run.dataset_id is not None and datasets_visible_to(request.user).filter(pk=run.dataset_id).exists():
        return run
    if run.campaign is not None and campaign_role(request.user, run.campaign) == Role.OWNER:
        return run
    raise Http404("No such import.")


def get_rubric_for(request: HttpRequest, pk: int) -> Rubric:
    """A rubric the caller may see, else 404."""
    rubric = rubrics_visible_to(request.user).filter(pk=pk).first()
    if rubric is None:
        raise Http404("No such rubric, or not one you can see.")
    return rubric


def campaigns_readable_of_rubric(rubric: Rubric, user: AbstractBaseUser) -> list[Campaign]:
    """Campaigns on any version of the rubric whose labels the user may read (owner/adjudicator/viewer, staff)."""
    qs = Campaign.objects.filter(rubric_version__rubric=rubric).select_related("rubric_version")
    if not user.is_staff:
        readers = Membership.objects.filter(user=user, role__in=READERS).values("campaign")
        qs = qs.filter(pk__in=readers)
    return list(qs.order_by("rubric_version__number", "slug"))
