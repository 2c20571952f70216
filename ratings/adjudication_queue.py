"""The adjudication queue: which items need an adjudicator, and why.

An item enters for one of five reasons: on a criterion its raters disagree at least as much as the campaign's
threshold, or a rater missed a gold answer on it (both name the criterion); a rater flagged it, a rater skipped
it, or an owner or adjudicator sent it (these concern the whole item). A criterion's reason is settled by a
decision on that criterion made after the item's latest rating; an item's reason by decisions on every
criterion made after it happened. A decision to send the item back settles until new ratings arrive.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from annotate.criteria import Criterion
from annotate.models import Assignment, Campaign, CampaignItem
from ratings.agreement_diagnostics import item_disagreement
from ratings.final_labels import FinalLabel, aggregated_criteria, disagreement_threshold
from ratings.models import Adjudication, AdjudicationLease, AdjudicationRequest
from ratings.progress import gold_value_matches
from ratings.selectors import ALPHA_COLUMNS, campaign_ratings, ratings_fingerprint, ratings_frame

DISAGREEMENT = "disagreement"
GOLD_MISSED = "gold_missed"
FLAGGED = "flagged"
SKIPPED = "skipped"
SENT = "sent"
# Every reason, in the order the queue page lists them, with how it reads there.
REASONS = {
    DISAGREEMENT: "Raters disagree",
    GOLD_MISSED: "Gold answer missed",
    FLAGGED: "Flagged by a rater",
    SKIPPED: "Skipped by a rater",
    SENT: "Sent for adjudication",
}
CRITERION_REASONS = frozenset({DISAGREEMENT, GOLD_MISSED})
# An instant before any decision, for items that never had a rating.
NEVER = datetime.min.replace(tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class Reason:
    """Why an item is in the queue: the kind, the criterion it concerns ("" for the whole item), a detail."""

    kind: str
    criterion_key: str = ""
    detail: str = ""
    # When it happened: the item's latest rating for criterion reasons, the flag, skip or request otherwise.
    at: datetime = NEVER
    # How far past the threshold the disagreement is (disagreement / threshold), for sorting.
    score: float = 0.0

    @property
    def label(self) -> str:
        """How the queue names the reason."""
        return REASONS[self.kind]


@dataclass
class QueueEntry:
    """An item waiting for an adjudicator, with every open reason."""

    campaign_item_id: int
    reasons: list[Reason] = field(default_factory=list)
    external_id: str = ""
    held_by: int | None = None

    @property
    def score(self) -> float:
        """The largest disagreement relative to its threshold (0 when no criterion disagrees)."""
        return max((r.score for r in self.reasons), default=0.0)

    @property
    def criterion_keys(self) -> list[str]:
        """The criteria its reasons name, in first-seen order."""
        return list(dict.fromkeys(r.criterion_key for r in self.reasons if r.criterion_key))

    @property
    def kinds(self) -> list[str]:
        """Its reasons' kinds, in the queue page's order."""
        present = {r.kind for r in self.reasons}
        return [kind for kind in REASONS if kind in present]


def disagreement_reasons(campaign: Campaign, criteria: Iterable[Criterion]) -> dict[int, list[Reason]]:
    """Items whose raters disagree on a criterion at least as much as its threshold (two ratings or more)."""
    out: dict[int, list[Reason]] = defaultdict(list)
    for criterion in criteria:
        threshold = disagreement_threshold(campaign, criterion)
        if threshold is None:
            continue
        frame = ratings_frame(campaign, criterion.key, criterion=criterion, columns=ALPHA_COLUMNS)
        if frame.empty:
            continue
        table = item_disagreement(frame, criterion.agreement_level, criterion.agreement_domain)
        measure = "entropy" if criterion.agreement_level == "nominal" else "std"
        table = table[(table["n_ratings"] >= 2) & (table[measure] >= threshold - 1e-9)]
        for item_id, value in table[measure].items():
            out[int(item_id)].append(_disagreement_reason(criterion.key, float(value), threshold))
    return out


def _disagreement_reason(key: str, value: float, threshold: float) -> Reason:
    score = value / threshold if threshold > 0 else value + 1.0
    return Reason(DISAGREEMENT, key, f"{value:.2f} (threshold {threshold:g})", score=score)


def item_entry(
    campaign: Campaign, campaign_item: CampaignItem, labels: dict[str, FinalLabel], latest_rating: datetime | None
) -> QueueEntry | None:
    """One item's queue entry (its open reasons), or None when it is not waiting: read for that item alone.

    `labels` are its final labels (ratings.final_labels: their disagreement is the queue's measure, their
    adjudication the current decision) and `latest_rating` when its ratings last changed, as the page has them.
    """
    criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
    reasons: list[Reason] = []
    for criterion in criteria:
        threshold = disagreement_threshold(campaign, criterion)
        value = labels[criterion.key].disagreement
        if threshold is not None and value is not None and value >= threshold - 1e-9:
            reasons.append(_disagreement_reason(criterion.key, value, threshold))
    pk = campaign_item.pk
    sources = [rater_reasons(campaign, pk), sent_reasons(campaign, pk)]
    if campaign_item.is_gold:
        sources.append(gold_reasons(campaign, criteria, pk))
    for source in sources:
        reasons.extend(source.get(pk, []))
    if not reasons:
        return None
    decisions = {key: label.adjudication.decided_at for key, label in labels.items() if label.adjudication is not None}
    keys = [c.key for c in criteria]
    entries = _open_entries(campaign, {pk: reasons}, keys, {pk: latest_rating or NEVER}, {pk: decisions})
    return entries[0] if entries else None


def gold_reasons(
    campaign: Campaign, criteria: Iterable[Criterion], item_id: int | None = None
) -> dict[int, list[Reason]]:
    """Gold items on which a rater's first answer missed the expected one, per criterion."""
    by_key = {c.key: c for c in criteria if c.has_gold}
    out: dict[int, list[Reason]] = defaultdict(list)
    rows = campaign_ratings(campaign).filter(campaign_item__is_gold=True, is_repeat=False)
    if item_id is not None:
        rows = rows.filter(campaign_item_id=item_id)
    rows = rows.values_list("campaign_item_id", "campaign_item__gold_answer", "values")
    missed: dict[tuple[int, str], int] = defaultdict(int)
    for item_id, expected, given in rows:
        for key, value in (expected or {}).items() if isinstance(expected, dict) else ():
            criterion = by_key.get(key)
            if criterion is not None and value is not None:
                if not gold_value_matches(criterion, value, (given or {}).get(key)):
                    missed[(item_id, key)] += 1
    for (item_id, key), n in missed.items():
        out[item_id].append(Reason(GOLD_MISSED, key, f"{n} rater{'s' if n != 1 else ''} missed it"))
    return out


