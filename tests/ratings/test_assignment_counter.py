"""CampaignItem.n_taken, the queue's counter, equals ratings plus live leases after every path that changes them."""

import csv
import importlib
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from annotate.models import Assignment, Campaign, CampaignCounts, CampaignItem
from ratings.models import Rating
from ratings.progress import campaign_progress
from ratings.queue import assignment_flag, assignment_next, assignment_skip, campaign_items_recount, reclaim_key
from ratings.services import rating_submit, ratings_import
from tests.factories import CampaignFactory, RatingFactory, UserFactory, raters_of

pytestmark = pytest.mark.django_db


def _reality(campaign: Campaign, now: object = None) -> dict[int, int]:
    """First-time human ratings plus live first-time leases per item, counted from the rows themselves (a machine
    rater's label takes no slot)."""
    now = now or timezone.now()
    live = Q(assignments__status=Assignment.Status.LEASED, assignments__is_repeat=False)
    live &= Q(assignments__expires_at__gt=now)
    rows = CampaignItem.objects.filter(campaign=campaign).annotate(
        n_ratings=Count("ratings", filter=Q(ratings__is_repeat=False, ratings__by_machine=False), distinct=True),
        n_leases=Count("assignments", filter=live, distinct=True),
    )
    return {row.pk: row.n_ratings + row.n_leases for row in rows}


def _counters(campaign: Campaign) -> dict[int, int]:
    return dict(CampaignItem.objects.filter(campaign=campaign).values_list("pk", "n_taken"))


def test_lease_and_submit_keep_the_counter() -> None:
    campaign = CampaignFactory(with_items=4, overlap=2)
    first, second = raters_of(campaign, 2)
    leased = assignment_next(campaign=campaign, rater=first)
    assert _counters(campaign)[leased.campaign_item_id] == 1
    assert _counters(campaign) == _reality(campaign)
    rating_submit(assignment=leased, values={"helpful": 3})
    assert _counters(campaign) == _reality(campaign)
    assignment_next(campaign=campaign, rater=second)
    assert _counters(campaign) == _reality(campaign)


def test_skip_and_flag_give_the_slot_back() -> None:
    campaign = CampaignFactory(with_items=3, overlap=2)
    (rater,) = raters_of(campaign, 1)
    skipped = assignment_next(campaign=campaign, rater=rater)
    assignment_skip(assignment=skipped, reason="")
    assert _counters(campaign)[skipped.campaign_item_id] == 0
    flagged = assignment_next(campaign=campaign, rater=rater)
    assignment_flag(assignment=flagged, flag="broken", note="")
    assert _counters(campaign)[flagged.campaign_item_id] == 0
    assert _counters(campaign) == _reality(campaign)


def test_expired_lease_is_reclaimed_renewed_or_given_up() -> None:
    campaign = CampaignFactory(with_items=1, overlap=1, lease_minutes=10)
    idle, keen = raters_of(campaign, 2)
    now = timezone.now()
    held = assignment_next(campaign=campaign, rater=idle, now=now)
    later = now + timedelta(minutes=11)
    # The next pick recounts the item of the expired lease, and the slot goes to the keen rater.
    taken = assignment_next(campaign=campaign, rater=keen, now=later)
    assert taken.campaign_item_id == held.campaign_item_id
    assert _counters(campaign) == _reality(campaign, later) == {held.campaign_item_id: 1}
    # The idle rater's lease is given up, and the counter still holds the keen rater's slot.
    assert assignment_next(campaign=campaign, rater=idle, now=later) is None
    assert _counters(campaign) == _reality(campaign, later)


def test_expired_leases_are_swept_every_few_seconds_and_whenever_the_queue_looks_empty() -> None:
    campaign = CampaignFactory(with_items=3, overlap=1, lease_minutes=1)
    idle, keen = raters_of(campaign, 2)
    now = timezone.now()
    held = assignment_next(campaign=campaign, rater=idle, now=now)
    # The lease has lapsed, but the campaign was swept a moment ago: until the next sweep the item's counter
    # still holds the slot, and the keen rater gets the two other items.
    lapsed = now + timedelta(minutes=1, seconds=1)
    cache.set(reclaim_key(campaign), True, 60)
    served = []
    for _ in range(3):
        assignment = assignment_next(campaign=campaign, rater=keen, now=lapsed, after_close=bool(served))
        served.append(assignment.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 2}, now=lapsed)
    # Then the queue looked empty, so the pick swept at once and the lapsed slot was the keen rater's.
    assert served[2] == held.campaign_item_id
    assert _counters(campaign) == _reality(campaign, lapsed)


