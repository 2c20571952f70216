"""Preference pairs for training: one JSONL row per pairwise item, the chosen and the rejected response.

The rows have the shape DPO and reward-model trainers read (prompt, chosen, rejected), plus how strongly and how
unanimously the raters preferred the chosen response and where the decision came from. Rules, per item and one
pairwise criterion:

- Votes are the item's first-time ratings by the campaign's pool (people; machine raters only where the owner
  counts them in the pool: ratings.selectors.campaign_ratings), the same ratings its final label rests on. A
  vote is on side A ("A", or a negative strength), side B ("B", or a positive strength) or a tie ("tie", 0).
  Stored answers are always in the dataset's A/B terms, whichever response a rater saw on the left.
- The winner is the side of the item's final label (ratings.final_labels): an adjudicator's value where one
  decided, else the campaign's aggregate (majority vote, Dawid–Skene, or the mean of an interval-level graded
  criterion). Where the final label is a tie for want of a majority on the exact answer (graded votes -1 and
  -2), the side with the most votes wins, label_source "side_majority"; when the sides tie too, the item is a tie.
- Ties (a final label of tie or 0, or no majority on either side) and items an adjudicator marked genuinely
  ambiguous are left out unless asked for. Such a row states no preference: "tie" is true and chosen/rejected
  hold A and B in that order. Items with no votes and no adjudicated value, and items missing either
  response's text, are always left out. Every item left out is counted by reason (PreferenceTally).
- margin: the mean over the votes of each vote's signed strength toward the chosen side: +s for a vote for
  the chosen side with strength s, -s for one for the rejected side, 0 for a tie vote. A plain A/tie/B vote
  has strength 1, so there the margin is the share of votes for the chosen side minus the share for the
  rejected side (from -1 to 1); on a graded criterion it runs from -strength to +strength. It is negative
  where an adjudicator overruled the raters, and null for an item without votes.
- agreement: the share of the item's votes that agree with the row's outcome: for the chosen side, or for a
  tie on a tie row; null on an ambiguous row and for an item without votes.
- prompt: the item's one content field besides the two compared ones (raters' visible fields first, in the
  campaign's display order); with several, the export names them and one must be picked (prompt_field).
- system_chosen / system_rejected: the item's metadata "<F>_a" / "<F>_b" for the side, where F is the
  campaign's system field or, when that is empty, a base both fields exist for in the dataset ("model", then
  "system", then the first in metadata order); null when absent.

PREFERENCE_COLUMNS lists the columns in order with what each holds, as the export page shows them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from annotate.content import content_display_order
from annotate.criteria import Criterion
from annotate.criteria.base import is_number
from annotate.models import Campaign, CampaignItem
from ratings.export_encoders import (
    ENCODERS,
    PAIR_SCOPE,
    Chunk,
    Column,
    ExportError,
    ExportSpec,
)
from ratings.final_labels import AMBIGUOUS, FinalLabel, final_labels_chunks, plain_value
from ratings.leaderboard_report import system_field_for

# The export's columns in order: name, kind (see ratings.exports.Column) and what the column holds.
PREFERENCE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("prompt", "any", "The item's prompt: its content field besides the two compared ones (text or turns)."),
    (
        "chosen",
        "any",
        "The text of the response the item's final label prefers (response A on a row without a winner).",
    ),
    ("rejected", "any", "The text of the other response (response B on a row without a winner)."),
    (
        "margin",
        "float",
        "Mean signed strength of the votes toward the chosen response: +strength for it, -strength against, 0 "
        "for a tie vote (A/tie/B votes have strength 1, so -1 to 1). Null without votes.",
    ),
    ("n_votes", "int", "First-time ratings of the item by the pool that answered the criterion."),
    ("votes_chosen", "int", "Votes for the chosen response (for A on a row without a winner)."),
    ("votes_rejected", "int", "Votes for the rejected response (for B on a row without a winner)."),
    ("votes_tie", "int", "Votes for a tie."),
    (
        "agreement",
        "float",
        "Share of the votes for the chosen response (for a tie on a tie row); null on an ambiguous row or "
        "without votes.",
    ),
    ("item_id", "text", "The item's id in the dataset."),
    (
        "system_chosen",
        "any",
        "The system behind the chosen response, from the metadata <field>_a or _b; null when absent.",
    ),
    ("system_rejected", "any", "The system behind the rejected response; null when absent."),
    ("criterion", "text", "The pairwise criterion's key."),
    (
        "label_source",
        "text",
        "How the winner was reached: adjudicated, unanimous, majority, dawid_skene, mean, single_rating, "
        "side_majority (graded votes agreeing on a side, not on a strength); tie or ambiguous on rows without one.",
    ),
    (
        "tie",
        "bool",
        "True on a row that states no preference (a tie, or an ambiguous item); chosen and rejected are then A and B.",
    ),
    ("chosen_side", "text", "Which of the dataset's responses was chosen: A or B (A on a row without a winner)."),
)
# Why an item was left out, as summaries name them.
LEFT_OUT_WORDS = {
    "tie": "ties",
    "ambiguous": "genuinely ambiguous",
    "unrated": "without votes",
    "missing_response": "missing a response's text",
}
SIDE_MAJORITY = "side_majority"
TIE = "tie"
# A page counts the pairs of a campaign of up to this many items as it draws (one chunk of final labels):
# final labels are worked out at about 3,500 pairwise items a second on SQLite, so this adds at most ~0.6 s.
PREVIEW_ITEMS = 2_000


@dataclass
class PreferenceTally:
    """What a preference export found: items read, rows written (ties and ambiguous among them), items left out."""

    items: int = 0
    written: int = 0
    ties_written: int = 0
    ambiguous_written: int = 0
    left_out: Counter[str] = field(default_factory=Counter)

    def left_out_text(self) -> str:
        """The items left out by reason, e.g. "3 ties, 1 genuinely ambiguous"; "none" when none were."""
        parts = [
            f"{self.left_out[reason]:,} {words}" for reason, words in LEFT_OUT_WORDS.items() if self.left_out[reason]
        ]
        return ", ".join(parts) or "none"

    def summary(self) -> str:
        """One sentence: pairs written from how many items, and what was left out."""
        kept = [
            f"{n:,} {words}" for n, words in ((self.ties_written, "ties"), (self.ambiguous_written, "ambiguous")) if n
        ]
        among = f" ({' and '.join(kept)} among them)" if kept else ""
        return f"{self.written:,} preference pairs{among} from {self.items:,} items; left out: {self.left_out_text()}."


# --------------------------------------------------------------------------- options


def pairwise_criteria(campaign: Campaign) -> list[Criterion]:
    """The campaign's criteria that compare two responses (pairwise preference)."""
    return [c for c in campaign.rubric_version.typed_criteria if c.compared_fields]


