"""Writes about campaigns: creation and sampling, settings, status, members, and the gold and repeat rates."""

import math
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.db.models.fields.json import KeyTransform
from django.utils.text import slugify

from annotate.models import Assignment, Campaign, CampaignItem, Dataset, Item, Membership, RubricVersion
from annotate.sampling import SampleSpec, SampleSpecError, draw_sample, parse_sample_spec
from annotate.services.campaign_counts import campaign_counts_recount

Role = Membership.Role
Status = Campaign.Status

MAX_OVERLAP = 20
# A lease longer than a week keeps an item from everyone else for no good reason (and a huge one overflows).
MAX_LEASE_MINUTES = 7 * 24 * 60
MAX_GOLD_RATE = 0.5
MAX_REPEAT_RATE = 0.3
# The campaign's description for raters: a few paragraphs, not a document.
MAX_DESCRIPTION_LENGTH = 10_000
# Statuses in which the owner may still change how gold checks and repeats are mixed in.
RATES_EDITABLE = frozenset({Status.DRAFT, Status.ACTIVE, Status.PAUSED})
BATCH_SIZE = 5000
# Slugs that would shadow a fixed URL under /c/.
RESERVED_SLUGS = frozenset({"new"})
# Which status a campaign may move to from each status. Any campaign can be archived (what replaces deleting
# one, since its ratings are kept). A closed campaign may be reopened (closing too early loses nothing: the
# ratings and leases are as they were); an archived one comes back closed, as archiving put it away, and is
# reopened from there.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.ACTIVE, Status.ARCHIVED}),
    Status.ACTIVE: frozenset({Status.PAUSED, Status.CLOSED, Status.ARCHIVED}),
    Status.PAUSED: frozenset({Status.ACTIVE, Status.CLOSED, Status.ARCHIVED}),
    Status.CLOSED: frozenset({Status.ACTIVE, Status.ARCHIVED}),
    Status.ARCHIVED: frozenset({Status.CLOSED}),
}


def _rate_errors(*, gold_rate: float, repeat_rate: float) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, value, high in (("gold_rate", gold_rate, MAX_GOLD_RATE), ("repeat_rate", repeat_rate, MAX_REPEAT_RATE)):
        number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not number or not 0 <= value <= high:
            errors[field] = [f"{field}: must be a number from 0 to {high} (got {value!r})"]
    return errors


def _slug_errors(slug: str) -> list[str]:
    if not slug:
        return ["slug: is required"]
    try:
        validate_slug(slug)
    except ValidationError:
        return [f"slug: {slug!r} may contain only letters, digits, hyphens and underscores"]
    if len(slug) > 80:
        return [f"slug: {slug!r} is longer than 80 characters"]
    if slug in RESERVED_SLUGS:
        return [f"slug: {slug!r} is reserved, choose another"]
    if Campaign.objects.filter(slug=slug).exists():
        return [f"slug: a campaign {slug!r} already exists"]
    return []


def _whole_number_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _settings_errors(
    *,
    name: str,
    description: str,
    dataset: Dataset,
    overlap: int,
    lease_minutes: int,
    visible_fields: list[str],
    gold_rate: float,
    repeat_rate: float,
) -> dict[str, list[str]]:
    """What is wrong with the settings a campaign is created or updated with, keyed by setting."""
    errors = _rate_errors(gold_rate=gold_rate, repeat_rate=repeat_rate)
    if not name or not name.strip():
        errors["name"] = ["name: is required"]
    elif len(name) > 200:
        errors["name"] = ["name: is longer than 200 characters"]
    if not isinstance(description, str):
        errors["description"] = ["description: must be text"]
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = [f"description: is longer than {MAX_DESCRIPTION_LENGTH:,} characters"]
    if not _whole_number_in(overlap, 1, MAX_OVERLAP):
        errors["overlap"] = [f"overlap: must be a whole number from 1 to {MAX_OVERLAP} (got {overlap!r})"]
    if not _whole_number_in(lease_minutes, 1, MAX_LEASE_MINUTES):
        errors["lease_minutes"] = [
            f"lease_minutes: must be a whole number of minutes from 1 to {MAX_LEASE_MINUTES} (a week; "
            f"got {lease_minutes!r})"
        ]
    known = set(dataset.content_fields) | set(dataset.metadata_fields)
    unknown = [f for f in visible_fields if not isinstance(f, str) or f not in known]
    if unknown:
        errors["visible_fields"] = [
            f"visible_fields: {', '.join(map(repr, unknown))} not among the fields of dataset {dataset.name!r}"
        ]
    return errors


