"""Writes for the rating queue: lease the next item (data, gold check or repeat), skip it, flag it."""

import random
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accord.inserts import insert_one
from annotate.limits import quoted
from annotate.models import Assignment, Campaign
from annotate.selectors.assignments import (
    TAKEN_SQL,
    campaign_item_to_show,
    candidate_item,
    gold_candidates,
    rater_leases,
    rater_queue_counts,
    repeat_candidates,
    row_lock,
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


def _presentation(*, campaign: Campaign, campaign_item_id: int, rater_id: int) -> dict[str, str]:
    if not any(c.get("type") == "pairwise" for c in campaign.rubric_version.criteria):
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


def _execute(sql: str, params: dict[str, object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _renew_own_lease(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime) -> Assignment | None:
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
        if taken < campaign.overlap:
            held.leased_at, held.expires_at = now, now + lease_for
            held.save(update_fields=["leased_at", "expires_at"])
            campaign_item_set_taken(held.campaign_item_id, taken + 1)
            return held
        # The slot went to someone else (an expired lease, or ratings imported meanwhile): give the item up.
        held.delete()
        campaign_item_set_taken(held.campaign_item_id, taken)
    return None


def _reclaim_expired(*, campaign: Campaign, now: datetime) -> None:
    """Recount the items whose counter still holds an expired lease, so those slots return to the pool."""
    for pk in stale_counter_items(campaign=campaign, now=now):
        campaign_item_set_taken(pk, taken_count(campaign_item_id=pk, now=now))


def _pick_item_id(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime) -> int | None:
    waits = 0
    for _ in range(MAX_PICK_ATTEMPTS + MAX_LOCKED_WAITS):
        # Skip rows other raters are leasing right now.
        pk = candidate_item(campaign=campaign, rater=rater, lock=True)
        if pk is None:
            # Every open candidate is locked by a rater mid-pick: wait for them rather than report an empty
            # queue while slots may still be free. Poll instead of blocking on their row lock, because this
            # transaction may hold other items' locks and a blocking wait could close a deadlock cycle.
            if waits >= MAX_LOCKED_WAITS or candidate_item(campaign=campaign, rater=rater, lock=False) is None:
                return None
            waits += 1
            time.sleep(LOCKED_WAIT_SECONDS)
            continue
        # The counter only ranks candidates; the recount under the lock decides, and corrects the counter
        # when the two differ (ratings written around the services), so a full item is not picked again.
        taken = taken_count(campaign_item_id=pk, now=now, exclude_rater_id=rater.pk)
        if taken < campaign.overlap:
            campaign_item_set_taken(pk, taken + 1)
            return pk
        campaign_item_set_taken(pk, taken)
    return None


def _pick_extra(*, campaign: Campaign, rater: AbstractBaseUser) -> tuple[int, bool] | None:
    """A repeat or a gold check when the rater's share of either is below its rate: (item id, is_repeat)."""
    if campaign.gold_rate <= 0 and campaign.repeat_rate <= 0:
        return None
    counts = rater_queue_counts(campaign=campaign, rater=rater)
    if counts.repeat_due(campaign.repeat_rate):
        pk = repeat_candidates(campaign=campaign, rater=rater).values_list("pk", flat=True).first()
        if pk is not None:
            return pk, True
    if counts.gold_due(campaign.gold_rate):
        # No row lock: a gold item has no slots to fill, and the unique (item, rater) pair stops a second lease.
        pk = gold_candidates(campaign=campaign, rater=rater).values_list("pk", flat=True).first()
        if pk is not None:
            return pk, False
    return None


def assignment_next(
    *, campaign: Campaign, rater: AbstractBaseUser, now: datetime | None = None, after_close: bool = False
) -> Assignment | None:
    """The rater's current lease, or a newly leased item; None when the campaign is not active or nothing is left.

    Gold checks and test-retest repeats are mixed in at the campaign's gold_rate and repeat_rate; they
    look like any other item and never take one of an item's k slots. `after_close` says the rater has just
    submitted or given back their item, so a live lease is unlikely and is only looked for under the lock.
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
    # Leases and queue counters are soft state: a crash that loses the last moment's leases only returns
    # those items to the pool (counter and lease vanish together). Not waiting for the WAL flush saves a
    # disk sync per item; the rating itself is committed durably, and its commit flushes this one first.
    # PostgreSQL sets that for this transaction in the statement that takes the lock below.
    no_sync_wait = ", set_config('synchronous_commit', 'off', true)" if connection.vendor == "postgresql" else ""
    # Serialise one rater's own requests (two tabs, a double press) so they share one lease.
    _execute(
        f"SELECT m.id{no_sync_wait} FROM annotate_membership m"
        f" WHERE m.campaign_id = %(campaign)s AND m.user_id = %(rater)s{row_lock('m')}",
        {"campaign": campaign.pk, "rater": rater.pk},
    )
    return _renew_own_lease(campaign=campaign, rater=rater, now=now) or _lease_new(
        campaign=campaign, rater=rater, now=now
    )


def _lease_new(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime) -> Assignment | None:
    extra = _pick_extra(campaign=campaign, rater=rater)
    if extra is not None:
        item_id, is_repeat = extra
    else:
        _reclaim_expired(campaign=campaign, now=now)
        item_id, is_repeat = _pick_item_id(campaign=campaign, rater=rater, now=now), False
    if item_id is None:
        return None
    assignment = Assignment(
        campaign_item_id=item_id,
        rater=rater,
        status=Assignment.Status.LEASED,
        leased_at=now,
        expires_at=now + timedelta(minutes=campaign.lease_minutes),
        # A repeat is shown exactly as the first time (same pairwise sides): only the rater may differ.
        presentation=_presentation(campaign=campaign, campaign_item_id=item_id, rater_id=rater.pk),
        is_repeat=is_repeat,
    )
    insert_one(assignment)
    return assignment


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


@transaction.atomic
def campaign_items_recount(*, campaign: Campaign, item_ids: Iterable[int] | None = None) -> int:
    """Set n_taken of the campaign's items (or just the given ones) from their ratings and live leases.

    For writes that add ratings in bulk (imports, the demo): one UPDATE per batch instead of a count per row.
    """
    params = {"campaign": campaign.pk, **taken_params(now=timezone.now())}
    update = f"UPDATE annotate_campaignitem AS ci SET n_taken = {TAKEN_SQL} WHERE ci.campaign_id = %(campaign)s"
    with connection.cursor() as cursor:
        if item_ids is None:
            cursor.execute(update, params)
            return cursor.rowcount
        ids, updated = sorted(set(item_ids)), 0
        for start in range(0, len(ids), RECOUNT_BATCH):
            batch = {f"id{n}": pk for n, pk in enumerate(ids[start : start + RECOUNT_BATCH])}
            cursor.execute(f"{update} AND ci.id IN ({', '.join(f'%({name})s' for name in batch)})", params | batch)
            updated += cursor.rowcount
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
    assignment.save(update_fields=["status", "skip_reason"])
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
        assignment.status = Assignment.Status.SKIPPED
        fields.append("status")
    assignment.save(update_fields=fields)
    return assignment
