"""Writes about campaigns: creation and sampling, status, members, gold items and the gold and repeat rates."""

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, connection, transaction
from django.db.models.fields.json import KeyTransform

from annotate.models import Campaign, CampaignItem, Dataset, Item, Membership, RubricVersion
from annotate.sampling import SampleSpec, SampleSpecError, draw_sample, parse_sample_spec
from annotate.services.campaign_counts import campaign_counts_recount

Role = Membership.Role
Status = Campaign.Status

MAX_OVERLAP = 20
MAX_GOLD_RATE = 0.5
MAX_REPEAT_RATE = 0.3
# Statuses in which the owner may still change how gold checks and repeats are mixed in.
RATES_EDITABLE = frozenset({Status.DRAFT, Status.ACTIVE, Status.PAUSED})
BATCH_SIZE = 5000
# Slugs that would shadow a fixed URL under /c/.
RESERVED_SLUGS = frozenset({"new"})
# Which status a campaign may move to from each status. Any campaign can be archived (what replaces deleting
# one, since its ratings are kept); an archived campaign comes back closed, as archiving ended its rating.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.ACTIVE, Status.ARCHIVED}),
    Status.ACTIVE: frozenset({Status.PAUSED, Status.CLOSED, Status.ARCHIVED}),
    Status.PAUSED: frozenset({Status.ACTIVE, Status.CLOSED, Status.ARCHIVED}),
    Status.CLOSED: frozenset({Status.ARCHIVED}),
    Status.ARCHIVED: frozenset({Status.CLOSED}),
}


def _rate_errors(*, gold_rate: float, repeat_rate: float) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, value, high in (("gold_rate", gold_rate, MAX_GOLD_RATE), ("repeat_rate", repeat_rate, MAX_REPEAT_RATE)):
        number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not number or not 0 <= value <= high:
            errors[field] = [f"{field}: must be a number from 0 to {high} (got {value!r})"]
    return errors


