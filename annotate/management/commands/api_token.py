"""API tokens from the command line: create one (printing only its secret), list a user's, revoke one."""

from argparse import ArgumentParser
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from annotate.models import ApiToken
from annotate.services.api_tokens import api_token_create, api_token_revoke


def _user(username: str) -> AbstractBaseUser:
    model = get_user_model()
    try:
        return model.objects.get(**{model.USERNAME_FIELD: username})
    except model.DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 365:
        raise ValueError(text)
    return int(text)


_days.__name__ = "number of days from 1 to 365"


class Command(BaseCommand):
    help = "API tokens: `create USER` prints a new token (only it, on stdout); `list USER`; `revoke USER --name N`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("username")
        parser.add_argument("--name", help="Token name (create: default 'cli'; revoke: which live token).")
        parser.add_argument("--prefix", help="revoke: the live token whose secret starts with this.")
        parser.add_argument("--expires-days", type=_days, help="create: days the token lasts, 1-365 (default: never).")

    def handle(self, *args: object, **options: object) -> None:
        user = _user(options["username"])
        action = options["action"]
        if action == "create":
            self._create(user, options["name"] or "cli", options["expires_days"])
        elif action == "list":
            self._list(user)
        else:
            self._revoke(user, options["name"], options["prefix"])

    def _create(self, user: AbstractBaseUser, name: str, days: int | None) -> None:
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            _, secret = api_token_create(user=user, name=name, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(secret)

    def _list(self, user: AbstractBaseUser) -> None:
        now = timezone.now()
        for token in ApiToken.objects.filter(user=user).order_by("created_at"):
            if token.revoked_at:
                state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
            elif token.expires_at and token.expires_at <= now:
                state = f"expired {token.expires_at:%Y-%m-%d %H:%M}"
            else:
                state = f"expires {token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.prefix}…\t{token.name}\tcreated {token.created_at:%Y-%m-%d}\tused {used}\t{state}"
            )

    def _revoke(self, user: AbstractBaseUser, name: str | None, prefix: str | None) -> None:
        if bool(name) == bool(prefix):
            raise CommandError("Name the token to revoke with --name or --prefix (one of them).")
        live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        found = list(live.filter(Q(name=name) if name else Q(prefix__startswith=prefix[:12]))[:2])
        what = f"name {name!r}" if name else f"prefix {prefix!r}"
        if not found:
            raise CommandError(f"{user.get_username()} has no live token with {what}.")
        if len(found) > 1:
            raise CommandError(f"More than one live token of {user.get_username()} has {what}; use --name.")
        api_token_revoke(token=found[0])
        self.stdout.write(f"Revoked {found[0].prefix}… ({found[0].name}).")
