"""The test database, and role fixtures shared by every test."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User

from annotate.models import Campaign, Membership
from tests.factories import CampaignFactory, MembershipFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory) -> None:
    """Keep the SQLite test database in a file, as in production, rather than in memory.

    An in-memory database has one connection, which Django hands to every thread of the live server the
    browser tests use: the test thread and overlapping requests (a double press) would interleave their
    transactions on it. With a file each thread has its own connection and SQLite serialises the writers.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Real hashers cost ~100 ms per user; tests create hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def curator(db) -> User:
    """A user allowed to create datasets, rubrics and campaigns (not staff)."""
    user = UserFactory(username="curator")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="annotate", codename__in=["add_dataset", "add_rubric", "add_campaign"]
        )
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def campaign(db, curator: User) -> Campaign:
    """A campaign with a few items, created and owned by `curator`."""
    return CampaignFactory(created_by=curator, with_items=5, owner=curator)


def _member(campaign: Campaign, username: str, role: str) -> User:
    user = UserFactory(username=username)
    MembershipFactory(campaign=campaign, user=user, role=role)
    return user


@pytest.fixture
def owner(campaign: Campaign, curator: User) -> User:
    """The campaign's owner."""
    return curator


@pytest.fixture
def rater(campaign: Campaign) -> User:
    return _member(campaign, "rater", Membership.Role.RATER)


@pytest.fixture
def other_rater(campaign: Campaign) -> User:
    return _member(campaign, "other_rater", Membership.Role.RATER)


@pytest.fixture
def adjudicator(campaign: Campaign) -> User:
    return _member(campaign, "adjudicator", Membership.Role.ADJUDICATOR)


@pytest.fixture
def viewer(campaign: Campaign) -> User:
    return _member(campaign, "viewer", Membership.Role.VIEWER)


@pytest.fixture
def staff(db, client) -> User:
    """A superuser, signed in on `client` (the admin's pages)."""
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def outsider(db) -> User:
    """A logged-in user with no role anywhere."""
    return UserFactory(username="outsider")
