"""Pairwise items: sides labelled A and B on screen, answers stored in the original labelling."""

import pytest

from annotate.models import Assignment
from ratings.models import Rating
from ratings.queue import assignment_next

pytestmark = pytest.mark.browser

PREFERENCE = {"key": "preference", "type": "pairwise", "label": "Which response is better?"}
RATIONALE = {"key": "rationale", "type": "free_text", "label": "Rationale"}


def _pair(n: int) -> dict[str, str]:
    return {
        "prompt": f"Pair {n}: explain recursion to a child.",
        "response_a": f"ORIGINAL-A-{n}: a function that calls itself, like mirrors facing each other.",
        "response_b": f"ORIGINAL-B-{n}: recursion is when a definition refers to itself.",
    }


def _sides(page) -> list[tuple[str, str]]:
    return [
        (side.locator(".side-label").inner_text(), side.locator(".item-content").inner_text())
        for side in page.locator(".rate-side").all()
    ]


def _choose(page, key: str) -> None:
    previous = page.input_value("#rate-form input[name=assignment]")
    assert page.evaluate("() => document.activeElement.closest('.criterion')?.id") == "criterion-preference"
    page.keyboard.press(key)
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(p) => document.querySelector('#rate-form input[name=assignment]')?.value !== p"
        " || document.querySelector('.rate-empty') !== null",
        arg=previous,
    )


def test_pairwise_choice_is_stored_in_the_original_labelling(
    page, page_log, login, rating_campaign, screenshot
) -> None:
    campaign, rater = rating_campaign([PREFERENCE, RATIONALE], [_pair(1), _pair(2)])
    # Lease the first item now and show it swapped, so this test always covers the swapped case.
    first = assignment_next(campaign=campaign, rater=rater)
    Assignment.objects.filter(pk=first.pk).update(presentation={"left": "b"})
    n_first = first.campaign_item.item.content["prompt"].split(":")[0].split()[1]

    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    sides = _sides(page)
    assert [label for label, _ in sides] == ["A", "B"]
    assert sides[0][1].startswith(f"ORIGINAL-B-{n_first}") and sides[1][1].startswith(f"ORIGINAL-A-{n_first}")
    # The field names would reveal the original order; the page never shows them.
    assert "response_a" not in page.content() and "response_b" not in page.content()
    screenshot("rate-pairwise")

    # "a" picks the side labelled A on screen, which is the original B.
    _choose(page, "a")
    assert Rating.objects.get(rater=rater, campaign_item=first.campaign_item).values == {"preference": "B"}

    second = Assignment.objects.get(rater=rater, status=Assignment.Status.LEASED)
    left = second.presentation["left"]
    n_second = second.campaign_item.item.content["prompt"].split(":")[0].split()[1]
    assert _sides(page)[0][1].startswith(f"ORIGINAL-{left.upper()}-{n_second}")
    _choose(page, "b")
    stored = Rating.objects.get(rater=rater, campaign_item=second.campaign_item)
    assert stored.values == {"preference": "B" if left == "a" else "A"}
    assert stored.presentation == {"left": left}
    assert page.locator(".rate-empty").is_visible()
    assert page_log.errors == [] and page_log.console_errors == [] and page_log.dialogs == []


def test_pairwise_tie_key_stores_a_tie(page, login, rating_campaign) -> None:
    campaign, rater = rating_campaign([PREFERENCE], [_pair(1)])
    first = assignment_next(campaign=campaign, rater=rater)
    Assignment.objects.filter(pk=first.pk).update(presentation={"left": "b"})
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    page.keyboard.press("t")
    # With a single criterion, choosing completes the form: Enter submits from the chosen option.
    page.keyboard.press("Enter")
    page.wait_for_selector(".rate-empty")
    assert Rating.objects.get(rater=rater).values == {"preference": "tie"}
