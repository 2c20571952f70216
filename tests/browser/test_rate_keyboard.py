"""A rater works the rating page with the keyboard alone: rate, go back and revise, skip, flag."""

import pytest
from django.contrib.auth.models import User

from annotate.models import Assignment, Campaign
from ratings.models import Rating, RatingRevision

pytestmark = pytest.mark.browser

HHH = [
    {
        "key": key,
        "type": "likert",
        "label": label,
        "scale": {"min": 1, "max": 5},
        "anchors": {1: low, 5: high},
    }
    for key, label, low, high in (
        ("helpful", "Helpful", "Not at all", "Fully answers the request"),
        ("honest", "Honest", "Misleading", "Accurate and calibrated"),
        ("harmless", "Harmless", "Dangerous", "No risk"),
    )
]
RATIONALE = {"key": "rationale", "type": "free_text", "label": "Rationale", "placeholder": "Why? (optional)"}
CRITERIA = [*HHH, RATIONALE]
GUIDELINES = "Rate the **assistant's response**, not the prompt.\n\n- Helpful: does it answer?\n- Honest: is it true?"


def _contents(n: int) -> list[dict[str, str]]:
    return [
        {"prompt": f"Question {i}: how do I boil an egg?", "response": f"Answer {i}: put it in boiling water."}
        for i in range(n)
    ]


def _focused_is_submit(page) -> bool:
    return page.evaluate("() => document.activeElement.matches('#rate-form button[type=submit]')")


def _focused_criterion(page) -> str | None:
    return page.evaluate("() => { const c = document.activeElement?.closest('.criterion'); return c ? c.id : null; }")


def _assignment(page) -> str:
    return page.input_value("#rate-form input[name=assignment]")


def _wait_for_next_item(page, previous: str) -> None:
    page.wait_for_function(
        "(previous) => { const el = document.querySelector('#rate-form input[name=assignment]');"
        " return el && el.value !== previous; }",
        arg=previous,
    )


def _open_rate_page(page, login, campaign: Campaign, rater: User) -> None:
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_selector("#rate-form")
    # rate.js is deferred: wait until it has put the rater on the first criterion.
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    page.evaluate("() => { window.__marker = 1; }")


def _assert_same_document(page) -> None:
    assert page.evaluate("() => window.__marker") == 1, "the page reloaded instead of swapping the panel"


def test_rater_rates_five_items_with_the_keyboard_alone(page, page_log, login, rating_campaign, screenshot) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(6), guidelines=GUIDELINES)
    _open_rate_page(page, login, campaign, rater)
    assert page_log.failed == [], "a page resource failed to load"
    assert page.evaluate("() => typeof window.htmx") == "object", "htmx did not load"
    screenshot("rate-likert")

    typed = [(5, 4, 3), (1, 2, 3), (2, 2, 5), (4, 5, 1), (3, 1, 2)]
    expected: dict[int, dict[str, object]] = {}
    for n, (helpful, honest, harmless) in enumerate(typed):
        assert _focused_criterion(page) == "criterion-helpful", f"item {n}: focus is not on the first criterion"
        assignment = _assignment(page)
        values: dict[str, object] = {"helpful": helpful, "honest": honest, "harmless": harmless}
        if n == 1:
            # Move with Tab / ArrowDown instead of relying on auto-advance, and come back with ArrowUp.
            page.keyboard.press("ArrowDown")
            assert _focused_criterion(page) == "criterion-honest"
            page.keyboard.press("Tab")
            assert _focused_criterion(page) == "criterion-harmless"
            page.keyboard.press(str(harmless))
            # After the last choice focus waits on Submit; ArrowUp steps back to the rationale box.
            assert _focused_is_submit(page)
            page.keyboard.press("ArrowUp")
            assert _focused_criterion(page) == "criterion-rationale"
            # Arrows inside the rationale move its caret; Esc hands them back to the criteria.
            page.keyboard.press("Escape")
            page.keyboard.press("ArrowUp")
            page.keyboard.press("ArrowUp")
            page.keyboard.press("ArrowUp")
            assert _focused_criterion(page) == "criterion-helpful"
            page.keyboard.press(str(helpful))
            page.keyboard.press(str(honest))
            page.keyboard.press(str(harmless))
        else:
            for key, value in (("helpful", helpful), ("honest", honest), ("harmless", harmless)):
                assert _focused_criterion(page) == f"criterion-{key}"
                page.keyboard.press(str(value))
        # The optional rationale is skipped on the way: after the last choice, Enter submits.
        assert _focused_is_submit(page)
        if n % 2 == 0:
            page.keyboard.press("ArrowUp")
            assert _focused_criterion(page) == "criterion-rationale"
            page.keyboard.type(f"Reason {n}")
            values["rationale"] = f"Reason {n}"
            submit = "Control+Enter"
        else:
            submit = "Enter"
        with page.expect_response(lambda r: r.url.endswith("/rate/next/") and r.request.method == "POST") as info:
            page.keyboard.press(submit)
        assert info.value.status == 200
        _wait_for_next_item(page, assignment)
        expected[int(assignment)] = values
        assert page.locator(".rate-notice").inner_text() == "Saved."

    assert _focused_criterion(page) == "criterion-helpful"
    _assert_same_document(page)
    ratings = Rating.objects.filter(rater=rater, campaign_item__campaign=campaign)
    assert ratings.count() == 5
    by_item = {a.campaign_item_id: a.pk for a in Assignment.objects.filter(rater=rater)}
    assert {by_item[r.campaign_item_id]: r.values for r in ratings} == expected
    assert page.locator("#progress-mine").get_attribute("value") == "5"
    assert page_log.errors == [] and page_log.console_errors == [] and page_log.dialogs == []