def flags_and_skips(campaign: Campaign) -> QuerySet[Assignment]:
    """The campaign's assignments a rater flagged or skipped: what the queue, its cache key and the flags page read."""
    return Assignment.objects.filter(Q(flag__gt="") | Q(status=Assignment.Status.SKIPPED), campaign=campaign)


def rater_reasons(campaign: Campaign, item_id: int | None = None) -> dict[int, list[Reason]]:
    """Items raters flagged or skipped, with the flag and its note or the reason given for skipping."""
    out: dict[int, list[Reason]] = defaultdict(list)
    labels = dict(Assignment.Flag.choices)
    rows = flags_and_skips(campaign)
    if item_id is not None:
        rows = rows.filter(campaign_item_id=item_id)
    rows = rows.values_list(
        "campaign_item_id", "flag", "flag_note", "status", "skip_reason", "submitted_at", "leased_at"
    )
    for item_id, flag, note, status, skip_reason, submitted_at, leased_at in rows:
        at = submitted_at or leased_at
        if flag:
            detail = labels.get(flag, flag) + (f": {note}" if note else "")
            out[item_id].append(Reason(FLAGGED, "", detail, at=at))
        elif status == Assignment.Status.SKIPPED:
            out[item_id].append(Reason(SKIPPED, "", skip_reason, at=at))
    return out


