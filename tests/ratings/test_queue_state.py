"""Each rater's queue state (counts and cursors on the membership) stays what their history says it is."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import Assignment, Campaign, Membership
from ratings.gold import campaign_items_mark_gold
from ratings.models import Rating
from ratings.queue import (
    assignment_flag,
    assignment_next,
    assignment_skip,
    campaign_items_recount,
    queue_state_rebuild,
    queue_states_invalidate,
)
from ratings.queue_selectors import HEAD_SCAN, candidate_item, queue_state_locked, rater_queue_counts
from ratings.services import rating_submit
from tests.factories import CampaignFactory, RatingFactory, UserFactory, raters_of

pytestmark = pytest.mark.django_db


def _state(campaign: Campaign, rater) -> tuple:
    membership = Membership.objects.get(campaign=campaign, user=rater)
    return (
        membership.queue_first,
        membership.queue_gold,
        membership.queue_repeats,
        membership.queue_submitted,
        membership.queue_since_repeat,
        membership.rating_count,
    )


def _recounted(campaign: Campaign, rater) -> tuple:
    counts = rater_queue_counts(campaign=campaign, rater=rater)
    n_ratings = Rating.objects.filter(campaign=campaign, rater=rater).count()
    return (counts.n_first, counts.n_gold, counts.n_repeats, counts.n_submitted, counts.n_since_repeat, n_ratings)


def _mark_gold(campaign: Campaign, campaign_items: list) -> None:
    ids = [ci.item.external_id for ci in campaign_items]
    campaign_items_mark_gold(campaign=campaign, external_ids=ids, answers={i: {"helpful": 3} for i in ids})


def test_the_kept_state_equals_a_recount_after_every_kind_of_step() -> None:
    campaign = CampaignFactory(with_items=60, overlap=2, gold_rate=0.2, repeat_rate=0.2, lease_minutes=5)
    _mark_gold(campaign, list(campaign.items.order_by("order_key").select_related("item")[::6]))
    raters = raters_of(campaign, 3)
    rng = random.Random(5)
    now = timezone.now()
    for step in range(150):
        rater = raters[step % 3]
        assignment = assignment_next(campaign=campaign, rater=rater, now=now)
        if assignment is None:
            continue
        roll = rng.random()
        if roll < 0.1:
            assignment_skip(assignment=assignment, reason="unclear")
        elif roll < 0.15:
            assignment_flag(assignment=assignment, flag="broken", note="")
        elif roll < 0.2:
            # Walks away: the lease expires, and its item may go to someone else meanwhile.
            now += timedelta(minutes=6)
        else:
            rating_submit(assignment=assignment, values={"helpful": rng.randint(1, 5)}, now=now)
        for each in raters:
            assert _state(campaign, each) == _recounted(campaign, each), (step, each.username)
    served = Counter(Assignment.objects.filter(campaign=campaign).values_list("is_repeat", "campaign_item__is_gold"))
    assert served[(True, False)] and served[(False, True)] and served[(False, False)]


def test_a_rater_alone_with_more_open_items_than_the_head_holds_gets_every_item_once() -> None:
    n_items = HEAD_SCAN * 3
    campaign = CampaignFactory(with_items=n_items, overlap=2)
    first, second = raters_of(campaign, 2)
    served = []
    while (assignment := assignment_next(campaign=campaign, rater=first)) is not None:
        served.append(assignment.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 2})
    assert sorted(served) == sorted(campaign.items.values_list("pk", flat=True))
    # Past the head, full of their own items that wait for a second rater, they went on in the fresh range.
    assert Membership.objects.get(campaign=campaign, user=first).fresh_cursor is not None
    others = []
    while (assignment := assignment_next(campaign=campaign, rater=second)) is not None:
        others.append(assignment.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 2})
    assert sorted(others) == sorted(served)
    assert set(Counter(Rating.objects.values_list("campaign_item", flat=True)).values()) == {2}


def test_the_pick_goes_head_then_fresh_range_then_whatever_is_left() -> None:
    campaign = CampaignFactory(with_items=HEAD_SCAN + 20, overlap=2)
    (rater,) = raters_of(campaign, 1)
    order = list(campaign.items.order_by("order_key"))
    # The rater's own open items fill the head; two items no one holds are left, at keys low and high.
    low, high = order[HEAD_SCAN + 5], order[HEAD_SCAN + 15]
    for campaign_item in order:
        if campaign_item not in (low, high):
            RatingFactory(campaign_item=campaign_item, rater=rater)
    campaign_items_recount(campaign=campaign)
    between = (low.order_key + high.order_key) // 2
    pick = candidate_item(campaign=campaign, rater=rater, lock=False, fresh_after=None)
    assert (pick.pk, pick.fresh) == (low.pk, True)
    pick = candidate_item(campaign=campaign, rater=rater, lock=False, fresh_after=between)
    assert (pick.pk, pick.fresh) == (high.pk, True)
    # An item given back behind the rater's fresh cursor is still found once nothing is ahead of it.
    pick = candidate_item(campaign=campaign, rater=rater, lock=False, fresh_after=high.order_key)
    assert (pick.pk, pick.fresh) == (low.pk, False)


def test_gold_marked_behind_a_raters_walk_is_still_served() -> None:
    campaign = CampaignFactory(with_items=40, overlap=1, gold_rate=0.5)
    items = list(campaign.items.order_by("order_key").select_related("item"))
    _mark_gold(campaign, items[::4])
    (rater,) = raters_of(campaign, 1)
    served = []
    for _ in range(12):
        assignment = assignment_next(campaign=campaign, rater=rater)
        served.append(assignment.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 2})
    membership = Membership.objects.get(campaign=campaign, user=rater)
    start, cursor, span = membership.gold_start, membership.gold_cursor, len(items)
    walked = [ci for ci in items if (ci.order_key - start) % span < (cursor - start) % span]
    # Items the walk has already passed, not served yet, become gold.
    behind = [ci for ci in walked if ci.pk not in served and not ci.is_gold][:3]
    assert behind
    _mark_gold(campaign, behind)
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        served.append(assignment.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 2})
    assert {ci.pk for ci in behind} <= set(served)
    assert len(served) == len(set(served))


def test_ratings_written_around_the_queue_are_counted_once_the_state_is_rebuilt() -> None:
    campaign = CampaignFactory(with_items=10, overlap=2)
    (rater,) = raters_of(campaign, 1)
    rated = rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 2})
    for campaign_item in campaign.items.exclude(pk=rated.campaign_item_id).order_by("-order_key")[:3]:
        RatingFactory(campaign_item=campaign_item, rater=rater)
    queue_states_invalidate(campaign=campaign, user_ids=[rater.pk])
    client = Client()
    client.force_login(rater)
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert "My ratings: 4" in " ".join(html.split())


def test_a_rebuild_resumes_the_gold_walk_at_the_first_gold_item_not_yet_given() -> None:
    campaign = CampaignFactory(with_items=30, overlap=1, gold_rate=0.5)
    items = list(campaign.items.order_by("order_key").select_related("item"))
    _mark_gold(campaign, items)
    (rater,) = raters_of(campaign, 1)
    # Gold given in an order other than the walk's (as before a walk existed): every other item.
    for campaign_item in items[::2]:
        RatingFactory(campaign_item=campaign_item, rater=rater)
    with transaction.atomic():
        state = queue_state_rebuild(
            campaign=campaign, rater=rater, state=queue_state_locked(campaign=campaign, rater=rater)
        )
    given = {ci.pk for ci in items[::2]}
    rest = []
    # Gold checks are only ever a share of what a rater gets: with no data item left, the queue is done.
    campaign.items.filter(pk__in=[ci.pk for ci in items[1::2][:5]]).update(is_gold=False)
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        rest.append(assignment.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 2})
    data = {ci.pk for ci in items[1::2][:5]}
    gold_served = [pk for pk in rest if pk not in data]
    assert state.gold_start is not None and data <= set(rest)
    # The rest of the gold comes at the rate (one per data item), none of it given before, none twice.
    assert len(gold_served) >= 4 and not given & set(rest) and len(rest) == len(set(rest))


def test_a_user_who_is_not_a_member_gets_no_item() -> None:
    campaign = CampaignFactory(with_items=3, overlap=1)
    assert assignment_next(campaign=campaign, rater=UserFactory()) is None
    assert not Assignment.objects.exists()