def prompt_candidates(campaign: Campaign, criterion: Criterion) -> list[str]:
    """Content fields that may hold the prompt: those besides the compared two, raters' visible ones first."""
    visible = [str(name) for name in campaign.visible_fields or []]
    order = content_display_order(campaign.dataset.content_fields, visible)
    others = [name for name in order if name not in criterion.compared_fields]
    shown = [name for name in others if not visible or name in visible]
    return shown or others


def system_fields(campaign: Campaign) -> tuple[str, str] | None:
    """The metadata fields naming the systems behind responses A and B, e.g. ("model_a", "model_b"), or None.

    The campaign's system field F (or the leaderboard's guess of it) gives F_a and F_b.
    """
    field = system_field_for(campaign)
    return (f"{field}_a", f"{field}_b") if field else None


def _criterion(campaign: Campaign, criterion_key: str | None) -> Criterion:
    pairwise = pairwise_criteria(campaign)
    keys = ", ".join(c.key for c in pairwise)
    if not pairwise:
        criteria = ", ".join(c.key for c in campaign.rubric_version.typed_criteria)
        raise ExportError(
            f"campaign {campaign.slug} has no pairwise criterion to take preference pairs from "
            f"(its criteria: {criteria})",
            field="format",
        )
    if not criterion_key:
        if len(pairwise) > 1:
            raise ExportError(f"campaign {campaign.slug} has several pairwise criteria ({keys}): name one")
        return pairwise[0]
    criterion = next((c for c in campaign.rubric_version.typed_criteria if c.key == criterion_key), None)
    if criterion is None:
        raise ExportError(
            f"campaign {campaign.slug} has no criterion {criterion_key!r} (its pairwise criteria: {keys})"
        )
    if criterion not in pairwise:
        raise ExportError(f"criterion {criterion_key!r} is not a pairwise preference (the pairwise criteria: {keys})")
    return criterion


def _prompt_field(campaign: Campaign, criterion: Criterion, prompt_field: str | None) -> str | None:
    candidates = prompt_candidates(campaign, criterion)
    if prompt_field:
        allowed = [name for name in campaign.dataset.content_fields if name not in criterion.compared_fields]
        if prompt_field not in allowed:
            raise ExportError(
                f"prompt field {prompt_field!r} is not a content field besides the compared "
                f"{' and '.join(criterion.compared_fields)} (choose from: {', '.join(allowed) or 'none'})",
                field="prompt_field",
            )
        return prompt_field
    if len(candidates) > 1:
        raise ExportError(
            f"items have several content fields besides the compared ones ({', '.join(candidates)}): "
            "name the one holding the prompt",
            field="prompt_field",
        )
    return candidates[0] if candidates else None


