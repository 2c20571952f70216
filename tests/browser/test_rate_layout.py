"""What the rating page looks like: key hints are legible and nothing widens the page."""

import pytest

pytestmark = pytest.mark.browser

CRITERIA = [{"key": "helpful", "type": "likert", "label": "Helpful", "scale": {"min": 1, "max": 5}}]
# Colour of an element's text and of the first opaque background behind it.
COLOURS = """(el) => {
  let bg = el, colour = getComputedStyle(el).color;
  while (bg && getComputedStyle(bg).backgroundColor === 'rgba(0, 0, 0, 0)') { bg = bg.parentElement; }
  return [colour, bg ? getComputedStyle(bg).backgroundColor : 'rgb(255, 255, 255)'];
}"""


def test_key_hints_in_buttons_are_legible(page, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, [{"prompt": "P", "response": "R"}])
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.click("#rate-flag summary")
    hints = page.locator("button kbd, a.btn kbd")
    assert hints.count() >= 3
    for n in range(hints.count()):
        colour, background = hints.nth(n).evaluate(COLOURS)
        assert colour != background, f"{hints.nth(n).inner_text()!r} is drawn in its background colour"


@pytest.mark.parametrize("width", [1280, 390])
def test_page_does_not_scroll_sideways(page, login, rating_campaign, screenshot, width: int) -> None:
    long_url = "https://example.org/" + "a" * 400
    content = {"prompt": "P", "response": "word " * 50 + long_url, "code": "`" + "b" * 300 + "`"}
    campaign, rater = rating_campaign(CRITERIA, [content])
    page.set_viewport_size({"width": width, "height": 800})
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_selector("#rate-form")
    screenshot(f"rate-width-{width}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
