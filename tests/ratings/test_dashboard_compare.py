"""Rubric versions side by side: alpha per criterion under each version."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from annotate.models import Membership
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, RubricVersionFactory, UserFactory


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def versions(db, curator):
    """Versions 1 and 2 of a rubric with a rated campaign each, plus a campaign the curator cannot read."""
    v1 = RubricVersionFactory(number=1, rubric__created_by=curator)
    v2 = RubricVersionFactory(rubric=v1.rubric, number=2)
    campaigns = {
        "old": CampaignFactory(slug="old-run", rubric_version=v1, with_items=5, owner=curator),
        "new": CampaignFactory(slug="new-run", rubric_version=v2, with_items=5, owner=curator),
        "hidden": CampaignFactory(slug="hidden-run", rubric_version=v2, with_items=5),
    }
    labels = {
        "old": ([1, 2, 3, 4, 5], [3, 1, 4, 2, 3]),
        "new": ([1, 2, 3, 4, 5], [1, 2, 3, 4, 4]),
        "hidden": ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]),
    }
    for name, (first, second) in labels.items():
        items = list(campaigns[name].items.order_by("order_key"))
        for username, values in (("r1", first), ("r2", second)):
            user = UserFactory(username=username)
            for item, value in zip(items, values, strict=True):
                RatingFactory(campaign_item=item, rater=user, values={"helpful": value})
    return v1.rubric, campaigns


def test_owner_sees_each_version_and_the_change(client, versions, curator):
    rubric, _ = versions
    client.force_login(curator)
    response = client.get(reverse("ratings:rubric-compare", args=[rubric.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "old-run" in body and "new-run" in body
    assert "hidden-run" not in body
    comparison = response.context["comparison"]
    assert [v.number for v in comparison.versions] == [1, 2]
    diff = comparison.criteria[0].diffs[0]
    assert f"{diff.diff:.3f}" in body


def test_a_viewer_of_one_campaign_who_cannot_see_the_rubric_gets_404(client, versions):
    rubric, campaigns = versions
    viewer = UserFactory(username="watcher")
    MembershipFactory(campaign=campaigns["new"], user=viewer, role=Membership.Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("ratings:rubric-compare", args=[rubric.pk])).status_code == 404


def test_an_outsider_gets_404_and_anonymous_visitors_log_in(client, versions, outsider):
    rubric, _ = versions
    assert client.get(reverse("ratings:rubric-compare", args=[rubric.pk])).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("ratings:rubric-compare", args=[rubric.pk])).status_code == 404


def test_staff_compare_over_every_campaign(client, versions):
    rubric, _ = versions
    client.force_login(UserFactory(username="staff-user", is_staff=True))
    body = client.get(reverse("ratings:rubric-compare", args=[rubric.pk])).content.decode()
    assert "hidden-run" in body
