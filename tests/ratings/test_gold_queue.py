"""Gold items in the rating queue: mixed in at the gold rate, served to every rater, outside k and progress."""

import re
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import Assignment, Campaign, CampaignItem, Membership
from ratings.gold import campaign_items_mark_gold
from ratings.models import Rating
from ratings.progress import campaign_progress
from ratings.queue import assignment_next
from ratings.queue_selectors import rater_progress
from ratings.services import rating_submit
from tests.factories import CampaignFactory, MembershipFactory, UserFactory, raters_of

pytestmark = pytest.mark.django_db


def _mark_gold(campaign: Campaign, n: int) -> set[int]:
    """Mark the last n items (by order key) gold; return their campaign item ids."""
    gold = list(campaign.items.order_by("-order_key").select_related("item")[:n])
    ids = [ci.item.external_id for ci in gold]
    campaign_items_mark_gold(campaign=campaign, external_ids=ids, answers={i: {"helpful": 3} for i in ids})
    return {ci.pk for ci in gold}


def _round_robin(campaign: Campaign, raters: list[User]) -> dict[int, list[int]]:
    """Raters take turns (one item each) until every queue is empty; campaign item ids received per rater."""
    received: dict[int, list[int]] = {rater.pk: [] for rater in raters}
    active = list(raters)
    while active:
        for rater in list(active):
            assignment = assignment_next(campaign=campaign, rater=rater)
            if assignment is None:
                active.remove(rater)
                continue
            received[rater.pk].append(assignment.campaign_item_id)
            rating_submit(assignment=assignment, values={"helpful": 1 + assignment.campaign_item_id % 5})
    return received


def test_gold_items_are_mixed_in_at_the_gold_rate_for_every_rater() -> None:
    campaign = CampaignFactory(with_items=50, overlap=2, gold_rate=0.2)
    gold = _mark_gold(campaign, 10)
    raters = raters_of(campaign, 3)
    received = _round_robin(campaign, raters)
    for items in received.values():
        n_gold = sum(pk in gold for pk in items)
        assert n_gold > 0
        # The rule keeps the running share within one item of the rate: about one in five.
        assert abs(n_gold - 0.2 * len(items)) <= 1
        assert len(items) == len(set(items))


def test_gold_items_are_served_beyond_k_and_never_count_towards_it() -> None:
    campaign = CampaignFactory(with_items=30, overlap=2, gold_rate=0.5)
    gold = _mark_gold(campaign, 5)
    raters = raters_of(campaign, 4)
    received = _round_robin(campaign, raters)
    per_item = Counter(Rating.objects.filter(campaign_item__campaign=campaign).values_list("campaign_item", flat=True))
    # With rate 0.5 every rater gets every gold item: four ratings on items whose k is 2.
    assert all(per_item[pk] == 4 for pk in gold)
    assert all(gold <= set(items) for items in received.values())
    # Every ordinary item still has exactly k ratings.
    assert {per_item[ci.pk] for ci in campaign.items.exclude(pk__in=gold)} == {2}


def test_gold_items_are_left_out_of_progress() -> None:
    campaign = CampaignFactory(with_items=12, overlap=1, gold_rate=0.3)
    _mark_gold(campaign, 2)
    (rater,) = raters_of(campaign, 1)
    _round_robin(campaign, [rater])
    progress = campaign_progress(campaign)
    assert (progress.n_items, progress.complete, progress.in_progress, progress.pending) == (10, 10, 0, 0)
    assert progress.n_ratings == 10
    mine = rater_progress(campaign=campaign, rater=rater)
    assert (mine.n_items, mine.complete, mine.campaign_percent) == (10, 10, 100)
    # The rater's own count moves on every item, gold included, so it gives no gold item away.
    assert mine.done == Rating.objects.filter(rater=rater).count() == 12


def test_gold_rate_zero_never_serves_gold_items() -> None:
    campaign = CampaignFactory(with_items=8, overlap=1)
    gold = _mark_gold(campaign, 3)
    (rater,) = raters_of(campaign, 1)
    received = _round_robin(campaign, [rater])
    assert len(received[rater.pk]) == 5
    assert not gold & set(received[rater.pk])


def test_the_first_item_is_never_gold_and_gold_runs_out_gracefully() -> None:
    campaign = CampaignFactory(with_items=12, overlap=1, gold_rate=0.5)
    gold = _mark_gold(campaign, 1)
    (rater,) = raters_of(campaign, 1)
    items = _round_robin(campaign, [rater])[rater.pk]
    assert items[0] not in gold
    assert sum(pk in gold for pk in items) == 1
    assert len(items) == 12


def test_a_leased_gold_item_is_kept_even_when_k_others_rated_it() -> None:
    campaign = CampaignFactory(with_items=4, overlap=1, gold_rate=0.5)
    (gold_pk,) = _mark_gold(campaign, 1)
    first, second = raters_of(campaign, 2)
    now = timezone.now()
    lease = Assignment.objects.create(
        campaign_item_id=gold_pk, rater=first, leased_at=now, expires_at=now + timezone.timedelta(minutes=30)
    )
    other = Assignment.objects.create(
        campaign_item_id=gold_pk, rater=second, leased_at=now, expires_at=now + timezone.timedelta(minutes=30)
    )
    rating_submit(assignment=other, values={"helpful": 2})
    assert assignment_next(campaign=campaign, rater=first) == lease
    rating_submit(assignment=lease, values={"helpful": 3})
    assert CampaignItem.objects.get(pk=gold_pk).ratings.count() == 2


def _normalised(html: str, item: CampaignItem, assignment: Assignment, username: str) -> str:
    html = html.replace(item.item.external_id, "ITEM").replace(username, "USER")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "CSRF", html)
    html = re.sub(r'name="rendered_at" value="[^"]*"', "RENDERED", html)
    return html.replace(f'name="assignment" value="{assignment.pk}"', "ASSIGNMENT")


@pytest.mark.parametrize("htmx", [False, True])
def test_the_rating_page_of_a_gold_item_differs_only_in_its_content(htmx: bool) -> None:
    campaign = CampaignFactory(with_items=2, overlap=1, gold_rate=0.5)
    plain, gold = campaign.items.order_by("order_key").select_related("item")
    campaign_items_mark_gold(
        campaign=campaign, external_ids=[gold.item.external_id], answers={gold.item.external_id: {"helpful": 5}}
    )
    pages = []
    for username, campaign_item in (("alice", gold), ("bobby", plain)):
        user = UserFactory(username=username)
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        now = timezone.now()
        assignment = Assignment.objects.create(
            campaign_item=campaign_item, rater=user, leased_at=now, expires_at=now + timezone.timedelta(minutes=30)
        )
        client = Client()
        client.force_login(user)
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        html = client.get(reverse("ratings:rate", args=[campaign.slug]), **headers).content.decode()
        assert campaign_item.item.external_id in html
        assert "gold" not in html.lower()
        pages.append(_normalised(html, campaign_item, assignment, username))
    assert pages[0] == pages[1]
