"""Named reads for the rating queue: candidates, gold checks, repeats, slot counts, a rater's lease and progress."""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Max, Q

from annotate.content import content_display_order, fields_in_order
from annotate.models import Assignment, Campaign, CampaignItem, Item
from annotate.selectors.datasets import campaign_content_fields
from annotate.services.campaign_counts import CAMPAIGN_COUNTS_COLUMNS, CAMPAIGN_COUNTS_JOIN, COUNTED_ATTRIBUTES
from fixed_sql.rows import MAX_ROW_ID, models_from_sql
from ratings.progress import campaign_progress, rater_rating_count

# Open items read from the queue index per pick; the rater's shuffle chooses among the fullest of them. Wide
# enough that concurrent raters mostly lock different rows, narrow enough to stay a short index scan.
PICK_WINDOW = 32
# A prime above any order_key: (a·x + b) mod P is then a permutation of the keys, different for each (a, b).
PERMUTATION_PRIME = 2_147_483_647
# A repeat comes back only after the rater has submitted this many items since first rating it, so it is not
# answered from short-term memory.
REPEAT_DISTANCE = 5
# Items between two repeats: they never come back to back, and a repeat_rate of up to 1/3 stays reachable.
REPEAT_GAP = 2

STATUS_REASONS = {
    Campaign.Status.DRAFT: "This campaign has not started yet. Items become available once the owner starts it.",
    Campaign.Status.PAUSED: "This campaign is paused. You can revise your ratings, and rating resumes when the owner "
    "resumes the campaign.",
    Campaign.Status.CLOSED: "This campaign is closed: no more ratings are being collected.",
    Campaign.Status.ARCHIVED: "This campaign is archived: no more ratings are being collected.",
}
DONE_REASON = "There are no more items for you in this campaign. Thank you!"


@dataclass(frozen=True)
class RaterProgress:
    """A rater's ratings against their share, and the campaign's completion.

    `done` counts every rating the rater submitted, gold checks and repeats included, as the campaign page's
    ratings per rater do. `share` is what an even split asks of each rater: the data items times k over the
    raters, plus the checks the queue mixes in. A rater may go past it while items are open (others rate
    less); `finished` says the queue has nothing more for them, whatever their share.
    """

    done: int
    share: int
    n_items: int
    complete: int
    finished: bool = False

    @property
    def campaign_percent(self) -> int:
        """Share of items with k ratings, rounded down to a whole percent."""
        return 100 * self.complete // self.n_items if self.n_items else 0

    @property
    def share_done(self) -> bool:
        """The rater has rated their share, or there is nothing left for them."""
        return self.finished or self.done >= self.share

    @property
    def shown_done(self) -> int:
        """How far the rater's bar goes: their ratings, full once their share is done."""
        return self.share if self.share_done else self.done


def rater_permutation(campaign: Campaign, rater: AbstractBaseUser | int, salt: str = "accord-queue") -> tuple[int, int]:
    """The (multiplier, offset) of this rater's (or rater id's) deterministic shuffle of the campaign's items."""
    rater_id = rater if isinstance(rater, int) else rater.pk
    digest = hashlib.sha256(f"{salt}:{campaign.pk}:{rater_id}".encode()).digest()
    multiplier = 1 + int.from_bytes(digest[:8], "big") % (PERMUTATION_PRIME - 1)
    offset = int.from_bytes(digest[8:16], "big") % PERMUTATION_PRIME
    return multiplier, offset


