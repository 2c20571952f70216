"""A campaign's data card: a short, factual Markdown document to publish beside its exported labels.

In the spirit of datasheets for datasets and dataset cards: what was rated and why, under which rubric, how
the sample was drawn, who rated how much, how far raters agreed per criterion (with the items and raters each
figure rests on), what adjudication settled, what raters flagged or skipped, and what a reader should be
wary of. Raters are counted, never named, except by the pseudonyms the exports use.

Campaign, dataset and rubric names, descriptions and labels are user input: they are escaped as plain text
(on one line in a table cell, pipes escaped). The guidelines, which are Markdown, are kept inside a block quote
so that their headings and fences cannot break the card's own structure, and the raw HTML in them is escaped,
so that the card is safe in a renderer that lets raw HTML through as well as in Accord's own.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone
from markdown_it import MarkdownIt
from markdown_it.token import Token

from annotate.criteria import Criterion
from annotate.criteria.base import Option, value_text
from annotate.models import Assignment, Campaign, CampaignItem, MachineRater, Membership
from annotate.sampling import describe_sample_spec
from ratings import reports, tasks
from ratings.models import Adjudication, AdjudicationRequest
from ratings.progress import CampaignProgress, campaign_progress
from ratings.pseudonyms import rater_pseudonym
from ratings.report_results import CampaignAgreement, CriterionAgreement, RaterSpeed, number_or_none
from ratings.selectors import campaign_ratings

# Options listed per criterion in the rubric table; a 0–100 scale written out point by point helps nobody.
MAX_OPTIONS_SHOWN = 12
# Raters with a single rating named in the caveats; beyond this the card gives their number only.
MAX_RATERS_NAMED = 10
# The dashboard marks a rater's position or length bias when its binomial test gives p below this
# (templates/ratings/partials/_agreement_extras.html).
BIAS_P_VALUE = 0.05

# What means something to a Markdown renderer anywhere in a line: emphasis, code, links, table cells,
# strikethrough and the maths GitHub and the Hugging Face hub render; "<" where it could open a tag or an
# autolink, "&" where it could begin an entity, "_" where it could open or close emphasis (not inside a word).
_INLINE_SPECIAL = re.compile(r"[\\`*\[\]|~$]|<(?=[A-Za-z/!?])|&(?=[#A-Za-z0-9])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# What makes a line a heading, quote, list item, setext underline or thematic break when it starts it.
_LINE_START = re.compile(r"^([#>+=-])")
_ORDERED_ITEM = re.compile(r"^(\d{1,9})([.)])")
_NEWLINES = re.compile(r"\r\n?|\n")
# A "<" that could open an HTML tag, a comment, a declaration or an autolink.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# The syntax Accord renders (annotate.templatetags.accord_markup), reading raw HTML to find it.
_HTML_READER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


# --------------------------------------------------------------------------- escaping


def markdown_text(text: str) -> str:
    """Plain text as Markdown that renders exactly as the text, on one line, with nothing in it taken as markup."""
    line = _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))
    line = _LINE_START.sub(r"\\\1", line)
    return _ORDERED_ITEM.sub(r"\1\\\2", line)


def markdown_cell(text: str) -> str:
    """Plain text as one table cell: on one line, its pipes escaped with the rest, a dash when empty."""
    return markdown_text(text) or "—"


def markdown_paragraphs(text: str) -> str:
    """Plain text of several lines (a description) as Markdown that renders as the text, line by line."""
    return "\n".join(markdown_text(line) for line in _NEWLINES.split(text.strip()))


def markdown_without_html(markdown: str) -> str:
    """Markdown with the "<" of every raw HTML tag, comment or declaration written as "&lt;".

    Accord renders Markdown with raw HTML shown as text; a renderer that passes raw HTML through would otherwise
    run what a user wrote. A CommonMark parser that reads raw HTML says where it is: the lines holding it are
    escaped until it finds none, so code elsewhere stays as written (a line holding both escapes its code too).
    """
    lines = _NEWLINES.split(markdown)
    while True:
        rows = _html_rows(_HTML_READER.parse("\n".join(lines)), len(lines))
        if not rows:
            return "\n".join(lines)
        escaped = [_TAG_START.sub("&lt;", lines[i]) if i in rows else line for i, line in enumerate(lines)]
        if escaped == lines:
            # The parser places HTML where no "<" is left to escape: escape every line rather than loop.
            return "\n".join(_TAG_START.sub("&lt;", line) for line in lines)
        lines = escaped


def _html_rows(tokens: list[Token], n_lines: int) -> set[int]:
    """The source lines of the raw HTML blocks and of the inline text holding raw HTML (all, if one is unplaced)."""
    rows: set[int] = set()
    for token in tokens:
        inline_html = token.type == "inline" and any(c.type == "html_inline" for c in token.children or ())
        if token.type == "html_block" or inline_html:
            rows.update(range(*token.map) if token.map else range(n_lines))
    return rows


def markdown_quote(markdown: str) -> str:
    """Markdown kept inside a block quote: every line is quoted, so an unclosed fence or a heading stays inside."""
    lines = _NEWLINES.split(markdown)
    # Blank lines around it go, but not the first line's indentation: it can make that line code.
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(f"> {line}".rstrip() for line in lines)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


# --------------------------------------------------------------------------- what the card says


@dataclass(frozen=True)
class RatingCounts:
    """A campaign's ratings: first-time ratings of data items, test–retest repeats, gold checks, and raters."""

    first_time: int
    repeats: int
    gold: int
    n_raters: int
    n_rater_members: int
    # Pseudonyms of the raters who gave exactly one rating in the campaign.
    single_rating_raters: list[str]

    @property
    def total(self) -> int:
        """Every rating in the campaign."""
        return self.first_time + self.repeats + self.gold