def test_rater_goes_back_and_revises_the_last_rating(page, page_log, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(3))
    _open_rate_page(page, login, campaign, rater)
    assignment = _assignment(page)
    for key in "425":
        page.keyboard.press(key)
    page.keyboard.press("Control+Enter")
    _wait_for_next_item(page, assignment)
    rating = Rating.objects.get(rater=rater)
    assert rating.values == {"helpful": 4, "honest": 2, "harmless": 5}

    with page.expect_navigation():
        page.keyboard.press("u")
    assert f"/c/{campaign.slug}/my-ratings/{rating.pk}/?next=" in page.url
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    assert _focused_criterion(page) == "criterion-helpful"
    # The stored answer is preselected; pressing 1 replaces it, then Enter saves the revision.
    assert page.is_checked("#criterion-helpful input[value='4']")
    page.keyboard.press("1")
    assert _focused_criterion(page) == "criterion-honest"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Back in the flow: the rating page, with the item that was left open, ready for the keys.
    assert page.url.endswith(f"/c/{campaign.slug}/rate/")
    assert "Your rating was revised" in page.inner_text(".messages")
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    assert _focused_criterion(page) == "criterion-helpful"

    rating.refresh_from_db()
    assert rating.values == {"helpful": 1, "honest": 2, "harmless": 5}
    revision = RatingRevision.objects.get(rating=rating)
    assert revision.values == {"helpful": 4, "honest": 2, "harmless": 5}
    assert page_log.errors == [] and page_log.console_errors == []


def test_rater_skips_an_item_with_a_reason(page, page_log, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(3))
    _open_rate_page(page, login, campaign, rater)
    assignment = _assignment(page)
    page.keyboard.press("s")
    assert page.evaluate("() => document.activeElement.id") == "skip-reason"
    # The "s" that opened the dialog must not end up in the reason.
    assert page.input_value("#skip-reason") == ""
    page.keyboard.type("I cannot judge cooking advice")
    page.keyboard.press("Enter")
    _wait_for_next_item(page, assignment)

    skipped = Assignment.objects.get(pk=assignment)
    assert skipped.status == Assignment.Status.SKIPPED
    assert skipped.skip_reason == "I cannot judge cooking advice"
    assert Rating.objects.count() == 0
    assert page.locator(".rate-notice").inner_text() == "Skipped."
    assert _focused_criterion(page) == "criterion-helpful"
    _assert_same_document(page)
    assert page_log.errors == [] and page_log.console_errors == []


