"""The dataset list, the item browser, item pages and the summary."""

import json

import pytest
from django.urls import reverse

from annotate.models import Dataset
from annotate.search import search_index_build
from annotate.selectors import datasets as selectors
from annotate.services.datasets import dataset_import
from tests.factories import DatasetFactory

MODELS = ["atlas", "borealis", "cirrus"]


@pytest.fixture
def dataset(curator, tmp_path) -> Dataset:
    """120 imported and search-indexed items with model/topic metadata; item 7 holds a script tag."""
    records = []
    for i in range(120):
        prompt = "<script>alert(1)</script> tricky" if i == 7 else f"Prompt number {i} about gardening"
        if i % 10 == 3:
            prompt += " zebra"
        records.append(
            {"id": f"it-{i:03d}", "prompt": prompt, "response": "An answer.", "model": MODELS[i % 3],
             "topic": "rare" if i == 100 else "common", "extra": {"nested": [i]}}
        )  # fmt: skip
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    dataset = dataset_import(source=path, name="browse", metadata_fields=["model", "topic"], user=curator).dataset
    search_index_build(dataset=dataset)
    dataset.refresh_from_db()
    return dataset


def _detail(dataset: Dataset) -> str:
    return reverse("annotate:dataset-detail", args=[dataset.pk])


def _ids(response) -> list[str]:
    return [item.external_id for item in response.context["page"].items]


# Access


def test_anonymous_users_are_redirected_to_login(client, dataset):
    item = dataset.items.first()
    for url in [
        reverse("annotate:dataset-list"),
        _detail(dataset),
        reverse("annotate:dataset-summary", args=[dataset.pk]),
        reverse("annotate:item-detail", args=[dataset.pk, item.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_outsider_gets_404_on_every_dataset_page(client, dataset, outsider):
    client.force_login(outsider)
    item = dataset.items.first()
    for url in [
        _detail(dataset),
        reverse("annotate:dataset-summary", args=[dataset.pk]),
        reverse("annotate:item-detail", args=[dataset.pk, item.pk]),
    ]:
        assert client.get(url).status_code == 404, url


def test_outsider_sees_no_datasets_in_the_list(client, dataset, outsider):
    client.force_login(outsider)
    response = client.get(reverse("annotate:dataset-list"))
    assert response.status_code == 200
    assert b"browse" not in response.content


def test_campaign_owner_sees_the_campaign_dataset(client, campaign, owner):
    client.force_login(owner)
    assert client.get(_detail(campaign.dataset)).status_code == 200


def test_rater_cannot_browse_the_dataset(client, campaign, rater):
    client.force_login(rater)
    assert client.get(_detail(campaign.dataset)).status_code == 404


def test_item_of_another_dataset_is_a_404(client, curator, dataset):
    other = DatasetFactory(created_by=curator)
    client.force_login(curator)
    item = dataset.items.first()
    assert client.get(reverse("annotate:item-detail", args=[other.pk, item.pk])).status_code == 404


# List


def test_list_shows_item_counts(client, curator, dataset):
    client.force_login(curator)
    response = client.get(reverse("annotate:dataset-list"))
    assert b"browse" in response.content and b"120" in response.content


# Browser


def test_first_page_shows_fifty_items_in_import_order(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset))
    assert response.status_code == 200
    assert _ids(response) == [f"it-{i:03d}" for i in range(50)]
    assert response.context["page"].has_next and not response.context["page"].has_previous


def test_next_and_previous_pages_use_the_cursor(client, curator, dataset):
    client.force_login(curator)
    first = client.get(_detail(dataset)).context["page"]
    second = client.get(_detail(dataset), {"after": first.last_pk})
    assert _ids(second)[0] == "it-050"
    third = client.get(_detail(dataset), {"after": second.context["page"].last_pk})
    assert _ids(third)[-1] == "it-119" and not third.context["page"].has_next
    back = client.get(_detail(dataset), {"before": third.context["page"].first_pk})
    assert _ids(back) == _ids(second)


def test_metadata_filter(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"field": "model", "value": "borealis"})
    ids = _ids(response)
    assert ids[:3] == ["it-001", "it-004", "it-007"] and len(ids) == 40
    assert response.context["page"].matches == 40


def test_several_filters_combine(client, curator, dataset):
    client.force_login(curator)
    query = "field=model&value=borealis&field=topic&value=rare"
    response = client.get(f"{_detail(dataset)}?{query}")
    assert _ids(response) == ["it-100"]
    assert b"1 matching item" in response.content


def test_filter_on_an_unknown_value_shows_no_items(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"field": "model", "value": "nope"})
    assert _ids(response) == [] and b"No items match" in response.content


def test_text_search(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"q": "ZEBRA"})
    assert _ids(response) == [f"it-{i:03d}" for i in range(3, 120, 10)]


def test_text_search_requires_every_word(client, curator, dataset):
    client.force_login(curator)
    assert _ids(client.get(_detail(dataset), {"q": "zebra gardening number 13"})) == ["it-013"]


def test_text_search_combines_with_a_filter(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"q": "zebra", "field": "model", "value": "atlas"})
    assert _ids(response) == ["it-003", "it-033", "it-063", "it-093"]


def test_search_syntax_characters_are_treated_as_text(client, curator, dataset):
    client.force_login(curator)
    for query in ['"', "zebra OR", "NEAR(", "a*", "-x", "'; drop table", "()", "%"]:
        assert client.get(_detail(dataset), {"q": query}).status_code == 200, query


def test_bad_query_parameters_never_fail(client, curator, dataset):
    client.force_login(curator)
    for params in [{"after": "abc"}, {"before": "-3"}, {"after": "9" * 40}, {"field": "unknown", "value": "x"}]:
        assert client.get(_detail(dataset), params).status_code == 200, params


