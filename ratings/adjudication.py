"""Adjudication writes: hold an item, record decisions on its criteria, send it to the queue.

A decision per criterion is a final value with a rationale, "genuinely ambiguous" with a rationale, or "send
back" for more ratings (the item returns to the rating queue wanting more raters than the campaign's k). A new
decision supersedes the current one, which is kept. Two adjudicators never hold one item at once: the page
leases the item for the campaign's lease time, as the rating queue does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.limits import quoted
from annotate.criteria import Criterion
from annotate.models import Campaign, CampaignItem, Membership
from ratings.final_labels import FinalLabel, aggregated_criteria, estimates_for_pages, final_labels, plain_value
from ratings.models import Adjudication, AdjudicationLease, AdjudicationRequest
from ratings.pseudonyms import rater_pseudonym
from ratings.selectors import campaign_ratings

MAX_RATIONALE_LENGTH = 5_000
# Raters an item sent back may get beyond k, all sends together: enough to settle a split, not a new campaign.
MAX_EXTRA_OVERLAP = 10
OUTCOMES = frozenset(Adjudication.Outcome.values)
# Who may record decisions and send items back (staff act as owners); readers may only look.
DECIDERS = frozenset({Membership.Role.OWNER, Membership.Role.ADJUDICATOR})
# Error codes for a refusal that no input can fix: another adjudicator holds the item; it cannot go back.
HELD = "held"
NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class Decision:
    """What the adjudicator chose for one criterion, as read from the form or the API."""

    criterion_key: str
    outcome: str
    value: Any = None
    rationale: str = ""


def lease_holder(campaign_item: CampaignItem, *, now: datetime | None = None) -> AdjudicationLease | None:
    """The live lease on the item, if anyone holds one."""
    now = now or timezone.now()
    return (
        AdjudicationLease.objects.filter(campaign_item=campaign_item, expires_at__gt=now)
        .select_related("adjudicator")
        .first()
    )


@transaction.atomic
def adjudication_lease_take(
    *, campaign: Campaign, campaign_item: CampaignItem, adjudicator: AbstractBaseUser
) -> AdjudicationLease:
    """Hold the item for the adjudicator (or renew their hold); returns someone else's live lease unchanged."""
    now = timezone.now()
    # The item's row lock serialises two adjudicators opening the item at once (SQLite's write lock does too).
    CampaignItem.objects.select_for_update().filter(pk=campaign_item.pk).order_by().values_list("pk", flat=True).first()
    held = AdjudicationLease.objects.filter(campaign_item=campaign_item).first()
    if held is not None and held.adjudicator_id != adjudicator.pk and held.expires_at > now:
        return held
    lease, _ = AdjudicationLease.objects.update_or_create(
        campaign_item=campaign_item,
        defaults={
            "campaign": campaign,
            "adjudicator": adjudicator,
            "expires_at": now + timedelta(minutes=campaign.lease_minutes),
        },
    )
    return lease


def adjudication_lease_release(*, campaign_item: CampaignItem, adjudicator: AbstractBaseUser) -> None:
    """Give the item back, so another adjudicator may take it at once."""
    AdjudicationLease.objects.filter(campaign_item=campaign_item, adjudicator=adjudicator).delete()


def decisions_validate(
    criteria: list[Criterion], decisions: list[Decision], labels: dict[str, FinalLabel]
) -> dict[str, list[ValidationError]]:
    """Errors per criterion key (empty when every decision can be recorded); values are checked by their type.

    Each error's code names the part of the decision it concerns: criterion, outcome, value or rationale.
    """
    errors: dict[str, list[ValidationError]] = {}
    by_key = {c.key: c for c in criteria}
    for decision in decisions:
        criterion = by_key.get(decision.criterion_key)
        problem = _decision_problem(criterion, decision, labels.get(decision.criterion_key))
        if problem is not None:
            errors[decision.criterion_key] = [problem]
    return errors


def _decision_problem(
    criterion: Criterion | None, decision: Decision, label: FinalLabel | None
) -> ValidationError | None:
    if criterion is None:
        return ValidationError(
            f"{quoted(decision.criterion_key)} is not a criterion this campaign settles", code="criterion"
        )
    if decision.outcome not in OUTCOMES:
        return ValidationError(
            f"outcome: {quoted(decision.outcome)} is not one of {', '.join(sorted(OUTCOMES))}", code="outcome"
        )
    if len(decision.rationale) > MAX_RATIONALE_LENGTH:
        return ValidationError(
            f"rationale: at most {MAX_RATIONALE_LENGTH} characters, got {len(decision.rationale)}", code="rationale"
        )
    if decision.outcome == Adjudication.Outcome.AMBIGUOUS and not decision.rationale.strip():
        return ValidationError("say why the item is genuinely ambiguous: a rationale is required", code="rationale")
    if decision.outcome != Adjudication.Outcome.FINAL:
        return None
    if decision.value is None:
        return ValidationError("choose the final value", code="value")
    try:
        criterion.check(decision.value)
    except ValueError as error:
        return ValidationError(f"final value: {error}", code="value")
    agrees = label is not None and label.aggregate is not None and _same(label.aggregate, decision.value)
    if not agrees and not decision.rationale.strip():
        return ValidationError(
            "a final value that differs from the raters' aggregate needs a rationale", code="rationale"
        )
    return None


