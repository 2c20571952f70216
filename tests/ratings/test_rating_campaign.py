"""Every way a rating is written records its campaign item's campaign, and the rater's count reads it."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F

from annotate.models import Campaign, Membership
from ratings.models import Rating
from ratings.queue import assignment_next
from ratings.queue_selectors import rater_progress
from ratings.services import rating_submit, ratings_import
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, UserFactory
from tests.ratings.test_import_ratings import make_campaign, write_file

pytestmark = pytest.mark.django_db


def _mismatched() -> int:
    return Rating.objects.exclude(campaign_id=F("campaign_item__campaign_id")).count()


def test_submit_import_demo_factory_and_in_campaign_record_the_campaign(tmp_path: Path) -> None:
    campaign = CampaignFactory(with_items=3)
    rater = UserFactory()
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 3})

    imported = make_campaign()
    rows = [
        {"item_id": "i1", "rater": "ann", "criterion": "helpful", "value": 4},
        {"item_id": "i2", "rater": "bob", "criterion": "helpful", "value": 2},
    ]
    ratings_import(campaign=imported, source=write_file(tmp_path, "csv", rows))

    call_command("load_demo", stdout=StringIO())
    RatingFactory()
    other = CampaignFactory(with_items=1)
    Rating.in_campaign(other, campaign_item_id=other.items.get().pk, rater=UserFactory(), values={}).save()

    assert Rating.objects.filter(campaign=campaign).count() == 1
    assert Rating.objects.filter(campaign=imported).count() == 2
    assert Rating.objects.filter(campaign=Campaign.objects.get(slug="demo")).exists()
    assert _mismatched() == 0


def test_a_rating_built_without_its_campaign_is_refused_not_filled_in_behind_the_scenes() -> None:
    campaign = CampaignFactory(with_items=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            campaign_item=campaign.items.get(), rater=UserFactory(), rubric_version=campaign.rubric_version
        )
    assert not Rating.objects.exists()


def test_rater_progress_counts_only_this_campaigns_ratings() -> None:
    campaign, elsewhere = CampaignFactory(with_items=4), CampaignFactory(with_items=2)
    rater = UserFactory()
    for campaign_item in campaign.items.all()[:3]:
        RatingFactory(campaign_item=campaign_item, rater=rater)
    RatingFactory(campaign_item=elsewhere.items.first(), rater=rater)
    RatingFactory(campaign_item=campaign.items.last())
    assert rater_progress(campaign=campaign, rater=rater).done == 3
    assert rater_progress(campaign=elsewhere, rater=rater).done == 1


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_campaign_of_existing_ratings() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("ratings", "0001_initial")])
    old_apps = executor.loader.project_state([("ratings", "0001_initial")]).apps
    old_rating = old_apps.get_model("ratings", "Rating")
    campaign = CampaignFactory(with_items=2)
    rater = UserFactory()
    for campaign_item in campaign.items.all():
        old_rating.objects.create(
            campaign_item_id=campaign_item.pk, rater_id=rater.pk, rubric_version_id=campaign.rubric_version_id
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Rating.objects.filter(campaign=campaign).count() == 2
    assert _mismatched() == 0
