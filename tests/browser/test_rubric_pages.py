"""The rubric pages in a browser: the editor, a version and the comparison fit a phone and obey the CSP."""

import pytest

from annotate.rubrics import parse_rubric
from annotate.services.rubrics import rubric_create, rubric_version_save
from tests.factories import CampaignFactory

pytestmark = pytest.mark.browser

WRITTEN = """\
# Tone rubric: the first line of this comment is long enough to run past a phone's width on its own.
name: Tone
guidelines: |
  Rate the **tone** of the response.
criteria:
  - key: warmth
    type: likert
    label: Warmth
    scale: {min: 1, max: 5}
    anchors: {1: Cold, 5: Warm}
"""


def two_versions(curator) -> int:
    """A rubric whose v1 a campaign of the curator's uses, and a v2 that changes the scale and the guidelines."""
    version = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN)
    CampaignFactory(rubric_version=version, owner=curator)
    changed = WRITTEN.replace("max: 5}", "max: 7}").replace("**tone**", "**tone** and the **register**")
    spec = parse_rubric(changed)
    rubric_version_save(
        rubric=version.rubric,
        guidelines=spec.guidelines,
        criteria=spec.criteria,
        description=None,
        user=curator,
        source=changed,
    )
    return version.rubric_id


@pytest.mark.parametrize("width", [1280, 390])
def test_rubric_pages_do_not_scroll_sideways(page, page_log, login, screenshot, curator, width: int) -> None:
    rubric_id = two_versions(curator)
    page.set_viewport_size({"width": width, "height": 844})
    login(curator)
    for name, path in (("detail", ""), ("edit", "edit/"), ("compare", "compare/")):
        page.goto(f"/rubrics/{rubric_id}/{path}")
        screenshot(f"rubric-{name}-{width}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, name
    assert page_log.console_errors == [] and page_log.errors == []


def test_the_comparison_is_linked_from_the_rubric_page_and_shows_the_diff(page, login, curator) -> None:
    rubric_id = two_versions(curator)
    login(curator)
    page.goto(f"/rubrics/{rubric_id}/")
    page.click("text=Compare versions")
    assert page.locator("select[name=from]").input_value() == "1"
    assert page.locator("select[name=to]").input_value() == "2"
    assert "scale: 1–5 → 1–7" in page.locator(".criterion-diff").first.inner_text()
    assert (
        page.locator(".text-diff ins").inner_text().endswith("Rate the **tone** and the **register** of the response.")
    )


def test_the_editor_keeps_yaml_lines_whole_on_a_phone(page, login, curator) -> None:
    rubric_id = two_versions(curator)
    page.set_viewport_size({"width": 390, "height": 844})
    login(curator)
    page.goto(f"/rubrics/{rubric_id}/edit/")
    editor = page.locator("textarea.code")
    assert editor.input_value().startswith("# Tone rubric: the first line")
    # A wrapped line would start at the left edge and read as a change of YAML indentation.
    assert editor.evaluate("(el) => getComputedStyle(el).whiteSpace") == "pre"


def test_a_criterions_options_are_laid_out_as_a_table(page, login, curator) -> None:
    rubric_id = two_versions(curator)
    login(curator)
    page.goto(f"/rubrics/{rubric_id}/")
    options = page.locator(".criterion table.options").first
    assert options.evaluate("(el) => getComputedStyle(el).display") == "table"