def preference_spec(
    campaign: Campaign,
    *,
    criterion_key: str | None = None,
    include_ties: bool = False,
    include_ambiguous: bool = False,
    prompt_field: str | None = None,
) -> ExportSpec:
    """Check a preference export's options against the campaign; ExportError says what is wrong and what would do."""
    criterion = _criterion(campaign, criterion_key)
    spec = ExportSpec(
        scope=PAIR_SCOPE,
        fmt="jsonl",
        criterion_key=criterion.key,
        include_ties=include_ties,
        include_ambiguous=include_ambiguous,
        prompt_field=_prompt_field(campaign, criterion, prompt_field),
    )
    return spec


def run_options(spec: ExportSpec) -> dict[str, Any]:
    """A preference export's options as ExportRun.options records them (the criterion has its own column)."""
    return {
        "include_ties": spec.include_ties,
        "include_ambiguous": spec.include_ambiguous,
        "prompt_field": spec.prompt_field,
    }


def spec_from_run(criterion_key: str, options: dict[str, Any]) -> ExportSpec:
    """The preference export a run recorded (checked against the campaign again before it runs)."""
    return ExportSpec(
        scope=PAIR_SCOPE,
        fmt="jsonl",
        criterion_key=criterion_key or None,
        include_ties=bool(options.get("include_ties")),
        include_ambiguous=bool(options.get("include_ambiguous")),
        prompt_field=options.get("prompt_field") or None,
    )


# --------------------------------------------------------------------------- rows


def preference_columns() -> list[Column]:
    """The export's columns in order (the same for every campaign)."""
    return [Column(name, kind) for name, kind, _ in PREFERENCE_COLUMNS]


def vote_side(value: Any) -> tuple[str, float] | None:
    """A stored pairwise answer's side ("A", "B" or "tie") and strength (1 for plain A/B); None if unreadable."""
    value = plain_value(value)
    if value in ("A", "B"):
        return value, 1.0
    if value == TIE:
        return TIE, 0.0
    if is_number(value):
        return ("A" if value < 0 else "B" if value > 0 else TIE), abs(float(value))
    return None


@dataclass(frozen=True)
class Outcome:
    """One item's outcome on the criterion: the chosen side ("A", "B"; None on a row without a winner), its
    source, and why it is left out by default ("tie", "ambiguous", "unrated"; None for a pair)."""

    side: str | None
    source: str
    reason: str | None


def _side_majority(votes: Counter[str]) -> str | None:
    top = max(votes.values(), default=0)
    leaders = [side for side, n in votes.items() if n == top]
    return leaders[0] if top and len(leaders) == 1 else None


def preference_outcome(label: FinalLabel) -> Outcome:
    """Which side an item's final label chooses, and how (see the module's docstring for the rules)."""
    if label.method == AMBIGUOUS:
        return Outcome(None, AMBIGUOUS, "ambiguous")
    if label.value is None:
        if not label.n_raters:
            return Outcome(None, label.method, "unrated")
        # No majority on the exact answer: graded votes may still agree on a side.
        votes = _side_counts(label)
        side = _side_majority(votes)
        if side in ("A", "B"):
            return Outcome(side, SIDE_MAJORITY, None)
        return Outcome(None, TIE, "tie")
    read = vote_side(label.value)
    if read is None:
        return Outcome(None, label.method, "unrated")
    if read[0] == TIE:
        return Outcome(None, label.method, "tie")
    return Outcome(read[0], label.method, None)


def _side_counts(label: FinalLabel) -> Counter[str]:
    votes: Counter[str] = Counter()
    for value, n in label.distribution.items():
        read = vote_side(value)
        if read is not None:
            votes[read[0]] += int(n)
    return votes


def vote_figures(label: FinalLabel, chosen: str, *, tie_row: bool) -> dict[str, Any]:
    """n_votes, votes for the chosen, rejected and tie, margin and agreement, toward side `chosen` ("A" or "B")."""
    n = chosen_n = rejected_n = tie_n = 0
    pull = 0.0
    for value, count in label.distribution.items():
        read = vote_side(value)
        if read is None:
            continue
        side, strength = read
        count = int(count)
        n += count
        if side == TIE:
            tie_n += count
        elif side == chosen:
            chosen_n += count
            pull += strength * count
        else:
            rejected_n += count
            pull -= strength * count
    agreeing = tie_n if tie_row else chosen_n
    return {
        "n_votes": n,
        "votes_chosen": chosen_n,
        "votes_rejected": rejected_n,
        "votes_tie": tie_n,
        "margin": pull / n if n else None,
        "agreement": agreeing / n if n else None,
    }


