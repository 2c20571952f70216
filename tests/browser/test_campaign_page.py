"""The owner's campaign page in a browser: the actions at the top, nothing cut off or wider than a phone, and the
destructive buttons asking first, with or without JavaScript."""

import pytest

from annotate.models import Campaign, CampaignItem, Membership
from annotate.services.campaign_counts import campaign_counts_recount
from ratings.queue import campaign_items_recount
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

GUIDELINES = "\n\n".join(f"## Part {n}\n\n" + "Read the whole response before rating it. " * 12 for n in range(8))
# Elements that reach past the right edge of the window, other than those inside a box that scrolls or clips.
PAST_THE_EDGE = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !clipped(el))
    .map((el) => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className);
}"""


@pytest.fixture
def owner_campaign(transactional_db) -> tuple[Campaign, object]:
    """An active campaign at k = 3 whose owner rates too, with two raters, ratings, and long guidelines."""
    owner = UserFactory(username="owner-with-a-rather-long-name")
    version = RubricVersionFactory(guidelines=GUIDELINES)
    campaign = CampaignFactory(
        slug="helpfulness-round-two",
        name="Helpfulness of assistant answers, round two",
        rubric_version=version,
        overlap=3,
        description="Rate assistant responses on helpfulness; raters do not see which model answered.",
    )
    Membership.objects.create(campaign=campaign, user=owner, role=Membership.Role.OWNER, rates=True)
    raters = [UserFactory(username=f"rater-number-{n}") for n in (1, 2)]
    for rater in raters:
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    MembershipFactory(campaign=campaign, user=UserFactory(username="adjudicator"), role=Membership.Role.ADJUDICATOR)
    for order in range(6):
        item = CampaignItem.objects.create(
            campaign=campaign, item=ItemFactory(dataset=campaign.dataset), order_key=order
        )
        for rater in raters[: 1 + order % 2]:
            RatingFactory(campaign_item=item, rater=rater, values={"helpful": 1 + order % 5}, seconds_spent=20.0)
    # The ratings were written around the services: count them as the services would have.
    campaign_items_recount(campaign=campaign)
    campaign_counts_recount(campaign=campaign)
    return campaign, owner


def _open(page, login, campaign: Campaign, owner, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    login(owner)
    page.goto(f"/c/{campaign.slug}/")


def test_on_a_desktop_the_actions_are_in_the_first_screen_and_no_table_is_cut_off(
    page, login, owner_campaign, screenshot, page_log
) -> None:
    campaign, owner = owner_campaign
    _open(page, login, campaign, owner, 1280, 800)
    nav = page.get_by_role("navigation", name="Campaign")
    for name in ("Rate items", "Agreement", "Adjudication", "Flags and skips", "Export", "Settings"):
        box = nav.get_by_role("link", name=name, exact=True).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, f"{name} is below the first screen"
    raters = page.locator("#campaign-raters .table-scroll")
    assert raters.evaluate("(box) => box.scrollWidth <= box.clientWidth"), "the ratings-per-rater table is cut off"
    assert page.locator("#campaign-guidelines-fold").evaluate("(fold) => !fold.open")
    assert page.locator("#campaign-guidelines").is_hidden()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    screenshot("campaign-desktop")
    page.locator("#campaign-guidelines-fold > summary").click()
    assert page.get_by_text("Read the whole response before rating it.").first.is_visible()
    assert not page_log.errors and not page_log.console_errors


def test_on_a_phone_the_page_is_no_wider_than_the_screen(page, login, owner_campaign, screenshot, page_log) -> None:
    campaign, owner = owner_campaign
    _open(page, login, campaign, owner, 390, 844)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.evaluate(PAST_THE_EDGE) == []
    box = page.get_by_role("navigation", name="Campaign").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, "the campaign's actions are below the first screen"
    screenshot("campaign-phone")
    assert not page_log.errors and not page_log.console_errors


def test_close_asks_first_and_a_closed_campaign_reopens_without_javascript(browser, live_server, owner_campaign):
    campaign, owner = owner_campaign
    context = browser.new_context(
        base_url=live_server.url.replace("://localhost:", "://127.0.0.1:"), java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", owner.get_username())
        page.fill("input[name=password]", "pw-for-tests-123")
        page.click("button[type=submit]")
        page.goto(f"/c/{campaign.slug}/")
        page.get_by_role("button", name="Close", exact=True).click()
        assert page.get_by_role("heading", name=f"Close {campaign.name}?").is_visible()
        page.get_by_role("link", name="Cancel").click()
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.ACTIVE
        page.get_by_role("button", name="Close", exact=True).click()
        page.get_by_role("button", name="Close the campaign").click()
        assert page.get_by_text("The campaign is now closed.").is_visible()
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.CLOSED
        page.get_by_role("button", name="Reopen").click()
        assert page.get_by_text("The campaign is now active.").is_visible()
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.ACTIVE
    finally:
        context.close()


def test_remove_asks_on_a_page_of_its_own_not_in_a_dialog(page, login, owner_campaign, page_log) -> None:
    campaign, owner = owner_campaign
    _open(page, login, campaign, owner, 1280, 800)
    page.get_by_role("button", name="Remove (rater-number-1)").click()
    assert page.get_by_role("heading", name=f"Remove rater-number-1 from {campaign.name}?").is_visible()
    assert Membership.objects.filter(campaign=campaign, user__username="rater-number-1").exists()
    page.get_by_role("button", name="Remove rater-number-1").click()
    assert page.get_by_text("Removed rater-number-1 from the campaign.").is_visible()
    assert not Membership.objects.filter(campaign=campaign, user__username="rater-number-1").exists()
    assert page_log.dialogs == []


def test_an_overlap_above_the_members_who_rate_is_shown_at_the_top(page, login, owner_campaign) -> None:
    campaign, owner = owner_campaign
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=False)
    _open(page, login, campaign, owner, 390, 844)
    warning = page.locator("#overlap-warning")
    assert warning.is_visible()
    assert "Overlap is 3 raters per item but only 2 members rate" in warning.inner_text()
    box = warning.bounding_box()
    assert box is not None and box["y"] < 844, "the warning is below the first screen"
