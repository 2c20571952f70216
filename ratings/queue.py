"""Writes for the rating queue: lease the next item (data, gold check or repeat), skip it, flag it."""

import random
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accord.limits import quoted
from annotate.models import Assignment, Campaign, Membership
from annotate.services.campaign_counts import campaign_counts_recount
from ratings.progress import rater_rating_count
from ratings.queue_selectors import (
    TAKEN_SQL,
    Candidate,
    QueueState,
    campaign_item_to_show,
    candidate_item,
    gold_candidate,
    gold_start,
    index_probe,
    order_key_span,
    queue_state_locked,
    rater_leases,
    rater_queue_counts,
    repeat_candidate,
    repeat_key,
    row_lock,
    sql_rows,
    stale_counter_items,
    taken_count,
    taken_params,
)

# Each failed attempt means another rater filled that slot a moment ago; this many in a row is pathological.
MAX_PICK_ATTEMPTS = 100
# Row locks on items last milliseconds; this bounds the wait for candidates other raters are locking.
LOCKED_WAIT_SECONDS = 0.01
MAX_LOCKED_WAITS = 200
MAX_NOTE_LENGTH = 2000
RECOUNT_BATCH = 2000
# How often a campaign's expired leases are swept back into the pool (see _reclaim_expired).
RECLAIM_SECONDS = 5


def _presentation(*, campaign: Campaign, campaign_item_id: int, rater_id: int) -> dict[str, str]:
    if not any(c.compared_fields for c in campaign.rubric_version.typed_criteria):
        return {}
    # Seeded from the assignment's identity so the order is reproducible yet independent of the item's content.
    rng = random.Random(f"accord-presentation:{campaign_item_id}:{rater_id}")
    return {"left": rng.choice(["a", "b"])}


def campaign_item_lock(campaign_item_id: int) -> None:
    """Lock an item's row: everyone who changes its slots holds this lock, so a recount under it is exact."""
    # Fixed SQL: this runs on every lease and submit, where building ORM queries cost more than running them.
    _execute(
        f"SELECT ci.id FROM annotate_campaignitem ci WHERE ci.id = %(item)s{row_lock('ci')}", {"item": campaign_item_id}
    )


def campaign_item_set_taken(campaign_item_id: int, n_taken: int) -> None:
    # Written under the item's row lock from a recount taken under it, so the counter is exact when written.
    _execute(
        "UPDATE annotate_campaignitem SET n_taken = %(n)s WHERE id = %(item)s", {"n": n_taken, "item": campaign_item_id}
    )


# Take one of the item's k slots when others hold fewer than k: the recount and the write in one statement.
_TAKE_SLOT_SQL = f"""
UPDATE annotate_campaignitem AS ci SET n_taken = {TAKEN_SQL} + 1{{rated}}
WHERE ci.id = %(item)s AND {TAKEN_SQL} < %(overlap)s + ci.extra_overlap
RETURNING n_rated"""
_TAKE_SLOT = _TAKE_SLOT_SQL.format(rated="")
_TAKE_SLOT_RATED = _TAKE_SLOT_SQL.format(rated=", n_rated = n_rated + 1")


def campaign_item_take_slot(
    *, campaign: Campaign, campaign_item_id: int, rater_id: int, now: datetime, rated: bool = False
) -> int | None:
    """Under the item's row lock: take a slot unless the others (live leases and ratings) hold all k of them.

    Returns the item's first-time ratings after it (`rated`: this slot is a rating being stored, counted in),
    or None when no slot is free; the counter is then left as it was.
    """
    params = {"item": campaign_item_id, "overlap": campaign.overlap, **taken_params(now=now, exclude_rater_id=rater_id)}
    rows = sql_rows(_TAKE_SLOT_RATED if rated else _TAKE_SLOT, params)
    return rows[0][0] if rows else None


