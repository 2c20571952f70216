"""Every statement of the rating path reads a bounded number of rows, however long the rater's history.

PostgreSQL's plans, read with EXPLAIN ANALYZE: the rows each plan node produced (times its loops) say how much
of the rater's history and of the campaign a statement touched.
"""

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from annotate.models import Assignment, CampaignItem, Item, Membership
from ratings.models import Rating
from ratings.queue import assignment_next, campaign_items_recount, queue_states_invalidate
from ratings.queue_selectors import HEAD_SCAN, candidate_item, candidate_queries, gold_start, order_key_span
from ratings.services import rating_submit
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, UserFactory, raters_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plan shapes are PostgreSQL's"),
]

# Rows any plan node of a rating-path statement may produce (times its loops): the head pick's scan and its
# probes, with room to spare, and far below the history below.
MOST_ROWS = HEAD_SCAN + 40
HISTORY = 1500


def _nodes(plan: dict) -> list[dict]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


def _plan(sql: str, params: object) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_assignment; ANALYZE ratings_rating; ANALYZE annotate_campaignitem")


def test_pick_probes_the_raters_history_per_row_instead_of_joining_it() -> None:
    campaign = CampaignFactory(with_items=300, overlap=3)
    rater = UserFactory()
    # Statistics from before the rater's history existed, as early in a campaign.
    _analyze()
    for campaign_item in campaign.items.order_by("order_key")[:250]:
        RatingFactory(campaign_item=campaign_item, rater=rater)

    for sql, params in candidate_queries(campaign=campaign, rater=rater, lock=True):
        nodes = _nodes(_plan(sql, params))
        # An anti-join reads the rater's whole history for every pick (and, when the estimates lag, once per
        # scanned row); per-row subplans probe the (item, rater) index for the few rows the scan reads.
        assert not [node for node in nodes if node.get("Join Type") == "Anti"]
        assert {node.get("Subplan Name") for node in nodes} >= {"SubPlan 1", "SubPlan 2"}
    found = candidate_item(campaign=campaign, rater=rater, lock=False)
    assert found.pk in set(campaign.items.order_by("order_key")[250:].values_list("pk", flat=True))


def _campaign_with_gold(n_items: int):
    """A campaign with gold checks and repeats on, every tenth item of its order gold."""
    campaign = CampaignFactory(overlap=3, gold_rate=0.1, repeat_rate=0.05)
    items = Item.objects.bulk_create(
        Item(dataset=campaign.dataset, external_id=f"i{n}", position=n, content={"prompt": f"p{n}"})
        for n in range(n_items)
    )
    CampaignItem.objects.bulk_create(
        CampaignItem(campaign=campaign, item=item, order_key=n, is_gold=n % 10 == 0) for n, item in enumerate(items)
    )
    return campaign