@dataclass(frozen=True)
class AdjudicationCounts:
    """Current adjudication decisions per criterion and outcome, and the items sent to adjudication by hand."""

    by_criterion: dict[str, Counter[str]]
    n_items_decided: int
    n_items_sent: int


@dataclass(frozen=True)
class FlagCounts:
    """Assignments flagged per reason (with the items they concern) and items given back unrated."""

    flags: dict[str, tuple[int, int]]
    n_skipped: int
    n_skipped_items: int
    n_skipped_flagged: int


@dataclass(frozen=True)
class CardFacts:
    """Everything the card states about a campaign, read in a handful of aggregate queries."""

    progress: CampaignProgress
    n_gold_items: int
    ratings: RatingCounts
    report: CampaignAgreement | None
    newer_coming: bool
    adjudication: AdjudicationCounts
    flags: FlagCounts
    generated_on: str
    criteria: tuple[Criterion, ...]


def rating_counts(campaign: Campaign) -> RatingCounts:
    """Ratings by kind, the raters who gave them, and who gave a single one (by pseudonym)."""
    kinds: Counter[str] = Counter()
    for row in (
        campaign_ratings(campaign).order_by().values("is_repeat", "campaign_item__is_gold").annotate(n=Count("id"))
    ):
        kind = "repeat" if row["is_repeat"] else "gold" if row["campaign_item__is_gold"] else "first"
        kinds[kind] += row["n"]
    per_rater = dict(
        campaign_ratings(campaign).order_by().values("rater").annotate(n=Count("id")).values_list("rater", "n")
    )
    singles = sorted(rater_pseudonym(campaign, rater) for rater, n in per_rater.items() if n == 1)
    members = Membership.objects.filter(campaign=campaign, rates=True).count()
    return RatingCounts(kinds["first"], kinds["repeat"], kinds["gold"], len(per_rater), members, singles)


def adjudication_counts(campaign: Campaign) -> AdjudicationCounts:
    """Current decisions by criterion and outcome, items with one, and items sent to adjudication."""
    current = Adjudication.objects.filter(campaign=campaign, is_current=True).order_by()
    by_criterion: dict[str, Counter[str]] = defaultdict(Counter)
    for row in current.values("criterion_key", "outcome").annotate(n=Count("id")):
        by_criterion[row["criterion_key"]][row["outcome"]] += row["n"]
    decided = current.values("campaign_item").distinct().count()
    sent = AdjudicationRequest.objects.filter(campaign=campaign).values("campaign_item").distinct().count()
    return AdjudicationCounts(dict(by_criterion), decided, sent)


def flag_counts(campaign: Campaign) -> FlagCounts:
    """Flags per reason and skips, each with the number of items concerned."""
    assignments = Assignment.objects.filter(campaign=campaign).order_by()
    flags = {
        row["flag"]: (row["n"], row["items"])
        for row in assignments.exclude(flag=Assignment.Flag.NONE)
        .values("flag")
        .annotate(n=Count("id"), items=Count("campaign_item", distinct=True))
    }
    skipped = assignments.filter(status=Assignment.Status.SKIPPED).aggregate(
        n=Count("id"),
        items=Count("campaign_item", distinct=True),
        flagged=Count("id", filter=~Q(flag=Assignment.Flag.NONE)),
    )
    return FlagCounts(flags, skipped["n"], skipped["items"], skipped["flagged"])