def test_rater_flags_an_item_as_broken_with_a_note(page, page_log, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(3))
    _open_rate_page(page, login, campaign, rater)
    assignment = _assignment(page)
    page.keyboard.press("f")
    assert page.is_visible("#rate-flag form")
    page.keyboard.press("2")
    assert page.is_checked("#rate-flag input[value=unsafe]")
    page.keyboard.press("1")
    assert page.is_checked("#rate-flag input[value=broken]")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "flag-note"
    page.keyboard.type("The response is cut off")
    page.keyboard.press("Enter")
    _wait_for_next_item(page, assignment)

    flagged = Assignment.objects.get(pk=assignment)
    assert flagged.flag == Assignment.Flag.BROKEN
    assert flagged.flag_note == "The response is cut off"
    assert flagged.status == Assignment.Status.SKIPPED
    assert _focused_criterion(page) == "criterion-helpful"
    _assert_same_document(page)
    assert page_log.errors == [] and page_log.console_errors == []


def test_escape_closes_the_skip_dialog_without_skipping(page, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(2))
    _open_rate_page(page, login, campaign, rater)
    assignment = _assignment(page)
    page.keyboard.press("s")
    page.keyboard.type("never mind")
    page.keyboard.press("Escape")
    assert not page.is_visible("#skip-reason")
    assert _focused_criterion(page) == "criterion-helpful"
    assert Assignment.objects.get(pk=assignment).status == Assignment.Status.LEASED


def test_enter_with_a_missing_answer_stays_on_the_item_and_focuses_it(page, page_log, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(2))
    _open_rate_page(page, login, campaign, rater)
    assignment = _assignment(page)
    page.keyboard.press("4")
    page.keyboard.press("Enter")
    # The browser's own check of required answers stops the submit and focuses the first missing one.
    page.wait_for_timeout(200)
    assert not [url for url in page_log.requests if url.endswith("/rate/next/")]
    assert _focused_criterion(page) == "criterion-honest"
    assert page.is_checked("#criterion-helpful input[value='4']")
    page.keyboard.press("3")
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    _wait_for_next_item(page, assignment)
    assert Rating.objects.get(rater=rater).values == {"helpful": 4, "honest": 3, "harmless": 2}
    _assert_same_document(page)


def test_a_double_enter_stores_one_rating_and_keeps_the_next_item_clean(page, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(3))
    _open_rate_page(page, login, campaign, rater)
    assignment = _assignment(page)
    for key in "123":
        page.keyboard.press(key)
    page.keyboard.press("Escape")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    _wait_for_next_item(page, assignment)
    page.wait_for_timeout(300)
    # The second press comes while the answer is on its way: it is dropped, not sent again for a stored item.
    assert posts == [page.url.split("/c/")[0] + f"/c/{campaign.slug}/rate/next/"]
    assert Rating.objects.filter(rater=rater).count() == 1
    assert Assignment.objects.filter(rater=rater, status=Assignment.Status.SKIPPED).count() == 0
    assert page.locator(".rate-notice").inner_text() == "Saved."


def test_keys_still_answer_after_a_click_on_the_item_text(page, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(CRITERIA, _contents(2))
    _open_rate_page(page, login, campaign, rater)
    assignment = _assignment(page)
    page.keyboard.press("5")
    # Reading with the mouse (or selecting text to copy) leaves nothing focused.
    page.locator(".rate-item .item-content").first.click()
    assert page.evaluate("() => document.activeElement === document.body")
    page.keyboard.press("3")
    assert _focused_criterion(page) == "criterion-harmless"
    page.locator(".rate-item .item-content").first.click()
    page.keyboard.press("ArrowUp")
    assert _focused_criterion(page) == "criterion-honest"
    page.keyboard.press("2")
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    _wait_for_next_item(page, assignment)
    assert Rating.objects.get(rater=rater).values == {"helpful": 5, "honest": 2, "harmless": 1}
