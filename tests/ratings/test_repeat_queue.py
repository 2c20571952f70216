"""Test-retest repeats: served at the repeat rate after enough items, stored apart, unannounced, outside k."""

import re
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotate.models import Assignment, Campaign
from ratings.gold import campaign_items_mark_gold
from ratings.models import Rating
from ratings.progress import campaign_progress
from ratings.queue import assignment_next, assignment_skip
from ratings.queue_selectors import REPEAT_DISTANCE, repeat_candidate, repeat_key
from ratings.services import rating_submit
from tests.factories import CampaignFactory, raters_of

pytestmark = pytest.mark.django_db


def _round_robin(campaign: Campaign, raters: list[User]) -> dict[int, list[Assignment]]:
    """Raters take turns until every queue is empty; the assignments each received, in order."""
    received: dict[int, list[Assignment]] = {rater.pk: [] for rater in raters}
    active = list(raters)
    while active:
        for rater in list(active):
            assignment = assignment_next(campaign=campaign, rater=rater)
            if assignment is None:
                active.remove(rater)
                continue
            received[rater.pk].append(assignment)
            # Repeats get a different answer so the two ratings are told apart below.
            rating_submit(assignment=assignment, values={"helpful": 5 if assignment.is_repeat else 2})
    return received


def test_repeats_come_back_at_the_repeat_rate_after_enough_items() -> None:
    campaign = CampaignFactory(with_items=40, overlap=1, repeat_rate=0.2)
    (rater,) = raters_of(campaign, 1)
    served = _round_robin(campaign, [rater])[rater.pk]
    flags = [a.is_repeat for a in served]
    assert flags.count(False) == 40
    n_repeats = flags.count(True)
    assert n_repeats > 0
    assert abs(n_repeats - 0.2 * len(flags)) <= 1
    # Nothing comes back before REPEAT_DISTANCE items have been submitted after it.
    assert flags.index(True) >= REPEAT_DISTANCE + 1
    for position, assignment in enumerate(served):
        if assignment.is_repeat:
            first = next(i for i, a in enumerate(served) if a.campaign_item_id == assignment.campaign_item_id)
            assert position - first > REPEAT_DISTANCE
            # Two repeats never come back to back.
            assert not served[position - 1].is_repeat


def test_a_repeat_is_a_separate_rating_and_never_twice_per_item() -> None:
    campaign = CampaignFactory(with_items=30, overlap=2, repeat_rate=0.3)
    raters = raters_of(campaign, 2)
    _round_robin(campaign, raters)
    repeats = Rating.objects.filter(campaign_item__campaign=campaign, is_repeat=True)
    assert repeats.exists()
    for repeat in repeats:
        first = Rating.objects.get(campaign_item=repeat.campaign_item, rater=repeat.rater, is_repeat=False)
        assert (first.values, repeat.values) == ({"helpful": 2}, {"helpful": 5})
        assert first.pk != repeat.pk and not repeat.revisions.exists()
    per_pair = Counter(repeats.values_list("campaign_item", "rater"))
    assert set(per_pair.values()) == {1}
    assert Assignment.objects.filter(is_repeat=True).count() == repeats.count()


def test_repeats_never_count_towards_k_or_progress() -> None:
    campaign = CampaignFactory(with_items=20, overlap=2, repeat_rate=0.3)
    raters = raters_of(campaign, 2)
    _round_robin(campaign, raters)
    firsts = Counter(
        Rating.objects.filter(campaign_item__campaign=campaign, is_repeat=False).values_list("campaign_item", flat=True)
    )
    # Each item got its k first ratings although repeats were submitted on items that already had k.
    assert set(firsts.values()) == {2} and len(firsts) == 20
    assert Rating.objects.filter(is_repeat=True).exists()
    progress = campaign_progress(campaign)
    assert (progress.n_items, progress.complete) == (20, 20)


def test_gold_items_are_never_repeated() -> None:
    campaign = CampaignFactory(with_items=30, overlap=1, repeat_rate=0.3, gold_rate=0.3)
    gold = list(campaign.items.order_by("order_key").select_related("item")[:6])
    ids = [ci.item.external_id for ci in gold]
    campaign_items_mark_gold(campaign=campaign, external_ids=ids, answers={i: {"helpful": 1} for i in ids})
    (rater,) = raters_of(campaign, 1)
    served = _round_robin(campaign, [rater])[rater.pk]
    repeated = {a.campaign_item_id for a in served if a.is_repeat}
    assert repeated
    assert not repeated & {ci.pk for ci in gold}
    assert any(a.campaign_item_id in {ci.pk for ci in gold} for a in served)


