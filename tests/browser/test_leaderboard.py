"""The leaderboard draws its chart offline, under the Content Security Policy, on a desktop and on a phone."""

import random

import pytest

from annotate.models import CampaignItem, Membership
from annotate.rubrics import validate_criteria
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

STRENGTH = {"cirrus-70b": 3.0, "beacon-13b": 2.0, "atlas-7b": 1.0, "delta-chat": 0.6}


def _pairwise_campaign() -> tuple:
    """Four systems, 60 pairs, 3 raters; one of them often takes whatever output is on the left."""
    version = RubricVersionFactory(criteria=validate_criteria([{"key": "preference", "type": "pairwise"}]))
    dataset = DatasetFactory(metadata_fields=["model_a", "model_b", "topic"])
    campaign = CampaignFactory(dataset=dataset, rubric_version=version, name="Which response is better?")
    owner = UserFactory(username="board-owner")
    MembershipFactory(campaign=campaign, user=owner, role=Membership.Role.OWNER)
    raters = [UserFactory(username=f"board-rater{n}") for n in range(3)]
    rng = random.Random(3)
    names = list(STRENGTH)
    for order in range(60):
        a, b = rng.sample(names, 2)
        item = ItemFactory(dataset=dataset, metadata={"model_a": a, "model_b": b, "topic": "general"})
        ci = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        for index, rater in enumerate(raters):
            left = rng.choice("ab")
            if index == 0 and rng.random() < 0.5:
                choice = left.upper()
            else:
                u = rng.random()
                choice = "tie" if u < 0.1 else "A" if u < 0.1 + 0.9 * STRENGTH[a] / (STRENGTH[a] + STRENGTH[b]) else "B"
            RatingFactory(campaign_item=ci, rater=rater, values={"preference": choice}, presentation={"left": left})
    return campaign, owner


def _chart_drawn(page) -> bool:
    return page.evaluate(
        """() => {
            const c = document.querySelector('canvas[data-source="leaderboard-chart"]');
            if (!c || !window.Chart || !Chart.getChart(c)) return false;
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
            return false;
        }"""
    )


def test_the_ranking_chart_is_drawn_and_the_page_fits_a_phone(transactional_db, page, page_log, login, screenshot):
    campaign, owner = _pairwise_campaign()
    login(owner)
    page.goto(f"/c/{campaign.slug}/leaderboard/")
    page.wait_for_function("() => window.Chart && document.querySelector('canvas[data-source=\"leaderboard-chart\"]')")
    page.wait_for_function("() => Chart.getChart(document.querySelector('canvas[data-source=\"leaderboard-chart\"]'))")
    assert _chart_drawn(page)
    assert page.locator("#leaderboard-verdict").inner_text().startswith("cirrus-70b ranks first")
    assert page.locator("#position-theta").is_visible()
    screenshot("leaderboard-desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-source=\"leaderboard-chart\"]'))"
    )
    assert _chart_drawn(page)
    # Nothing but the tables (which scroll in their own box) is wider than the phone.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    screenshot("leaderboard-phone")

    assert page_log.errors == [] and page_log.console_errors == []
    assert all(url.startswith(page.url.split("/c/")[0]) for url in page_log.requests)
    assert page_log.failed == []