def test_own_expired_lease_renewed_counts_again() -> None:
    campaign = CampaignFactory(with_items=2, overlap=2, lease_minutes=10)
    rater, other = raters_of(campaign, 2)
    now = timezone.now()
    held = assignment_next(campaign=campaign, rater=rater, now=now)
    later = now + timedelta(minutes=11)
    # Another rater's pick recounts the expired lease's item down to zero...
    assignment_next(campaign=campaign, rater=other, now=later)
    # ...and renewing the lease takes the slot again.
    assert assignment_next(campaign=campaign, rater=rater, now=later).pk == held.pk
    assert _counters(campaign) == _reality(campaign, later)


def test_late_submit_of_a_reclaimed_lease_is_counted() -> None:
    campaign = CampaignFactory(with_items=2, overlap=2, lease_minutes=5)
    rater, other = raters_of(campaign, 2)
    now = timezone.now()
    held = assignment_next(campaign=campaign, rater=rater, now=now)
    later = now + timedelta(minutes=30)
    assignment_next(campaign=campaign, rater=other, now=later)
    rating_submit(assignment=held, values={"helpful": 4}, now=later)
    assert _counters(campaign) == _reality(campaign, later)


def test_repeats_and_gold_leave_the_counter_alone() -> None:
    campaign = CampaignFactory(with_items=12, overlap=1, repeat_rate=0.3)
    (rater,) = raters_of(campaign, 1)
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        rating_submit(assignment=assignment, values={"helpful": 2})
    assert Rating.objects.filter(is_repeat=True).exists()
    assert set(_counters(campaign).values()) == {1}
    assert _counters(campaign) == _reality(campaign)


def test_ratings_import_counts_imported_ratings(tmp_path: Path) -> None:
    campaign = CampaignFactory(with_items=3, overlap=3)
    items = list(campaign.items.select_related("item").order_by("order_key"))
    path = tmp_path / "labels.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "rater", "criterion", "value"])
        writer.writerow([items[0].item.external_id, "ext1", "helpful", 3])
        writer.writerow([items[0].item.external_id, "ext2", "helpful", 4])
        writer.writerow([items[1].item.external_id, "ext1", "helpful", 5])
    ratings_import(campaign=campaign, source=path)
    assert _counters(campaign) == _reality(campaign) == {items[0].pk: 2, items[1].pk: 1, items[2].pk: 0}


def test_load_demo_counts_its_ratings(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=StringIO())
    campaigns = list(Campaign.objects.all())
    assert campaigns and Rating.objects.exists()
    for campaign in campaigns:
        assert _counters(campaign) == _reality(campaign)
        # The rating page's campaign numbers, kept as counts, agree with a recount from the ratings.
        counts, progress = CampaignCounts.objects.get(campaign=campaign), campaign_progress(campaign)
        assert (counts.n_data_items, counts.n_complete) == (progress.n_items, progress.complete)


def test_recount_repairs_ratings_written_around_the_services() -> None:
    campaign = CampaignFactory(with_items=3, overlap=3)
    first = campaign.items.order_by("order_key").first()
    RatingFactory(campaign_item=first, rater=UserFactory(username="outside"))
    assert _counters(campaign)[first.pk] == 0
    campaign_items_recount(campaign=campaign, item_ids=[first.pk])
    assert _counters(campaign) == _reality(campaign)


def test_a_counter_below_reality_is_corrected_by_the_pick_and_k_holds() -> None:
    campaign = CampaignFactory(with_items=1, overlap=1)
    RatingFactory(campaign_item=campaign.items.get(), rater=UserFactory(username="outside"))
    (rater,) = raters_of(campaign, 1)
    assert assignment_next(campaign=campaign, rater=rater) is None
    assert _counters(campaign) == _reality(campaign)


def test_migration_fills_the_counter_for_existing_rows() -> None:
    campaign = CampaignFactory(with_items=3, overlap=3)
    raters = raters_of(campaign, 2)
    assignment_next(campaign=campaign, rater=raters[0])
    RatingFactory(campaign_item=campaign.items.order_by("order_key").last(), rater=raters[1])
    CampaignItem.objects.update(n_taken=0)
    migration = importlib.import_module("annotate.migrations.0005_queue_counter")
    migration.fill_n_taken(apps, None)
    assert _counters(campaign) == _reality(campaign)
    assert sum(_counters(campaign).values()) == 2
