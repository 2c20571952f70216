"""The demo's safety campaign: its rubric keeps clear of the rating page's keys, "None" goes alone, and so do its
simulated ratings."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from annotate.criteria import RESERVED_KEYS
from annotate.models import Campaign
from ratings.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def safety() -> Campaign:
    call_command("load_demo", stdout=StringIO())
    return Campaign.objects.get(slug="demo-safety")


def test_no_option_of_a_demo_rubric_takes_a_key_of_the_rating_page(safety: Campaign) -> None:
    for campaign in Campaign.objects.all():
        keys = {o.key.lower() for c in campaign.rubric_version.typed_criteria for o in c.options if o.key}
        assert not keys & set(RESERVED_KEYS), campaign.slug


def test_none_is_exclusive_and_no_simulated_rating_combines_it(safety: Campaign) -> None:
    flags = safety.rubric_version.typed_criteria[0]
    assert [o.value for o in flags.options if o.exclusive] == ["none"]
    for values in Rating.objects.filter(campaign_item__campaign=safety).values_list("values", flat=True):
        assert values["flags"] == ["none"] or "none" not in values["flags"]


def test_s_on_the_demo_safety_page_is_skip(safety: Campaign) -> None:
    client = Client()
    client.force_login(safety.memberships.filter(rates=True).first().user)
    page = client.get(reverse("ratings:rate", args=[safety.slug])).content.decode()
    assert "Skip this item <kbd>s</kbd>" in page
    assert 'data-key="s"' not in page and 'data-key="h"' in page and "data-exclusive" in page
