"""Raters racing through a queue with gold checks and repeats on PostgreSQL: k still holds, nothing is lost."""

from collections import Counter

import pytest

from annotate.models import Assignment
from ratings.gold import campaign_items_mark_gold
from ratings.models import Rating
from tests.factories import CampaignFactory
from tests.ratings.racing import IS_POSTGRESQL, POSTGRESQL_ONLY_REASON, race_raters

N_RATERS = 10
N_ITEMS = 120
N_GOLD = 10
OVERLAP = 3

pytestmark = pytest.mark.skipif(not IS_POSTGRESQL, reason=POSTGRESQL_ONLY_REASON)


@pytest.mark.django_db(transaction=True)
def test_parallel_raters_with_gold_and_repeats_keep_k_and_lose_nothing() -> None:
    campaign = CampaignFactory(with_items=N_ITEMS + N_GOLD, overlap=OVERLAP, gold_rate=0.2, repeat_rate=0.1)
    gold = list(campaign.items.order_by("-order_key").select_related("item")[:N_GOLD])
    ids = [ci.item.external_id for ci in gold]
    campaign_items_mark_gold(campaign=campaign, external_ids=ids, answers={i: {"helpful": 3} for i in ids})
    raters = race_raters(campaign, n_raters=N_RATERS, prefix="goldracer", timeout=180)
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
