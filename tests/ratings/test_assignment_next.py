"""assignment_next: k, never twice, fullest first, per-rater order, leases, status, pairwise presentation."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annotate.models import Assignment, Campaign
from ratings.models import Rating
from ratings.queue import assignment_next, campaign_items_recount
from ratings.services import rating_submit
from tests.factories import (
    CampaignFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
    raters_of,
)

PAIRWISE = {
    "key": "preference",
    "type": "pairwise",
    "label": "Which response is better?",
    "help": "",
    "required": True,
    "level": "nominal",
    "fields": ["response_a", "response_b"],
    "strength": 0,
    "options": [
        {"value": "A", "label": "A is better", "key": "a"},
        {"value": "tie", "label": "Tie", "key": "t"},
        {"value": "B", "label": "B is better", "key": "b"},
    ],
}


def _drain(campaign: Campaign, rater: User) -> list[int]:
    """Rate until the queue is empty; return the campaign item ids in the order received."""
    seen = []
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        seen.append(assignment.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 3})
    return seen


@pytest.mark.django_db
def test_each_item_gets_exactly_k_raters_and_no_rater_twice() -> None:
    campaign = CampaignFactory(with_items=6, overlap=2)
    raters = raters_of(campaign, 3)
    for rater in raters:
        received = _drain(campaign, rater)
        assert len(received) == len(set(received))
    per_item = {ci.pk: ci.ratings.count() for ci in campaign.items.all()}
    assert set(per_item.values()) == {2}


@pytest.mark.django_db
def test_existing_ratings_without_assignments_count_towards_k() -> None:
    campaign = CampaignFactory(with_items=3, overlap=2)
    first = campaign.items.order_by("order_key").first()
    for user in (UserFactory(username="imported1"), UserFactory(username="imported2")):
        RatingFactory(campaign_item=first, rater=user, source="import.csv")
    (rater,) = raters_of(campaign, 1)
    assert first.pk not in _drain(campaign, rater)


@pytest.mark.django_db
def test_rater_with_an_imported_rating_is_not_given_that_item() -> None:
    campaign = CampaignFactory(with_items=2, overlap=3)
    (rater,) = raters_of(campaign, 1)
    first = campaign.items.order_by("order_key").first()
    RatingFactory(campaign_item=first, rater=rater, source="import.csv")
    assert _drain(campaign, rater) == [campaign.items.order_by("order_key").last().pk]


@pytest.mark.django_db
def test_prefers_items_closest_to_completion() -> None:
    campaign = CampaignFactory(with_items=10, overlap=3)
    items = list(campaign.items.order_by("order_key"))
    two_thirds, one_third = items[7], items[2]
    RatingFactory(campaign_item=two_thirds, rater=UserFactory(username="a1"))
    RatingFactory(campaign_item=two_thirds, rater=UserFactory(username="a2"))
    RatingFactory(campaign_item=one_third, rater=UserFactory(username="a3"))
    # Ratings written in bulk (imports, the demo) are counted into the queue as ratings_import does.
    campaign_items_recount(campaign=campaign)
    (rater,) = raters_of(campaign, 1)
    received = _drain(campaign, rater)
    assert received[:2] == [two_thirds.pk, one_third.pk]


@pytest.mark.django_db
def test_live_leases_of_other_raters_count_towards_k() -> None:
    campaign = CampaignFactory(with_items=1, overlap=2)
    first, second, third = raters_of(campaign, 3)
    assert assignment_next(campaign=campaign, rater=first) is not None
    assert assignment_next(campaign=campaign, rater=second) is not None
    assert assignment_next(campaign=campaign, rater=third) is None


@pytest.mark.django_db
def test_different_raters_get_different_orders_deterministically() -> None:
    campaign = CampaignFactory(with_items=30, overlap=30)
    one, two = raters_of(campaign, 2)
    order_one, order_two = _drain(campaign, one), _drain(campaign, two)
    assert sorted(order_one) == sorted(order_two)
    assert order_one != order_two
    # Deterministic: a rater's order follows from the campaign and the rater alone.
    Rating.objects.all().delete()
    Assignment.objects.all().delete()
    assert _drain(campaign, one) == order_one


@pytest.mark.django_db
def test_refresh_returns_the_same_lease() -> None:
    campaign = CampaignFactory(with_items=5, overlap=1)
    (rater,) = raters_of(campaign, 1)
    first = assignment_next(campaign=campaign, rater=rater)
    again = assignment_next(campaign=campaign, rater=rater)
    assert again.pk == first.pk
    assert Assignment.objects.filter(rater=rater).count() == 1


@pytest.mark.django_db
def test_lease_lasts_the_campaign_lease_time() -> None:
    campaign = CampaignFactory(with_items=1, lease_minutes=12)
    (rater,) = raters_of(campaign, 1)
    now = timezone.now()
    assignment = assignment_next(campaign=campaign, rater=rater, now=now)
    assert assignment.status == Assignment.Status.LEASED
    assert assignment.expires_at - assignment.leased_at == timedelta(minutes=12)


@pytest.mark.django_db
def test_expired_leases_return_to_the_pool() -> None:
    campaign = CampaignFactory(with_items=1, overlap=1, lease_minutes=10)
    idle, keen = raters_of(campaign, 2)
    now = timezone.now()
    held = assignment_next(campaign=campaign, rater=idle, now=now)
    assert assignment_next(campaign=campaign, rater=keen, now=now + timedelta(minutes=5)) is None
    later = now + timedelta(minutes=11)
    taken = assignment_next(campaign=campaign, rater=keen, now=later)
    assert taken is not None and taken.campaign_item_id == held.campaign_item_id
    # The idle rater's expired lease is now someone else's slot: it is reclaimed, not renewed.
    assert assignment_next(campaign=campaign, rater=idle, now=later) is None
    assert not Assignment.objects.filter(pk=held.pk).exists()


@pytest.mark.django_db
def test_own_expired_lease_is_renewed_while_the_slot_is_free() -> None:
    campaign = CampaignFactory(with_items=3, overlap=1, lease_minutes=10)
    (rater,) = raters_of(campaign, 1)
    now = timezone.now()
    held = assignment_next(campaign=campaign, rater=rater, now=now)
    renewed = assignment_next(campaign=campaign, rater=rater, now=now + timedelta(minutes=30))
    assert renewed.pk == held.pk
    assert renewed.expires_at == now + timedelta(minutes=40)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.PAUSED, Campaign.Status.CLOSED])
def test_inactive_campaign_gives_nothing(status: str) -> None:
    campaign = CampaignFactory(with_items=3, status=status)
    (rater,) = raters_of(campaign, 1)
    assert assignment_next(campaign=campaign, rater=rater) is None
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_skipped_item_is_not_offered_again() -> None:
    campaign = CampaignFactory(with_items=1, overlap=2)
    (rater,) = raters_of(campaign, 1)
    assignment = assignment_next(campaign=campaign, rater=rater)
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.SKIPPED)
    assert assignment_next(campaign=campaign, rater=rater) is None


@pytest.mark.django_db
def test_pairwise_presentation_is_randomised_and_stored() -> None:
    version = RubricVersionFactory(criteria=[PAIRWISE])
    campaign = CampaignFactory(with_items=40, overlap=1, rubric_version=version)
    (rater,) = raters_of(campaign, 1)
    lefts = []
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        lefts.append(assignment.presentation["left"])
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.SKIPPED)
    assert set(lefts) == {"a", "b"}


@pytest.mark.django_db
def test_no_presentation_without_pairwise_criteria() -> None:
    campaign = CampaignFactory(with_items=1)
    (rater,) = raters_of(campaign, 1)
    assert assignment_next(campaign=campaign, rater=rater).presentation == {}


@pytest.mark.django_db
def test_pairwise_answer_is_stored_in_original_labelling() -> None:
    version = RubricVersionFactory(criteria=[PAIRWISE])
    campaign = CampaignFactory(with_items=1, overlap=2, rubric_version=version)
    swapped_rater, plain_rater = raters_of(campaign, 2)
    swapped = assignment_next(campaign=campaign, rater=swapped_rater)
    plain = assignment_next(campaign=campaign, rater=plain_rater)
    Assignment.objects.filter(pk=swapped.pk).update(presentation={"left": "b"})
    Assignment.objects.filter(pk=plain.pk).update(presentation={"left": "a"})
    swapped.refresh_from_db()
    plain.refresh_from_db()
    # Both raters preferred the left response on screen, which are different originals.
    assert rating_submit(assignment=swapped, values={"preference": "A"}).values == {"preference": "B"}
    rating = rating_submit(assignment=plain, values={"preference": "A"})
    assert rating.values == {"preference": "A"}
    assert Rating.objects.get(rater=swapped_rater).presentation == {"left": "b"}


@pytest.mark.django_db
def test_candidate_pick_is_one_query_over_the_items() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = CampaignFactory(with_items=50, overlap=1)
    (rater,) = raters_of(campaign, 1)
    # The first lease builds the rater's queue state; the next ones keep it.
    rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 3})
    with CaptureQueriesContext(connection) as queries:
        assignment_next(campaign=campaign, rater=rater)
    # Own leases (read first without a lock), membership lock with the queue state, own leases again, expired
    # leases, candidate pick, recount, counter, insert, queue state, the item, and the savepoint pair
    # (PostgreSQL: one more, the lease transaction's commit setting): independent of the number of items.
    assert len(queries) <= 12 + (connection.vendor == "postgresql")


@pytest.mark.django_db
def test_reading_a_live_lease_writes_nothing() -> None:
    """Opening the rating page with an item already leased takes no lock and starts no transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = CampaignFactory(with_items=3, overlap=1)
    (rater,) = raters_of(campaign, 1)
    first = assignment_next(campaign=campaign, rater=rater)
    with CaptureQueriesContext(connection) as queries:
        again = assignment_next(campaign=campaign, rater=rater)
    assert again.pk == first.pk
    statements = " ".join(q["sql"] for q in queries).upper()
    assert "FOR UPDATE" not in statements and "FOR NO KEY UPDATE" not in statements
    assert "SAVEPOINT" not in statements and "INSERT" not in statements and "UPDATE " not in statements


@pytest.mark.django_db
def test_only_the_lease_skips_the_disk_sync_never_the_rating() -> None:
    """Leases are soft state and may commit without waiting for the disk; a rating's commit always waits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = CampaignFactory(with_items=3, overlap=1)
    (rater,) = raters_of(campaign, 1)
    assignment = assignment_next(campaign=campaign, rater=rater)
    if connection.vendor == "postgresql":
        # The test runs inside one transaction, so the lease's transaction-local setting is still visible.
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone() == ("off",)
    with CaptureQueriesContext(connection) as rating:
        rating_submit(assignment=assignment, values={"helpful": 3})
    assert "synchronous_commit" not in " ".join(q["sql"] for q in rating)