def _same(aggregate: Any, value: Any) -> bool:
    if isinstance(aggregate, list | tuple) and isinstance(value, list | tuple):
        return set(aggregate) == set(value)
    if isinstance(aggregate, float) or isinstance(value, float):
        return isinstance(value, int | float) and float(aggregate) == float(value)
    return type(aggregate) is type(value) and aggregate == value


@transaction.atomic
def adjudication_record(
    *,
    campaign: Campaign,
    campaign_item: CampaignItem,
    adjudicator: AbstractBaseUser,
    decisions: list[Decision],
    more_raters: int = 2,
) -> list[Adjudication]:
    """Record decisions on the item's criteria, superseding the current ones; all or none.

    The caller must hold the item (or nobody may): a decision on an item another adjudicator holds is refused.
    Sending back adds `more_raters` to the raters the item wants; a closed campaign cannot send items back.
    """
    now = timezone.now()
    lease = adjudication_lease_take(campaign=campaign, campaign_item=campaign_item, adjudicator=adjudicator)
    if lease.adjudicator_id != adjudicator.pk:
        raise ValidationError(
            f"{lease.adjudicator.get_username()} is adjudicating this item until "
            f"{timezone.localtime(lease.expires_at):%H:%M}; nothing was recorded.",
            code=HELD,
        )
    if not decisions:
        raise ValidationError("Choose a decision for at least one criterion; nothing was recorded.", code="required")
    criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
    seen_ratings = _seen_ratings(campaign, campaign_item)
    first_time = {campaign_item.pk: [values for _, _, values in seen_ratings]}
    estimates = estimates_for_pages(campaign)
    labels = final_labels(campaign, [campaign_item.pk], estimates=estimates, ratings=first_time)[campaign_item.pk]
    errors = decisions_validate(criteria, decisions, labels)
    sends_back = any(d.outcome == Adjudication.Outcome.SEND_BACK for d in decisions)
    if sends_back:
        errors.update(_send_back_problems(campaign, campaign_item, more_raters))
    if errors:
        raise ValidationError(errors)
    by_key = {c.key: c for c in criteria}
    recorded = []
    for decision in decisions:
        criterion = by_key[decision.criterion_key]
        value = criterion.check(decision.value) if decision.outcome == Adjudication.Outcome.FINAL else None
        Adjudication.objects.filter(
            campaign_item=campaign_item, criterion_key=decision.criterion_key, is_current=True
        ).update(is_current=False)
        label = labels[decision.criterion_key]
        seen = {
            "ratings": [[pk, name, values.get(decision.criterion_key)] for pk, name, values in seen_ratings],
            "aggregate": plain_value(label.aggregate),
            "method": label.aggregate_method,
        }
        recorded.append(
            Adjudication.objects.create(
                campaign=campaign,
                campaign_item=campaign_item,
                criterion_key=decision.criterion_key,
                outcome=decision.outcome,
                value=value,
                rationale=decision.rationale.strip(),
                decided_by=adjudicator,
                decided_at=now,
                seen=seen,
            )
        )
    if sends_back:
        CampaignItem.objects.filter(pk=campaign_item.pk).update(extra_overlap=F("extra_overlap") + more_raters)
    adjudication_lease_release(campaign_item=campaign_item, adjudicator=adjudicator)
    return recorded


def _send_back_problems(
    campaign: Campaign, campaign_item: CampaignItem, more_raters: int
) -> dict[str, list[ValidationError]]:
    """What stops the item going back for `more_raters` more raters; the code says whether the number is at fault
    ("more_raters") or the item cannot go back at all ("not_allowed")."""
    if campaign.status not in (Campaign.Status.ACTIVE, Campaign.Status.PAUSED):
        status = campaign.get_status_display().lower()
        message = f"The campaign is {status}: no rater can take the item, so it cannot be sent back."
        return {"more_raters": [ValidationError(message, code=NOT_ALLOWED)]}
    if campaign_item.is_gold:
        message = "A gold item is shown to every rater already; it cannot be sent back."
        return {"more_raters": [ValidationError(message, code=NOT_ALLOWED)]}
    room = MAX_EXTRA_OVERLAP - campaign_item.extra_overlap
    if isinstance(more_raters, bool) or not isinstance(more_raters, int) or not 1 <= more_raters <= max(room, 0):
        if room <= 0:
            message = f"This item was already sent back for {MAX_EXTRA_OVERLAP} more raters."
            return {"more_raters": [ValidationError(message, code=NOT_ALLOWED)]}
        message = f"more raters: a whole number from 1 to {room}, got {quoted(more_raters)}"
        return {"more_raters": [ValidationError(message, code="more_raters")]}
    return {}


def _seen_ratings(campaign: Campaign, campaign_item: CampaignItem) -> list[tuple[int, str, dict]]:
    rows = campaign_ratings(campaign).filter(campaign_item=campaign_item, is_repeat=False).order_by("id")
    return [
        (pk, rater_pseudonym(campaign, rater), values or {})
        for pk, rater, values in rows.values_list("pk", "rater_id", "values")
    ]


@transaction.atomic
def adjudication_send(
    *, campaign: Campaign, campaign_item: CampaignItem, user: AbstractBaseUser, note: str = ""
) -> AdjudicationRequest:
    """Put an item in the adjudication queue, saying why."""
    note = note.strip()
    if len(note) > MAX_RATIONALE_LENGTH:
        raise ValidationError({"note": f"note: at most {MAX_RATIONALE_LENGTH} characters, got {len(note)}"})
    return AdjudicationRequest.objects.create(
        campaign=campaign, campaign_item=campaign_item, note=note, sent_by=user, sent_at=timezone.now()
    )
