"""Many raters racing through one queue on PostgreSQL: never above k, never a pair twice, nothing lost or miscounted."""

from collections import Counter

import pytest

from annotate.models import Assignment, CampaignCounts, CampaignItem
from ratings.models import Rating
from tests.factories import CampaignFactory
from tests.ratings.racing import IS_POSTGRESQL, POSTGRESQL_ONLY_REASON, race_raters

N_RATERS = 16
N_ITEMS = 200
OVERLAP = 3

pytestmark = pytest.mark.skipif(not IS_POSTGRESQL, reason=POSTGRESQL_ONLY_REASON)


@pytest.mark.django_db(transaction=True)
def test_parallel_raters_fill_every_slot_exactly_once() -> None:
    campaign = CampaignFactory(with_items=N_ITEMS, overlap=OVERLAP)
    race_raters(campaign, n_raters=N_RATERS, prefix="racer", timeout=120)
    pairs = list(Rating.objects.filter(campaign_item__campaign=campaign).values_list("campaign_item", "rater"))
    assert len(pairs) == N_ITEMS * OVERLAP
    assert len(set(pairs)) == len(pairs)
    per_item = Counter(item for item, _ in pairs)
    assert max(per_item.values()) == OVERLAP
    assert len(per_item) == N_ITEMS
    assert not Assignment.objects.filter(status=Assignment.Status.LEASED).exists()
    # Sixteen raters completing items at once each added one to the campaign's count, and none was lost.
    counts = CampaignCounts.objects.get(campaign=campaign)
    assert (counts.n_complete, counts.n_data_items) == (N_ITEMS, N_ITEMS)
    assert set(CampaignItem.objects.filter(campaign=campaign).values_list("n_rated", flat=True)) == {OVERLAP}
