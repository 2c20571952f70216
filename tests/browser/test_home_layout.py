"""The home page and the site's header fit a phone: no sideways scrolling, the Rate button in view."""

import pytest
from django.contrib.auth.models import Permission

from annotate.models import Membership
from tests.factories import CampaignFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Helpfulness of long multi-turn assistant conversations in customer support"


@pytest.fixture
def campaigns(transactional_db):
    """Three active campaigns with long names, each rated by `rater` and owned by a curator."""
    owner = UserFactory(username="owner")
    owner.user_permissions.add(*Permission.objects.filter(content_type__app_label="annotate"))
    rater = UserFactory(username="rater")
    for n in range(3):
        campaign = CampaignFactory(name=f"{LONG_NAME} {n}", slug=f"support-conversations-round-{n}", with_items=3)
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
        MembershipFactory(campaign=campaign, user=owner, role=Membership.Role.OWNER)
    return owner, rater


def _scroll_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_a_rater_on_a_phone_sees_the_rate_button_without_scrolling_sideways(page, login, campaigns, screenshot) -> None:
    _, rater = campaigns
    page.set_viewport_size(PHONE)
    login(rater)
    screenshot("home-rater-390")
    assert _scroll_width(page) <= PHONE["width"]
    rate = page.locator("a.btn", has_text="Rate").first
    box = rate.bounding_box()
    assert rate.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"], "the first Rate button is below the first screen"


def test_an_owner_on_a_phone_does_not_scroll_sideways(page, login, campaigns, screenshot) -> None:
    owner, _ = campaigns
    page.set_viewport_size(PHONE)
    login(owner)
    screenshot("home-owner-390")
    assert _scroll_width(page) <= PHONE["width"]
    button = page.locator("a.btn", has_text="New campaign")
    assert button.bounding_box()["x"] + button.bounding_box()["width"] <= PHONE["width"]


def test_the_header_of_a_staff_member_fits_a_phone(page, login, campaigns) -> None:
    UserFactory(username="staffer", is_staff=True, is_superuser=True)
    page.set_viewport_size(PHONE)
    login(UserFactory(username="staffer"))
    assert _scroll_width(page) <= PHONE["width"]
    for link in page.locator(".topbar a, .topbar button").all():
        box = link.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], link.inner_text()


def test_the_home_page_is_a_table_on_a_desktop(page, login, campaigns, screenshot) -> None:
    _, rater = campaigns
    login(rater)
    screenshot("home-rater-1280")
    assert page.locator("table.stack thead").is_visible()
    assert page.locator("table.stack tbody tr").count() == 3