def _validate_campaign_fields(
    *,
    slug: str,
    name: str,
    description: str,
    dataset: Dataset,
    overlap: int,
    lease_minutes: int,
    visible_fields: list[str],
    gold_rate: float,
    repeat_rate: float,
) -> None:
    errors = _settings_errors(
        name=name,
        description=description,
        dataset=dataset,
        overlap=overlap,
        lease_minutes=lease_minutes,
        visible_fields=visible_fields,
        gold_rate=gold_rate,
        repeat_rate=repeat_rate,
    )
    slug_errors = _slug_errors(slug)
    if slug_errors:
        errors["slug"] = slug_errors
    if errors:
        raise ValidationError(errors)


def campaign_slug_from_name(name: str) -> str:
    """A free slug made from the name ("Helpfulness, round 2" → "helpfulness-round-2"), numbered when taken."""
    base = slugify(name)[:72].strip("-_") or "campaign"
    taken = set(Campaign.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | RESERVED_SLUGS
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _parse_spec(sample_spec: dict, dataset: Dataset) -> SampleSpec:
    try:
        return parse_sample_spec(sample_spec, dataset.metadata_fields)
    except SampleSpecError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from None


def _sample_item_ids(dataset: Dataset, spec: SampleSpec) -> list[int]:
    """Draw by item position (stable across re-imports) and map the result back to row ids."""
    items = Item.objects.filter(dataset=dataset).order_by()
    if spec.method == "stratified":
        rows = items.annotate(stratum=KeyTransform(spec.field, "metadata")).values_list("id", "position", "stratum")
        id_by_position: dict[int, int] = {}
        pairs: list[tuple[int, object]] = []
        for item_id, position, stratum in rows.iterator(chunk_size=BATCH_SIZE):
            id_by_position[position] = item_id
            pairs.append((position, stratum))
    else:
        id_by_position = dict(items.values_list("position", "id").iterator(chunk_size=BATCH_SIZE))
        pairs = [(position, None) for position in id_by_position]
    return [id_by_position[position] for position in draw_sample(pairs, spec)]


def _insert_campaign_items(campaign_id: int, item_ids: list[int]) -> None:
    """Insert the sample with COPY or executemany: model instances for a million rows cost minutes."""
    sql = (
        f"INSERT INTO {CampaignItem._meta.db_table} (campaign_id, item_id, order_key, is_gold) VALUES (%s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = f"{CampaignItem._meta.db_table} (campaign_id, item_id, order_key, is_gold)"
            with cursor.cursor.copy(f"COPY {columns} FROM STDIN") as copy:
                for order_key, item_id in enumerate(item_ids):
                    copy.write_row((campaign_id, item_id, order_key, False))
            return
        for start in range(0, len(item_ids), BATCH_SIZE):
            batch = item_ids[start : start + BATCH_SIZE]
            cursor.executemany(
                sql, [(campaign_id, item_id, start + offset, False) for offset, item_id in enumerate(batch)]
            )


def sample_shortfall(spec: SampleSpec, n_drawn: int) -> str:
    """Say when the sample is smaller than asked for; empty when it is not."""
    if spec.method == "random" and spec.n is not None and n_drawn < spec.n:
        return f"Asked for {spec.n} items but the dataset has only {n_drawn}: all of them were taken."
    if spec.method == "stratified":
        return f"Drew {n_drawn} items; strata with fewer than {spec.n} items gave all they have."
    return ""


@transaction.atomic
def campaign_create(
    *,
    slug: str,
    name: str,
    dataset: Dataset,
    rubric_version: RubricVersion,
    sample_spec: dict,
    overlap: int,
    lease_minutes: int,
    visible_fields: list[str],
    user: AbstractBaseUser | None,
    description: str = "",
    gold_rate: float = 0.0,
    repeat_rate: float = 0.0,
) -> Campaign:
    """Create a draft campaign, draw its sample into CampaignItems and make `user` its owner.

    A blank slug is made from the name. Repeated visible fields count once, where they first appear.
    """
    slug = (slug or "").strip()
    if not slug and name and name.strip():
        slug = campaign_slug_from_name(name)
    visible_fields = list(dict.fromkeys(visible_fields))
    _validate_campaign_fields(
        slug=slug,
        name=name,
        description=description,
        dataset=dataset,
        overlap=overlap,
        lease_minutes=lease_minutes,
        visible_fields=visible_fields,
        gold_rate=gold_rate,
        repeat_rate=repeat_rate,
    )
    spec = _parse_spec(sample_spec, dataset)
    item_ids = _sample_item_ids(dataset, spec)
    if not item_ids:
        raise ValidationError({"dataset": [f"dataset: {dataset.name!r} has no items to sample"]})
    campaign = _campaign_insert(
        slug=slug,
        name=name.strip(),
        description=description,
        dataset=dataset,
        rubric_version=rubric_version,
        sample_spec=spec.as_dict(),
        overlap=overlap,
        lease_minutes=lease_minutes,
        visible_fields=list(visible_fields),
        gold_rate=float(gold_rate),
        repeat_rate=float(repeat_rate),
        status=Status.DRAFT,
        created_by=user,
    )
    _insert_campaign_items(campaign.pk, item_ids)
    campaign_counts_recount(campaign=campaign)
    if user is not None:
        Membership.objects.create(campaign=campaign, user=user, role=Role.OWNER, rates=False)
    campaign.n_items = len(item_ids)
    campaign.sample_note = sample_shortfall(spec, len(item_ids))
    return campaign


def _campaign_insert(**fields: Any) -> Campaign:
    """Insert the campaign; the caller's transaction (campaign_create's) is rolled back by the error raised."""
    try:
        return Campaign.objects.create(**fields)
    except IntegrityError:
        # The same slug taken at the same moment by another request.
        raise ValidationError({"slug": [f"slug: a campaign {fields['slug']!r} already exists"]}) from None


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, status: str) -> Campaign:
    """Move a campaign along draft → active ↔ paused → closed ↔ archived; any status may be archived, and a
    closed campaign may be reopened (made active again)."""
    if status not in Status.values:
        raise ValidationError({"status": [f"status: unknown status {status!r}"]})
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if status not in TRANSITIONS[campaign.status]:
        raise ValidationError(
            {"status": [f"status: a {campaign.get_status_display().lower()} campaign cannot become {status!r}"]}
        )
    campaign.status = status
    campaign.save(update_fields=["status"])
    return campaign


@transaction.atomic
def campaign_set_rates(*, campaign: Campaign, gold_rate: float, repeat_rate: float) -> Campaign:
    """Change the share of gold checks and of test-retest repeats mixed into each rater's queue."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in RATES_EDITABLE:
        raise ValidationError(
            {"status": [f"status: a {campaign.get_status_display().lower()} campaign's rates can no longer change"]}
        )
    errors = _rate_errors(gold_rate=gold_rate, repeat_rate=repeat_rate)
    if errors:
        raise ValidationError(errors)
    campaign.gold_rate, campaign.repeat_rate = float(gold_rate), float(repeat_rate)
    campaign.save(update_fields=["gold_rate", "repeat_rate"])
    return campaign


def overlap_shortfall(campaign: Campaign) -> str:
    """Say when the overlap asks for more raters per item than the campaign has members who rate; else empty.

    Then no item can get k first-time ratings, so none is ever complete. The campaign may still start (raters are
    often invited later), but its page says so until the numbers fit.
    """
    if campaign.status not in OPEN_STATUSES:
        return ""
    n_raters = Membership.objects.filter(campaign=campaign, rates=True).count()
    k = campaign.overlap
    if n_raters >= k:
        return ""
    who = f"only {n_raters} member{' rates' if n_raters == 1 else 's rate'}" if n_raters else "no member rates yet"
    lower = f", or lower the overlap to {n_raters} in the settings" if n_raters else ""
    return (
        f"Overlap is {k} raters per item but {who}: no item can get {k} ratings, so none will ever be complete. "
        f"Add {k - n_raters} more member{'s' if k - n_raters > 1 else ''} who rate (a rater, or an owner or "
        f"adjudicator who also rates){lower}."
    )


def _sample_lock(campaign: Campaign) -> str:
    """Why the sample and the rubric version can no longer change; empty while they still can."""
    if campaign.status != Status.DRAFT:
        return "Fixed once the campaign has started: raters have been served these items under this rubric version."
    items = CampaignItem.objects.filter(campaign=campaign)
    if Assignment.objects.filter(campaign=campaign).exists() or items.filter(ratings__isnull=False).exists():
        return "Fixed: ratings of these items under this rubric version are already stored."
    if items.filter(adjudications__isnull=False).exists():
        return "Fixed: adjudications of these items are already stored."
    if items.filter(is_gold=True).exists():
        return (
            "Fixed while gold items are marked: their expected answers belong to these items and to this rubric "
            "version's criteria. Remove the gold items on the gold page to change it."
        )
    return ""


# Settings that the campaign's status decides: they may change while it is open (draft, active or paused).
WHILE_OPEN = ("overlap", "lease_minutes", "visible_fields", "gold_rate", "repeat_rate")


def campaign_settings_locks(campaign: Campaign) -> dict[str, str]:
    """Why each setting that cannot change now is locked, keyed by setting; settings not named may change."""
    locks = {
        "slug": "Fixed: the links already sent (invitations, bookmarks) lead to this address.",
        "dataset": "Fixed: the sample is drawn from it. To rate another dataset, create a new campaign.",
    }
    sample_lock = _sample_lock(campaign)
    if sample_lock:
        locks["rubric_version"] = locks["sample"] = sample_lock
    if campaign.status not in OPEN_STATUSES:
        label = campaign.get_status_display().lower()
        how = "reopen it" if campaign.status == Status.CLOSED else "unarchive and reopen it"
        locks.update(dict.fromkeys(WHILE_OPEN, f"Fixed while the campaign is {label}: {how} to change this."))
    return locks


def _overlap_floor_error(campaign: Campaign, overlap: int) -> str:
    """Why the overlap cannot go down to `overlap`; empty when it can."""
    most = CampaignItem.objects.filter(campaign=campaign, is_gold=False).aggregate(most=Max("n_rated"))["most"] or 0
    if overlap >= most:
        return ""
    return (
        f"overlap: can go down to {most} at the least, since some items already have {most} ratings: a lower k "
        "would leave them rated by more raters than the campaign asks for every item."
    )


def _locked_changes(campaign: Campaign, asked: dict[str, object], current: dict[str, object]) -> dict[str, list[str]]:
    locks = campaign_settings_locks(campaign)
    return {key: [f"{key}: {locks[key]}"] for key, value in asked.items() if key in locks and value != current.get(key)}


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    name: str,
    description: str,
    overlap: int,
    lease_minutes: int,
    visible_fields: list[str],
    gold_rate: float,
    repeat_rate: float,
    rubric_version: RubricVersion | None = None,
    sample_spec: dict | None = None,
) -> Campaign:
    """Change a campaign's settings; a locked one (see campaign_settings_locks) may only be given unchanged.

    The overlap may rise, and go down to the most first-time ratings any item already has. `rubric_version`
    and `sample_spec` None keep them; a new sample is drawn again at once. Visible fields keep their order
    (the order raters see them in), repeated ones counting once.
    """
    campaign = Campaign.objects.select_for_update().select_related("dataset").get(pk=campaign.pk)
    visible_fields = list(dict.fromkeys(visible_fields))
    errors = _settings_errors(
        name=name,
        description=description,
        dataset=campaign.dataset,
        overlap=overlap,
        lease_minutes=lease_minutes,
        visible_fields=visible_fields,
        gold_rate=gold_rate,
        repeat_rate=repeat_rate,
    )
    asked: dict[str, object] = {
        "overlap": overlap,
        "lease_minutes": lease_minutes,
        "visible_fields": visible_fields,
        "gold_rate": gold_rate,
        "repeat_rate": repeat_rate,
    }
    current: dict[str, object] = {key: getattr(campaign, key) for key in asked}
    spec = _parse_spec(sample_spec, campaign.dataset) if sample_spec is not None else None
    if spec is not None:
        asked["sample"], current["sample"] = spec.as_dict(), campaign.sample_spec
    if rubric_version is not None:
        asked["rubric_version"], current["rubric_version"] = rubric_version.pk, campaign.rubric_version_id
    errors.update(_locked_changes(campaign, asked, current))
    if "overlap" not in errors and overlap < campaign.overlap:
        floor_error = _overlap_floor_error(campaign, overlap)
        if floor_error:
            errors["overlap"] = [floor_error]
    if errors:
        raise ValidationError(errors)
    return _campaign_apply(campaign, asked, current, name=name, description=description, rubric_version=rubric_version)


def _campaign_apply(
    campaign: Campaign,
    asked: dict[str, object],
    current: dict[str, object],
    *,
    name: str,
    description: str,
    rubric_version: RubricVersion | None,
) -> Campaign:
    """Write checked settings; draw the sample again if it changed, and recount what k or the sample decide."""
    campaign.name, campaign.description = name.strip(), description
    for key in WHILE_OPEN:
        setattr(campaign, key, asked[key])
    fields = ["name", "description", *WHILE_OPEN]
    if rubric_version is not None:
        campaign.rubric_version = rubric_version
        fields.append("rubric_version")
    campaign.sample_note = ""
    resample = asked.get("sample", current.get("sample")) != current.get("sample")
    if resample:
        campaign.sample_spec = asked["sample"]
        fields.append("sample_spec")
    campaign.save(update_fields=fields)
    if resample:
        campaign.sample_note = _sample_redraw(campaign, _parse_spec(campaign.sample_spec, campaign.dataset))
    if resample or asked["overlap"] != current["overlap"]:
        # Which items are complete depends on k and on the items; the count row is locked last, as a submit does.
        campaign_counts_recount(campaign=campaign)
    return campaign


def _sample_redraw(campaign: Campaign, spec: SampleSpec) -> str:
    """Replace an untouched draft's sample (nothing served, rated or marked gold in it); say if it fell short."""
    item_ids = _sample_item_ids(campaign.dataset, spec)
    if not item_ids:
        raise ValidationError({"dataset": [f"dataset: {campaign.dataset.name!r} has no items to sample"]})
    CampaignItem.objects.filter(campaign=campaign).delete()
    _insert_campaign_items(campaign.pk, item_ids)
    # The raters' queue states walked the old sample: have each rebuilt before their next item.
    Membership.objects.filter(campaign=campaign).update(queue_counted=False)
    return sample_shortfall(spec, len(item_ids))


def validate_role(role: str) -> None:
    """Raise a ValidationError naming the roles there are, unless `role` is one of them."""
    if role not in Role.values:
        raise ValidationError({"role": [f"role: unknown role {role!r} (use one of {', '.join(Role.values)})"]})


# Roles whose members may also rate; a rater always rates and a viewer only reads.
MAY_ALSO_RATE = frozenset({Role.OWNER, Role.ADJUDICATOR})


def role_text(role: str, rates: bool) -> str:
    """A role as the pages write it: "owner · rates" for an owner or adjudicator who also rates."""
    return f"{role} · rates" if rates and role in MAY_ALSO_RATE else role


def rates_with_role(role: str, rates: bool | None, *, current: bool = False) -> bool:
    """Whether a member with this role rates: asked for (None keeps `current`), where the role allows it."""
    if role == Role.RATER:
        return True
    if role not in MAY_ALSO_RATE:
        if rates:
            raise ValidationError(
                {"rates": [f"rates: a {role} only reads; make them a rater, or an owner or adjudicator who also rates"]}
            )
        return False
    return current if rates is None else bool(rates)


def _other_owners_exist(campaign: Campaign, membership: Membership) -> bool:
    return Membership.objects.filter(campaign=campaign, role=Role.OWNER).exclude(pk=membership.pk).exists()


@transaction.atomic
def membership_set(*, campaign: Campaign, user: AbstractBaseUser, role: str, rates: bool | None = None) -> Membership:
    """Give the user this role in the campaign (and say whether they rate), adding them if needed.

    `rates` None keeps whether the member rated, where the new role allows it. At least one owner stays.
    """
    validate_role(role)
    membership = Membership.objects.select_for_update().filter(campaign=campaign, user=user).first()
    if membership is None:
        return Membership.objects.create(campaign=campaign, user=user, role=role, rates=rates_with_role(role, rates))
    if membership.role == Role.OWNER and role != Role.OWNER and not _other_owners_exist(campaign, membership):
        raise ValidationError({"role": [f"role: {user.get_username()} is the last owner and must stay owner"]})
    membership.rates = rates_with_role(role, rates, current=membership.rates)
    membership.role = role
    membership.save(update_fields=["role", "rates"])
    return membership


@transaction.atomic
def membership_set_rates(*, campaign: Campaign, membership: Membership, rates: bool) -> Membership:
    """Say whether an owner or adjudicator also rates; a rater always rates and a viewer never does."""
    if membership.campaign_id != campaign.pk:
        raise ValidationError({"membership": [f"membership: {membership.pk} is not in campaign {campaign.slug!r}"]})
    name = membership.user.get_username()
    if membership.role == Role.RATER and not rates:
        raise ValidationError(
            {"rates": [f"rates: {name} is a rater, and raters always rate; change the role to stop them rating"]}
        )
    if membership.role == Role.VIEWER and rates:
        raise ValidationError(
            {
                "rates": [
                    f"rates: {name} is a viewer, and viewers only read; make them a rater, or an adjudicator "
                    "or owner who also rates"
                ]
            }
        )
    return membership_set(campaign=campaign, user=membership.user, role=membership.role, rates=rates)


def membership_remove_check(*, campaign: Campaign, membership: Membership) -> None:
    """Raise the ValidationError membership_remove would: before asking whether to remove, say it cannot be."""
    if membership.campaign_id != campaign.pk:
        raise ValidationError({"membership": [f"membership: {membership.pk} is not in campaign {campaign.slug!r}"]})
    if membership.role == Role.OWNER and not _other_owners_exist(campaign, membership):
        raise ValidationError(
            {"membership": [f"membership: {membership.user.get_username()} is the last owner and cannot be removed"]}
        )


@transaction.atomic
def membership_remove(*, campaign: Campaign, membership: Membership) -> None:
    """Remove a member from the campaign; the last owner cannot be removed."""
    membership_remove_check(campaign=campaign, membership=membership)
    membership.delete()


def generate_password() -> str:
    """A random password for a new account, shown to whoever created it once."""
    return secrets.token_urlsafe(12)


def clean_username(username: str) -> str:
    """The username stripped, or a ValidationError naming what is wrong with it."""
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": ["username: is required"]})
    if len(username) > 150:
        raise ValidationError({"username": ["username: is longer than 150 characters"]})
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ValidationError(
            {"username": [f"username: {username!r} may contain only letters, digits and @/./+/-/_"]}
        ) from None
    return username


@transaction.atomic
def user_get_or_create(*, username: str, password: str | None = None) -> tuple[AbstractBaseUser, str | None]:
    """Find a user by username or create one; a new account's password is returned, else None (operators only)."""
    username = clean_username(username)
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is not None:
        return user, None
    password = password or generate_password()
    return user_model.objects.create_user(username=username, password=password), password


@transaction.atomic
def member_invite(
    *, campaign: Campaign, username: str, role: str, password: str | None = None
) -> tuple[AbstractBaseUser, str | None]:
    """Add a user to the campaign, creating the account if needed; returns the new account's password once.

    For operators (create_campaign): the web pages add only users the owner already knows, and invite the rest.
    """
    validate_role(role)
    user, new_password = user_get_or_create(username=username, password=password)
    member_add(campaign=campaign, user=user, role=role)
    return user, new_password


@transaction.atomic
def member_add(*, campaign: Campaign, user: AbstractBaseUser, role: str, rates: bool = False) -> Membership:
    """Add an existing user to the campaign with a role (an owner or adjudicator may also rate); refused if
    they are a member already."""
    validate_role(role)
    member_rates = rates_with_role(role, rates)
    existing = Membership.objects.filter(campaign=campaign, user=user).first()
    if existing is not None:
        raise ValidationError(
            {"username": [f"username: {user.get_username()!r} is already a member ({existing.role})"]}
        )
    return Membership.objects.create(campaign=campaign, user=user, role=role, rates=member_rates)


@transaction.atomic
def member_add_known(
    *, campaign: Campaign, inviter: AbstractBaseUser, username: str, role: str, rates: bool = False
) -> AbstractBaseUser | None:
    """Add the user if the inviter already knows them (a member of a campaign they own; anyone, for staff).

    Returns None for any other name, whether or not it has an account: the caller then makes an invitation,
    and the inviter learns nothing about which usernames exist.
    """
    validate_role(role)
    username = clean_username(username)
    users = get_user_model().objects.filter(username=username)
    if not inviter.is_staff:
        owned = Membership.objects.filter(user=inviter, role=Role.OWNER).values("campaign")
        users = users.filter(pk__in=Membership.objects.filter(campaign__in=owned).values("user"))
    user = users.first()
    if user is None:
        return None
    member_add(campaign=campaign, user=user, role=role, rates=rates)
    return user


# Statuses in which the owner may still change what a campaign holds (import ratings, mark gold items). Any
# other status is closed, one added later included, until it is listed here.
OPEN_STATUSES = frozenset({Status.DRAFT, Status.ACTIVE, Status.PAUSED})


def campaign_is_open(campaign: Campaign) -> bool:
    """Whether the owner may still change what the campaign holds: it is a draft, active or paused."""
    return campaign.status in OPEN_STATUSES


def campaign_lock_open(*, campaign: Campaign, change: str) -> None:
    """Inside a write: lock the campaign's row and refuse the change (e.g. "…can no longer change") unless it is open.

    The lock holds off a status change (which locks the row too) until the write is committed.
    """
    rows = Campaign.objects.select_for_update(no_key=True).filter(pk=campaign.pk)
    status = rows.values_list("status", flat=True).get()
    if status not in OPEN_STATUSES:
        label = dict(Status.choices).get(status, status)
        raise ValidationError(f"This campaign is {label.lower()}: {change}.")
