"""Writes for the rating queue: lease the next item (data, gold check or repeat), skip it, flag it."""

import random
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotate.models import Assignment, Campaign, CampaignItem, Membership
from annotate.selectors.assignments import (
    candidate_items,
    gold_candidates,
    rater_leases,
    rater_queue_counts,
    repeat_candidates,
    taken_count,
)

# Each failed attempt means another rater filled that slot a moment ago; this many in a row is pathological.
MAX_PICK_ATTEMPTS = 100
MAX_NOTE_LENGTH = 2000


def _presentation(*, campaign: Campaign, campaign_item_id: int, rater_id: int) -> dict[str, str]:
    if not any(c.get("type") == "pairwise" for c in campaign.rubric_version.criteria):
        return {}
    # Seeded from the assignment's identity so the order is reproducible yet independent of the item's content.
    rng = random.Random(f"accord-presentation:{campaign_item_id}:{rater_id}")
    return {"left": rng.choice(["a", "b"])}


def _lock_item(campaign_item_id: int) -> None:
    # Everyone who changes an item's slots holds this row lock, so a recount under it is exact. NO KEY
    # UPDATE still lets other transactions insert rows that reference the item (foreign-key checks).
    list(CampaignItem.objects.select_for_update(no_key=True).filter(pk=campaign_item_id).values_list("pk", flat=True))


def _renew_own_lease(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime) -> Assignment | None:
    lease_for = timedelta(minutes=campaign.lease_minutes)
    for held in rater_leases(campaign=campaign, rater=rater):
        # Gold checks and repeats hold none of the item's k slots, so nobody else can have taken theirs.
        outside_k = held.is_repeat or held.campaign_item.is_gold
        if not outside_k:
            _lock_item(held.campaign_item_id)
        if (
            outside_k
            or taken_count(campaign_item_id=held.campaign_item_id, now=now, exclude_rater_id=rater.pk)
            < campaign.overlap
        ):
            if held.expires_at <= now:
                held.leased_at, held.expires_at = now, now + lease_for
                held.save(update_fields=["leased_at", "expires_at"])
            return held
        # The slot went to someone else (an expired lease, or ratings imported meanwhile): give the item up.
        held.delete()
    return None


def _pick_item_id(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime) -> int | None:
    candidates = candidate_items(campaign=campaign, rater=rater, now=now)
    for _ in range(MAX_PICK_ATTEMPTS):
        savepoint = transaction.savepoint()
        # Skip rows other raters are leasing right now; if that leaves nothing, wait for them rather than
        # report an empty queue while slots may still be free.
        pk = candidates.select_for_update(skip_locked=True, no_key=True).values_list("pk", flat=True).first()
        if pk is None:
            pk = candidates.select_for_update(no_key=True).values_list("pk", flat=True).first()
        if pk is None:
            transaction.savepoint_rollback(savepoint)
            return None
        # The candidate query may have read a snapshot older than our lock; recount under the lock.
        if taken_count(campaign_item_id=pk, now=now, exclude_rater_id=rater.pk) < campaign.overlap:
            transaction.savepoint_commit(savepoint)
            return pk
        # Rolling back to the savepoint releases the row lock on the full item.
        transaction.savepoint_rollback(savepoint)
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


@transaction.atomic
def assignment_next(*, campaign: Campaign, rater: AbstractBaseUser, now: datetime | None = None) -> Assignment | None:
    """The rater's current lease, or a newly leased item; None when the campaign is not active or nothing is left.

    Gold checks and test-retest repeats are mixed in at the campaign's gold_rate and repeat_rate; they
    look like any other item and never take one of an item's k slots.
    """
    now = now or timezone.now()
    if campaign.status != Campaign.Status.ACTIVE:
        return None
    # Serialise one rater's own requests (two tabs, a double press) so they share one lease.
    mine = Membership.objects.filter(campaign=campaign, user=rater).order_by()
    list(mine.select_for_update(no_key=True, of=("self",)).values_list("pk", flat=True))
    held = _renew_own_lease(campaign=campaign, rater=rater, now=now)
    if held is not None:
        return held
    extra = _pick_extra(campaign=campaign, rater=rater)
    item_id, is_repeat = extra if extra is not None else (_pick_item_id(campaign=campaign, rater=rater, now=now), False)
    if item_id is None:
        return None
    return Assignment.objects.create(
        campaign_item_id=item_id,
        rater=rater,
        status=Assignment.Status.LEASED,
        leased_at=now,
        expires_at=now + timedelta(minutes=campaign.lease_minutes),
        # A repeat is shown exactly as the first time (same pairwise sides): only the rater may differ.
        presentation=_presentation(campaign=campaign, campaign_item_id=item_id, rater_id=rater.pk),
        is_repeat=is_repeat,
    )


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
    assignment.status = Assignment.Status.SKIPPED
    assignment.skip_reason = reason
    assignment.save(update_fields=["status", "skip_reason"])
    return assignment


@transaction.atomic
def assignment_flag(*, assignment: Assignment, flag: str, note: str) -> Assignment:
    """Flag an item as broken, unsafe or needing an expert; a leased item is given back unrated."""
    choices = [value for value in Assignment.Flag.values if value]
    if flag not in choices:
        raise ValidationError({"flag": f"flag: {flag!r} is not one of {', '.join(choices)}"})
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": f"note: at most {MAX_NOTE_LENGTH} characters, got {len(note)}"})
    assignment.flag, assignment.flag_note = flag, note
    fields = ["flag", "flag_note"]
    if assignment.status == Assignment.Status.LEASED:
        # An item the rater cannot rate goes back to the pool; the flag tells the owner why.
        assignment.status = Assignment.Status.SKIPPED
        fields.append("status")
    assignment.save(update_fields=fields)
    return assignment
