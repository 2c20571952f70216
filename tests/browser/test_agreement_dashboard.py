"""The agreement dashboard draws its charts offline and switches criteria without a page load."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from annotate.models import CampaignItem, Membership
from ratings.models import Rating
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


def _likert(key: str, label: str) -> dict:
    options = [{"value": v, "label": str(v), "key": str(v)} for v in range(1, 6)]
    return {
        "key": key,
        "type": "likert",
        "label": label,
        "required": True,
        "help": "",
        "level": "ordinal",
        "options": options,
    }


def _rated_campaign(transactional_db) -> tuple:
    """Two criteria, 30 items, 3 raters: 'helpful' mostly agreed on, 'honest' close to noise."""
    rubric = RubricVersionFactory(criteria=[_likert("helpful", "Helpfulness"), _likert("honest", "Honesty")])
    campaign = CampaignFactory(rubric_version=rubric)
    owner = UserFactory(username="dash-owner")
    MembershipFactory(campaign=campaign, user=owner, role=Membership.Role.OWNER)
    raters = [UserFactory(username=f"dash-rater{n}") for n in range(3)]
    rng = random.Random(7)
    for order in range(30):
        item = ItemFactory(dataset=campaign.dataset, metadata={"model": rng.choice(["atlas", "beacon"])})
        campaign_item = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        truth = rng.randint(1, 5)
        for rater in raters:
            helpful = min(5, max(1, truth + rng.choice([0, 0, 0, 1, -1])))
            RatingFactory(
                campaign_item=campaign_item, rater=rater, values={"helpful": helpful, "honest": rng.randint(1, 5)}
            )
    # Rated over two days, 20 items on the first: the curve over time has two points to draw.
    first_day = timezone.now() - timedelta(days=1)
    first = Rating.objects.filter(campaign_item__campaign=campaign, campaign_item__order_key__lt=20)
    first.update(updated_at=first_day)
    return campaign, owner


def _drawn_canvases(page) -> int:
    """Canvases that Chart.js has drawn on (a non-blank pixel somewhere)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('canvas')).filter((c) => {
            if (!window.Chart || !Chart.getChart(c)) return false;
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
            return false;
        }).length"""
    )


def test_owner_sees_every_chart_drawn_and_switches_criterion_in_place(
    transactional_db, page, page_log, login, screenshot
):
    campaign, owner = _rated_campaign(transactional_db)
    login(owner)
    page.goto(f"/c/{campaign.slug}/agreement/")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas').length > 0")
    canvases = page.locator("canvas").count()
    page.wait_for_function(
        "(n) => Array.from(document.querySelectorAll('canvas')).filter((c) => Chart.getChart(c)).length === n",
        arg=canvases,
    )
    assert canvases >= 5  # alpha per criterion, distribution, disagreement, over time, a slice
    assert _drawn_canvases(page) == canvases
    screenshot("agreement-dashboard")

    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator("#criterion-panel").get_by_role("link", name="Honesty").click()
    page.wait_for_function("() => location.search.includes('criterion=honest')")
    page.wait_for_function("() => document.querySelector('#criterion-panel h2')?.textContent.includes('Honesty')")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#criterion-panel canvas')).every((c) => Chart.getChart(c))"
    )
    assert page.evaluate("() => window.__sameDocument") is True, "the criterion switch reloaded the page"
    assert _drawn_canvases(page) == page.locator("canvas").count()
    assert page_log.errors == [] and page_log.console_errors == [] and page_log.dialogs == []
    assert page_log.failed == []


def _sliced_campaign(transactional_db) -> tuple:
    """One criterion, ten topics: "topic-00" has 21 unanimous items (alpha 1.000), the other nine 3 items each.

    dash-rater2 spends 0.2 s per item; every rating is given within the same minute.
    """
    rubric = RubricVersionFactory(criteria=[_likert("helpful", "Helpfulness")])
    campaign = CampaignFactory(rubric_version=rubric)
    owner = UserFactory(username="dash-owner")
    MembershipFactory(campaign=campaign, user=owner, role=Membership.Role.OWNER)
    raters = [UserFactory(username=f"dash-rater{n}") for n in range(3)]
    rng = random.Random(11)
    order = 0
    for topic, n_items in [("topic-00", 21)] + [(f"topic-{t:02d}", 3) for t in range(1, 10)]:
        for index in range(n_items):
            item = ItemFactory(dataset=campaign.dataset, metadata={"topic": topic})
            campaign_item = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
            order += 1
            truth = 1 + index % 5
            for n, rater in enumerate(raters):
                value = truth if topic == "topic-00" else min(5, max(1, truth + rng.choice([0, 1, -1])))
                seconds = 0.2 if n == 2 else rng.uniform(15, 40)
                RatingFactory(
                    campaign_item=campaign_item, rater=rater, values={"helpful": value}, seconds_spent=seconds
                )
    return campaign, owner


def _open_dashboard(page, campaign) -> None:
    page.goto(f"/c/{campaign.slug}/agreement/")
    page.wait_for_function(
        "() => window.Chart && Array.from(document.querySelectorAll('canvas')).every((c) => Chart.getChart(c))"
    )


def _topic_chart(page, expression: str):
    """Evaluate an expression over the topic slice chart (`chart`) and its data (`data`)."""
    return page.evaluate(
        """(expression) => {
            const canvas = document.querySelector('canvas[aria-label="Alpha by topic"]');
            const chart = Chart.getChart(canvas);
            const data = JSON.parse(document.getElementById('agreement-charts').textContent)[canvas.dataset.criterion]
                .slices[Number(canvas.dataset.index)];
            return Function('chart', 'data', 'return ' + expression)(chart, data);
        }""",
        expression,
    )


def test_every_slice_row_is_labelled_and_a_dot_at_one_is_drawn_whole(transactional_db, page, login):
    campaign, owner = _sliced_campaign(transactional_db)
    login(owner)
    _open_dashboard(page, campaign)
    assert _topic_chart(page, "chart.scales.y.ticks.length") == 10
    assert _topic_chart(page, "data.alpha[0]") == 1
    # The dot's radius (5 px) fits inside the plotting area rather than being cut at its edge.
    assert _topic_chart(page, "chart.scales.x.getPixelForValue(1) + 5 <= chart.chartArea.right")
    # The padding beyond 1.0 carries no tick of its own.
    assert max(_topic_chart(page, "chart.scales.x.ticks.map((t) => t.value)")) == 1
    assert _topic_chart(page, "data.too_few") == [False] + [True] * 9


def test_greek_letters_in_headers_stay_lowercase(transactional_db, page, login):
    campaign, owner = _sliced_campaign(transactional_db)
    login(owner)
    _open_dashboard(page, campaign)
    headers = page.locator("th").all_inner_texts()
    assert "α" in headers and "Α" not in headers
    assert "κ / AC1" in headers and "α without" in headers
    assert "dash-rater0" in page.locator("table.heatmap th").all_inner_texts()


def test_a_single_hour_of_labels_is_said_in_words(transactional_db, page, login):
    campaign, owner = _sliced_campaign(transactional_db)
    login(owner)
    _open_dashboard(page, campaign)
    section = page.locator("section.over-time")
    assert section.locator("canvas").count() == 0
    assert "labels so far were given within one hour" in section.inner_text()
    assert "(just now)" in page.locator("time").first.inner_text()


def test_the_fast_rater_is_marked_and_their_items_are_one_click_away(transactional_db, page, login):
    campaign, owner = _sliced_campaign(transactional_db)
    login(owner)
    _open_dashboard(page, campaign)
    row = page.locator("#rater-speed tr.speed-fast")
    assert row.count() == 1 and "implausibly fast" in row.inner_text()
    with page.expect_navigation():
        row.get_by_role("link", name="dash-rater2").click()
    assert "labelled by dash-rater2" in page.locator("main, body").first.inner_text()


def _overflowing(page) -> list[str]:
    """Elements reaching past the viewport's right edge, or past their card's, that no scrolling box contains."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('body *')).filter((e) => {
            const card = e.parentElement && e.parentElement.closest('.card');
            const edge = card ? card.getBoundingClientRect().right : innerWidth;
            if (e.getBoundingClientRect().right <= Math.min(edge, innerWidth) + 1) return false;
            for (let p = e.parentElement; p; p = p.parentElement) {
                if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return false;
            }
            return true;
        }).map((e) => e.tagName + '.' + e.className)"""
    )


def test_screenshots_of_the_dashboard_on_a_desktop_and_a_phone(transactional_db, page, page_log, login, screenshot):
    campaign, owner = _sliced_campaign(transactional_db)
    login(owner)
    for name, width, height in (("dashboard-desktop", 1280, 800), ("dashboard-phone", 390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        _open_dashboard(page, campaign)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert _overflowing(page) == []
        screenshot(name)
    assert page_log.errors == [] and page_log.console_errors == [] and page_log.failed == []
