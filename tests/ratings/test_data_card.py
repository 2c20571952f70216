"""The data card: what it says about a campaign, how it reads without ratings, hostile input, and who gets it."""

import re
from dataclasses import replace
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from markdown_it import MarkdownIt

from annotate.models import Assignment, CampaignItem
from annotate.templatetags.accord_markup import markdown_to_html
from ratings import report_store, reports, tasks
from ratings.data_card import data_card_markdown, markdown_cell
from ratings.models import Adjudication, AdjudicationRequest
from ratings.pseudonyms import rater_pseudonym
from ratings.report_results import BiasRow, TriadRow
from tests.factories import (
    LIKERT_CRITERION,
    CampaignFactory,
    DatasetFactory,
    RatingFactory,
    RubricFactory,
    RubricVersionFactory,
    UserFactory,
)

FREE_TEXT = {"key": "why", "type": "free_text", "label": "Rationale", "required": False, "level": "none"}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Agreement reports are cached across tests; every test starts cold."""
    cache.clear()


def url(campaign) -> str:
    return reverse("ratings:data-card", args=[campaign.slug])


def items_of(campaign) -> list[CampaignItem]:
    return list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def table_rows(markdown: str, header_start: str) -> list[str]:
    """The body rows of the Markdown table whose header row starts with header_start."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def decide(campaign, item, key: str, outcome: str, user, *, current: bool = True) -> None:
    Adjudication.objects.create(
        campaign=campaign,
        campaign_item=item,
        criterion_key=key,
        outcome=outcome,
        value=3 if outcome == Adjudication.Outcome.FINAL else None,
        decided_by=user,
        decided_at=timezone.now(),
        is_current=current,
    )


def assignment(item, user, *, flag: str = "", status: str = Assignment.Status.SKIPPED) -> None:
    now = timezone.now()
    Assignment.objects.create(campaign_item=item, rater=user, status=status, flag=flag, leased_at=now, expires_at=now)


# --------------------------------------------------------------------------- what the card says


def test_the_card_of_a_rated_campaign_gives_alpha_with_its_interval_and_what_it_rests_on(rated):
    card = data_card_markdown(rated)
    helpful = reports.campaign_agreement(rated).criterion("helpful")
    assert card.startswith(f"# {rated.name}\n")
    assert "## Agreement per criterion" in card
    (row,) = table_rows(card, "| Criterion | Level | α")
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:7] == [
        "Helpfulness",
        "ordinal",
        f"{helpful.alpha.value:.3f}",
        f"[{helpful.alpha.ci_low:.3f}, {helpful.alpha.ci_high:.3f}]",
        "5 (5 by two or more)",
        "3",
        "15",
    ]
    assert cells[7] == markdown_cell(helpful.reading.text)
    assert f"Generated on {timezone.localdate().isoformat()}, by Accord." in card


def test_the_rubric_table_names_every_criterion_with_its_type_level_and_scale(rated):
    rated.rubric_version.criteria = [LIKERT_CRITERION, FREE_TEXT]
    rated.rubric_version.save()
    card = data_card_markdown(rated)
    rows = table_rows(card, "| Key | Criterion |")
    assert rows[0].startswith("| helpful | Helpfulness | likert | ordinal | 1 = Not helpful; 2 = Slightly helpful;")
    assert rows[1].startswith("| why | Rationale | free_text | none | Free text (rationale) |")
    assert f"**{rated.rubric_version.rubric.name}**, version 1, with 2 criteria." in card
    assert "Rationale: not measured (free text has no level of measurement)." in card


def test_the_card_describes_the_sample_raters_and_ratings(rated):
    rated.gold_rate, rated.repeat_rate = 0.1, 0.2
    rated.save()
    item = items_of(rated)[0]
    RatingFactory(campaign_item=item, rater=rated.memberships.get(user__username="r1").user, is_repeat=True)
    card = data_card_markdown(rated)
    assert f"- Dataset: {rated.dataset.name} (5 items)." in card
    assert "- Sample: 5 data items, drawn as all items, in shuffled order (seed 0)." in card
    assert "- Overlap: k = 2 raters per data item." in card
    assert (
        "- Gold items: 0 with known answers, served to every rater as checks outside the overlap at a rate of 10%"
        in card
    )
    assert "- Test–retest repeats: 20% of each rater's submissions" in card
    assert "- Raters: 3 raters gave ratings (3 rater members in the campaign)." in card
    assert (
        "- Ratings: 16 ratings: 15 first-time ratings of data items, 1 test–retest repeat and 0 ratings of gold" in card
    )
    assert "- Complete items: 5 of 5 data items have k = 2 first-time ratings (100%)" in card


