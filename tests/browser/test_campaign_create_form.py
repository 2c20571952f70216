"""The new-campaign form in a browser: the slug follows the name until edited, and its groups are styled."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import DatasetFactory, ItemFactory, RubricFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def curator(transactional_db):
    user = UserFactory(username="curator")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_dataset", "add_rubric", "add_campaign"]))
    dataset = DatasetFactory(name="Answers", created_by=user, content_fields=["prompt", "response"])
    ItemFactory(dataset=dataset)
    RubricVersionFactory(rubric=RubricFactory(name="HHH", created_by=user))
    return user, dataset


def test_the_slug_follows_the_name_until_edited_by_hand(page, login, curator, page_log) -> None:
    user, dataset = curator
    login(user)
    page.goto(f"/c/new/?dataset={dataset.pk}")
    name, slug = page.locator("input[name=name]"), page.locator("input[name=slug]")
    name.press_sequentially("Helpfulness, round 2 — Zürich")
    assert slug.input_value() == "helpfulness-round-2-zurich"
    slug.fill("hh-2")
    name.fill("Helpfulness, round 3")
    assert slug.input_value() == "hh-2"
    # Emptied, the slug follows the name again.
    slug.fill("")
    name.fill("Helpfulness, round 4")
    assert slug.input_value() == "helpfulness-round-4"
    assert not page_log.errors and not page_log.console_errors


def test_the_forms_groups_have_no_browser_default_frame(page, login, curator) -> None:
    user, dataset = curator
    login(user)
    page.goto(f"/c/new/?dataset={dataset.pk}")
    fieldsets = page.locator("form.campaign-form fieldset")
    assert fieldsets.count() >= 2  # the sample method and the fields raters see
    for n in range(fieldsets.count()):
        style = fieldsets.nth(n).evaluate(
            "(f) => [getComputedStyle(f).borderTopStyle, getComputedStyle(f).paddingLeft]"
        )
        assert style == ["none", "0px"]
    legend = page.locator("form.campaign-form legend").first
    assert legend.evaluate("(l) => getComputedStyle(l).fontWeight") == "600"
    assert "/c/your-slug/" in page.locator("form.campaign-form").inner_text()
