"""Each item starts at its top: the prompt, the start of the item and the "Saved." notice in view, keys on the
first criterion; and how the page looks with a long item at desktop and phone width."""

import pytest

from tests.browser.test_rate_keyboard import CRITERIA, GUIDELINES, _focused_criterion, _wait_for_next_item

pytestmark = pytest.mark.browser

PROMPT = (
    "My landlord kept my whole deposit and says the carpet was damaged, but it was already worn when I moved in. "
    "What can I do?"
)
RESPONSE = "\n\n".join(
    [
        "I'm sorry you're dealing with this. Here is a practical way to approach it, **step by step**.",
        "## 1. Gather your evidence",
        "- The signed lease and any move-in checklist or inventory.\n"
        "- Photos or videos from move-in and move-out, with dates.\n"
        "- Every message with your landlord about the carpet or the deposit.",
        "## 2. Know the rules that usually apply",
        "In many places a landlord may deduct only for damage *beyond normal wear and tear*. A carpet that was already "
        "worn when you moved in, and that wore further with ordinary use, is usually wear and tear. Many jurisdictions "
        "also require the landlord to send an itemised list of deductions within a fixed number of days, often 14 to "
        "30; missing that deadline can forfeit the right to keep any of it.",
        "## 3. Write a demand letter",
        "State the amount, the reason you dispute the deduction, the evidence you have, and a deadline "
        "(for example 14 days) for the refund. Keep a copy and send it in a way you can prove, such as recorded mail.",
        "```\nDear Ms. Example,\nI am writing about the deposit of $1,200 for 12 Elm Street...\n```",
        "## 4. If that fails",
        "Small-claims court is designed for disputes like this: the fees are low and you don't need a lawyer. Some "
        "places award a multiple of the deposit when it was withheld in bad faith.",
        "## 5. Get local advice",
        "A tenants' union or legal aid office can tell you the exact deadlines and amounts where you live. "
        "This is general information, not legal advice.",
    ]
    * 2
)
LONG_ITEM = {"prompt": PROMPT, "response": RESPONSE}
IN_VIEW = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return r.top >= 0 && r.top < window.innerHeight;
}"""


def _open(page, login, rating_campaign, width: int, height: int) -> None:
    campaign, rater = rating_campaign(CRITERIA, [LONG_ITEM, LONG_ITEM, LONG_ITEM], guidelines=GUIDELINES)
    page.set_viewport_size({"width": width, "height": height})
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_each_item_starts_at_its_top_with_the_keys_on_the_first_criterion(
    page, login, rating_campaign, width: int, height: int
) -> None:
    _open(page, login, rating_campaign, width, height)
    # The item is longer than the window: the first criterion is below it, yet the page starts at the top.
    assert not page.evaluate(IN_VIEW, "#criterion-helpful")
    assert page.evaluate(IN_VIEW, ".rate-item")
    assert _focused_criterion(page) == "criterion-helpful"
    for _ in range(2):
        assignment = page.input_value("#rate-form input[name=assignment]")
        for key in "543":
            page.keyboard.press(key)
        # Answering took the rater down to the last criterion.
        assert not page.evaluate(IN_VIEW, ".rate-item")
        page.keyboard.press("Enter")
        _wait_for_next_item(page, assignment)
        page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
        assert page.inner_text(".rate-notice") == "Saved."
        assert page.evaluate(IN_VIEW, ".rate-notice")
        assert page.evaluate(IN_VIEW, ".rate-item")
        assert _focused_criterion(page) == "criterion-helpful"
        # The keys still answer the first criterion of the new item.
        page.keyboard.press("2")
        assert page.is_checked("#criterion-helpful input[value='2']")
        page.keyboard.press("ArrowUp")


@pytest.mark.parametrize(("name", "width", "height"), [("rate-desktop", 1280, 800), ("rate-phone", 390, 844)])
def test_the_page_with_a_long_item_fits_its_width(
    page, page_log, login, rating_campaign, screenshot, name: str, width: int, height: int
) -> None:
    _open(page, login, rating_campaign, width, height)
    page.click("#rate-guidelines summary")
    page.click(".rate-progress-help summary")
    screenshot(name)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    # Nothing is cut off at the right edge: every option, key hint and button sits inside the window.
    overflowing = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('#rate-panel label, #rate-panel button, .rate-legend dt'))
            .filter(el => el.getBoundingClientRect().right > width + 0.5).map(el => el.textContent.trim())""",
        width,
    )
    assert overflowing == []
    assert page_log.errors == [] and page_log.console_errors == [] and page_log.failed == []