def test_adjudication_counts_current_decisions_per_criterion_and_outcome(rated, owner):
    items = items_of(rated)
    decide(rated, items[0], "helpful", Adjudication.Outcome.FINAL, owner, current=False)
    decide(rated, items[0], "helpful", Adjudication.Outcome.AMBIGUOUS, owner)
    decide(rated, items[1], "helpful", Adjudication.Outcome.FINAL, owner)
    decide(rated, items[2], "helpful", Adjudication.Outcome.FINAL, owner)
    decide(rated, items[3], "helpful", Adjudication.Outcome.SEND_BACK, owner)
    for item in items[:2]:
        AdjudicationRequest.objects.create(campaign=rated, campaign_item=item, sent_by=owner, sent_at=timezone.now())
    AdjudicationRequest.objects.create(campaign=rated, campaign_item=items[0], sent_by=owner, sent_at=timezone.now())
    card = data_card_markdown(rated)
    assert "Current decisions (a later decision replaces an earlier one) on 4 items" in card
    assert "2 items were sent to adjudication by an owner or adjudicator." in card
    assert table_rows(card, "| Criterion | Final value |") == ["| Helpfulness | 2 | 1 | 1 |"]


def test_flags_are_counted_per_reason_and_skips_with_the_items_they_concern(rated):
    items = items_of(rated)
    a, b = UserFactory(username="flagger"), UserFactory(username="skipper")
    assignment(items[0], a, flag=Assignment.Flag.BROKEN)
    assignment(items[0], b, flag=Assignment.Flag.BROKEN)
    assignment(items[1], a, flag=Assignment.Flag.UNSAFE)
    assignment(items[2], b)
    assignment(items[3], a, status=Assignment.Status.SUBMITTED)
    card = data_card_markdown(rated)
    assert "- Flagged broken: 2 times, on 1 item." in card
    assert "- Flagged unsafe: 1 time, on 1 item." in card
    assert "needs an expert" not in card
    assert "- Skipped (given back unrated): 4 times, on 3 items; 3 of them flagged as well." in card


def test_caveats_name_low_alpha_straddling_intervals_single_raters_and_how_labels_are_final(rated):
    lone = UserFactory(username="lone")
    RatingFactory(campaign_item=items_of(rated)[0], rater=lone, values={"helpful": 5})
    card = data_card_markdown(rated)
    helpful = reports.campaign_agreement(rated).criterion("helpful")
    caveats = card.split("## Known caveats", 1)[1]
    low, high = helpful.alpha.ci_low, helpful.alpha.ci_high
    assert (
        f"- **Helpfulness** (5 items labelled by two or more raters, 4 raters): α {helpful.alpha.value:.3f}" in caveats
    )
    assert f"is below the 0.800 reliability threshold ({helpful.reading.verdict})" in caveats
    assert f"its 95% interval [{low:.3f}, {high:.3f}] straddles" in caveats
    assert "the interval is wide" in caveats and "too few pairable items" in caveats
    assert f"1 rater gave a single rating ({rater_pseudonym(rated, lone.pk)})" in caveats
    assert "lone" not in card  # raters are named by their pseudonym, as in the exports
    assert "the majority vote of the raters' first-time ratings; a tie is reported as a tie, never broken" in caveats
    assert "genuinely ambiguous are kept and marked as ambiguous" in caveats


def test_a_criterion_with_too_few_pairable_items_is_a_caveat(db, curator):
    campaign = CampaignFactory(with_items=3, owner=curator)
    items = items_of(campaign)
    RatingFactory(campaign_item=items[0], rater=UserFactory(username="a"), values={"helpful": 2})
    RatingFactory(campaign_item=items[1], rater=UserFactory(username="b"), values={"helpful": 4})
    card = data_card_markdown(campaign)
    assert "| Helpfulness | ordinal | undefined | — | 2 | 2 | 2 |" in card
    assert "- **Helpfulness**: agreement is undefined (2 items, 2 raters). No item has labels from two raters" in card


