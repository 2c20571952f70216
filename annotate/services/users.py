"""Writes about user accounts: deactivating one, which is what replaces deleting a user who has rated."""

from django.db.models import QuerySet


def users_deactivate(*, users: QuerySet) -> int:
    """Stop the users from signing in (a signed-in one is signed out); keep their ratings. Return how many changed."""
    return users.filter(is_active=True).update(is_active=False)
