"""The API's documentation and browsable pages work under the site's CSP, with nothing inline refused."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import DatasetFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def curator(transactional_db):
    user = UserFactory(username="curator")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="annotate"))
    DatasetFactory(name="Curated answers", created_by=user)
    return user


def test_swagger_ui_renders_with_no_csp_violation(page, page_log, login, curator, screenshot) -> None:
    login(curator)
    page.click("footer >> text=API documentation")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Accord API" in page.inner_text(".swagger-ui .info .title")
    # Trying an endpoint from the page sends the signed-in session's request.
    operation = "#operations-Datasets_and_items-v1_datasets_list"
    page.click(f"{operation} .opblock-summary")
    page.click(f"{operation} .try-out__btn")
    page.click(f"{operation} .execute")
    page.wait_for_selector(f"{operation} .live-responses-table .response-col_status")
    assert "Curated answers" in page.inner_text(f"{operation} .live-responses-table")
    screenshot("api-docs")
    assert page_log.console_errors == [] and page_log.errors == []
    assert page_log.failed == []


def test_a_browsable_api_page_renders_with_no_csp_violation(page, page_log, login, curator, screenshot) -> None:
    login(curator)
    page.goto("/api/v1/datasets/")
    assert page.inner_text("h1") == "Dataset List Api"
    assert "Curated answers" in page.inner_text(".response-info")
    # DRF's own scripts run: the GET button's format menu opens.
    page.click(".btn-group .dropdown-toggle")
    page.wait_for_selector(".dropdown-menu >> text=json", state="visible")
    screenshot("api-browsable")
    assert page_log.console_errors == [] and page_log.errors == []
    assert page_log.failed == []


def test_the_schema_opens_as_a_page_and_not_a_download(page, page_log, login, curator) -> None:
    login(curator)
    page.click("footer >> text=OpenAPI schema")
    assert page.inner_text("body").startswith("openapi: 3")
    assert page_log.console_errors == []


def test_favicon_ico_is_served(page) -> None:
    response = page.request.get("/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] == "image/x-icon"
