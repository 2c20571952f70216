"""One item as adjudication shows it: its raters' first-time labels, final labels, open reasons, decisions, flags.

The adjudication page and the API read an item through adjudication_item_read, so both show the same labels,
the same final labels and the same reasons; each then names raters as the caller may see them (rater_names).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from annotate.criteria import Criterion
from annotate.models import Assignment, Campaign, CampaignItem
from ratings import adjudication_queue as queue
from ratings.final_labels import FinalLabel, aggregated_criteria, estimates_for_pages, final_labels
from ratings.models import Adjudication, Rating
from ratings.pseudonyms import rater_pseudonym
from ratings.selectors import campaign_ratings


@dataclass(frozen=True)
class AdjudicationItem:
    """What an adjudicator reads about one campaign item."""

    campaign_item: CampaignItem
    # The criteria that get a final label, in rubric order; free-text ones are shown beside them, unaggregated.
    criteria: list[Criterion]
    free_text: list[Criterion]
    # First-time ratings (repeats are a rater's second look, not another rater), oldest first, with their raters.
    ratings: list[Rating]
    labels: dict[str, FinalLabel]
    # Its open reasons in the queue, or None when it is not waiting.
    entry: queue.QueueEntry | None
    # Every decision per criterion key, newest first (the current one, then those it superseded).
    history: dict[str, list[Adjudication]]
    # Its flags and skips, each with its rater's pseudonym.
    flags: list[Assignment]


def adjudication_item_read(campaign: Campaign, campaign_item: CampaignItem) -> AdjudicationItem:
    """The item's labels side by side, final labels, queue entry, decisions and flags."""
    rubric_criteria = campaign.rubric_version.typed_criteria
    criteria = aggregated_criteria(rubric_criteria)
    # Repeats count for when the item's ratings last changed; adjudication shows first-time ratings only.
    all_ratings = list(
        campaign_ratings(campaign).filter(campaign_item=campaign_item).select_related("rater").order_by("id")
    )
    ratings = [r for r in all_ratings if not r.is_repeat]
    first_time = {campaign_item.pk: [r.values or {} for r in ratings]}
    estimates = estimates_for_pages(campaign)
    labels = final_labels(campaign, [campaign_item.pk], estimates=estimates, ratings=first_time)[campaign_item.pk]
    latest = max((r.updated_at for r in all_ratings), default=None)
    history: dict[str, list[Adjudication]] = {}
    for decision in Adjudication.objects.filter(campaign_item=campaign_item).select_related("decided_by"):
        history.setdefault(decision.criterion_key, []).append(decision)
    return AdjudicationItem(
        campaign_item=campaign_item,
        criteria=criteria,
        free_text=[c for c in rubric_criteria if not c.has_agreement],
        ratings=ratings,
        labels=labels,
        entry=queue.item_entry(campaign, campaign_item, labels, latest),
        history={
            key: sorted(decisions, key=lambda d: (d.decided_at, d.pk), reverse=True)
            for key, decisions in history.items()
        },
        flags=with_pseudonyms(campaign, queue.flags_and_skips(campaign).filter(campaign_item=campaign_item)),
    )


def rater_names(campaign: Campaign, ratings: Iterable[Rating], *, reveal: bool) -> list[str]:
    """Each rating's rater as adjudication names them: a pseudonym, or the username where an owner asked."""
    return [r.rater.get_username() if reveal else rater_pseudonym(campaign, r.rater_id) for r in ratings]


def with_pseudonyms(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Assignment]:
    """The assignments, each with its rater's pseudonym."""
    rows = list(assignments)
    for assignment in rows:
        assignment.pseudonym = rater_pseudonym(campaign, assignment.rater_id)
    return rows