def card_facts(campaign: Campaign) -> CardFacts:
    """Read what the card states: progress, ratings, the agreement report as served, adjudication and flags."""
    ratings = rating_counts(campaign)
    # No ratings, no agreement: asking for a report would only queue a task for a large, unrated campaign.
    report, newer_coming = tasks.agreement_report_served(campaign) if ratings.total else (None, False)
    return CardFacts(
        progress=campaign_progress(campaign),
        n_gold_items=CampaignItem.objects.filter(campaign=campaign, is_gold=True).count(),
        ratings=ratings,
        report=report,
        newer_coming=newer_coming,
        adjudication=adjudication_counts(campaign),
        flags=flag_counts(campaign),
        generated_on=timezone.localdate().isoformat(),
        criteria=campaign.rubric_version.typed_criteria,
    )


# --------------------------------------------------------------------------- sections


def data_card_markdown(campaign: Campaign) -> str:
    """The campaign's data card in Markdown, to publish beside its exported labels."""
    facts = card_facts(campaign)
    sections = [
        _title(campaign),
        _rubric(campaign, facts),
        _data(campaign, facts),
        _raters(campaign, facts),
        _agreement(facts),
        _adjudication(facts),
        _flags(facts),
        _caveats(campaign, facts),
        f"---\n\nGenerated on {facts.generated_on}, by Accord.",
    ]
    # The guidelines are the one Markdown a user wrote that the card keeps as Markdown. The whole card is checked
    # for raw HTML, so that theirs is judged where it ends up (inside a quote), as a renderer will read it.
    return markdown_without_html("\n\n".join(sections)) + "\n"


def _title(campaign: Campaign) -> str:
    description = campaign.description.strip()
    purpose = markdown_paragraphs(description) if description else "No description was given for this campaign."
    guidelines = campaign.rubric_version.guidelines
    quoted = markdown_quote(guidelines) if guidelines.strip() else "The rubric has no written guidelines."
    return (
        f"# {markdown_text(campaign.name)}\n\n## Purpose\n\n{purpose}\n\n"
        f"## Guidelines\n\nWhat raters read before rating, as written in the rubric:\n\n{quoted}"
    )


def _option_text(option: Option) -> str:
    value = value_text(option.value)
    label = str(option.label)
    return label if label.casefold() == value.casefold() else f"{value} = {label}"


def _scale_text(criterion: Criterion) -> str:
    """The answers a criterion offers: its options, the fields of a numeric range, else what the type is."""
    if criterion.options:
        shown = [_option_text(o) for o in criterion.options[:MAX_OPTIONS_SHOWN]]
        hidden = len(criterion.options) - len(shown)
        return "; ".join(shown) + (f"; and {hidden} more" if hidden else "")
    if criterion.span is not None:
        fields = criterion.fields_to_file()
        return ", ".join(f"{name.replace('_', ' ')} {value_text(value)}" for name, value in fields.items())
    return criterion.title


def _rubric(campaign: Campaign, facts: CardFacts) -> str:
    version = campaign.rubric_version
    rubric = version.rubric
    n_criteria = _count(len(facts.criteria), "criterion", "criteria")
    intro = f"**{markdown_text(rubric.name)}**, version {version.number}, with {n_criteria}."
    if rubric.description.strip():
        intro += f" {markdown_cell(rubric.description)}"
    if not facts.criteria:
        return f"## Rubric\n\n{intro}"
    rows = [
        [
            markdown_cell(c.key),
            markdown_cell(c.label),
            markdown_cell(c.type),
            markdown_cell(c.level),
            markdown_cell(_scale_text(c)),
        ]
        for c in facts.criteria
    ]
    table = _table(["Key", "Criterion", "Type", "Level of measurement", "Options or scale"], rows)
    return f"## Rubric\n\n{intro}\n\n{table}"


