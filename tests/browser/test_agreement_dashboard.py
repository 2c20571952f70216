"""The agreement dashboard draws its charts offline and switches criteria without a page load."""

import random

import pytest

from annotate.models import CampaignItem, Membership
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