def test_a_dawid_skene_campaign_says_so(rated):
    rated.final_label_method = "dawid_skene"
    rated.save()
    assert "Dawid and Skene's estimate" in data_card_markdown(rated)


def test_a_campaign_without_ratings_reads_sensibly(campaign):
    card = data_card_markdown(campaign)
    assert "No ratings yet: 0 raters are assigned, and none of the 5 data items has been rated." in card
    assert "No ratings yet: agreement is measured once items have labels from two or more raters." in card
    assert "No adjudication decision has been recorded. No item was sent to adjudication" in card
    assert "No rater flagged or skipped an item." in card
    assert "- No ratings yet, so nothing can be said about agreement or final labels." in card
    assert "| Criterion | Level | α" not in card and "| Criterion | Final value |" not in card
    assert not re.search(r"\b(nan|NaN|None|null)\b", card)
    assert "| helpful | Helpfulness | likert | ordinal |" in card


def test_a_large_campaign_whose_report_is_being_computed_says_so(rated, monkeypatch):
    monkeypatch.setattr(report_store, "BACKGROUND_LABELS", 1)
    queued: list[int] = []
    monkeypatch.setattr(tasks, "agreement_report_task", SimpleNamespace(enqueue=queued.append))
    card = data_card_markdown(rated)
    assert "The agreement report of this campaign is still being computed" in card
    assert "- Agreement is not known yet: its report is still being computed." in card
    assert "| Criterion | Level | α" not in card
    assert queued == [rated.pk]


def test_a_report_from_older_ratings_says_a_newer_one_is_coming(rated, monkeypatch):
    report = reports.campaign_agreement(rated)
    monkeypatch.setattr(tasks, "agreement_report_served", lambda campaign: (report, True))
    card = data_card_markdown(rated)
    assert "a newer report is being computed from the latest ratings" in card
    assert f"{report.criterion('helpful').alpha.value:.3f}" in card


def test_raters_the_dashboard_marks_as_biased_are_a_caveat(rated, monkeypatch):
    report = reports.campaign_agreement(rated)
    leaning = [
        BiasRow("ann_lean", 20, 17, 0.85, 0.002),
        BiasRow("bo_even", 20, 11, 0.55, 0.82),
        BiasRow("cy_even", 20, 9, 0.45, None),
    ]
    cyclic = [TriadRow("ann_lean", 30, 4, 4, 1), TriadRow("bo_even", 30, 4, 4, 0)]
    helpful = replace(report.criteria[0], position_bias=leaning, triads=cyclic)
    monkeypatch.setattr(tasks, "agreement_report_served", lambda campaign: (replace(report, criteria=[helpful]), False))
    caveats = data_card_markdown(rated).split("## Known caveats", 1)[1]
    assert (
        "- **Helpfulness**: 1 of 3 raters chose the response shown on the left more often than chance would explain "
        "(binomial test, p < 0.05)." in caveats
    )
    assert "the longer response" not in caveats
    assert "- **Helpfulness**: 1 of 2 raters gave cyclic preferences between systems" in caveats
    assert "ann_lean" not in caveats and "bo_even" not in caveats  # counted, never named


# --------------------------------------------------------------------------- hostile input

HOSTILE_NAME = "Evil | name <script>alert(1)</script> **loud** [click](javascript:alert(1))"
HOSTILE_TEXT = "# Takeover\n<img src=x onerror=alert(1)>\n| a | b |\n|---|---|\n1. listed\n---\n&lt;b&gt; `code`"
HOSTILE_CRITERION = {
    **LIKERT_CRITERION,
    "label": "Help|ful\nness <script>x</script>",
    "options": [
        {"value": 1, "label": "Bad | worse\n<b>bold</b>", "key": "1"},
        {"value": 2, "label": "Good", "key": "2"},
    ],
}


