"""The dataset browser's search: words match whole words, and words of three letters or more their beginnings too."""

import json

import pytest
from django.urls import reverse

from annotate.models import Dataset
from annotate.search import search_index_build
from annotate.selectors.datasets import items_page
from annotate.services.datasets import dataset_import

TEXTS = {
    "lisbon": "Lisbon is the capital of Portugal.",
    "lisboa": "Em Lisboa, o elétrico 28 sobe a colina.",
    "listen": "Listen to the radio on the long drive.",
    "cafe": "A café near the river serves pastel de nata.",
    "snake": "snake_case names and version 3.5 of the tool",
}

# Quotes, FTS5 and tsquery operators, NUL characters, very long input, scripts, combining and bidi characters.
HOSTILE = [
    '"', "'", "''", "lisb'", "'lisb':*", "lisb:*", "lisb*", "*", "lisb | capital", "!lisb", "lisb & !x", "<->",
    "(lisb", "lisb)", "NEAR(lisb capital)", "lisb AND", "OR", "-lisb", "^lisb", "\\", "\\'", "%", "_", "__",
    "a\x00b", "\x00", "lisb\x00on", "x" * 5000, "lisb " * 500, "日本語", "²³", "🙂 lisb", "l\u0301isb",
    "\u202eLisb", "e\u0301", "foo_bar_baz", "3.5", "$$", "{lisb}", "[lisb]", "lisb:A", "a:*:*",
]  # fmt: skip


@pytest.fixture
def dataset(curator, tmp_path) -> Dataset:
    path = tmp_path / "items.jsonl"
    records = [{"id": key, "text": text, "lang": "pt" if key == "lisboa" else "en"} for key, text in TEXTS.items()]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    dataset = dataset_import(source=path, name="places", metadata_fields=["lang"], user=curator).dataset
    search_index_build(dataset=dataset)
    dataset.refresh_from_db()
    return dataset


def _ids(client, dataset: Dataset, **params) -> list[str]:
    response = client.get(reverse("annotate:dataset-detail", args=[dataset.pk]), params)
    assert response.status_code == 200
    return [item.external_id for item in response.context["page"].items]


def test_the_start_of_a_word_finds_the_whole_word(client, curator, dataset):
    client.force_login(curator)
    assert _ids(client, dataset, q="Lisb") == ["lisbon", "lisboa"]
    assert _ids(client, dataset, q="LISBO") == ["lisbon", "lisboa"]
    assert _ids(client, dataset, q="lis") == ["lisbon", "lisboa", "listen"]


def test_every_word_must_match_as_a_word_or_its_start(client, curator, dataset):
    client.force_login(curator)
    assert _ids(client, dataset, q="lisb capit") == ["lisbon"]
    assert _ids(client, dataset, q="lisb nowhere") == []


def test_whole_words_still_match(client, curator, dataset):
    client.force_login(curator)
    assert _ids(client, dataset, q="radio") == ["listen"]
    assert _ids(client, dataset, q="o") == ["lisboa"]


def test_words_shorter_than_three_letters_match_whole_words_only(client, curator, dataset):
    client.force_login(curator)
    assert _ids(client, dataset, q="li") == []
    assert _ids(client, dataset, q="em") == ["lisboa"]


def test_a_prefix_finds_a_word_with_an_accent_after_it(client, curator, dataset):
    client.force_login(curator)
    assert "cafe" in _ids(client, dataset, q="caf")


def test_prefix_search_combines_with_a_filter(client, curator, dataset):
    client.force_login(curator)
    assert _ids(client, dataset, q="lisb", field="lang", value="pt") == ["lisboa"]


def test_underscores_and_dots_separate_words(client, curator, dataset):
    client.force_login(curator)
    assert _ids(client, dataset, q="snake_case") == ["snake"]
    assert _ids(client, dataset, q="snake_cas") == ["snake"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_search_input_never_fails(client, curator, dataset, query):
    client.force_login(curator)
    # Every request holding a NUL character is refused with a 400 that says so, before any view runs.
    expected = 400 if "\x00" in query else 200
    response = client.get(reverse("annotate:dataset-detail", args=[dataset.pk]), {"q": query})
    assert response.status_code == expected
    counted = client.get(reverse("annotate:dataset-detail", args=[dataset.pk]), {"q": query, "count": "1"})
    assert counted.status_code == expected


def test_the_selector_takes_any_text_without_failing(dataset):
    for query in ["lisb\x00on", "\x00", "'lisb':* | !x", "x" * 100_000]:
        items_page(dataset=dataset, query=query, count=True)
    assert [i.external_id for i in items_page(dataset=dataset, query="lisb\x00on").items] == []


def test_the_page_says_how_search_matches(client, curator, dataset):
    client.force_login(curator)
    html = client.get(reverse("annotate:dataset-detail", args=[dataset.pk])).content.decode()
    assert "also finds the longer words it begins" in html
