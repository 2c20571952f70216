"""The dataset pages fit a phone without sideways scrolling, and the summary's cards hold their tables."""

import json

import pytest
from django.contrib.auth.models import Permission

from annotate.models import Dataset
from annotate.search import search_index_build
from annotate.services.datasets import dataset_import
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TOPICS = ["safety-sensitive-requests-about-medication", "travel", "legal-and-regulatory-compliance-questions"]


@pytest.fixture
def curated(transactional_db, tmp_path) -> tuple[object, Dataset]:
    """A curator and a dataset with long values: long prompts, long topic names, an unbroken token."""
    curator = UserFactory(username="curator")
    curator.user_permissions.add(*Permission.objects.filter(content_type__app_label="annotate"))
    records = [
        {
            "id": f"item-with-a-rather-long-identifier-{n:04d}",
            "question": f"What is the **capital** of country number {n}? " * 4,
            "answer": "Lisbon" + "x" * 120,
            "topic": TOPICS[n % 3],
            "model": "a-model-with-a-long-name-v2.1-instruct",
            "source": "user-logs",
            "language": "en",
        }
        for n in range(12)
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    dataset = dataset_import(
        source=path, name="Phone layout dataset", metadata_fields=["topic", "model", "source", "language"], user=curator
    ).dataset
    search_index_build(dataset=dataset)
    return curator, dataset


def _scroll_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def _pages(dataset: Dataset) -> dict[str, str]:
    item = dataset.items.order_by("position").first()
    return {
        "list": "/datasets/",
        "browser": f"/datasets/{dataset.pk}/",
        "search": f"/datasets/{dataset.pk}/?q=capit",
        "summary": f"/datasets/{dataset.pk}/summary/",
        "item": f"/datasets/{dataset.pk}/items/{item.pk}/",
    }


def test_dataset_pages_fit_a_phone(page, login, curated, screenshot) -> None:
    curator, dataset = curated
    page.set_viewport_size(PHONE)
    login(curator)
    for name, url in _pages(dataset).items():
        page.goto(url)
        screenshot(f"dataset-{name}-390", full_page=False)
        assert _scroll_width(page) <= PHONE["width"], f"{name} is wider than the phone"


def test_the_upload_mapping_page_fits_a_phone(page, login, curated, screenshot, tmp_path) -> None:
    curator, _dataset = curated
    page.set_viewport_size(PHONE)
    login(curator)
    csv = tmp_path / "qa.csv"
    csv.write_text('question,answer,source,uid\n"What is **the capital**?","Lisbon",wiki,q1\n', encoding="utf-8")
    page.goto("/datasets/upload/")
    page.set_input_files("input[name=file]", str(csv))
    page.fill("input[name=name]", "From a phone")
    with page.expect_navigation():
        page.click("text=Upload and map fields")
    assert "/map/" in page.url
    screenshot("dataset-upload-map-390", full_page=False)
    assert _scroll_width(page) <= PHONE["width"]
    assert page.locator("input[name=role_3][value=id]").is_checked()


def test_summary_cards_hold_their_tables(page, login, curated, screenshot) -> None:
    curator, dataset = curated
    page.set_viewport_size(DESKTOP)
    login(curator)
    page.goto(f"/datasets/{dataset.pk}/summary/")
    screenshot("dataset-summary-1280", full_page=False)
    cards = page.locator(".grid > .card")
    assert cards.count() >= 4
    for index in range(cards.count()):
        card = cards.nth(index)
        outer = card.bounding_box()
        for table in card.locator("table").all():
            box = table.bounding_box()
            assert box["x"] + box["width"] <= outer["x"] + outer["width"] + 0.5, card.inner_text()[:40]
