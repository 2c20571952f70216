"""Long rating histories written in bulk, as the queue would have served them, for the rating benchmarks.

A rater's history is a sequence of submitted assignments with their ratings: first-time data items, gold
checks whenever the rater's share of gold is below the campaign's gold rate, and repeats (at least
REPEAT_DISTANCE submissions after the first rating) whenever their share is below the repeat rate, the mix
the queue makes. Data items go to raters `overlap` at a time in the campaign's order, so the histories of a
team fill items completely, as a campaign's past does; a lone rater's items keep one rating each.
"""

import random
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

BATCH = 5000


def _gold_order(campaign, rater, gold: list[tuple[int, int]]) -> list[int]:
    """The gold items in the order the queue hands them to this rater (see gold_start)."""
    from ratings.queue_selectors import gold_start, order_key_span

    start = gold_start(campaign, rater, order_key_span(campaign))
    return [pk for pk, _ in sorted(gold, key=lambda pair: (pair[1] < start, pair[1]))]


def _sequence(
    *, n: int, data: list[int], gold: list[int], gold_rate: float, repeat_rate: float, rng: random.Random
) -> list[tuple[int, bool, bool]]:
    """(campaign item id, is_gold, is_repeat) for n submissions, mixed as the queue mixes them."""
    from ratings.queue_selectors import REPEAT_DISTANCE, QueueCounts

    served: list[tuple[int, bool, bool]] = []
    n_first = n_gold = n_repeats = n_since = 0
    repeatable: list[int] = []
    data_iter, gold_iter = iter(data), iter(gold)
    while len(served) < n:
        counts = QueueCounts(
            n_first=n_first, n_gold=n_gold, n_submitted=len(served), n_repeats=n_repeats, n_since_repeat=n_since
        )
        old_enough = len(repeatable) - REPEAT_DISTANCE
        if counts.repeat_due(repeat_rate) and old_enough > 0:
            pk = repeatable.pop(rng.randrange(old_enough))
            served.append((pk, False, True))
            n_repeats, n_since = n_repeats + 1, 0
            continue
        pick = next(gold_iter, None) if counts.gold_due(gold_rate) else None
        if pick is not None:
            served.append((pick, True, False))
            n_gold += 1
        else:
            pick = next(data_iter, None)
            if pick is None:
                break
            served.append((pick, False, False))
            repeatable.append(pick)
        n_first, n_since = n_first + 1, n_since + 1
    return served


def write_histories(*, campaign, raters: list, per_rater: int, values: dict, seed: int = 7) -> int:
    """Give each rater `per_rater` submitted ratings in the campaign; return how many ratings were written."""
    from annotate.models import Assignment, CampaignItem
    from ratings.models import Rating
    from ratings.queue import campaign_items_recount, queue_state_rebuild
    from ratings.queue_selectors import queue_state_locked

    rng = random.Random(seed)
    items = CampaignItem.objects.filter(campaign=campaign).order_by("order_key")
    items = items.values_list("pk", "order_key", "is_gold")
    data = [pk for pk, _, is_gold in items if not is_gold]
    gold = [(pk, key) for pk, key, is_gold in items if is_gold]
    # Data item j goes to raters j·o … j·o + o − 1 (mod the team): each is rated by `overlap` raters.
    per_item = min(campaign.overlap, len(raters))
    shares: dict[int, list[int]] = {r.pk: [] for r in raters}
    needed = per_rater * len(raters) // per_item + per_item
    for j, pk in enumerate(data[:needed]):
        for t in range(per_item):
            shares[raters[(j * per_item + t) % len(raters)].pk].append(pk)
    end = timezone.now() - timedelta(hours=1)
    written = 0
    for rater in raters:
        sequence = _sequence(
            n=per_rater,
            data=shares[rater.pk],
            gold=_gold_order(campaign, rater, gold),
            gold_rate=campaign.gold_rate,
            repeat_rate=campaign.repeat_rate,
            rng=rng,
        )
        for start in range(0, len(sequence), BATCH):
            chunk = sequence[start : start + BATCH]
            moments = [end - timedelta(seconds=10 * (len(sequence) - start - i)) for i in range(len(chunk))]
            with transaction.atomic():
                Assignment.objects.bulk_create(
                    Assignment(
                        campaign_item_id=pk,
                        campaign_id=campaign.pk,
                        rater=rater,
                        status=Assignment.Status.SUBMITTED,
                        leased_at=moment,
                        expires_at=moment + timedelta(minutes=30),
                        submitted_at=moment,
                        is_repeat=is_repeat,
                    )
                    for (pk, _, is_repeat), moment in zip(chunk, moments, strict=True)
                )
                Rating.objects.bulk_create(
                    Rating.in_campaign(
                        campaign,
                        campaign_item_id=pk,
                        rater=rater,
                        values=values,
                        is_repeat=is_repeat,
                    )
                    for pk, _, is_repeat in chunk
                )
            written += len(chunk)
    campaign_items_recount(campaign=campaign)
    # What a rater's first request after a bulk load would do, done here so that no measured request does it.
    for rater in raters:
        with transaction.atomic():
            state = queue_state_locked(campaign=campaign, rater=rater)
            queue_state_rebuild(campaign=campaign, rater=rater, state=state)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return written
