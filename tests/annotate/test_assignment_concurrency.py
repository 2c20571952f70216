"""Many raters racing through one queue on PostgreSQL: never above k, never a pair twice, nothing lost."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from annotate.models import Assignment, Membership
from annotate.services.assignments import assignment_next
from ratings.models import Rating
from ratings.services import rating_submit
from tests.factories import CampaignFactory, MembershipFactory, UserFactory

N_RATERS = 16
N_ITEMS = 200
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
        # Each thread has its own connection; close it so the test database can be dropped.
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_parallel_raters_fill_every_slot_exactly_once() -> None:
    campaign = CampaignFactory(with_items=N_ITEMS, overlap=OVERLAP)
    raters = [UserFactory(username=f"racer{i}") for i in range(N_RATERS)]
    for rater in raters:
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    failures: list[BaseException] = []
    threads = [threading.Thread(target=_rate_until_done, args=(campaign.pk, rater.pk, failures)) for rater in raters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    pairs = list(Rating.objects.filter(campaign_item__campaign=campaign).values_list("campaign_item", "rater"))
    assert len(pairs) == N_ITEMS * OVERLAP
    assert len(set(pairs)) == len(pairs)
    per_item = Counter(item for item, _ in pairs)
    assert max(per_item.values()) == OVERLAP
    assert len(per_item) == N_ITEMS
    assert not Assignment.objects.filter(status=Assignment.Status.LEASED).exists()
