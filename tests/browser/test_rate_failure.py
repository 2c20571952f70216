"""A submit that fails (no connection, a server error) tells the rater, keeps the answers and can be sent again."""

import os

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment
from ratings.models import Rating

pytestmark = pytest.mark.browser

CRITERIA = [
    {"key": "helpful", "type": "likert", "label": "Helpful", "scale": {"min": 1, "max": 5}},
    {"key": "honest", "type": "likert", "label": "Honest", "scale": {"min": 1, "max": 5}},
    {"key": "rationale", "type": "free_text", "label": "Rationale"},
]
SUBMIT = "**/rate/next/"
# Set to a directory to keep pictures of the error state at a desktop and a phone width.
PICTURES = os.environ.get("ACCORD_FAILURE_SCREENSHOTS")


def _fail(failure: str):
    """A route handler that makes the submit fail the given way."""
    if failure == "no-connection":
        return lambda route: route.abort("internetdisconnected")
    return lambda route: route.fulfill(status=503, content_type="text/html", body="<h1>Service unavailable</h1>")


def _open_rate_page(page, login, campaign, rater) -> str:
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_selector("#rate-form")
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    page.evaluate("() => { window.__marker = 1; }")
    return page.input_value("#rate-form input[name=assignment]")


def _pictures(page, failure: str) -> None:
    if not PICTURES:
        return
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.locator("#rate-error").scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(PICTURES, f"rate-failure-{failure}-{width}.png"), caret="initial")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("failure", ["no-connection", "server-unavailable"])
def test_a_failed_submit_is_announced_keeps_the_answers_and_a_retry_stores_them(
    page, page_log, login, rating_campaign, failure
) -> None:
    campaign, rater = rating_campaign(CRITERIA, [{"text": f"Item {n}"} for n in range(3)])
    first = _open_rate_page(page, login, campaign, rater)
    alert = page.locator("#rate-error")
    expect(alert).to_be_hidden()

    page.keyboard.press("4")
    page.keyboard.press("2")
    page.fill("#rate-form textarea", "Clear and correct.")
    page.route(SUBMIT, _fail(failure))
    page.click("#rate-form button[type=submit]")

    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("Your answers were NOT saved")
    expect(alert).to_contain_text("503" if failure == "server-unavailable" else "could not be reached")
    expect(alert).to_contain_text("press Enter or Retry")
    expect(alert.locator(".rate-retry")).to_be_focused()
    assert page.is_checked("#rate-form input[name=c-helpful][value='4']")
    assert page.is_checked("#rate-form input[name=c-honest][value='2']")
    assert page.input_value("#rate-form textarea") == "Clear and correct."
    assert page.input_value("#rate-form input[name=assignment]") == first
    assert not Rating.objects.filter(rater=rater).exists()
    assert page.evaluate("() => window.__marker") == 1, "the page reloaded instead of keeping the form"
    _pictures(page, failure)

    page.unroute(SUBMIT)
    if failure == "no-connection":
        page.click("#rate-error .rate-retry")
    else:
        # Enter sends them again, as the message says: on Retry, and from the answers too.
        page.focus("#rate-form input[name=c-honest][value='2']")
        page.keyboard.press("Enter")
    page.wait_for_function(
        "(first) => document.querySelector('#rate-form input[name=assignment]')?.value !== first", arg=first
    )
    expect(page.locator("#rate-error")).to_be_hidden()
    expect(page.locator(".rate-notice")).to_have_text("Saved.")
    rating = Rating.objects.get(rater=rater)
    assert rating.values == {"helpful": 4, "honest": 2, "rationale": "Clear and correct."}
    assert Assignment.objects.get(pk=first).status == Assignment.Status.SUBMITTED
    assert page_log.errors == []


def test_a_failure_twice_in_a_row_is_announced_again(page, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, [{"text": "Item"}])
    _open_rate_page(page, login, campaign, rater)
    page.keyboard.press("3")
    page.keyboard.press("3")
    page.route(SUBMIT, _fail("server-unavailable"))
    page.click("#rate-form button[type=submit]")
    expect(page.locator("#rate-error")).to_be_visible()
    # Enter on the focused Retry sends again; the old message goes while it is on its way, the new failure brings
    # it back.
    with page.expect_response("**/rate/next/"):
        page.keyboard.press("Enter")
    expect(page.locator("#rate-error")).to_contain_text("Your answers were NOT saved")
    assert not Rating.objects.filter(rater=rater).exists()