def sent_reasons(campaign: Campaign, item_id: int | None = None) -> dict[int, list[Reason]]:
    """Items an owner or adjudicator sent for adjudication, with their note."""
    out: dict[int, list[Reason]] = defaultdict(list)
    rows = AdjudicationRequest.objects.filter(campaign=campaign)
    if item_id is not None:
        rows = rows.filter(campaign_item_id=item_id)
    rows = rows.values_list("campaign_item_id", "note", "sent_by__username", "sent_at")
    for item_id, note, who, at in rows:
        out[item_id].append(Reason(SENT, "", f"{who}: {note}" if note else f"by {who}", at=at))
    return out


def _latest_ratings(campaign: Campaign, item_ids: list[int]) -> dict[int, datetime]:
    rows = (
        campaign_ratings(campaign)
        .filter(campaign_item_id__in=item_ids)
        .order_by()
        .values("campaign_item_id")
        .annotate(last=Max("updated_at"))
        .values_list("campaign_item_id", "last")
    )
    return dict(rows)


def _decisions(campaign: Campaign, item_ids: list[int]) -> dict[int, dict[str, datetime]]:
    """When each (item, criterion) of these items was last decided."""
    wanted = set(item_ids)
    out: dict[int, dict[str, datetime]] = defaultdict(dict)
    # The campaign's current decisions in one index range, rather than a list of thousands of waiting items.
    rows = Adjudication.objects.filter(campaign=campaign, is_current=True).values_list(
        "campaign_item_id", "criterion_key", "decided_at"
    )
    for item_id, key, decided_at in rows:
        if item_id in wanted:
            out[item_id][key] = decided_at
    return out


def _is_open(reason: Reason, decided: dict[str, datetime], keys: list[str], latest: datetime) -> bool:
    if reason.kind in CRITERION_REASONS:
        when = decided.get(reason.criterion_key)
        return when is None or when < latest
    return any(decided.get(key) is None or decided[key] < reason.at for key in keys)


def adjudication_queue(campaign: Campaign, *, now: datetime | None = None) -> list[QueueEntry]:
    """Every item waiting for an adjudicator, most disputed first (relative to each criterion's threshold).

    Entries carry who holds them; their external ids are read only for the entries a page shows (named()).
    """
    criteria = aggregated_criteria(campaign.rubric_version.typed_criteria)
    found, latest = _reasons(campaign, criteria)
    if not found:
        return []
    entries = _open_entries(campaign, found, [c.key for c in criteria], latest)
    _mark_held(campaign, entries, now or timezone.now())
    entries.sort(key=lambda e: (-e.score, e.campaign_item_id))
    return entries


# How long the campaign-wide reasons stay cached for one state of their inputs (every input is in the key).
REASONS_CACHE_SECONDS = 3600


def _reasons(campaign: Campaign, criteria: list[Criterion]) -> tuple[dict[int, list[Reason]], dict[int, datetime]]:
    """Every item's reasons and when its ratings last changed, cached for the state of what they are read from.

    Reading them takes the whole campaign's labels (0.8 s at 300,000 ratings, benchmarks/adjudication.py), and
    an adjudicator asks for the next item after every decision: decisions, which do not change them, are
    applied afterwards (_open_entries).
    """
    key = f"accord:adjudication-reasons:{_reasons_fingerprint(campaign)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    found: dict[int, list[Reason]] = defaultdict(list)
    for source in (
        disagreement_reasons(campaign, criteria),
        gold_reasons(campaign, criteria),
        rater_reasons(campaign),
        sent_reasons(campaign),
    ):
        for item_id, reasons in source.items():
            found[item_id].extend(reasons)
    result = (dict(found), _latest_ratings(campaign, list(found)) if found else {})
    cache.set(key, result, REASONS_CACHE_SECONDS)
    return result


