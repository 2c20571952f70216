"""Database constraints that DESIGN.md states as 'at most one'."""

import pytest
from django.db import IntegrityError, transaction

from annotate.models import CampaignItem, Item, Membership, RubricVersion
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
)

pytestmark = pytest.mark.django_db


def test_item_external_id_is_unique_within_a_dataset():
    item = ItemFactory(external_id="x1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(dataset=item.dataset, external_id="x1", position=999, content={})


def test_same_external_id_is_allowed_in_another_dataset():
    ItemFactory(external_id="x1")
    assert ItemFactory(external_id="x1", dataset=DatasetFactory()).pk


def test_rubric_version_numbers_are_unique_per_rubric():
    version = RubricVersionFactory(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.create(rubric=version.rubric, number=1, criteria=[])


def test_an_item_is_sampled_into_a_campaign_at_most_once():
    campaign = CampaignFactory(with_items=1)
    existing = campaign.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignItem.objects.create(campaign=campaign, item=existing.item, order_key=77)


def test_a_user_has_one_role_per_campaign():
    membership = MembershipFactory(role=Membership.Role.RATER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(campaign=membership.campaign, user=membership.user, role=Membership.Role.VIEWER)


def test_overlap_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(overlap=0)


def test_a_rater_rates_an_item_once_plus_at_most_one_repeat():
    rating = RatingFactory()
    RatingFactory(campaign_item=rating.campaign_item, rater=rating.rater, is_repeat=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(campaign_item=rating.campaign_item, rater=rating.rater)


def test_campaign_items_are_reachable_from_the_campaign():
    campaign = CampaignFactory(with_items=3)
    assert campaign.items.count() == 3


def test_rubric_version_is_frozen_once_a_campaign_uses_it():
    version = RubricVersionFactory()
    assert not version.is_frozen
    CampaignFactory(rubric_version=version)
    assert version.is_frozen
