"""Signing in: Django's users, passwords and permissions, with the signed-in user read by one fixed statement."""

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.http import HttpRequest

from accord.rows import MAX_ROW_ID, models_from_sql


class AccountBackend(ModelBackend):
    """Django's ModelBackend, except that a session's user is read without building an ORM query.

    Every request of a signed-in user reads their row; building the general query cost twice as much as
    running it. Settings list Django's ModelBackend after this one only so that sessions it signed in stay valid.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> AbstractBaseUser | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            # Wrong credentials: stop here, or ModelBackend would hash the same password a second time.
            raise PermissionDenied
        return user

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        if not isinstance(user_id, int) or not 0 < user_id <= MAX_ROW_ID:
            return None
        model = get_user_model()
        found = models_from_sql(model, _user_sql(model, router.db_for_read(model)), [user_id])
        if not found or not self.user_can_authenticate(found[0]):
            return None
        return found[0]


@cache
def _user_sql(model: type[AbstractBaseUser], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    return f"SELECT * FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s"