def _reasons_fingerprint(campaign: Campaign) -> str:
    """Changes whenever anything the reasons are read from changes: ratings, flags and skips, requests, gold
    answers, thresholds, the rubric version."""
    flags = flags_and_skips(campaign)
    flag_state = flags.aggregate(n=Count("id"), top=Max("id"), last=Max("submitted_at"), leased=Max("leased_at"))
    sent = AdjudicationRequest.objects.filter(campaign=campaign).aggregate(
        n=Count("id"), top=Max("id"), at=Max("sent_at")
    )
    gold = CampaignItem.objects.filter(campaign=campaign, is_gold=True).order_by("pk").values_list("pk", "gold_answer")
    parts = [
        campaign.pk,
        campaign.rubric_version_id,
        orjson.dumps(campaign.adjudication_thresholds or {}, option=orjson.OPT_SORT_KEYS).decode(),
        ratings_fingerprint(campaign),
        f"{flag_state['n']}-{flag_state['top']}-{flag_state['last']}-{flag_state['leased']}",
        f"{sent['n']}-{sent['top']}-{sent['at']}",
        hashlib.sha256(orjson.dumps(list(gold))).hexdigest(),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _open_entries(
    campaign: Campaign,
    found: dict[int, list[Reason]],
    keys: list[str],
    latest: dict[int, datetime] | None = None,
    decisions: dict[int, dict[str, datetime]] | None = None,
) -> list[QueueEntry]:
    """Entries for the items whose reasons are not all settled by later decisions (read unless given)."""
    item_ids = list(found)
    latest = _latest_ratings(campaign, item_ids) if latest is None else latest
    decisions = _decisions(campaign, item_ids) if decisions is None else decisions
    entries = []
    for item_id, reasons in found.items():
        last = latest.get(item_id, NEVER)
        open_reasons = [
            Reason(r.kind, r.criterion_key, r.detail, last, r.score) if r.kind in CRITERION_REASONS else r
            for r in reasons
            if _is_open(r, decisions.get(item_id, {}), keys, last)
        ]
        if open_reasons:
            entries.append(QueueEntry(item_id, open_reasons))
    return entries


def _mark_held(campaign: Campaign, entries: list[QueueEntry], now: datetime) -> None:
    # Live leases are few (one per adjudicator at work): read them all rather than probe per entry.
    held = dict(
        AdjudicationLease.objects.filter(campaign=campaign, expires_at__gt=now).values_list(
            "campaign_item_id", "adjudicator_id"
        )
    )
    for entry in entries:
        entry.held_by = held.get(entry.campaign_item_id)


def named(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The entries with their items' external ids filled in (for the ones a page shows)."""
    entries = list(entries)
    ids = [e.campaign_item_id for e in entries]
    external = dict(CampaignItem.objects.filter(pk__in=ids).order_by().values_list("pk", "item__external_id"))
    for entry in entries:
        entry.external_id = external.get(entry.campaign_item_id, "")
    return entries


def queue_filtered(entries: list[QueueEntry], *, reason: str = "", criterion_key: str = "") -> list[QueueEntry]:
    """The entries with an open reason of this kind and/or on this criterion."""

    def keep(entry: QueueEntry) -> bool:
        return any(
            (not reason or r.kind == reason) and (not criterion_key or r.criterion_key == criterion_key)
            for r in entry.reasons
        )

    return [e for e in entries if keep(e)] if reason or criterion_key else entries


@dataclass(frozen=True)
class QueueCounts:
    """How many items wait, per reason and per criterion."""

    total: int
    by_reason: dict[str, int]
    by_criterion: dict[str, int]


def queue_counts(entries: list[QueueEntry]) -> QueueCounts:
    """Items per reason and per criterion (an item counts once under each of its reasons and criteria)."""
    by_reason: dict[str, int] = {kind: 0 for kind in REASONS}
    by_criterion: dict[str, int] = defaultdict(int)
    for entry in entries:
        for kind in entry.kinds:
            by_reason[kind] += 1
        for key in entry.criterion_keys:
            by_criterion[key] += 1
    return QueueCounts(len(entries), by_reason, dict(by_criterion))


def queue_next(entries: list[QueueEntry], *, adjudicator_id: int, after: int | None = None) -> QueueEntry | None:
    """The first entry nobody else holds (after the given item, then from the top)."""
    free = [e for e in entries if e.held_by in (None, adjudicator_id)]
    if after is not None:
        ids = [e.campaign_item_id for e in entries]
        if after in ids:
            position = ids.index(after)
            later = [e for e in free if ids.index(e.campaign_item_id) > position]
            if later:
                return later[0]
    return next((e for e in free if e.campaign_item_id != after), None)