def _validate_campaign_fields(
    *,
    slug: str,
    name: str,
    dataset: Dataset,
    overlap: int,
    lease_minutes: int,
    visible_fields: list[str],
    gold_rate: float,
    repeat_rate: float,
) -> None:
    errors = _rate_errors(gold_rate=gold_rate, repeat_rate=repeat_rate)
    if not slug:
        errors["slug"] = ["slug: is required"]
    else:
        try:
            validate_slug(slug)
        except ValidationError:
            errors["slug"] = [f"slug: {slug!r} may contain only letters, digits, hyphens and underscores"]
        else:
            if len(slug) > 80:
                errors["slug"] = [f"slug: {slug!r} is longer than 80 characters"]
            elif slug in RESERVED_SLUGS:
                errors["slug"] = [f"slug: {slug!r} is reserved, choose another"]
            elif Campaign.objects.filter(slug=slug).exists():
                errors["slug"] = [f"slug: a campaign {slug!r} already exists"]
    if not name or not name.strip():
        errors["name"] = ["name: is required"]
    elif len(name) > 200:
        errors["name"] = ["name: is longer than 200 characters"]
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 1 <= overlap <= MAX_OVERLAP:
        errors["overlap"] = [f"overlap: must be a whole number from 1 to {MAX_OVERLAP} (got {overlap!r})"]
    if isinstance(lease_minutes, bool) or not isinstance(lease_minutes, int) or lease_minutes < 1:
        errors["lease_minutes"] = [f"lease_minutes: must be at least 1 minute (got {lease_minutes!r})"]
    known = set(dataset.content_fields) | set(dataset.metadata_fields)
    unknown = [f for f in visible_fields if f not in known]
    if unknown:
        errors["visible_fields"] = [
            f"visible_fields: {', '.join(map(repr, unknown))} not among the fields of dataset {dataset.name!r}"
        ]
    if errors:
        raise ValidationError(errors)


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
    """Create a draft campaign, draw its sample into CampaignItems and make `user` its owner."""
    _validate_campaign_fields(
        slug=slug,
        name=name,
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
    campaign = Campaign.objects.create(
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


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, status: str) -> Campaign:
    """Move a campaign along draft → active ↔ paused → closed ↔ archived (any status may be archived)."""
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


def _validate_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": [f"role: unknown role {role!r} (use one of {', '.join(Role.values)})"]})


# Roles whose members may also rate; a rater always rates and a viewer only reads.
MAY_ALSO_RATE = frozenset({Role.OWNER, Role.ADJUDICATOR})


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
    _validate_role(role)
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
def membership_remove(*, campaign: Campaign, membership: Membership) -> None:
    """Remove a member from the campaign; the last owner cannot be removed."""
    if membership.campaign_id != campaign.pk:
        raise ValidationError({"membership": [f"membership: {membership.pk} is not in campaign {campaign.slug!r}"]})
    if membership.role == Role.OWNER and not _other_owners_exist(campaign, membership):
        raise ValidationError(
            {"membership": [f"membership: {membership.user.get_username()} is the last owner and cannot be removed"]}
        )
    membership.delete()


def generate_password() -> str:
    """A random password for a new account, shown to whoever created it once."""
    return secrets.token_urlsafe(12)


def _clean_username(username: str) -> str:
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
    username = _clean_username(username)
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
    _validate_role(role)
    user, new_password = user_get_or_create(username=username, password=password)
    member_add(campaign=campaign, user=user, role=role)
    return user, new_password


@transaction.atomic
def member_add(*, campaign: Campaign, user: AbstractBaseUser, role: str, rates: bool = False) -> Membership:
    """Add an existing user to the campaign with a role (an owner or adjudicator may also rate); refused if
    they are a member already."""
    _validate_role(role)
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
    _validate_role(role)
    username = _clean_username(username)
    users = get_user_model().objects.filter(username=username)
    if not inviter.is_staff:
        owned = Membership.objects.filter(user=inviter, role=Role.OWNER).values("campaign")
        users = users.filter(pk__in=Membership.objects.filter(campaign__in=owned).values("user"))
    user = users.first()
    if user is None:
        return None
    member_add(campaign=campaign, user=user, role=role, rates=rates)
    return user


# An invitation is a signed token, not a row: who is invited to which campaign as what, and by whom.
INVITATION_SALT = "annotate.invitation"
INVITATION_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Invitation:
    """A checked invitation: the campaign, the role it offers, the intended username and who sent it."""

    campaign: Campaign
    role: str
    username: str
    inviter: AbstractBaseUser


def _may_invite(campaign: Campaign, user: AbstractBaseUser) -> bool:
    if not user.is_active:
        return False
    return user.is_staff or Membership.objects.filter(campaign=campaign, user=user, role=Role.OWNER).exists()


def _no_longer_valid(campaign: Campaign) -> ValidationError:
    return ValidationError(
        {
            "invitation": [
                f"This invitation to {campaign.name!r} is no longer valid: whoever sent it no longer owns the "
                "campaign. Ask an owner for a new one."
            ]
        }
    )


def invitation_make(*, campaign: Campaign, inviter: AbstractBaseUser, username: str, role: str) -> str:
    """A signed token inviting `username` to join the campaign as `role`, valid for INVITATION_MAX_AGE."""
    _validate_role(role)
    username = _clean_username(username)
    if not _may_invite(campaign, inviter):
        raise ValidationError({"invitation": [f"invitation: only an owner of {campaign.slug!r} can invite members"]})
    return signing.dumps({"c": campaign.pk, "r": role, "u": username, "i": inviter.pk}, salt=INVITATION_SALT)


def _invitation_payload(token: str) -> dict[str, Any]:
    days = INVITATION_MAX_AGE.days
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        message = f"This invitation link has expired: links are valid for {days} days. Ask for a new one."
        raise ValidationError({"invitation": [message]}, code="expired") from None
    except signing.BadSignature:
        data = None
    well_formed = (
        isinstance(data, dict)
        and all(isinstance(data.get(k), int) and not isinstance(data.get(k), bool) for k in ("c", "i"))
        and data.get("r") in Role.values
        and isinstance(data.get("u"), str)
    )
    if not well_formed:
        message = "This invitation link is not valid: check that it was copied whole, or ask for a new one."
        raise ValidationError({"invitation": [message]}, code="invalid")
    return data


def invitation_read(token: str) -> Invitation:
    """Check an invitation token: its signature, its age, and that its sender still owns the campaign."""
    data = _invitation_payload(token)
    campaign = Campaign.objects.filter(pk=data["c"]).first()
    if campaign is None:
        message = "This invitation is no longer valid: its campaign no longer exists."
        raise ValidationError({"invitation": [message]}, code="gone")
    inviter = get_user_model().objects.filter(pk=data["i"]).first()
    if inviter is None or not _may_invite(campaign, inviter):
        raise _no_longer_valid(campaign)
    return Invitation(campaign=campaign, role=data["r"], username=data["u"], inviter=inviter)


def invitation_has_account(invitation: Invitation) -> bool:
    """Whether the invited username has an account already (told only to whoever holds the link)."""
    return get_user_model().objects.filter(username=invitation.username).exists()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> tuple[Membership, bool]:
    """Make the invited user a member with the offered role; True if new. Accepting again changes nothing."""
    if user.get_username() != invitation.username:
        raise ValidationError({"invitation": [f"This invitation is for another account, not {user.get_username()}."]})
    # The sender may have lost the campaign since the link was made or opened.
    if not _may_invite(invitation.campaign, invitation.inviter):
        raise _no_longer_valid(invitation.campaign)
    existing = Membership.objects.filter(campaign=invitation.campaign, user=user).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                campaign=invitation.campaign, user=user, role=invitation.role, rates=invitation.role == Role.RATER
            )
            return membership, True
    except IntegrityError:
        # Accepted at the same moment in another tab: that membership stands.
        return Membership.objects.get(campaign=invitation.campaign, user=user), False


@transaction.atomic
def invitation_accept_new_account(*, invitation: Invitation, password: str) -> AbstractBaseUser:
    """Create the invited account with the password its holder chose, and make it a member."""
    user_model = get_user_model()
    try:
        validate_password(password, user=user_model(username=invitation.username))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    taken = ValidationError({"invitation": [f"An account {invitation.username} exists already: log in to accept."]})
    if user_model.objects.filter(username=invitation.username).exists():
        raise taken
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(username=invitation.username, password=password)
    except IntegrityError:
        raise taken from None
    invitation_accept(invitation=invitation, user=user)
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