def _execute(sql: str, params: dict[str, object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _renew_own_lease(
    *, campaign: Campaign, rater: AbstractBaseUser, now: datetime, state: QueueState
) -> Assignment | None:
    lease_for = timedelta(minutes=campaign.lease_minutes)
    for held in rater_leases(campaign=campaign, rater=rater):
        # A live lease still holds its slot; gold checks and repeats hold none of the item's k slots.
        if held.expires_at > now or held.is_repeat or held.item_is_gold:
            if held.expires_at <= now:
                held.leased_at, held.expires_at = now, now + lease_for
                held.save(update_fields=["leased_at", "expires_at"])
            return held
        # An expired lease keeps the item only while a slot is free: recount under the lock.
        campaign_item_lock(held.campaign_item_id)
        taken = taken_count(campaign_item_id=held.campaign_item_id, now=now, exclude_rater_id=rater.pk)
        if taken < campaign.overlap + held.item_extra_overlap:
            held.leased_at, held.expires_at = now, now + lease_for
            held.save(update_fields=["leased_at", "expires_at"])
            campaign_item_set_taken(held.campaign_item_id, taken + 1)
            return held
        # The slot went to someone else (an expired lease, or ratings imported meanwhile): give the item up.
        held.delete()
        campaign_item_set_taken(held.campaign_item_id, taken)
        state.n_first -= 1
        queue_state_save(state)
    return None


def _reclaim_expired(*, campaign: Campaign, now: datetime, always: bool = False) -> bool:
    """Recount the items whose counter still holds an expired lease, so those slots return to the pool.

    Unless `always`, at most every RECLAIM_SECONDS per campaign (returns whether it swept), as the cache
    sees it: per process with the default memory cache, across them with a shared one. A lease lasts at least
    a minute, so its slot comes back a few seconds after it lapsed at worst, and most picks run one statement
    fewer. A pick that finds nothing sweeps always, so no rater is told the queue is empty while a lapsed
    lease holds an item.
    """
    key = reclaim_key(campaign)
    if always:
        cache.set(key, True, RECLAIM_SECONDS)
    elif not cache.add(key, True, RECLAIM_SECONDS):
        return False
    for pk in stale_counter_items(campaign=campaign, now=now):
        campaign_item_set_taken(pk, taken_count(campaign_item_id=pk, now=now))
    return True


def reclaim_key(campaign: Campaign) -> str:
    """The cache key that marks a campaign's expired leases as swept a moment ago."""
    # created_at too: SQLite may give a deleted campaign's id to a new one.
    return f"accord:reclaimed:{campaign.pk}:{campaign.created_at.timestamp()}"


def _pick_item(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime, state: QueueState) -> Candidate | None:
    waits = 0
    for _ in range(MAX_PICK_ATTEMPTS + MAX_LOCKED_WAITS):
        # Skip rows other raters are leasing right now.
        found = candidate_item(campaign=campaign, rater=rater, lock=True, fresh_after=state.fresh_cursor)
        if found is None:
            # Every open candidate is locked by a rater mid-pick: wait for them rather than report an empty
            # queue while slots may still be free. Poll instead of blocking on their row lock, because this
            # transaction may hold other items' locks and a blocking wait could close a deadlock cycle.
            unlocked = candidate_item(campaign=campaign, rater=rater, lock=False, fresh_after=state.fresh_cursor)
            if waits >= MAX_LOCKED_WAITS or unlocked is None:
                return None
            waits += 1
            time.sleep(LOCKED_WAIT_SECONDS)
            continue
        # The counter only ranks candidates; the recount under the lock decides, and corrects the counter
        # when the two differ (ratings written around the services), so a full item is not picked again.
        taken = campaign_item_take_slot(campaign=campaign, campaign_item_id=found.pk, rater_id=rater.pk, now=now)
        if taken is not None:
            return found
        campaign_item_set_taken(found.pk, taken_count(campaign_item_id=found.pk, now=now, exclude_rater_id=rater.pk))
    return None


def _pick_repeat(*, campaign: Campaign, rater: AbstractBaseUser, state: QueueState) -> int | None:
    if not state.counts.repeat_due(campaign.repeat_rate):
        return None
    return repeat_candidate(campaign=campaign, rater=rater, n_submitted=state.n_submitted)


def _pick_gold(*, campaign: Campaign, rater: AbstractBaseUser, state: QueueState) -> tuple[int, int] | None:
    if not state.counts.gold_due(campaign.gold_rate) or state.gold_start is None:
        return None
    # No row lock: a gold item has no slots to fill, and the unique (item, rater) pair stops a second lease.
    return gold_candidate(campaign=campaign, rater=rater, start=state.gold_start, cursor=state.gold_cursor)


def _lease_new(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime, state: QueueState) -> Assignment | None:
    """Lease a repeat or a gold check when the rater's share of either is below its rate, else a data item."""
    item_id, is_repeat = _pick_repeat(campaign=campaign, rater=rater, state=state), True
    if item_id is None:
        is_repeat = False
        gold = _pick_gold(campaign=campaign, rater=rater, state=state)
        if gold is not None:
            item_id, state.gold_cursor = gold
            state.n_gold += 1
        else:
            swept = _reclaim_expired(campaign=campaign, now=now)
            found = _pick_item(campaign=campaign, rater=rater, now=now, state=state)
            if found is None and not swept:
                _reclaim_expired(campaign=campaign, now=now, always=True)
                found = _pick_item(campaign=campaign, rater=rater, now=now, state=state)
            if found is None:
                return None
            item_id = found.pk
            if found.fresh:
                state.fresh_cursor = found.order_key
    assignment = Assignment(
        campaign_item_id=item_id,
        campaign_id=campaign.pk,
        rater=rater,
        status=Assignment.Status.LEASED,
        leased_at=now,
        expires_at=now + timedelta(minutes=campaign.lease_minutes),
        # A repeat is shown exactly as the first time (same pairwise sides): only the rater may differ.
        presentation=_presentation(campaign=campaign, campaign_item_id=item_id, rater_id=rater.pk),
        is_repeat=is_repeat,
    )
    assignment.save(force_insert=True)
    if is_repeat:
        state.n_repeats, state.n_since_repeat = state.n_repeats + 1, 0
        # The item comes back once only: it leaves the range the repeat pick reads.
        _execute(
            "UPDATE annotate_assignment SET repeat_key = NULL"
            " WHERE campaign_item_id = %(item)s AND rater_id = %(rater)s AND NOT is_repeat",
            {"item": item_id, "rater": rater.pk},
        )
    else:
        state.n_first += 1
    queue_state_save(state)
    return assignment


def assignment_next(
    *, campaign: Campaign, rater: AbstractBaseUser, now: datetime | None = None, after_close: bool = False
) -> Assignment | None:
    """The rater's current lease, or a newly leased item; None when the campaign is not active or nothing is left.

    Gold checks and test-retest repeats are mixed in at the campaign's gold_rate and repeat_rate; they
    look like any other item and never take one of an item's k slots. `after_close` says the rater has just
    submitted or given back their item, so a live lease is unlikely and is only looked for under the lock.
    Only the campaign's members get items.
    """
    now = now or timezone.now()
    if campaign.status != Campaign.Status.ACTIVE:
        return None
    assignment = None
    if not after_close:
        # A live lease is the answer and changes nothing, so it needs no lock: the rating page asks on every load.
        leases = rater_leases(campaign=campaign, rater=rater)
        if leases and leases[0].expires_at > now:
            assignment = leases[0]
    if assignment is None:
        assignment = _lease_locked(campaign=campaign, rater=rater, now=now)
    if assignment is not None:
        # The rating page shows the item next: one query for both rows (and the rater's count) rather than three.
        assignment.campaign_item = campaign_item_to_show(assignment.campaign_item_id, rater)
    return assignment


@transaction.atomic
def _lease_locked(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime) -> Assignment | None:
    """Renew the rater's lease or lease a new item, holding the rater's membership row lock."""
    state = queue_state_locked(campaign=campaign, rater=rater)
    if state is None:
        return None
    if not state.counted:
        state = queue_state_rebuild(campaign=campaign, rater=rater, state=state)
    return _renew_own_lease(campaign=campaign, rater=rater, now=now, state=state) or _lease_new(
        campaign=campaign, rater=rater, now=now, state=state
    )


_SAVE_STATE_SQL = """
UPDATE annotate_membership SET queue_counted = %(counted)s, queue_first = %(first)s, queue_gold = %(gold)s,
    queue_repeats = %(repeats)s, queue_submitted = %(submitted)s, queue_since_repeat = %(since)s,
    rating_count = %(ratings)s, gold_start = %(gold_start)s, gold_cursor = %(gold_cursor)s,
    fresh_cursor = %(fresh_cursor)s
WHERE id = %(membership)s"""


def queue_state_save(state: QueueState) -> None:
    """Write the rater's queue state back to their membership row (whose lock the caller holds)."""
    _execute(
        _SAVE_STATE_SQL,
        {
            "counted": state.counted,
            "first": state.n_first,
            "gold": state.n_gold,
            "repeats": state.n_repeats,
            "submitted": state.n_submitted,
            "since": state.n_since_repeat,
            "ratings": state.rating_count,
            "gold_start": state.gold_start,
            "gold_cursor": state.gold_cursor,
            "fresh_cursor": state.fresh_cursor,
            "membership": state.membership_id,
        },
    )


# The rater's assignments in the campaign in the order they were served, each with whether it was submitted and
# whether it is a first-time rating of a data item that has not come back yet. Each check is a probe per row
# ({probe}): a rebuild often follows a bulk write, before the statistics know of it.
_HISTORY_SQL = """
SELECT a.id, a.campaign_item_id, a.status = %(submitted)s,
    NOT a.is_repeat
    AND NOT EXISTS (SELECT 1 FROM annotate_campaignitem ci WHERE ci.id = a.campaign_item_id AND ci.is_gold{probe})
    AND NOT EXISTS (SELECT 1 FROM annotate_assignment b WHERE b.campaign_item_id = a.campaign_item_id
                    AND b.rater_id = %(rater)s AND b.is_repeat{probe})
    AND NOT EXISTS (SELECT 1 FROM ratings_rating r WHERE r.campaign_item_id = a.campaign_item_id
                    AND r.rater_id = %(rater)s AND r.is_repeat{probe})
FROM annotate_assignment a
WHERE a.campaign_id = %(campaign)s AND a.rater_id = %(rater)s
ORDER BY a.id"""


def _history_mark(*, campaign: Campaign, rater: AbstractBaseUser) -> None:
    """Number the rater's submitted assignments in the order they were served (1 for the first), and give those
    that may still come back as a repeat their repeat key; every other assignment gets neither."""
    params = {"campaign": campaign.pk, "rater": rater.pk, "submitted": Assignment.Status.SUBMITTED}
    marks, seq = [], 0
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_SQL.format(probe=index_probe()), params)
        for pk, item_id, submitted, repeatable in cursor.fetchall():
            seq += bool(submitted)
            key = repeat_key(campaign, rater.pk, item_id) if submitted and repeatable else None
            marks.append((seq if submitted else None, key, pk))
        # One primary key lookup per row, whatever the statistics say.
        cursor.executemany("UPDATE annotate_assignment SET submitted_seq = %s, repeat_key = %s WHERE id = %s", marks)


def gold_walk_resume(start: int, next_key: int | None) -> int | None:
    """The cursor from which a walk that began at start goes on to next_key (None: a walk with nothing left)."""
    if next_key is None:
        # Just behind the start: the walk has gone round.
        return start - 1
    return None if next_key == start else next_key - 1


def queue_state_rebuild(*, campaign: Campaign, rater: AbstractBaseUser, state: QueueState) -> QueueState:
    """Recompute the rater's queue state from their assignments and ratings, holding their membership lock.

    Reads the rater's whole history, once: for a new membership, and after writes that bypass the queue's
    services (see queue_states_invalidate). The queue's steps then keep the state as they go.
    """
    counts = rater_queue_counts(campaign=campaign, rater=rater)
    _history_mark(campaign=campaign, rater=rater)
    start = gold_start(campaign, rater, order_key_span(campaign))
    # The walk resumes at the first gold item along it that the rater has not been given (earlier gold checks
    # may have come in another order); past it, items already given are passed over as the walk reaches them.
    first = gold_candidate(campaign=campaign, rater=rater, start=start, cursor=None)
    cursor_key = gold_walk_resume(start, None if first is None else first[1])
    rebuilt = QueueState(
        membership_id=state.membership_id,
        counted=True,
        n_first=counts.n_first,
        n_gold=counts.n_gold,
        n_repeats=counts.n_repeats,
        n_submitted=counts.n_submitted,
        n_since_repeat=counts.n_since_repeat,
        rating_count=rater_rating_count(campaign, rater),
        gold_start=start,
        gold_cursor=cursor_key,
        fresh_cursor=None,
    )
    queue_state_save(rebuilt)
    return rebuilt


def queue_states_invalidate(*, campaign: Campaign, user_ids: Iterable[int] | None = None) -> None:
    """Have the queue state of the campaign's members (or the given users) rebuilt before their next item.

    For writes that add ratings or assignments around the queue's services: imports, bulk loads.
    """
    members = Membership.objects.filter(campaign=campaign)
    if user_ids is not None:
        members = members.filter(user_id__in=list(user_ids))
    members.update(queue_counted=False)


def queue_gold_walks_restart(*, campaign: Campaign) -> None:
    """Start every rater's walk through the gold items again, so gold items marked behind it are reached too.

    Items the rater was already given are passed over by the walk, each once.
    """
    Membership.objects.filter(campaign=campaign).update(gold_cursor=None)


_SUBMITTED_SQL = """
UPDATE annotate_membership SET queue_submitted = queue_submitted + 1, rating_count = rating_count + 1,
    queue_since_repeat = queue_since_repeat + %(first_time)s
WHERE campaign_id = %(campaign)s AND user_id = %(rater)s
RETURNING queue_submitted"""


def queue_state_count_submit(*, campaign: Campaign, assignment: Assignment) -> tuple[int | None, int | None]:
    """Count a submission in the rater's queue state; return the assignment's (submitted_seq, repeat_key).

    Locks the rater's membership row, as leasing does first, so submit and lease take their locks in one
    order. A first-time rating of a data item gets a repeat key: it may come back as a repeat.
    """
    first_time = not assignment.is_repeat
    with connection.cursor() as cursor:
        cursor.execute(
            _SUBMITTED_SQL,
            {"first_time": int(first_time), "campaign": campaign.pk, "rater": assignment.rater_id},
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    repeatable = first_time and not assignment.campaign_item.is_gold
    key = repeat_key(campaign, assignment.rater_id, assignment.campaign_item_id) if repeatable else None
    return row[0], key


def _release_slot(assignment: Assignment) -> None:
    """Recount the item of a first-time lease about to be given back, without that lease, under the item lock."""
    if assignment.is_repeat or assignment.campaign_item.is_gold:
        return
    campaign_item_lock(assignment.campaign_item_id)
    taken = taken_count(
        campaign_item_id=assignment.campaign_item_id, now=timezone.now(), exclude_rater_id=assignment.rater_id
    )
    # The rater has no first-time rating of an item they are still leasing, so this is everyone else's.
    campaign_item_set_taken(assignment.campaign_item_id, taken)


# First-time human ratings of a data item (machine raters' labels are outside k); a gold item holds 0 (its
# ratings are checks, outside k).
_RATED_SQL = """CASE WHEN ci.is_gold THEN 0 ELSE (
    SELECT COUNT(*) FROM ratings_rating r WHERE r.campaign_item_id = ci.id AND NOT r.is_repeat AND NOT r.by_machine
) END"""


@transaction.atomic
def campaign_items_recount(*, campaign: Campaign, item_ids: Iterable[int] | None = None) -> int:
    """Set n_taken and n_rated of the campaign's items (or just the given ones), then the campaign's counts.

    For writes that add ratings or gold items in bulk (imports, gold marking, the demo): one UPDATE per batch
    instead of a count per row.
    """
    params = {"campaign": campaign.pk, **taken_params(now=timezone.now())}
    update = (
        f"UPDATE annotate_campaignitem AS ci SET n_taken = {TAKEN_SQL}, n_rated = {_RATED_SQL}"
        " WHERE ci.campaign_id = %(campaign)s"
    )
    updated = 0
    with connection.cursor() as cursor:
        if item_ids is None:
            cursor.execute(update, params)
            updated = cursor.rowcount
        else:
            ids = sorted(set(item_ids))
            for start in range(0, len(ids), RECOUNT_BATCH):
                batch = {f"id{n}": pk for n, pk in enumerate(ids[start : start + RECOUNT_BATCH])}
                in_batch = ", ".join(f"%({name})s" for name in batch)
                cursor.execute(f"{update} AND ci.id IN ({in_batch})", params | batch)
                updated += cursor.rowcount
    campaign_counts_recount(campaign=campaign)
    return updated


def _require_leased(assignment: Assignment, action: str) -> None:
    if assignment.status != Assignment.Status.LEASED:
        raise ValidationError(f"Cannot {action} this item: it is already {assignment.get_status_display().lower()}.")


@transaction.atomic
def assignment_skip(*, assignment: Assignment, reason: str) -> Assignment:
    """Give a leased item back without rating it; the rater will not be offered it again."""
    _require_leased(assignment, "skip")
    reason = reason.strip()
    if len(reason) > MAX_NOTE_LENGTH:
        raise ValidationError({"reason": f"reason: at most {MAX_NOTE_LENGTH} characters, got {len(reason)}"})
    _release_slot(assignment)
    assignment.status = Assignment.Status.SKIPPED
    assignment.skip_reason = reason
    # When the rater gave the item back: the adjudication queue tells a new skip from one already settled.
    assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["status", "skip_reason", "submitted_at"])
    return assignment


@transaction.atomic
def assignment_flag(*, assignment: Assignment, flag: str, note: str) -> Assignment:
    """Flag an item as broken, unsafe or needing an expert; a leased item is given back unrated."""
    choices = [value for value in Assignment.Flag.values if value]
    if flag not in choices:
        raise ValidationError({"flag": f"flag: {quoted(flag)} is not one of {', '.join(choices)}"})
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": f"note: at most {MAX_NOTE_LENGTH} characters, got {len(note)}"})
    assignment.flag, assignment.flag_note = flag, note
    fields = ["flag", "flag_note"]
    if assignment.status == Assignment.Status.LEASED:
        # An item the rater cannot rate goes back to the pool; the flag tells the owner why.
        _release_slot(assignment)
        assignment.status, assignment.submitted_at = Assignment.Status.SKIPPED, timezone.now()
        fields += ["status", "submitted_at"]
    assignment.save(update_fields=fields)
    return assignment