@pytest.fixture
def hostile(db, curator):
    version = RubricVersionFactory(
        rubric=RubricFactory(name="Rubric | <script>r()</script>", description="one\n| two |"),
        guidelines="# Guidelines heading\n\n<script>alert('g')</script>\n\n```\nan unclosed fence",
        criteria=[HOSTILE_CRITERION],
    )
    campaign = CampaignFactory(
        name=HOSTILE_NAME,
        description=HOSTILE_TEXT,
        dataset=DatasetFactory(name="Data | set <iframe src=x>"),
        rubric_version=version,
        with_items=3,
        owner=curator,
    )
    for username, values in (("h1", [1, 2, 1]), ("h2", [1, 2, 2])):
        user = UserFactory(username=username)
        for item, value in zip(items_of(campaign), values, strict=True):
            RatingFactory(campaign_item=item, rater=user, values={"helpful": value})
    return campaign


def test_hostile_names_do_not_break_the_tables(hostile):
    card = data_card_markdown(hostile)
    (rubric_row,) = table_rows(card, "| Key | Criterion |")
    assert unescaped_pipes(rubric_row) == 6
    (agreement_row,) = table_rows(card, "| Criterion | Level | α")
    assert unescaped_pipes(agreement_row) == 9
    html = markdown_to_html(card)
    rubric_table = html.split("<th>Options or scale</th>", 1)[1].split("</table>", 1)[0]
    assert rubric_table.count("<td>") == 5
    assert "Help|ful ness &lt;script&gt;x&lt;/script&gt;" in rubric_table
    assert "1 = Bad | worse &lt;b&gt;bold&lt;/b&gt;; 2 = Good" in rubric_table


def test_hostile_text_reaches_the_page_as_text_only(hostile, curator):
    card = data_card_markdown(hostile)
    page = render_to_string("ratings/partials/_data_card.html", {"campaign": hostile, "data_card": card})
    assert "<script" not in page and "<img" not in page and "<iframe" not in page and "<b>" not in page
    assert 'href="javascript' not in page and "<strong>loud" not in page
    assert "<h1>Evil | name &lt;script&gt;alert(1)&lt;/script&gt; **loud** [click](javascript:alert(1))</h1>" in page
    # The description is text: its heading, list, rule and table markup stay as written.
    assert "<h1>Takeover" not in page and "<ol>" not in page and "<th>a</th>" not in page
    assert "# Takeover" in page and "&amp;lt;b&amp;gt;" in page
    # The guidelines keep their Markdown inside a quote: an unclosed fence ends with the quote.
    assert "<blockquote>\n<h1>Guidelines heading</h1>" in page
    assert "<p>&lt;script&gt;alert('g')&lt;/script&gt;</p>" in page
    assert "<h2>Rubric</h2>" in page and "<h2>Known caveats</h2>" in page
    assert f'href="{url(hostile)}"' in page and "Download data card" in page


def test_hostile_text_in_the_download_cannot_open_a_tag_even_where_raw_html_is_rendered(hostile, client, curator):
    client.force_login(curator)
    body = client.get(url(hostile)).content.decode()
    assert not re.search(r"(?<!\\)<[A-Za-z/!?]", body)
    assert "> &lt;script>alert('g')&lt;/script>" in body
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(body)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<b>" not in html


def test_code_in_the_guidelines_stays_as_written(db, curator):
    guidelines = "Mark `<b>` tags as broken.\n\n```html\n<i>kept</i>\n```\n\n    <u>indented code</u>\n\n<p>raw</p>"
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(guidelines=guidelines), owner=curator)
    card = data_card_markdown(campaign)
    assert "> Mark `<b>` tags as broken.\n>\n> ```html\n> <i>kept</i>\n> ```\n>\n>     <u>indented code</u>\n" in card
    assert "> &lt;p>raw&lt;/p>" in card


# --------------------------------------------------------------------------- who gets it


@pytest.mark.parametrize("role", ["owner", "adjudicator", "viewer"])
def test_readers_download_the_card_as_markdown(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url(rated))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{rated.slug}-data-card.md"'
    assert response.content.decode().startswith(f"# {rated.name}\n")


def test_a_rater_gets_404(client, rated, rater):
    client.force_login(rater)
    assert client.get(url(rated)).status_code == 404


def test_an_outsider_gets_404(client, rated, outsider):
    client.force_login(outsider)
    assert client.get(url(rated)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, rated):
    response = client.get(url(rated))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_post_is_not_allowed(client, rated, owner):
    client.force_login(owner)
    assert client.post(url(rated)).status_code == 405