def test_search_pagination_keeps_the_query(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"q": "gardening"})
    assert len(_ids(response)) == 50
    assert "q=gardening&amp;after=" in response.content.decode()


def test_match_count_is_capped(db, curator, dataset, monkeypatch):
    monkeypatch.setattr(selectors, "MATCH_CAP", 30)
    page = selectors.items_page(dataset=dataset, query="gardening", count=True)
    assert page.matches == 30 and page.capped


def test_single_filter_count_comes_from_the_import_summary(db, curator, dataset, monkeypatch):
    monkeypatch.setattr(selectors, "MATCH_CAP", 30)
    page = selectors.items_page(dataset=dataset, filters=[("topic", "common")])
    assert page.matches == 119 and not page.capped


def test_single_filter_on_a_value_outside_the_summary_is_counted(db, tmp_path):
    records = [{"id": str(i), "text": "t", "source": f"s{i % 25}"} for i in range(100)]
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    dataset = dataset_import(source=path, name="many", metadata_fields=["source"]).dataset
    rare = next(f"s{i}" for i in range(25) if f"s{i}" not in selectors.filter_choices(dataset)["source"])
    page = selectors.items_page(dataset=dataset, filters=[("source", rare)], size=2)
    assert page.matches == 4 and not page.capped and page.has_next


def test_filter_on_a_value_only_another_dataset_has_matches_nothing(db, dataset, tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps({"id": "o1", "text": "t", "model": "delta", "topic": "common"}) + "\n", encoding="utf-8")
    dataset_import(source=path, name="other", metadata_fields=["model", "topic"])
    for filters in ([("model", "delta")], [("topic", "common"), ("model", "delta")], [("nofield", "x")]):
        for count in (False, True):
            page = selectors.items_page(dataset=dataset, filters=filters, count=count)
            assert (page.items, page.matches, page.has_next) == ([], 0, False), filters
    both = selectors.items_page(dataset=dataset, filters=[("model", "cirrus"), ("topic", "common")], count=True)
    assert both.matches == 40


def test_search_is_counted_only_on_request(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"q": "gardening"})
    assert response.context["page"].matches is None
    html = response.content.decode()
    assert "More than 50 matching items." in html and "q=gardening&amp;count=1" in html
    counted = client.get(_detail(dataset), {"q": "gardening", "count": "1"}, HTTP_HX_REQUEST="true")
    assert counted.context["page"].matches == 119 and b"119 matching items" in counted.content


def test_search_whose_matches_fit_on_the_first_page_is_counted_for_free(db, curator, dataset):
    page = selectors.items_page(dataset=dataset, query="zebra")
    assert page.matches == 12 and not page.has_next


def test_several_filters_on_a_later_page_are_not_counted(db, curator, dataset):
    filters = [("model", "borealis"), ("topic", "common")]
    first = selectors.items_page(dataset=dataset, filters=filters, size=10)
    assert first.matches is None and first.has_next
    second = selectors.items_page(dataset=dataset, filters=filters, size=10, after=first.last_pk)
    assert second.matches is None
    assert selectors.items_page(dataset=dataset, filters=filters, size=10, count=True).matches == 39


def test_script_content_is_escaped_in_the_table(client, curator, dataset):
    client.force_login(curator)
    html = client.get(_detail(dataset)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_htmx_request_gets_only_the_results_partial(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"q": "zebra"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="dataset-items"' in html
    assert "HX-Request" in response["Vary"]


def test_plain_request_gets_the_whole_page(client, curator, dataset):
    client.force_login(curator)
    response = client.get(_detail(dataset), {"q": "zebra"})
    html = response.content.decode()
    assert "<html" in html and 'id="dataset-items"' in html and 'hx-get="' in html
    assert "HX-Request" in response["Vary"]


# Item page


def test_item_page_shows_escaped_content_and_metadata(client, curator, dataset):
    client.force_login(curator)
    item = dataset.items.get(external_id="it-007")
    html = client.get(reverse("annotate:item-detail", args=[dataset.pk, item.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; tricky" in html
    assert "borealis" in html and "An answer." in html
    assert "&quot;nested&quot;" in html


# Summary


def test_summary_counts_values_and_shows_length_distribution(client, curator, dataset):
    client.force_login(curator)
    response = client.get(reverse("annotate:dataset-summary", args=[dataset.pk]))
    assert response.status_code == 200
    summary = response.context["summary"]
    topic = next(m for m in summary.metadata if m.field == "topic")
    assert [(v.value, v.count) for v in topic.values] == [("common", 119), ("rare", 1)]
    prompt = next(c for c in summary.content if c.field == "prompt")
    assert prompt.n == 120 and prompt.minimum <= prompt.median <= prompt.p90 <= prompt.maximum
    assert sum(b.count for b in prompt.bins) == 120
    assert b'class="w-100"' in response.content
    assert b"style=" not in response.content


def test_summary_groups_values_beyond_the_top_twenty_as_other(db, tmp_path):
    records = [{"id": str(i), "text": "t", "source": f"s{i % 25}"} for i in range(100)]
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    dataset = dataset_import(source=path, name="many", metadata_fields=["source"]).dataset
    source = selectors.dataset_summary(dataset).metadata[0]
    assert len(source.values) == 20 and source.other == 20 and source.distinct == 25


def test_empty_dataset_pages_render(client, curator):
    dataset = DatasetFactory(created_by=curator)
    client.force_login(curator)
    assert b"No items match" in client.get(_detail(dataset)).content
    assert client.get(reverse("annotate:dataset-summary", args=[dataset.pk])).status_code == 200