def _data(campaign: Campaign, facts: CardFacts) -> str:
    dataset = campaign.dataset
    progress = facts.progress
    lines = [
        f"- Dataset: {markdown_text(dataset.name)} ({_count(dataset.item_count, 'item')}).",
        f"- Sample: {_count(progress.n_items, 'data item')}, drawn as "
        f"{markdown_text(describe_sample_spec(campaign.sample_spec))}.",
        f"- Overlap: k = {campaign.overlap} raters per data item.",
    ]
    if facts.n_gold_items or campaign.gold_rate:
        lines.append(
            f"- Gold items: {facts.n_gold_items:,} with known answers, served to every rater as checks outside "
            f"the overlap at a rate of {_percent(campaign.gold_rate)} of each rater's first-time items."
        )
    else:
        lines.append("- Gold items: none.")
    if campaign.repeat_rate:
        lines.append(
            f"- Test–retest repeats: {_percent(campaign.repeat_rate)} of each rater's submissions are unannounced "
            "repeats of items they rated before."
        )
    else:
        lines.append("- Test–retest repeats: none.")
    return "## Data\n\n" + "\n".join(lines)


def _raters(campaign: Campaign, facts: CardFacts) -> str:
    ratings, progress = facts.ratings, facts.progress
    if not ratings.total:
        return (
            f"## Raters and ratings\n\nNo ratings yet: {_count(ratings.n_rater_members, 'rater')} "
            f"{'is' if ratings.n_rater_members == 1 else 'are'} assigned, and none of the "
            f"{_count(progress.n_items, 'data item')} has been rated."
        )
    lines = [
        f"- Raters: {_count(ratings.n_raters, 'rater')} gave ratings "
        f"({_count(ratings.n_rater_members, 'rater member')} in the campaign).",
        f"- Ratings: {_count(ratings.total, 'rating')}: {_count(ratings.first_time, 'first-time rating')} of data "
        f"items, {_count(ratings.repeats, 'test–retest repeat')} and {_count(ratings.gold, 'rating')} of gold items.",
        f"- Complete items: {progress.complete:,} of {progress.n_items:,} data items have k = {campaign.overlap} "
        f"first-time ratings ({progress.percent_complete}%); {progress.in_progress:,} in progress, "
        f"{progress.pending:,} not rated yet.",
    ]
    speed = facts.report.rater_speed if facts.report is not None else None
    if speed is not None:
        lines.append(_speed_line(campaign, speed))
    return "## Raters and ratings\n\n" + "\n".join(lines)


def _speed_line(campaign: Campaign, speed: RaterSpeed) -> str:
    """Implausibly fast raters, by pseudonym with their median seconds per item, as the dashboard marks them."""
    if not speed.fast:
        return f"- Speed: no rater was implausibly fast. {speed.rule}"
    named = ", ".join(
        f"{rater_pseudonym(campaign, r.rater_id)} ({r.median_seconds:.1f} s per item over {_count(r.n_timed, 'item')})"
        for r in speed.fast
    )
    return f"- Speed: {_count(len(speed.fast), 'rater')} implausibly fast: {named}. {speed.rule}"


def _interval(c: CriterionAgreement) -> str:
    if not c.interval_defined:
        return "—"
    return f"[{c.alpha.ci_low:.3f}, {c.alpha.ci_high:.3f}]"


def _pairable_items(c: CriterionAgreement) -> int | None:
    """Items with labels from two or more raters (what alpha rests on), where the report counted them."""
    return c.precision.current_items if c.precision is not None else None


def _items_text(c: CriterionAgreement) -> str:
    pairable = _pairable_items(c)
    return f"{c.n_items:,}" if pairable is None else f"{c.n_items:,} ({pairable:,} by two or more)"


def _computed_at(report: CampaignAgreement) -> str:
    try:
        return datetime.fromisoformat(report.computed_at).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return report.computed_at


def _agreement(facts: CardFacts) -> str:
    head = "## Agreement per criterion\n\n"
    report = facts.report
    if not facts.ratings.total:
        return head + "No ratings yet: agreement is measured once items have labels from two or more raters."
    if report is None:
        return head + (
            "The agreement report of this campaign is still being computed: with this many labels a worker "
            "computes it in the background. Download the card again once the agreement page shows it."
        )
    parts = [
        "Krippendorff's α at each criterion's level of measurement (1 is perfect agreement, 0 what chance "
        "would give), with a 95% percentile bootstrap interval over items "
        f"({report.n_boot:,} resamples), computed {_computed_at(report)}. Krippendorff's guidance: "
        f"α ≥ {reports.RELIABLE:.3f} is reliable; {reports.TENTATIVE:.3f} to {reports.RELIABLE:.3f} allows tentative "
        f"conclusions only; below {reports.TENTATIVE:.3f} the labels are unreliable."
    ]
    if facts.newer_coming:
        parts.append(
            "These figures come from the ratings as they stood when they were computed; a newer report is being "
            "computed from the latest ratings."
        )
    if report.criteria:
        rows = []
        for c in report.criteria:
            alpha = f"{c.alpha.value:.3f}" if c.ok and c.alpha is not None else "undefined"
            reading = c.reading.text if c.ok else c.message
            rows.append(
                [
                    markdown_cell(c.label),
                    markdown_cell(c.level + (" (MASI distance)" if c.multi_label else "")),
                    alpha,
                    _interval(c) if c.ok else "—",
                    _items_text(c),
                    f"{c.n_raters:,}",
                    f"{c.n_labels:,}",
                    markdown_cell(reading),
                ]
            )
        header = ["Criterion", "Level", "α", "95% interval", "Items", "Raters", "Labels", "Reading"]
        parts.append(_table(header, rows))
        parts.append(
            "Items counts the items with at least one label on the criterion and, in brackets, those labelled "
            "by two or more raters: only these carry information about agreement."
        )
    else:
        parts.append("No criterion of this rubric has a level of measurement, so there is no agreement to compute.")
    for s in report.skipped:
        parts.append(f"{markdown_text(s.label)}: not measured ({markdown_text(s.reason)}).")
    return head + "\n\n".join(parts)


