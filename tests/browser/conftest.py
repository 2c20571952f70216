"""Playwright in a real Chromium against pytest-django's live server.

Chromium comes from the system package (`make test` installs it with apt-get when it is missing);
without it the browser tests skip, naming what to install.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from annotate.models import Campaign, CampaignItem, Membership
from annotate.rubrics import validate_criteria
from annotate.services.campaign_counts import campaign_counts_recount
from tests.factories import CampaignFactory, ItemFactory, MembershipFactory, RubricVersionFactory, UserFactory

CHROMIUM = Path(os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "pw-for-tests-123"
# Short enough that a broken expectation fails fast; long enough for a loaded CI machine. The first
# page load also imports the URLconf and compiles templates in the live server.
TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 30_000
SCREENSHOT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One headless Chromium for tests/browser/; skip every browser test when it is not installed."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) or set ACCORD_CHROMIUM")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls while
    # one runs. The tests' own ORM calls are plain synchronous code, so lift the guard for this package only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class PageLog:
    """Everything the page did that a test may want to assert never happened."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@pytest.fixture
def page_log() -> PageLog:
    """An empty record for the `page` fixture to fill."""
    return PageLog()


@pytest.fixture
def page(browser, live_server, page_log: PageLog) -> Iterator[object]:
    """A fresh browser context (no cookies) whose dialogs, errors, requests and 4xx/5xx are recorded."""
    # The live server binds 127.0.0.1 (and ALLOWED_HOSTS has it): address it directly, with no name lookup.
    base_url = live_server.url.replace("://localhost:", "://127.0.0.1:")
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    # Nothing on these pages may reach another origin; record and refuse it instead of waiting on DNS.
    context.route(
        lambda url: not url.startswith(base_url),
        lambda route: (page_log.requests.append(route.request.url), route.abort()),
    )
    page = context.new_page()
    page.on("dialog", lambda dialog: (page_log.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page_log.errors.append(str(error)))
    page.on("console", lambda msg: _record_console(page_log, msg))
    page.on("request", lambda request: page_log.requests.append(request.url))
    page.on("response", lambda response: page_log.failed.append(response.url) if response.status >= 400 else None)
    yield page
    # Let in-flight requests finish first: the test database is flushed next, and a request still running
    # in the live server would see half its data gone.
    try:
        page.wait_for_load_state("networkidle", timeout=5_000)
    except PlaywrightTimeoutError:
        pass
    context.close()


@pytest.fixture
def login(page) -> Callable[[User], None]:
    """Log a user in through the login form, as a rater would."""

    def log_in(user: User) -> None:
        _login(page, user)

    return log_in


def _record_console(page_log: PageLog, msg) -> None:
    # Content Security Policy violations are reported as console errors: evidence of a blocked attempt.
    if msg.type == "error":
        where = msg.location
        page_log.console_errors.append(f"{msg.text} ({where.get('url')}:{where.get('lineNumber')})")


def _login(page, user: User) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"


@pytest.fixture
def screenshot(page) -> Callable[[str], Path]:
    """Save a full-page screenshot under test-output/screenshots/<name>.png for a human to look at."""

    def save(name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # caret="initial": hiding the caret leaves style="" on text boxes, which htmx then copies on swap.
        # A long page under a loaded CI machine can take a while to rasterise: allow it well past the
        # default action timeout rather than fail a behaviour test on a picture.
        page.screenshot(path=str(path), full_page=full_page, caret="initial", timeout=SCREENSHOT_TIMEOUT_MS)
        return path

    return save


@pytest.fixture
def rating_campaign(transactional_db) -> Callable[..., tuple[Campaign, User]]:
    """Build an active campaign from raw rubric criteria and item contents, with one rater; k = 1."""

    def make(criteria: list[dict], contents: list[object], guidelines: str = "") -> tuple[Campaign, User]:
        version = RubricVersionFactory(criteria=validate_criteria(criteria), guidelines=guidelines)
        campaign = CampaignFactory(rubric_version=version, overlap=1)
        for order, content in enumerate(contents):
            item = ItemFactory(dataset=campaign.dataset, content=content, metadata={})
            CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        # The rating page shows the campaign's kept counts: count the items added here around the services.
        campaign_counts_recount(campaign=campaign)
        rater = UserFactory(username="rater")
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
        return campaign, rater

    return make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A real browser on a loaded machine occasionally misses a timing window: retry such a test twice."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=1))
