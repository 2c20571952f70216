"""Fixtures shared by the tests of the ratings app."""

import pytest

from annotate.models import CampaignItem, Membership
from tests.factories import MembershipFactory, RatingFactory, UserFactory


@pytest.fixture
def rated(campaign):
    """The campaign's five items rated by three raters on helpfulness."""
    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))
    table = {"r1": [1, 2, 3, 3, 5], "r2": [1, 2, 3, 4, 4], "r3": [2, 2, 4, 4, 5]}
    for username, values in table.items():
        user = UserFactory(username=username)
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        for item, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=item, rater=user, values={"helpful": value})
    return campaign