def _write_history(campaign, rater, n_data: int) -> int:
    """The rater's history as the queue would have served it, written in bulk: n_data data items, every tenth
    item a gold check, every twentieth a repeat of an item rated long before. Returns how many were served."""
    ordered = list(campaign.items.order_by("order_key"))
    data = [ci for ci in ordered if not ci.is_gold][:n_data]
    # Gold checks along the rater's own walk, which begins at their start and goes round: a history that took
    # them from the first order key instead leaves the walk to pass over every one of them once it comes round,
    # a read whose size then depends on where the rater's id puts their start.
    start = gold_start(campaign, rater, order_key_span(campaign))
    gold = sorted((ci for ci in ordered if ci.is_gold), key=lambda ci: (ci.order_key < start, ci.order_key))
    served = []
    for n, campaign_item in enumerate(data):
        served.append((campaign_item, False))
        if n % 9 == 8:
            served.append((gold[n // 9], False))
        if n % 19 == 18:
            served.append((data[n // 2], True))
    moment = timezone.now() - timedelta(days=1)
    Assignment.objects.bulk_create(
        Assignment(
            campaign_item=ci,
            campaign=campaign,
            rater=rater,
            status=Assignment.Status.SUBMITTED,
            leased_at=moment,
            expires_at=moment,
            submitted_at=moment,
            is_repeat=is_repeat,
        )
        for ci, is_repeat in served
    )
    Rating.objects.bulk_create(
        Rating(
            campaign_item=ci,
            campaign=campaign,
            rater=rater,
            rubric_version=campaign.rubric_version,
            values={"helpful": 3},
            is_repeat=is_repeat,
        )
        for ci, is_repeat in served
    )
    campaign_items_recount(campaign=campaign)
    queue_states_invalidate(campaign=campaign)
    return len(served)


def _long_history_campaign(statistics: str):
    """A lone rater who has rated HISTORY items of a campaign with gold checks and repeats on.

    A lone rater is the hard case: every item they rated is still open and sits at the head of the queue.
    `statistics` says what the planner's statistics know: nothing yet ("empty"), other raters' histories but
    not this one ("others"), or everything ("current").
    """
    if statistics == "others":
        neighbour = _campaign_with_gold(600)
        (other,) = raters_of(neighbour, 1)
        _write_history(neighbour, other, 500)
    campaign = _campaign_with_gold(2 * HISTORY)
    rater = UserFactory()
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    if statistics in ("empty", "others"):
        _analyze()
    n_served = _write_history(campaign, rater, HISTORY)
    if statistics == "current":
        _analyze()
    return campaign, rater, n_served


def _cycle(campaign, rater) -> tuple[Assignment, list[tuple[str, object]]]:
    """One next → submit cycle; the statements it ran, with their parameters."""
    statements: list[tuple[str, object]] = []

    def record(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        if not many:  # a statement run for many rows (primary key updates) is planned once per row
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assignment = assignment_next(campaign=campaign, rater=rater, after_close=True)
        assignment.campaign_item.campaign = campaign
        rating_submit(assignment=assignment, values={"helpful": 4})
    return assignment, statements


def _rows_read(node: dict) -> int:
    """Rows a plan node read over all its loops: those it produced and those its filters threw away.

    An index led by the campaign and the rater, filtered on the item, produces one row but reads the rater's
    whole history: counting only the rows produced would not see it.
    """
    per_loop = sum(
        int(node.get(key, 0)) for key in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck")
    )
    return per_loop * int(node.get("Actual Loops", 1))


def _most_rows(sql: str, params: object, *, read: bool = True) -> int:
    """The most rows a node of the statement's plan read (or, with read off, produced) over all its loops, run
    and rolled back."""
    with transaction.atomic():
        plan = _plan(sql, params)
        transaction.set_rollback(True)
    if not read:
        return max(int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 1)) for node in _nodes(plan))
    return max(_rows_read(node) for node in _nodes(plan))


@pytest.mark.parametrize("statistics", ["empty", "others", "current"])
def test_every_statement_of_the_rating_path_reads_a_bounded_number_of_rows_after_a_long_history(
    statistics: str,
) -> None:
    campaign, rater, n_served = _long_history_campaign(statistics)
    # The first request after a bulk load rebuilds the rater's queue state from their history, once: in time
    # linear in the history whatever the statistics say (a nested loop over it would take minutes).
    _, statements = _cycle(campaign, rater)
    for sql, params in statements:
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE")):
            assert _most_rows(sql, params, read=False) <= 4 * n_served, sql
    # Rows read, not only produced: a probe answered by the wrong index produces one row and reads the history.
    # With no statistics at all the planner may walk the rater's assignments in repeat order past the ones not
    # due yet (the rows the repeat pick produces stay bounded); rows read are asserted under real statistics.
    read = statistics != "empty"
    kinds: set[str] = set()
    for _ in range(40):
        assignment, statements = _cycle(campaign, rater)
        kind = "repeat" if assignment.is_repeat else "gold" if assignment.campaign_item.is_gold else "data"
        kinds.add(kind)
        # Each statement is run again under EXPLAIN ANALYZE in a savepoint rolled back (the cycle already ran it).
        for sql, params in statements:
            if sql.lstrip().upper().startswith(("SELECT", "UPDATE")):
                assert _most_rows(sql, params, read=read) <= MOST_ROWS, (kind, sql)
    # The cycles took data items, gold checks and repeats at their rates, each by a bounded read.
    assert kinds == {"data", "gold", "repeat"}
    assert Rating.objects.filter(rater=rater).count() == n_served + 41


def test_the_pick_skips_full_items_by_the_index_range_and_prefers_items_sent_back() -> None:
    """Full items (k slots taken) lead the queue index; the pick's bound on its fill skips them unread.

    An item sent back for two more raters ranks by its fill (slots taken less the raters added): ahead of items
    nobody has rated, behind none.
    """
    campaign = CampaignFactory(with_items=3000, overlap=3)
    CampaignItem.objects.filter(campaign=campaign, order_key__lt=2500).update(n_taken=3)
    CampaignItem.objects.filter(campaign=campaign, order_key__lt=20).update(extra_overlap=2)
    rater = UserFactory()
    _analyze()
    for sql, params in candidate_queries(campaign=campaign, rater=rater, lock=False):
        assert _most_rows(sql, params) <= MOST_ROWS, sql
    picked = candidate_item(campaign=campaign, rater=rater, lock=False)
    assert CampaignItem.objects.get(pk=picked.pk).order_key < 20
