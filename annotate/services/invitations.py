"""Invitations to a campaign: a signed link naming the campaign, the role offered and the invited username."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotate.models import Campaign, Membership
from annotate.services.campaigns import MAY_ALSO_RATE, clean_username, rates_with_role, role_text, validate_role

Role = Membership.Role

# An invitation is a signed token, not a row: who is invited to which campaign as what, and by whom.
INVITATION_SALT = "annotate.invitation"
INVITATION_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Invitation:
    """A checked invitation: the campaign, the role it offers (and whether that member rates too), the intended
    username and who sent it."""

    campaign: Campaign
    role: str
    username: str
    inviter: AbstractBaseUser
    rates: bool = False

    @property
    def role_text(self) -> str:
        """The role offered as the invited person reads it, e.g. "owner · rates"."""
        return role_text(self.role, self.rates)


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


def invitation_make(
    *, campaign: Campaign, inviter: AbstractBaseUser, username: str, role: str, rates: bool = False
) -> str:
    """A signed token inviting `username` to join the campaign as `role`, valid for INVITATION_MAX_AGE.

    An owner or adjudicator invited to rate too carries "a" (also rates) in the token; a token without it (every
    token made before) offers the role alone.
    """
    validate_role(role)
    also_rates = rates_with_role(role, rates) and role in MAY_ALSO_RATE
    username = clean_username(username)
    if not _may_invite(campaign, inviter):
        raise ValidationError({"invitation": [f"invitation: only an owner of {campaign.slug!r} can invite members"]})
    payload: dict[str, Any] = {"c": campaign.pk, "r": role, "u": username, "i": inviter.pk}
    if also_rates:
        payload["a"] = True
    return signing.dumps(payload, salt=INVITATION_SALT)


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
        and isinstance(data.get("a", False), bool)
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
    rates = data.get("a", False) and data["r"] in MAY_ALSO_RATE
    return Invitation(campaign=campaign, role=data["r"], username=data["u"], inviter=inviter, rates=rates)


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
            rates = rates_with_role(invitation.role, invitation.rates)
            membership = Membership.objects.create(
                campaign=invitation.campaign, user=user, role=invitation.role, rates=rates
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
