"""The site's menus: which of them each signed-in user is shown, decided here for every page.

A menu appears only where its page has something for the user: the dataset and rubric lists show what the
user may create (`can_curate`) or the datasets and rubrics of campaigns they own (`datasets_visible_to`),
so a rater, an adjudicator or a viewer, who could neither create nor see any, is not offered them.
"""

from dataclasses import asdict, dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from annotate.models import Membership
from annotate.permissions import can_curate

# Every full page shows the menus, the rating page included, whose queries are counted: the answer is kept a
# minute per user. A role given or taken away shows in the menus within that time; the pages check on every
# request.
MENU_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Menu:
    """What the main menu offers one user (the pages offer create buttons by `can_curate`)."""

    datasets: bool
    rubrics: bool
    admin: bool


def menu_for(user: AbstractBaseUser | AnonymousUser) -> Menu:
    """The menus `user` can use: datasets and rubrics for curators and campaign owners, the admin for staff."""
    if not user.is_authenticated:
        return Menu(datasets=False, rubrics=False, admin=False)
    owns = can_curate(user) or Membership.objects.filter(user=user, role=Membership.Role.OWNER).exists()
    return Menu(datasets=owns, rubrics=owns, admin=user.is_staff)


def _cached_menu_for(user: AbstractBaseUser | AnonymousUser) -> Menu:
    if not user.is_authenticated:
        return menu_for(user)
    # The join date tells apart two accounts that held the same id (one deleted, or a transaction rolled back).
    key = f"accord:menu:{user.pk}:{user.date_joined.timestamp()}"
    found = cache.get(key)
    if found is None:
        found = asdict(menu_for(user))
        cache.set(key, found, MENU_CACHE_SECONDS)
    return Menu(**found)


def menus(request: HttpRequest) -> dict[str, object]:
    """Template context: `menu`, worked out only when a page shows it (htmx fragments do not)."""
    # A request refused before authentication (a failed CSRF check) has no user yet.
    return {"menu": SimpleLazyObject(lambda: _cached_menu_for(getattr(request, "user", AnonymousUser())))}