def _adjudication(facts: CardFacts) -> str:
    counts = facts.adjudication
    head = "## Adjudication\n\n"
    if counts.n_items_sent:
        sent = (
            f"{_count(counts.n_items_sent, 'item')} {'was' if counts.n_items_sent == 1 else 'were'} sent to "
            "adjudication by an owner or adjudicator."
        )
    else:
        sent = "No item was sent to adjudication by an owner or adjudicator."
    if not counts.by_criterion:
        return head + f"No adjudication decision has been recorded. {sent}"
    labels = {c.key: c.label for c in facts.criteria}
    order = [c.key for c in facts.criteria if c.key in counts.by_criterion]
    order += sorted(k for k in counts.by_criterion if k not in labels)
    outcomes = Adjudication.Outcome
    rows = [
        [
            markdown_cell(labels.get(key, key)),
            f"{counts.by_criterion[key][outcomes.FINAL]:,}",
            f"{counts.by_criterion[key][outcomes.AMBIGUOUS]:,}",
            f"{counts.by_criterion[key][outcomes.SEND_BACK]:,}",
        ]
        for key in order
    ]
    header = ["Criterion", outcomes.FINAL.label, outcomes.AMBIGUOUS.label, outcomes.SEND_BACK.label]
    intro = (
        f"Current decisions (a later decision replaces an earlier one) on {_count(counts.n_items_decided, 'item')}, "
        f"per criterion and outcome. {sent}"
    )
    return head + intro + "\n\n" + _table(header, rows)


def _flags(facts: CardFacts) -> str:
    counts = facts.flags
    head = "## Flags and skips\n\n"
    if not counts.flags and not counts.n_skipped:
        return head + "No rater flagged or skipped an item."
    lines = []
    for value, label in Assignment.Flag.choices:
        if value and value in counts.flags:
            n, items = counts.flags[value]
            lines.append(f"- Flagged {label.lower()}: {_count(n, 'time')}, on {_count(items, 'item')}.")
    if not counts.flags:
        lines.append("- Flagged: no item.")
    skips = (
        f"- Skipped (given back unrated): {_count(counts.n_skipped, 'time')}, "
        f"on {_count(counts.n_skipped_items, 'item')}"
    )
    if counts.n_skipped_flagged:
        skips += f"; {counts.n_skipped_flagged:,} of them flagged as well"
    lines.append(skips + ".")
    return head + "\n".join(lines)


def _criterion_caveat(c: CriterionAgreement) -> str | None:
    """What a reader should know about one criterion's agreement, or None when there is nothing to say."""
    name = f"**{markdown_text(c.label)}**"
    if c.status == "no_ratings":
        return None
    if not c.ok or c.alpha is None:
        rests = f"{_count(c.n_items, 'item')}, {_count(c.n_raters, 'rater')}"
        return f"{name}: agreement is undefined ({rests}). {markdown_text(c.message)}"
    value = number_or_none(c.alpha.value)
    pairable = _pairable_items(c)
    rests = f"{_count(pairable, 'item')} labelled by two or more raters" if pairable is not None else ""
    rests = ", ".join(x for x in (rests, _count(c.n_raters, "rater")) if x)
    notes = []
    if value is not None and value < reports.RELIABLE:
        notes.append(
            f"α {value:.3f} is below the {reports.RELIABLE:.3f} reliability threshold "
            f"({markdown_text(c.reading.verdict)})"
        )
    if c.interval_defined:
        low, high = c.alpha.ci_low, c.alpha.ci_high
        crossed = [t for t in (reports.TENTATIVE, reports.RELIABLE) if low < t <= high]
        if crossed:
            spans = " and ".join(f"{t:.3f}" for t in crossed)
            notes.append(f"its 95% interval {_interval(c)} straddles {spans}, so the verdict is not settled")
        if (high - low) / 2 > reports.WIDE_HALF_WIDTH:
            needed = c.precision.value if c.precision is not None else None
            more = (
                f"; about {needed:,} such items would narrow it to ±{reports.TARGET_HALF_WIDTH:.2f}" if needed else ""
            )
            notes.append(f"the interval is wide (±{(high - low) / 2:.3f}): too few pairable items{more}")
    else:
        notes.append("no bootstrap interval could be computed")
    if not notes:
        return None
    return f"{name} ({rests}): " + "; ".join(notes) + "."


