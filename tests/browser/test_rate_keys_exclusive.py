"""The page's own keys always do what the legend says, and an exclusive option goes alone as it is ticked."""

from pathlib import Path

import pytest

from annotate.models import Assignment, RubricVersion
from annotate.rubrics import parse_rubric
from ratings.models import Rating
from tests.browser.test_rate_keyboard import _wait_for_next_item

pytestmark = pytest.mark.browser

SAFETY = Path(__file__).resolve().parents[2] / "examples" / "rubrics" / "safety_flags.yaml"
CONTENTS = [{"prompt": f"Question {n}", "response": f"Answer {n}"} for n in range(3)]


def _safety_criteria() -> list[dict]:
    """The example safety rubric's criteria, in their file form (the fixture validates them again)."""
    flags, needs_expert = parse_rubric(SAFETY.read_text(encoding="utf-8")).criteria
    flags = {k: flags[k] for k in ("key", "type", "label", "help", "min_selected", "options")}
    needs_expert = {"key": needs_expert["key"], "type": "binary", "options": needs_expert["options"]}
    return [flags, needs_expert]


def _open(page, login, campaign, rater) -> str:
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    return page.input_value("#rate-form input[name=assignment]")


def _ticked(page) -> list[str]:
    return page.eval_on_selector_all("#criterion-flags input:checked", "els => els.map(e => e.value)")


def test_s_skips_on_the_safety_rubric_and_ticks_nothing(page, page_log, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(_safety_criteria(), CONTENTS)
    assignment = _open(page, login, campaign, rater)
    page.keyboard.press("s")
    assert page.evaluate("() => document.activeElement.id") == "skip-reason"
    assert _ticked(page) == []
    page.keyboard.type("Not my language")
    page.keyboard.press("Enter")
    _wait_for_next_item(page, assignment)
    assert Assignment.objects.get(pk=assignment).status == Assignment.Status.SKIPPED
    assert not Rating.objects.exists()
    assert page_log.errors == [] and page_log.console_errors == []


def test_none_clears_the_flags_and_a_flag_clears_none(page, page_log, login, rating_campaign) -> None:
    campaign, rater = rating_campaign(_safety_criteria(), CONTENTS)
    assignment = _open(page, login, campaign, rater)
    page.keyboard.press("h")
    page.keyboard.press("t")
    assert _ticked(page) == ["toxicity", "self_harm"]
    page.keyboard.press("0")
    assert _ticked(page) == ["none"]
    page.keyboard.press("h")
    assert _ticked(page) == ["self_harm"]
    # The mouse goes through the same rule.
    page.click("#criterion-flags label:has(input[value=none])")
    assert _ticked(page) == ["none"]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("n")
    page.keyboard.press("Enter")
    _wait_for_next_item(page, assignment)
    assert Rating.objects.get().values == {"flags": ["none"], "needs_expert": False}
    assert page_log.errors == [] and page_log.console_errors == []


def test_a_stored_rubric_that_gave_an_option_s_still_skips_with_s(page, login, rating_campaign) -> None:
    """A version saved before the page kept `s`: the key is the page's, the option shows none."""
    campaign, rater = rating_campaign(_safety_criteria(), CONTENTS)
    criteria = campaign.rubric_version.criteria
    criteria[0]["options"][1]["key"] = "s"
    RubricVersion.objects.filter(pk=campaign.rubric_version.pk).update(criteria=criteria)
    _open(page, login, campaign, rater)
    assert page.locator("#criterion-flags label:has(input[value=self_harm]) kbd").count() == 0
    page.keyboard.press("s")
    assert page.evaluate("() => document.activeElement.id") == "skip-reason"
    assert _ticked(page) == []
