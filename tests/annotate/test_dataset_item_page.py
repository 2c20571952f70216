"""The item page renders content as raters see it: Markdown rendered and sanitised, conversations as turns."""

import pytest
from django.urls import reverse

from annotate.models import Dataset, Item
from tests.factories import DatasetFactory, ItemFactory


@pytest.fixture
def dataset(curator) -> Dataset:
    return DatasetFactory(created_by=curator, content_fields=["prompt", "response"], metadata_fields=["model"])


def _page(client, item: Item) -> str:
    response = client.get(reverse("annotate:item-detail", args=[item.dataset_id, item.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_markdown_content_is_rendered(client, curator, dataset):
    item = ItemFactory(dataset=dataset, content={"prompt": "Say **hi** in `code`", "response": "- one\n- two"})
    client.force_login(curator)
    html = _page(client, item)
    assert "<strong>hi</strong>" in html and "<code>code</code>" in html and "<li>one</li>" in html
    assert "**hi**" not in html


def test_hostile_content_is_inert(client, curator, dataset):
    content = {
        "prompt": "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        "response": '<div hx-get="/admin/" hx-trigger="load">boom</div>',
    }
    item = ItemFactory(dataset=dataset, content=content)
    client.force_login(curator)
    html = _page(client, item)
    assert "<script>alert(1)" not in html and 'href="javascript' not in html and "<img" not in html
    assert "<div hx-get=" not in html and '&lt;div hx-get="/admin/"' in html
    assert "hx-disable" in html


def test_conversations_and_json_render_as_on_the_rating_page(client, curator, dataset):
    turns = [{"role": "user", "content": "Hello *there*"}, {"role": "assistant", "content": "Hi"}]
    item = ItemFactory(dataset=dataset, content={"prompt": turns, "response": {"score": 3}})
    client.force_login(curator)
    html = _page(client, item)
    assert 'class="turn turn-user"' in html and "<em>there</em>" in html
    assert '<pre class="json">' in html and "&quot;score&quot;: 3" in html


def test_metadata_stays_plain_text(client, curator, dataset):
    item = ItemFactory(dataset=dataset, metadata={"model": "**bold-model** <b>x</b>"})
    client.force_login(curator)
    html = _page(client, item)
    assert "**bold-model** &lt;b&gt;x&lt;/b&gt;" in html