class _Pairs:
    """Turns chunks of items with final labels into preference rows, counting what it leaves out."""

    def __init__(self, campaign: Campaign, spec: ExportSpec, tally: PreferenceTally) -> None:
        self.spec = spec
        self.tally = tally
        self.criterion = _criterion(campaign, spec.criterion_key)
        self.fields = self.criterion.compared_fields
        self.systems = system_fields(campaign)

    def row(self, campaign_item: CampaignItem, label: FinalLabel | None) -> list[Any] | None:
        """The item's row, or None when it is left out (counted in the tally)."""
        spec, tally = self.spec, self.tally
        outcome = preference_outcome(label) if label is not None else Outcome(None, "no_ratings", "unrated")
        kept = outcome.reason is None or (
            (outcome.reason == "tie" and spec.include_ties)
            or (outcome.reason == "ambiguous" and spec.include_ambiguous)
        )
        if not kept:
            tally.left_out[outcome.reason] += 1
            return None
        item = campaign_item.item
        content, metadata = item.content or {}, item.metadata or {}
        text_a, text_b = content.get(self.fields[0]), content.get(self.fields[1])
        if text_a is None or text_b is None:
            tally.left_out["missing_response"] += 1
            return None
        side = outcome.side or "A"
        flipped = side == "B"
        system_a, system_b = (metadata.get(name) for name in self.systems) if self.systems else (None, None)
        figures = vote_figures(label, side, tie_row=outcome.reason == "tie") if label is not None else {}
        if outcome.reason == "ambiguous":
            figures["agreement"] = None
        tally.written += 1
        tally.ties_written += outcome.reason == "tie"
        tally.ambiguous_written += outcome.reason == "ambiguous"
        cells = {
            "prompt": content.get(spec.prompt_field) if spec.prompt_field else None,
            "chosen": text_b if flipped else text_a,
            "rejected": text_a if flipped else text_b,
            **figures,
            "item_id": item.external_id,
            "system_chosen": system_b if flipped else system_a,
            "system_rejected": system_a if flipped else system_b,
            "criterion": self.criterion.key,
            "label_source": outcome.source,
            "tie": outcome.reason is not None,
            "chosen_side": side,
        }
        return [cells.get(name) for name, _, _ in PREFERENCE_COLUMNS]


def preference_chunks(campaign: Campaign, spec: ExportSpec, *, tally: PreferenceTally | None = None) -> Iterator[Chunk]:
    """The preference rows as export columns (see PREFERENCE_COLUMNS), a chunk of items at a time."""
    pairs = _Pairs(campaign, spec, tally if tally is not None else PreferenceTally())
    key = pairs.criterion.key
    for chunk in final_labels_chunks(campaign):
        pairs.tally.items += len(chunk)
        rows = [row for campaign_item, labels in chunk if (row := pairs.row(campaign_item, labels.get(key)))]
        if rows:
            yield [list(column) for column in zip(*rows, strict=True)]


def preference_write(
    campaign: Campaign,
    spec: ExportSpec,
    handle: BinaryIO,
    *,
    tally: PreferenceTally | None = None,
    progress: Callable[[int], None] | None = None,
) -> PreferenceTally:
    """Write the preference export to a binary file; return what it wrote and left out (into `tally` if given)."""
    tally = tally if tally is not None else PreferenceTally()
    encoder = ENCODERS[spec.fmt](preference_columns())
    handle.write(encoder.begin())
    for chunk in preference_chunks(campaign, spec, tally=tally):
        handle.write(encoder.chunk(chunk))
        if progress is not None:
            progress(tally.written)
    handle.write(encoder.end())
    return tally


@dataclass(frozen=True)
class PreferenceOverview:
    """What the export page says about preference pairs: the columns, and per pairwise criterion what an export
    with the default options writes and leaves out (counts None for a campaign too large to count on a page)."""

    columns: tuple[tuple[str, str, str], ...]
    counts: list[tuple[Criterion, PreferenceTally]] | None


def preference_overview(campaign: Campaign) -> PreferenceOverview | None:
    """The export page's preference section; None for a campaign without a pairwise criterion."""
    criteria = pairwise_criteria(campaign)
    if not criteria:
        return None
    if CampaignItem.objects.filter(campaign=campaign).count() > PREVIEW_ITEMS:
        return PreferenceOverview(PREFERENCE_COLUMNS, None)
    counters = [
        _Pairs(campaign, ExportSpec(scope=PAIR_SCOPE, fmt="jsonl", criterion_key=c.key), PreferenceTally())
        for c in criteria
    ]
    for chunk in final_labels_chunks(campaign):
        for pairs in counters:
            pairs.tally.items += len(chunk)
            for campaign_item, labels in chunk:
                pairs.row(campaign_item, labels.get(pairs.criterion.key))
    return PreferenceOverview(PREFERENCE_COLUMNS, [(pairs.criterion, pairs.tally) for pairs in counters])
