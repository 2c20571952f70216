"""A campaign's progress and its raters' work: items complete against k, ratings per rater, time and gold accuracy."""

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Q

from annotate.criteria import Criterion, as_criteria
from annotate.models import Campaign, CampaignItem, Membership
from ratings.models import Rating


@dataclass(frozen=True)
class CampaignProgress:
    """How far a campaign has come: items by number of ratings against the overlap k."""

    n_items: int
    n_ratings: int
    complete: int
    in_progress: int
    pending: int

    @property
    def percent_complete(self) -> int:
        """Share of items with k ratings, rounded down to a whole percent."""
        return (100 * self.complete // self.n_items) if self.n_items else 0


@dataclass(frozen=True)
class RaterCount:
    """One rater's number of submitted ratings in a campaign."""

    username: str
    n_ratings: int
    is_member: bool


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    """Count non-gold items complete (≥k ratings), in progress (1..k-1) and pending (none), and their ratings."""
    # Gold items are checks every rater gets, not data to complete: they are left out of every count here.
    # Machine raters' labels too, as the queue leaves them out of an item's k slots: an item is complete when
    # k people rated it, whether or not the owner counts machine raters in the statistics.
    n_items = CampaignItem.objects.filter(campaign=campaign, is_gold=False).count()
    ratings = Rating.objects.filter(campaign_item__campaign=campaign, campaign_item__is_gold=False, by_machine=False)
    # Test-retest repeats are extra ratings by the same rater; they don't bring an item closer to k.
    per_item = ratings.filter(is_repeat=False).order_by().values("campaign_item").annotate(n=Count("id"))
    complete = per_item.filter(n__gte=campaign.overlap).count()
    rated = per_item.count()
    return CampaignProgress(
        n_items=n_items,
        n_ratings=ratings.count(),
        complete=complete,
        in_progress=rated - complete,
        pending=n_items - rated,
    )


def rater_counts(campaign: Campaign) -> list[RaterCount]:
    """Ratings per rater: every rater member (even with none) plus anyone else who has rated (machine raters
    have their own list, see annotate.MachineRater)."""
    counts = dict(
        Rating.objects.filter(campaign_item__campaign=campaign, by_machine=False)
        .order_by()
        .values("rater__username")
        .annotate(n=Count("id"))
        .values_list("rater__username", "n")
    )
    members = set(Membership.objects.filter(campaign=campaign, rates=True).values_list("user__username", flat=True))
    return [
        RaterCount(username=name, n_ratings=counts.get(name, 0), is_member=name in members)
        for name in sorted(members | set(counts))
    ]


# One range of the (campaign, rater) index, not a join per rating: the rating page shows this count with
# every item, and a rater may hold thousands of ratings in a campaign.
_RATER_RATING_COUNT = "SELECT COUNT(*) FROM ratings_rating WHERE campaign_id = %s AND rater_id = %s"


def rater_rating_count(campaign: Campaign, user: AbstractBaseUser) -> int:
    """How many ratings this user has submitted in the campaign."""
    with connection.cursor() as cursor:
        cursor.execute(_RATER_RATING_COUNT, [campaign.pk, user.pk])
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class RaterStats:
    """One rater's work in a campaign: ratings, median time per item and, for owners, gold accuracy.

    n_ratings counts every rating (gold checks and repeats included). The gold fields are None when the
    caller may not see them; gold_answers is how many expected values the accuracy rests on.
    """

    username: str
    is_member: bool
    n_ratings: int
    n_repeats: int
    median_seconds: float | None
    n_gold: int | None = None
    gold_answers: int | None = None
    gold_correct: int | None = None

    @property
    def gold_accuracy(self) -> float | None:
        """Share of expected values the rater matched, as a percentage; None without any to compare."""
        if not self.gold_answers:
            return None
        return 100 * (self.gold_correct or 0) / self.gold_answers


def gold_value_matches(criterion: Criterion | Mapping[str, Any], expected: Any, given: Any) -> bool:
    """Whether an answer counts as the expected one: exact, or as the criterion's type compares (a numeric step)."""
    if given is None:
        return False
    return as_criteria([criterion])[0].matches(expected, given)


def gold_score(criteria: Iterable[Criterion | Mapping[str, Any]], expected: Any, given: Any) -> tuple[int, int]:
    """(expected values compared, values matched) for one rating of a gold item."""
    if not isinstance(expected, dict):
        return 0, 0
    given = given if isinstance(given, dict) else {}
    by_key = {c.key: c for c in as_criteria(criteria)}
    compared = correct = 0
    for key, value in expected.items():
        criterion = by_key.get(key)
        if criterion is None or not criterion.has_gold or value is None:
            continue
        compared += 1
        correct += gold_value_matches(criterion, value, given.get(key))
    return compared, correct


def rater_stats(campaign: Campaign, *, include_gold: bool = True) -> list[RaterStats]:
    """Per rater (every rater member plus anyone who rated): ratings, repeats, median seconds, gold accuracy.

    Three bulk reads: counts grouped in SQL, the seconds column, and the (few) ratings of gold items.
    """
    # People's work: machine raters are listed apart, with their provenance (annotate.MachineRater).
    ratings = Rating.objects.filter(campaign_item__campaign=campaign, by_machine=False).order_by()
    counts = {
        row["rater__username"]: row
        for row in ratings.values("rater__username").annotate(
            n=Count("id"),
            n_repeats=Count("id", filter=Q(is_repeat=True)),
            n_gold=Count("id", filter=Q(is_repeat=False, campaign_item__is_gold=True)),
        )
    }
    seconds: dict[str, list[float]] = defaultdict(list)
    for name, spent in ratings.filter(seconds_spent__isnull=False).values_list("rater__username", "seconds_spent"):
        seconds[name].append(spent)
    scores: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if include_gold:
        criteria = campaign.rubric_version.typed_criteria
        gold = ratings.filter(is_repeat=False, campaign_item__is_gold=True)
        for name, expected, given in gold.values_list("rater__username", "campaign_item__gold_answer", "values"):
            compared, correct = gold_score(criteria, expected, given)
            scores[name][0] += compared
            scores[name][1] += correct
    members = set(Membership.objects.filter(campaign=campaign, rates=True).values_list("user__username", flat=True))
    stats = []
    for name in sorted(members | set(counts)):
        row = counts.get(name, {})
        gold_fields = {}
        if include_gold:
            gold_fields = {
                "n_gold": row.get("n_gold", 0),
                "gold_answers": scores[name][0],
                "gold_correct": scores[name][1],
            }
        stats.append(
            RaterStats(
                username=name,
                is_member=name in members,
                n_ratings=row.get("n", 0),
                n_repeats=row.get("n_repeats", 0),
                median_seconds=statistics.median(seconds[name]) if seconds[name] else None,
                **gold_fields,
            )
        )
    return stats
