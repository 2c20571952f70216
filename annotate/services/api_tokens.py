"""API tokens: named credentials for scripts, of which only a hash is kept; the secret is shown once."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotate.models import ApiToken

SECRET_START = "acc_"
NAME_MAX = 100
# A hot client would otherwise write its token's row on every request; a minute is as precise as the page shows.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    """The SHA-256 hex digest a token's secret is stored and looked up by."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _validated_name(user: AbstractBaseUser, name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise ValidationError({"name": "A token needs a name, to tell it apart from your others."})
    if len(cleaned) > NAME_MAX:
        raise ValidationError(
            {"name": f"Token name {cleaned[:20]!r}… is {len(cleaned)} characters; at most {NAME_MAX}."}
        )
    if ApiToken.objects.filter(user=user, name=cleaned, revoked_at__isnull=True).exists():
        raise ValidationError({"name": f"You already have a token named {cleaned!r}; revoke it or pick another name."})
    return cleaned


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for the user; returns it with its secret, which is not stored and cannot be shown again."""
    cleaned = _validated_name(user, name)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": f"Expiry {expires_at.isoformat()} is in the past."})
    secret = SECRET_START + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user, name=cleaned, prefix=secret[:12], key_hash=token_hash(secret), expires_at=expires_at
            )
    except IntegrityError:
        # Another request created a live token of the same name between the check and the insert.
        raise ValidationError({"name": f"You already have a token named {cleaned!r}."}) from None
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good; revoking it again changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_user(secret: str) -> tuple[AbstractBaseUser, ApiToken] | None:
    """The active user and live token a secret belongs to, or None: unknown, revoked, expired or inactive user."""
    if not secret.startswith(SECRET_START) or len(secret) > 200:
        return None
    # The lookup is by the hash's unique index: timing reveals nothing about the secret, only about its digest.
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(secret)).first()
    if token is None or not secrets.compare_digest(token.key_hash, token_hash(secret)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token