def sql_rows(sql: str, params: dict[str, object]) -> list[tuple]:
    """The rows a statement returns (a SELECT, or a write with RETURNING)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def db_time(moment: datetime) -> object:
    """A datetime as the database compares it in raw SQL (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(moment)


def row_lock(*table_aliases: str, skip_locked: bool = False) -> str:
    """The row-lock clause for a SELECT on PostgreSQL; empty on SQLite, whose write transaction serialises.

    NO KEY UPDATE still lets other transactions insert rows that reference the locked one (foreign keys).
    """
    if connection.vendor != "postgresql":
        return ""
    return f" FOR NO KEY UPDATE OF {', '.join(table_aliases)}" + (" SKIP LOCKED" if skip_locked else "")


def index_probe() -> str:
    """A clause that keeps a correlated NOT EXISTS a per-row index probe on PostgreSQL; empty on SQLite.

    PostgreSQL turns NOT EXISTS into an anti-join whose method follows its row estimates; an OFFSET stops that
    rewrite, so the subquery runs as a probe of its index for each outer row, whatever the statistics say.
    SQLite always runs such a subquery per row.
    """
    return " OFFSET 0" if connection.vendor == "postgresql" else ""


# Slots of the item `ci` held by anyone but %(rater)s: first-time human ratings plus live first-time leases
# (what n_taken stands for; a machine rater's label never takes a slot). Both counts sit in one statement so
# they are read from one snapshot: a rating submitted between two separate counts would turn a lease into a
# rating unseen by either and free a slot that is not free. Parameters: rater, leased, now.
TAKEN_SQL = """((
    SELECT COUNT(*) FROM ratings_rating r
    WHERE r.campaign_item_id = ci.id AND NOT r.is_repeat AND NOT r.by_machine AND r.rater_id <> %(rater)s
) + (
    SELECT COUNT(*) FROM annotate_assignment a
    WHERE a.campaign_item_id = ci.id AND a.status = %(leased)s AND a.expires_at > %(now)s
      AND NOT a.is_repeat AND a.rater_id <> %(rater)s
))"""
# A rater id no user has, for "held by anyone".
NOBODY = 0


def taken_params(*, now: datetime, exclude_rater_id: int | None = None) -> dict[str, object]:
    """The parameters TAKEN_SQL needs."""
    rater = NOBODY if exclude_rater_id is None else exclude_rater_id
    return {"rater": rater, "leased": Assignment.Status.LEASED, "now": db_time(now)}


def _untouched(alias: str) -> str:
    """SQL for "the rater has neither been given nor rated the item `alias`", as two probes of (item, rater) indexes.

    index_probe keeps each a probe per scanned row: the planner would otherwise read the rater's whole history
    once per pick (or per scanned row) when its statistics lag behind the queue.
    """
    probe = index_probe()
    return (
        f"NOT EXISTS (SELECT 1 FROM annotate_assignment a WHERE a.campaign_item_id = {alias}.id"
        f" AND a.rater_id = %(rater)s{probe})"
        f" AND NOT EXISTS (SELECT 1 FROM ratings_rating r WHERE r.campaign_item_id = {alias}.id"
        f" AND r.rater_id = %(rater)s{probe})"
    )


def _with_untouched(sql: str) -> str:
    return sql.format(untouched_w=_untouched("w"), untouched_ci=_untouched("ci"))


# The first PICK_WINDOW open items among the first HEAD_SCAN rows of the queue index (its fill, n_taken less the
# raters added by sending the item back, descending, then order key) that the rater has neither been given nor
# rated; only those are ordered by the rater's shuffle within each fill level. The fill is checked again
# outside the window: a row locked after a concurrent update
# is re-checked against the outer conditions only. The shuffle is (order_key * a + b) mod P in 64-bit
# arithmetic (see rater_permutation).
_HEAD_SQL = """
SELECT ci.id, ci.order_key FROM annotate_campaignitem ci
WHERE ci.id IN (
    SELECT w.id FROM (
        SELECT h.id, h.n_taken - h.extra_overlap AS fill, h.order_key FROM annotate_campaignitem h
        WHERE h.campaign_id = %(campaign)s AND NOT h.is_gold AND h.n_taken - h.extra_overlap < %(overlap)s
        ORDER BY h.n_taken - h.extra_overlap DESC, h.order_key
        LIMIT %(scan)s
    ) w
    WHERE {untouched_w}
    ORDER BY w.fill DESC, w.order_key
    LIMIT %(window)s
) AND ci.n_taken - ci.extra_overlap < %(overlap)s
ORDER BY ci.n_taken - ci.extra_overlap DESC,
    (CAST(ci.order_key AS BIGINT) * %(multiplier)s + %(offset)s) %% %(prime)s, ci.id
LIMIT 1"""
# Items no one holds yet, in order key order from the rater's fresh cursor: a range of the queue index.
_FRESH_SQL = """
SELECT ci.id, ci.order_key FROM annotate_campaignitem ci
WHERE ci.campaign_id = %(campaign)s AND NOT ci.is_gold AND ci.n_taken - ci.extra_overlap = 0 AND ci.n_taken = 0
  AND ci.order_key > %(after)s AND {untouched_ci}
ORDER BY ci.order_key
LIMIT 1"""
# Every open item, fullest first: what is left once the head and the fresh range have nothing for the rater.
_REST_SQL = """
SELECT ci.id, ci.order_key FROM annotate_campaignitem ci
WHERE ci.campaign_id = %(campaign)s AND NOT ci.is_gold AND ci.n_taken - ci.extra_overlap < %(overlap)s
  AND {untouched_ci}
ORDER BY ci.n_taken - ci.extra_overlap DESC, ci.order_key
LIMIT 1"""
# Rows of the queue index the head pick reads at most. Among many raters the rater's own open items are few
# and the window fills within its first rows; when the rater's own items fill the head (a lone rater, or
# fewer raters than k), the pick goes on to the fresh range instead of reading past all of them.
HEAD_SCAN = 2 * PICK_WINDOW


@dataclass(frozen=True)
class Candidate:
    """An item the rater may be given: its id and order key, and whether it came from the fresh range."""

    pk: int
    order_key: int
    fresh: bool


def candidate_queries(
    *, campaign: Campaign, rater: AbstractBaseUser, lock: bool, fresh_after: int | None = None
) -> list[tuple[str, dict[str, object]]]:
    """The statements candidate_item runs in turn (head, fresh range, rest), with their parameters."""
    multiplier, offset = rater_permutation(campaign, rater)
    params = {
        "campaign": campaign.pk,
        "overlap": campaign.overlap,
        "rater": rater.pk,
        "window": PICK_WINDOW,
        "scan": HEAD_SCAN,
        "multiplier": multiplier,
        "offset": offset,
        "prime": PERMUTATION_PRIME,
        "after": -1 if fresh_after is None else fresh_after,
    }
    lock_clause = row_lock("ci", skip_locked=True) if lock else ""
    return [(_with_untouched(sql) + lock_clause, params) for sql in (_HEAD_SQL, _FRESH_SQL, _REST_SQL)]


def candidate_item(
    *, campaign: Campaign, rater: AbstractBaseUser, lock: bool, fresh_after: int | None = None
) -> Candidate | None:
    """The non-gold item this rater should be given next: fullest first, then the rater's own shuffle.

    With lock, the row comes back locked and rows other raters are locking are skipped (PostgreSQL). Each
    statement is an index scan stopped at a LIMIT, and none reads the rater's history: scanned rows probe the
    rater's assignments and ratings by index. The head pick reads at most HEAD_SCAN rows; when none of them is
    for the rater, the fresh range continues from `fresh_after`, the order key of the rater's last pick from it;
    only when both are empty (the campaign's end) is every open item looked at. `n_taken` only ranks
    candidates: whoever leases an item recounts it under the row lock.
    """
    head, fresh, rest = candidate_queries(campaign=campaign, rater=rater, lock=lock, fresh_after=fresh_after)
    for (sql, params), is_fresh in ((head, False), (fresh, True), (rest, False)):
        rows = sql_rows(sql, params)
        if rows:
            return Candidate(pk=rows[0][0], order_key=rows[0][1], fresh=is_fresh)
    return None


_STALE_SQL = f"""
SELECT ci.id FROM annotate_campaignitem ci
WHERE ci.id IN (
    SELECT e.campaign_item_id FROM annotate_assignment e
    JOIN annotate_campaignitem eci ON eci.id = e.campaign_item_id
    WHERE e.status = %(leased)s AND e.expires_at <= %(now)s AND NOT e.is_repeat AND eci.campaign_id = %(campaign)s
) AND NOT ci.is_gold AND ci.n_taken <> {TAKEN_SQL}
ORDER BY ci.id"""


def stale_counter_items(*, campaign: Campaign, now: datetime) -> list[int]:
    """Ids of non-gold items whose n_taken may still count a lease that has since expired (a handful at most).

    A rater holds one lease at a time, so expired leases are few; their items are recounted so the slot
    returns to the pool even when nobody else touches the item. The rows come back locked; rows other
    raters have locked are being recounted by them and are skipped (PostgreSQL).
    """
    params = {"campaign": campaign.pk, **taken_params(now=now)}
    return [pk for (pk,) in sql_rows(_STALE_SQL + row_lock("ci", skip_locked=True), params)]


@dataclass(frozen=True)
class QueueCounts:
    """What a rater has been served so far: the basis for mixing in gold checks and repeats."""

    n_first: int
    n_gold: int
    n_submitted: int
    n_repeats: int
    n_since_repeat: int

    def gold_due(self, gold_rate: float) -> bool:
        """The rater's share of gold items among their first-time items is below the campaign's gold rate."""
        return gold_rate > 0 and self.n_gold < gold_rate * self.n_first

    def repeat_due(self, repeat_rate: float) -> bool:
        """The rater's share of repeats among their submissions is below the rate, and the last repeat is far enough."""
        spaced = self.n_repeats == 0 or self.n_since_repeat >= REPEAT_GAP
        return repeat_rate > 0 and spaced and self.n_repeats < repeat_rate * self.n_submitted


@dataclass
class QueueState:
    """A rater's queue state in a campaign as their membership row holds it, read under the row's lock."""

    membership_id: int
    counted: bool
    n_first: int
    n_gold: int
    n_repeats: int
    n_submitted: int
    n_since_repeat: int
    rating_count: int
    gold_start: int | None
    gold_cursor: int | None
    fresh_cursor: int | None

    @property
    def counts(self) -> QueueCounts:
        return QueueCounts(
            n_first=self.n_first,
            n_gold=self.n_gold,
            n_submitted=self.n_submitted,
            n_repeats=self.n_repeats,
            n_since_repeat=self.n_since_repeat,
        )


QUEUE_STATE_COLUMNS = (
    "id, queue_counted, queue_first, queue_gold, queue_repeats, queue_submitted, queue_since_repeat, "
    "rating_count, gold_start, gold_cursor, fresh_cursor"
)


def queue_state_locked(*, campaign: Campaign, rater: AbstractBaseUser) -> QueueState | None:
    """The rater's queue state, with their membership row locked until the transaction ends; None for a non-member.

    The lock serialises one rater's own requests (two tabs, a double press), so they share one lease. The
    state is the locked row's latest version even after waiting for the lock; anything else read in this
    statement would come from the snapshot taken before the wait, so the rater's leases are looked for in
    a statement of their own after it (a lease committed by the request just ahead would be missed). On
    PostgreSQL the same statement lets this transaction commit without waiting for the WAL flush: leases and
    queue counters are soft state (a crash that loses the last moment's leases only returns those items to
    the pool), the rating itself is committed durably, and its commit flushes this one first.
    """
    no_sync_wait = ", set_config('synchronous_commit', 'off', true)" if connection.vendor == "postgresql" else ""
    rows = sql_rows(
        f"SELECT {QUEUE_STATE_COLUMNS}{no_sync_wait} FROM annotate_membership m"
        f" WHERE m.campaign_id = %(campaign)s AND m.user_id = %(rater)s{row_lock('m')}",
        {"campaign": campaign.pk, "rater": rater.pk},
    )
    if not rows:
        return None
    values = rows[0][:11]
    return QueueState(values[0], bool(values[1]), *values[2:])


def rater_queue_counts(*, campaign: Campaign, rater: AbstractBaseUser) -> QueueCounts:
    """Count the rater's first-time items (and how many were gold), submissions and repeats from their history.

    Reads the whole history: only rebuilding a rater's queue state runs it, never the rating path.
    """
    mine = Assignment.objects.filter(campaign=campaign, rater=rater).order_by()
    submitted = Q(status=Assignment.Status.SUBMITTED)
    counts = mine.aggregate(
        n_first=Count("pk", filter=Q(is_repeat=False)),
        n_gold=Count("pk", filter=Q(is_repeat=False, campaign_item__is_gold=True)),
        n_submitted=Count("pk", filter=submitted),
        n_repeats=Count("pk", filter=Q(is_repeat=True)),
        last_repeat=Max("pk", filter=Q(is_repeat=True)),
    )
    last_repeat = counts.pop("last_repeat")
    # A rater holds one lease at a time, so assignment ids follow the order in which the items were served.
    since = mine.filter(submitted, is_repeat=False, pk__gt=last_repeat or 0).count()
    return QueueCounts(**counts, n_since_repeat=since)


def order_key_span(campaign: Campaign) -> int:
    """One more than the campaign's highest order key (read from the end of its unique index)."""
    highest = sql_rows("SELECT MAX(order_key) FROM annotate_campaignitem WHERE campaign_id = %(c)s", {"c": campaign.pk})
    return (highest[0][0] or 0) + 1


def gold_start(campaign: Campaign, rater: AbstractBaseUser, span: int) -> int:
    """The order key at which the rater's walk through the gold items begins: each rater starts elsewhere."""
    multiplier, offset = rater_permutation(campaign, rater, salt="accord-gold")
    return (multiplier + offset) % span


# Beyond any order key.
_NO_END = 2**62
_GOLD_SQL = """
SELECT ci.id, ci.order_key FROM annotate_campaignitem ci
WHERE ci.campaign_id = %(campaign)s AND ci.is_gold AND ci.order_key > %(after)s AND ci.order_key < %(before)s
  AND {untouched_ci}
ORDER BY ci.order_key
LIMIT 1"""


def gold_ranges(start: int, cursor: int | None) -> list[tuple[int, int]]:
    """The order key ranges (exclusive bounds) still ahead in a walk that began at start and reached cursor.

    The walk goes up from start to the last gold item, then from the first up to start.
    """
    if cursor is None:
        return [(start - 1, _NO_END), (-1, start)]
    if cursor >= start:
        return [(cursor, _NO_END), (-1, start)]
    return [(cursor, start)]


def gold_queries(
    *, campaign: Campaign, rater: AbstractBaseUser, start: int, cursor: int | None
) -> list[tuple[str, dict[str, object]]]:
    """The statements gold_candidate runs in turn, with their parameters."""
    base = {"campaign": campaign.pk, "rater": rater.pk}
    sql = _with_untouched(_GOLD_SQL)
    return [(sql, {**base, "after": after, "before": before}) for after, before in gold_ranges(start, cursor)]


def gold_candidate(
    *, campaign: Campaign, rater: AbstractBaseUser, start: int, cursor: int | None
) -> tuple[int, int] | None:
    """The next gold item of the rater's walk that they have neither been given nor rated: (id, order key).

    Gold items are checks, not data: every rater gets them, so no slot count applies. Each rater walks them
    in order key order (itself a seeded shuffle of the sample) from a start of their own, so the walk is
    a short index range from the cursor however many gold items they have seen.
    """
    for sql, params in gold_queries(campaign=campaign, rater=rater, start=start, cursor=cursor):
        rows = sql_rows(sql, params)
        if rows:
            return rows[0][0], rows[0][1]
    return None


def repeat_key(campaign: Campaign, rater_id: int, campaign_item_id: int) -> int:
    """The item's place in the rater's own order of repeats: a shuffle unrelated to the order items first came.

    Distinct for the rater's distinct items (a permutation of ids below PERMUTATION_PRIME), so ordering by the
    key alone is deterministic, and reads the repeat index in its own order with no sort.
    """
    multiplier, offset = rater_permutation(campaign, rater_id, salt="accord-repeat")
    return ((campaign_item_id % PERMUTATION_PRIME) * multiplier + offset) % PERMUTATION_PRIME


_REPEAT_SQL = """
SELECT a.campaign_item_id FROM annotate_assignment a
JOIN annotate_campaignitem ci ON ci.id = a.campaign_item_id
WHERE a.campaign_id = %(campaign)s AND a.rater_id = %(rater)s AND a.repeat_key IS NOT NULL
  AND a.submitted_seq <= %(latest)s AND NOT ci.is_gold
  AND EXISTS (
    SELECT 1 FROM ratings_rating r
    WHERE r.campaign_item_id = a.campaign_item_id AND r.rater_id = %(rater)s AND NOT r.is_repeat{probe}
  )
  AND NOT EXISTS (
    SELECT 1 FROM ratings_rating r
    WHERE r.campaign_item_id = a.campaign_item_id AND r.rater_id = %(rater)s AND r.is_repeat{probe}
  )
  AND NOT EXISTS (
    SELECT 1 FROM annotate_assignment b
    WHERE b.campaign_item_id = a.campaign_item_id AND b.rater_id = %(rater)s AND b.is_repeat{probe}
  )
ORDER BY a.repeat_key
LIMIT 1"""


def repeat_query(*, campaign: Campaign, rater: AbstractBaseUser, n_submitted: int) -> tuple[str, dict[str, object]]:
    """The statement repeat_candidate runs, with its parameters."""
    params = {"campaign": campaign.pk, "rater": rater.pk, "latest": n_submitted - REPEAT_DISTANCE}
    return _REPEAT_SQL.format(probe=index_probe()), params


def repeat_candidate(*, campaign: Campaign, rater: AbstractBaseUser, n_submitted: int) -> int | None:
    """A data item the rater rated at least REPEAT_DISTANCE submissions ago and never repeated, or None.

    The first in the rater's repeat order (see repeat_key) of the items still marked as able to come back:
    the front of an index range, whose marks the queue clears as each repeat is served. Never a gold item,
    never an item already repeated (even a skipped repeat, or an imported one).
    """
    rows = sql_rows(*repeat_query(campaign=campaign, rater=rater, n_submitted=n_submitted))
    return rows[0][0] if rows else None


def taken_count(*, campaign_item_id: int, now: datetime, exclude_rater_id: int | None = None) -> int:
    """Slots of an item held by anyone (but the given rater), counted in one statement."""
    params = {"item": campaign_item_id, **taken_params(now=now, exclude_rater_id=exclude_rater_id)}
    return sql_rows(f"SELECT {TAKEN_SQL} FROM annotate_campaignitem ci WHERE ci.id = %(item)s", params)[0][0]


_LEASES_SQL = """
SELECT a.*, ci.is_gold AS item_is_gold, ci.extra_overlap AS item_extra_overlap FROM annotate_assignment a
JOIN annotate_campaignitem ci ON ci.id = a.campaign_item_id
WHERE a.campaign_id = %(campaign)s AND a.rater_id = %(rater)s AND a.status = %(leased)s
ORDER BY a.leased_at, a.id"""


def rater_leases(*, campaign: Campaign, rater: AbstractBaseUser) -> list[Assignment]:
    """The rater's leased (not yet submitted or skipped) assignments in the campaign, oldest first.

    Each carries `item_is_gold`; the item itself is not loaded (usually there is no lease, or one).
    """
    params = {"campaign": campaign.pk, "rater": rater.pk, "leased": Assignment.Status.LEASED}
    return models_from_sql(Assignment, _LEASES_SQL, params)


# The fields of a campaign item that the queue's reads fetch along with their own row, in model field order;
# the item's other fields (order key, gold answer, counter) load on first use.
_CAMPAIGN_ITEM_FIELDS = ["id", "campaign_id", "item_id", "is_gold"]


def _campaign_item(pk: int, campaign_id: int, item_id: int, is_gold: object) -> CampaignItem:
    # SQLite returns a selected boolean as 0 or 1.
    return CampaignItem.from_db(connection.alias, _CAMPAIGN_ITEM_FIELDS, [pk, campaign_id, item_id, bool(is_gold)])


_ASSIGNMENT_SQL = """
SELECT a.*, ci.item_id AS item_id_of_assignment, ci.is_gold AS item_is_gold FROM annotate_assignment a
JOIN annotate_campaignitem ci ON ci.id = a.campaign_item_id
WHERE a.id = %(pk)s AND a.rater_id = %(rater)s AND ci.campaign_id = %(campaign)s"""


def assignment_for_rater(*, campaign: Campaign, rater: AbstractBaseUser, pk: int) -> Assignment | None:
    """One of the rater's own assignments in the campaign, with its campaign item, or None.

    Fixed SQL, like the rater's leases: every submit, skip and flag starts here, and building the general
    query with its join cost three times as much as running it.
    """
    if not 0 < pk <= MAX_ROW_ID:
        return None
    params = {"pk": pk, "rater": rater.pk, "campaign": campaign.pk}
    found = models_from_sql(Assignment, _ASSIGNMENT_SQL, params)
    if not found:
        return None
    assignment = found[0]
    assignment.campaign_item = _campaign_item(
        assignment.campaign_item_id, campaign.pk, assignment.item_id_of_assignment, assignment.item_is_gold
    )
    # Reuse the caller's campaign (with its rubric version) rather than load it again.
    assignment.campaign_item.campaign = campaign
    return assignment


# The rater's count is NULL while their queue state awaits a rebuild (ratings written around the queue, as an
# import does): the kept count may then be behind.
_ITEM_TO_SHOW_SQL = """
SELECT i.*, ci.campaign_id AS campaign_of_item, ci.is_gold AS item_is_gold,
       (SELECT CASE WHEN m.queue_counted THEN m.rating_count END FROM annotate_membership m
        WHERE m.campaign_id = ci.campaign_id AND m.user_id = %(rater)s) AS rater_rating_count,
       (SELECT n.n_complete FROM annotate_campaigncounts n WHERE n.campaign_id = ci.campaign_id) AS campaign_complete
FROM annotate_item i
JOIN annotate_campaignitem ci ON ci.item_id = i.id
WHERE ci.id = %(campaign_item)s"""


def campaign_item_to_show(campaign_item_id: int, rater: AbstractBaseUser) -> CampaignItem:
    """A campaign item with its item (content and metadata), as the rating page shows it, in one fixed statement.

    The statement also reads what the page shows beside the item: the rater's count of ratings in the
    campaign from their membership (`rater_rating_count` on the returned campaign item, None when it must be
    counted) and the campaign's complete items from its count row (`campaign_complete`). Both are read after
    the submit the page follows, in one round trip, and neither is a count over the ratings.
    """
    params = {"campaign_item": campaign_item_id, "rater": rater.pk}
    item = models_from_sql(Item, _ITEM_TO_SHOW_SQL, params)[0]
    campaign_item = _campaign_item(campaign_item_id, item.campaign_of_item, item.pk, item.item_is_gold)
    campaign_item.item = item
    campaign_item.rater_rating_count = item.rater_rating_count
    campaign_item.campaign_complete = item.campaign_complete
    return campaign_item


def rate_unavailable_reason(campaign: Campaign) -> str:
    """Why the queue gives this campaign's raters nothing: its status, or that their items are done."""
    return STATUS_REASONS.get(campaign.status, DONE_REASON)


def rater_finished(*, campaign: Campaign, rater: AbstractBaseUser) -> bool:
    """Whether the campaign is active and its queue has nothing more for the rater: no item they hold, and no
    open item they never had.

    A read without locks, for pages that only tell the rater (the rating page leases instead). With no data
    item left for the rater, at most one gold check or repeat can still be due; those are not looked for.
    """
    if campaign.status != Campaign.Status.ACTIVE or rater_leases(campaign=campaign, rater=rater):
        return False
    return candidate_item(campaign=campaign, rater=rater, lock=False) is None


def checks_mixed_in(base: int, rate: float, limit: int) -> int:
    """How many checks the queue mixes into `base` other items at `rate`, at most `limit`.

    The queue serves one more while checks < rate × (base + checks) (QueueCounts.gold_due and repeat_due), up
    to and including the last request, so the count is rounded up, never down.
    """
    if rate <= 0:
        return 0
    checks = max(0, math.floor(base * rate / (1 - rate)) - 1)
    while checks < limit and checks < rate * (base + checks):
        checks += 1
    return min(checks, limit)


def expected_share(*, n_items: int, n_gold: int, n_raters: int, campaign: Campaign) -> int:
    """Items a rater can expect to rate: ⌈items·k / raters⌉, plus the gold checks and repeats mixed in."""
    share = min(n_items, math.ceil(n_items * campaign.overlap / max(1, n_raters)))
    gold = checks_mixed_in(share, campaign.gold_rate, n_gold)
    # Each data item comes back as a repeat once at most.
    repeats = checks_mixed_in(share + gold, campaign.repeat_rate, share)
    return share + gold + repeats


_COUNTS_SQL = f"""
SELECT {CAMPAIGN_COUNTS_COLUMNS}
FROM annotate_campaign c {CAMPAIGN_COUNTS_JOIN}
WHERE c.id = %(campaign)s"""


def _campaign_counts(campaign: Campaign, *, reread: bool = False) -> tuple[int, int, int, int]:
    """Data items, gold items, complete data items and raters of the campaign, from its kept counts.

    The rating pages read them with the campaign (get_campaign_to_rate); otherwise, or to `reread` them after
    a write, one statement reads them. A campaign without a count row (none is made outside the services) is
    counted from its rows.
    """
    counts = (None,) if reread else tuple(getattr(campaign, name, None) for name in COUNTED_ATTRIBUTES)
    if counts[0] is None:
        counts = sql_rows(_COUNTS_SQL, {"campaign": campaign.pk})[0]
    if counts[0] is None:
        progress = campaign_progress(campaign)
        n_gold = CampaignItem.objects.filter(campaign=campaign, is_gold=True).count()
        counts = (progress.n_items, n_gold, progress.complete, counts[3])
    return counts


def rater_progress(
    *,
    campaign: Campaign,
    rater: AbstractBaseUser,
    done: int | None = None,
    complete: int | None = None,
    finished: bool = False,
    reread: bool = False,
) -> RaterProgress:
    """My ratings against my share and how many (non-gold) items have all k ratings.

    "Done" counts every rating the rater submitted, gold checks and repeats included: a count that stood
    still after some items would tell the rater which ones were checks. Pass `done` and `complete` when they
    have just been read (campaign_item_to_show reads both after a submit); the other counts come with the
    campaign, or are read again with `reread` when a write since may have changed them. `finished`: the queue
    has nothing more for the rater.
    """
    n_items, n_gold, kept_complete, n_raters = _campaign_counts(campaign, reread=reread)
    share = expected_share(n_items=n_items, n_gold=n_gold, n_raters=n_raters, campaign=campaign)
    if done is None:
        done = rater_rating_count(campaign, rater)
    complete = kept_complete if complete is None else complete
    return RaterProgress(done=done, share=share, n_items=n_items, complete=complete, finished=finished)


def progress_beside(*, campaign: Campaign, rater: AbstractBaseUser, assignment: Assignment | None) -> RaterProgress:
    """The rater's progress as of now, shown beside the item assignment_next gave them (or beside its absence).

    assignment_next reads the rater's count and the campaign's complete items along with the item to show.
    Without an item, the counts the campaign was read with may predate this request's write: read them again.
    """
    if assignment is None:
        finished = campaign.status == Campaign.Status.ACTIVE
        return rater_progress(campaign=campaign, rater=rater, finished=finished, reread=True)
    shown = assignment.campaign_item
    done, complete = getattr(shown, "rater_rating_count", None), getattr(shown, "campaign_complete", None)
    return rater_progress(campaign=campaign, rater=rater, done=done, complete=complete)


# Time on one item beyond this is a rater who walked away, not effort; cap it so averages stay meaningful.
MAX_SECONDS_SPENT = 3600.0


def seconds_on_item(*, started: datetime | None, shown_at: datetime | None, now: datetime) -> float | None:
    """Seconds since the item was shown (a moment between the lease start and now), else since the lease
    start; capped at MAX_SECONDS_SPENT; None when neither is known."""
    if shown_at is not None and shown_at <= now and (started is None or shown_at >= started):
        started = shown_at
    if started is None:
        return None
    return round(min(MAX_SECONDS_SPENT, max(0.0, (now - started).total_seconds())), 3)


@dataclass(frozen=True)
class ItemView:
    """What a rater may see of an item: visible content fields, pairwise sides in screen order, visible metadata."""

    fields: list[tuple[str, object]]
    pairs: list[tuple[object, object]]
    metadata: list[tuple[str, object]]


def item_view(*, campaign: Campaign, item_content: object, item_metadata: object, presentation: dict) -> ItemView:
    """Only campaign.visible_fields (or, when empty, every content field and no metadata) ever reach the page."""
    content = item_content if isinstance(item_content, dict) else {"content": item_content}
    metadata = item_metadata if isinstance(item_metadata, dict) else {}
    visible = [str(name) for name in campaign.visible_fields or []]
    if visible:
        content_names = [name for name in visible if name in content]
        metadata_names = [name for name in visible if name not in content and name in metadata]
    else:
        # The dataset's order, not the stored dict's: PostgreSQL's jsonb does not keep the file's key order.
        order = content_display_order(campaign_content_fields(campaign))
        content_names, metadata_names = [name for name, _value in fields_in_order(content, order)], []
    pairs: list[tuple[object, object]] = []
    paired: set[str] = set()
    for criterion in campaign.rubric_version.typed_criteria:
        fields = criterion.compared_fields
        if not fields or not all(f in content_names for f in fields) or paired & set(fields):
            continue
        first, second = fields
        left, right = (second, first) if presentation.get("left") == "b" else (first, second)
        # Sides are labelled A and B on screen only: the field names would reveal the original order.
        pairs.append((content[left], content[right]))
        paired.update(fields)
    return ItemView(
        fields=[(name, content[name]) for name in content_names if name not in paired],
        pairs=pairs,
        metadata=[(name, metadata[name]) for name in metadata_names],
    )
