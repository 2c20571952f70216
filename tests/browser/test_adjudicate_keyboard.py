"""An adjudicator clears the demo campaign's adjudication queue with the keyboard alone."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError

from annotate.models import Campaign
from ratings.adjudication_queue import adjudication_queue
from ratings.models import Adjudication
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

RATIONALE = "The raters split evenly; the response is partly right."


@pytest.fixture
def demo(transactional_db) -> Campaign:
    """The demo data, with the adjudicator's password set to the tests' one."""
    call_command("load_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    adjudicator = get_user_model().objects.get(username="adjudicator")
    adjudicator.set_password(PASSWORD)
    adjudicator.save()
    return Campaign.objects.get(slug="demo")


def _decide_by_keys(page) -> None:
    """Accept each aggregate (already chosen) and settle each tie with its first option and a rationale."""
    criteria = page.locator(".adjudicate-criterion")
    n = criteria.count()
    for i in range(n):
        criterion = criteria.nth(i)
        if criterion.get_attribute("data-aggregate") == "":
            key = criterion.locator("input[data-key]").first.get_attribute("data-key")
            page.keyboard.press(key)
            assert page.evaluate("() => document.activeElement.tagName") == "TEXTAREA"
            page.keyboard.type(RATIONALE)
            page.keyboard.press("Escape")
        if i < n - 1:
            page.keyboard.press("ArrowDown")


def _wait_for_next(page, shown: str) -> None:
    """Until the next item's panel is in place (htmx), or the cleared queue's page has loaded."""
    try:
        page.wait_for_function(
            "(shown) => { const p = document.getElementById('adjudicate-panel');"
            " return !p || (p.dataset.item !== shown && document.activeElement.closest('.adjudicate-criterion')"
            " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')); }",
            arg=shown,
        )
    except PlaywrightError:
        # The last decision sends the browser to the queue page: the old page's context went with it.
        pass
    page.wait_for_load_state()


def test_adjudicator_clears_the_demo_queue_by_keyboard(page, login, demo, page_log, screenshot):
    from django.contrib.auth import get_user_model

    waiting = len(adjudication_queue(demo))
    assert waiting > 5
    login(get_user_model().objects.get(username="adjudicator"))
    page.goto(f"/c/{demo.slug}/adjudicate/")
    screenshot("adjudication-queue-desktop")
    page.focus("text=Start adjudicating")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/adjudicate/*/")
    screenshot("adjudication-item-desktop")
    for _ in range(waiting + 5):
        if page.locator("#adjudicate-form").count() == 0:
            break
        shown = page.get_attribute("#adjudicate-panel", "data-item")
        _decide_by_keys(page)
        page.keyboard.press("Enter")
        _wait_for_next(page, shown)
    assert "the queue is clear" in page.content()
    # Each next item came into the page by htmx: only the start link went through the next-item redirect.
    assert sum("/adjudicate/next/" in url for url in page_log.requests) == 1
    assert adjudication_queue(demo) == []
    assert Adjudication.objects.filter(campaign=demo, is_current=True).exists()
    assert Adjudication.objects.filter(campaign=demo, rationale=RATIONALE).exists() or not any(
        a.seen.get("method") == "tie" for a in Adjudication.objects.filter(campaign=demo)
    )
    assert not page_log.errors and not page_log.console_errors


def test_the_adjudication_item_and_export_pages_fit_a_phone(page, login, demo, screenshot):
    from django.contrib.auth import get_user_model

    page.set_viewport_size({"width": 390, "height": 844})
    login(get_user_model().objects.get(username="adjudicator"))
    page.goto(f"/c/{demo.slug}/adjudicate/")
    screenshot("adjudication-queue-phone")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.goto(f"/c/{demo.slug}/adjudicate/next/")
    page.wait_for_selector("#adjudicate-form")
    screenshot("adjudication-item-phone")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    item = page.url.rstrip("/").rsplit("/", 1)[-1]
    # The item page with its final labels, and the export page with the data card's tables.
    for url in (f"/c/{demo.slug}/agreement/items/{item}/", f"/c/{demo.slug}/export/"):
        page.goto(url)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, url
    screenshot("export-phone")