def _bias_caveats(report: CampaignAgreement) -> list[str]:
    """What the dashboard marks in a criterion's diagnostics: biased raters and cyclic preferences."""
    out = []
    for c in report.criteria:
        name = f"**{markdown_text(c.label)}**"
        for rows, what in ((c.position_bias, "the response shown on the left"), (c.length_bias, "the longer response")):
            biased = [r for r in rows if r.p_value is not None and r.p_value < BIAS_P_VALUE]
            if biased:
                out.append(
                    f"{name}: {len(biased)} of {_count(len(rows), 'rater')} chose {what} more often than chance "
                    f"would explain (binomial test, p < {BIAS_P_VALUE})."
                )
        cyclic = [r for r in c.triads if r.intransitive]
        if cyclic:
            out.append(
                f"{name}: {len(cyclic)} of {_count(len(c.triads), 'rater')} gave cyclic preferences between "
                "systems (A over B, B over C, C over A)."
            )
    return out


def _final_labels(campaign: Campaign) -> str:
    if campaign.final_label_method == "dawid_skene":
        method = (
            "Dawid and Skene's estimate, which weighs each rater by their estimated accuracy, for categorical and "
            "ordinal criteria; the other criteria use a majority vote (a tie is reported as a tie, never broken), "
            "the mean for numbers and a majority per label for label sets"
        )
    else:
        method = (
            "the majority vote of the raters' first-time ratings; a tie is reported as a tie, never broken. "
            "Numbers take the mean, and label sets a majority per label"
        )
    return (
        f"Final labels: where an adjudicator decided, the decision stands; elsewhere an item's final label is "
        f"{method}. Items an adjudicator marked genuinely ambiguous are kept and marked as ambiguous, not "
        "dropped or forced to a label."
    )


def _caveats(campaign: Campaign, facts: CardFacts) -> str:
    items: list[str] = []
    if not facts.ratings.total:
        items.append("No ratings yet, so nothing can be said about agreement or final labels.")
    elif facts.report is None:
        items.append("Agreement is not known yet: its report is still being computed.")
    else:
        items += [text for c in facts.report.criteria if (text := _criterion_caveat(c))]
        items += _bias_caveats(facts.report)
    singles = facts.ratings.single_rating_raters
    if singles:
        named = ", ".join(singles[:MAX_RATERS_NAMED]) + (", …" if len(singles) > MAX_RATERS_NAMED else "")
        items.append(
            f"{_count(len(singles), 'rater')} gave a single rating ({named}): too few to judge "
            "how consistently they rate."
        )
    items += _machine_raters(campaign)
    items.append(_final_labels(campaign))
    return "## Known caveats\n\n" + "\n".join(f"- {text}" for text in items)


def _machine_raters(campaign: Campaign) -> list[str]:
    """Which automatic judges labelled the items, and whether their labels count (one query)."""
    names = sorted(MachineRater.objects.filter(campaign=campaign).values_list("name", flat=True))
    if not names:
        return []
    named = ", ".join(markdown_text(name) for name in names[:MAX_RATERS_NAMED]) + (
        ", …" if len(names) > MAX_RATERS_NAMED else ""
    )
    one = len(names) == 1
    if campaign.machine_raters_in_pool:
        counts, its = ("counts as a rater", "its") if one else ("count as raters", "their")
        how = f"{counts}: agreement and final labels include {its} labels"
    else:
        how = f"{'is' if one else 'are'} kept apart: agreement, final labels and the counts above are people's only"
    return [f"{_count(len(names), 'machine rater')} ({named}) {how}; per-rating exports mark the machine's labels."]