def test_repeat_rate_zero_never_repeats() -> None:
    campaign = CampaignFactory(with_items=15, overlap=1)
    (rater,) = raters_of(campaign, 1)
    served = _round_robin(campaign, [rater])[rater.pk]
    assert len(served) == 15 and not any(a.is_repeat for a in served)


def test_the_choice_of_repeat_is_deterministic_per_rater() -> None:
    campaign = CampaignFactory(with_items=20, overlap=2)
    first, second = raters_of(campaign, 2)
    _round_robin(campaign, [first, second])

    def repeat_order(rater: User) -> list[int]:
        marked = Assignment.objects.filter(campaign=campaign, rater=rater, repeat_key__isnull=False)
        return list(marked.order_by("repeat_key", "pk").values_list("campaign_item_id", flat=True))

    mine, others = repeat_order(first), repeat_order(second)
    # Both raters rated all 20 items; each has an order of their own, fixed by (campaign, rater, item).
    assert sorted(mine) == sorted(others) and len(mine) == 20
    assert mine == sorted(mine, key=lambda pk: repeat_key(campaign, first.pk, pk))
    assert mine != others
    # The pick takes the front of that order among the items rated at least REPEAT_DISTANCE submissions ago.
    recent = set(
        Assignment.objects.filter(campaign=campaign, rater=first, submitted_seq__gt=20 - REPEAT_DISTANCE).values_list(
            "campaign_item_id", flat=True
        )
    )
    expected = next(pk for pk in mine if pk not in recent)
    assert repeat_candidate(campaign=campaign, rater=first, n_submitted=20) == expected


def _repeat_setup() -> tuple[Campaign, User, Assignment]:
    """A rater who has just been served a repeat (leased, not yet submitted)."""
    campaign = CampaignFactory(with_items=20, overlap=1, repeat_rate=0.3)
    (rater,) = raters_of(campaign, 1)
    while not (assignment := assignment_next(campaign=campaign, rater=rater)).is_repeat:
        rating_submit(assignment=assignment, values={"helpful": 2})
    return campaign, rater, assignment


def test_the_rating_page_does_not_announce_a_repeat() -> None:
    campaign, rater, repeat = _repeat_setup()
    client = Client()
    client.force_login(rater)
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert f'name="assignment" value="{repeat.pk}"' in html
    assert repeat.campaign_item.item.external_id in html
    assert not re.search(r"repeat|again|retest|seen this", html, re.IGNORECASE)


def test_my_ratings_lists_a_repeat_unlabelled_and_revising_it_edits_the_repeat_row() -> None:
    campaign, rater, repeat = _repeat_setup()
    rating_submit(assignment=repeat, values={"helpful": 5})
    first = Rating.objects.get(campaign_item=repeat.campaign_item, rater=rater, is_repeat=False)
    second = Rating.objects.get(campaign_item=repeat.campaign_item, rater=rater, is_repeat=True)
    client = Client()
    client.force_login(rater)
    html = client.get(reverse("ratings:my-ratings", args=[campaign.slug])).content.decode()
    assert html.count(f">{repeat.campaign_item.item.external_id}<") == 2
    assert "repeat" not in html.lower()
    # "Back" opens the most recent rating: the repeat.
    back = client.get(reverse("ratings:rate-back", args=[campaign.slug]))
    assert back["Location"].partition("?")[0] == reverse("ratings:rating-revise", args=[campaign.slug, second.pk])
    client.post(reverse("ratings:rating-revise", args=[campaign.slug, second.pk]), {"c-helpful": "4"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.values, second.values) == ({"helpful": 2}, {"helpful": 4})
    assert (first.revisions.count(), second.revisions.count()) == (0, 1)


def test_a_skipped_repeat_is_not_offered_again() -> None:
    campaign, rater, repeat = _repeat_setup()
    assignment_skip(assignment=repeat, reason="")
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        assert not (assignment.is_repeat and assignment.campaign_item_id == repeat.campaign_item_id)
        rating_submit(assignment=assignment, values={"helpful": 2})
    assert Assignment.objects.filter(campaign_item=repeat.campaign_item, rater=rater, is_repeat=True).count() == 1
