"""The demo loader: users, datasets, rubrics, campaigns and simulated ratings, idempotently."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from annotate.models import Campaign, Dataset, Membership, Rubric
from ratings.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Eight demo accounts are hashed and checked; the slow production hasher adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "users": User.objects.count(),
        "datasets": Dataset.objects.count(),
        "rubrics": Rubric.objects.count(),
        "campaigns": Campaign.objects.count(),
        "memberships": Membership.objects.count(),
        "ratings": Rating.objects.count(),
    }


def test_load_demo_twice_creates_everything_once():
    first = load()
    assert "Demo ready" in first
    assert "owner/owner" in first
    before = snapshot()
    second = load()
    assert "already loaded" in second
    assert snapshot() == before

    for username in ["owner", "rater1", "rater2", "rater3", "rater4", "adjudicator", "viewer", "admin"]:
        assert authenticate(username=username, password=username) is not None
    owner = User.objects.get(username="owner")
    assert not owner.is_staff
    assert owner.has_perm("annotate.add_campaign") and owner.has_perm("annotate.add_dataset")
    assert User.objects.get(username="admin").is_superuser

    demo = Campaign.objects.get(slug="demo")
    assert demo.status == Campaign.Status.ACTIVE
    assert demo.items.count() == 200
    assert demo.overlap == 3
    assert "model" not in demo.visible_fields and "quality" not in demo.visible_fields
    roles = dict(demo.memberships.values_list("user__username", "role"))
    assert roles == {
        "owner": "owner",
        "rater1": "rater",
        "rater2": "rater",
        "rater3": "rater",
        "rater4": "rater",
        "adjudicator": "adjudicator",
        "viewer": "viewer",
    }
    demo_ratings = Rating.objects.filter(campaign_item__campaign=demo, by_machine=False)
    assert demo_ratings.count() == 450
    assert demo_ratings.values("campaign_item").distinct().count() == 150
    assert all(10 <= s <= 90 for s in demo_ratings.values_list("seconds_spent", flat=True))
    assert set(demo_ratings.values_list("source", flat=True)) == {"demo"}

    pairwise = Campaign.objects.get(slug="demo-pairwise")
    assert pairwise.items.count() == 60
    assert not {"model_a", "model_b", "better"} & set(pairwise.visible_fields)
    assert Rating.objects.filter(campaign_item__campaign=pairwise).count() == 135

    safety = Campaign.objects.get(slug="demo-safety")
    assert safety.items.count() == 100
    assert safety.overlap == 2
    assert safety.sample_spec["method"] == "stratified"
    assert Rating.objects.filter(campaign_item__campaign=safety).exists()
