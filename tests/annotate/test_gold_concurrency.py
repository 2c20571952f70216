"""Raters racing through a queue with gold checks and repeats on PostgreSQL: k still holds, nothing is lost."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from annotate.models import Assignment, Membership
from annotate.services.assignments import assignment_next
from annotate.services.campaigns import campaign_items_mark_gold
from ratings.models import Rating
from ratings.services import rating_submit
from tests.factories import CampaignFactory, MembershipFactory, UserFactory

N_RATERS = 10
N_ITEMS = 120
N_GOLD = 10
OVERLAP = 3

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers with IMMEDIATE transactions; the SKIP LOCKED race needs PostgreSQL",
)


def _rate_until_done(campaign_pk: int, rater_pk: int, failures: list[BaseException]) -> None:
    from django.contrib.auth.models import User

    from annotate.models import Campaign

    try:
        campaign = Campaign.objects.select_related("rubric_version").get(pk=campaign_pk)
        rater = User.objects.get(pk=rater_pk)
        while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
            rating_submit(assignment=assignment, values={"helpful": 1 + assignment.campaign_item_id % 5})
    except BaseException as exc:  # noqa: BLE001 - reported to the main thread, which fails the test
        failures.append(exc)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_parallel_raters_with_gold_and_repeats_keep_k_and_lose_nothing() -> None:
    campaign = CampaignFactory(with_items=N_ITEMS + N_GOLD, overlap=OVERLAP, gold_rate=0.2, repeat_rate=0.1)
    gold = list(campaign.items.order_by("-order_key").select_related("item")[:N_GOLD])
    ids = [ci.item.external_id for ci in gold]
    campaign_items_mark_gold(campaign=campaign, external_ids=ids, answers={i: {"helpful": 3} for i in ids})
    raters = [UserFactory(username=f"goldracer{i}") for i in range(N_RATERS)]
    for rater in raters:
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    failures: list[BaseException] = []
    threads = [threading.Thread(target=_rate_until_done, args=(campaign.pk, rater.pk, failures)) for rater in raters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not failures, failures
    gold_pks = {ci.pk for ci in gold}
    ratings = Rating.objects.filter(campaign_item__campaign=campaign)
    firsts = list(ratings.filter(is_repeat=False).values_list("campaign_item", "rater"))
    assert len(firsts) == len(set(firsts))
    per_item = Counter(item for item, _ in firsts if item not in gold_pks)
    assert len(per_item) == N_ITEMS and set(per_item.values()) == {OVERLAP}
    repeats = list(ratings.filter(is_repeat=True).values_list("campaign_item", "rater"))
    assert repeats and len(repeats) == len(set(repeats)) and not {item for item, _ in repeats} & gold_pks
    assert {rater for item, rater in firsts if item in gold_pks} == {r.pk for r in raters}
    assert not Assignment.objects.filter(status=Assignment.Status.LEASED).exists()
