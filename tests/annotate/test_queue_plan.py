"""The next-item pick stays a short index scan however many items the rater has already been given."""

import json

import pytest
from django.db import connection

from annotate.selectors.assignments import candidate_item, candidate_query
from tests.factories import CampaignFactory, RatingFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plan shapes are PostgreSQL's"),
]


def _nodes(plan: dict) -> list[dict]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


def test_pick_probes_the_raters_history_per_row_instead_of_joining_it() -> None:
    campaign = CampaignFactory(with_items=300, overlap=3)
    rater = UserFactory()
    with connection.cursor() as cursor:
        # Statistics from before the rater's history existed, as early in a campaign.
        cursor.execute("ANALYZE annotate_assignment; ANALYZE ratings_rating; ANALYZE annotate_campaignitem")
    for campaign_item in campaign.items.order_by("order_key")[:250]:
        RatingFactory(campaign_item=campaign_item, rater=rater)

    sql, params = candidate_query(campaign=campaign, rater=rater, lock=True)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    nodes = _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])

    # An anti-join reads the rater's whole history for every pick (and, when the estimates lag, once per
    # scanned row); per-row subplans probe the (item, rater) index for the few rows the window scans.
    assert not [node for node in nodes if node.get("Join Type") == "Anti"]
    assert {node.get("Subplan Name") for node in nodes} >= {"SubPlan 1", "SubPlan 2"}
    assert candidate_item(campaign=campaign, rater=rater, lock=False) in set(
        campaign.items.order_by("order_key")[250:].values_list("pk", flat=True)
    )
