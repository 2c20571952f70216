"""render_content against hostile item content: nothing executable or htmx-active survives."""

import time
from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from annotate.content import render_content

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<body onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![img](javascript:alert(1))",
    '<svg><script>alert(1)</script><circle onload="alert(1)"/></svg>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="width: expression(alert(1))">x</div>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name=q><button>go</button></form>',
    '<a href="/c/x/rate/skip/" hx-post="/c/x/rate/skip/" hx-trigger="load">x</a>',
    '<div hx-get="/admin/" hx-trigger="load" hx-target="body">x</div>',
    "<b>unclosed <i>tags <a href='http://x",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<object data="x.swf"></object><embed src="x.swf">',
    "[x](vbscript:msgbox(1))",
    "<a href='https://ok.example' onclick='alert(1)'>ok</a>",
]
DANGEROUS_TAGS = {
    "script",
    "style",
    "iframe",
    "form",
    "input",
    "button",
    "svg",
    "img",
    "meta",
    "object",
    "embed",
    "body",
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Collector()
    parser.feed(html)
    return parser.tags


def _assert_inert(html: str) -> None:
    tags = _tags(html)
    assert tags[0] == ("div", [("class", "item-content"), ("hx-disable", None)])
    for tag, attrs in tags:
        assert tag not in DANGEROUS_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert not name.startswith(("hx-", "data-hx")) or name == "hx-disable", html
            assert name != "style", html
            if name in ("href", "src"):
                assert (value or "").lower().startswith(("http:", "https:", "mailto:")), html


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_is_inert(payload: str) -> None:
    _assert_inert(render_content(payload))


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_conversation_turns_are_inert(payload: str) -> None:
    html = render_content([{"role": "user", "content": payload}, {"role": payload, "content": "fine"}])
    _assert_inert(html)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_json_is_escaped(payload: str) -> None:
    html = render_content({"answer": payload, "nested": [payload]})
    _assert_inert(html)
    assert "<pre" in html


def test_markdown_is_rendered_and_safe_links_kept() -> None:
    html = render_content("**bold** and [docs](https://example.org)\n\n```\n<b>code</b>\n```")
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html
    assert "&lt;b&gt;code&lt;/b&gt;" in html


def test_conversation_shows_turns_with_roles() -> None:
    html = render_content([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}])
    assert html.count('<li class="turn') == 2
    assert '<div class="turn-role">user</div>' in html
    assert '<div class="turn-role">assistant</div>' in html


def test_other_json_is_pretty_printed() -> None:
    html = render_content({"score": 3, "tags": ["a"]})
    assert '<pre class="json">{\n  &quot;score&quot;: 3,' in html


def test_a_megabyte_on_one_line_renders_quickly() -> None:
    started = time.perf_counter()
    html = render_content("x" * 1_000_000)
    assert time.perf_counter() - started < 2
    assert html.count("x") >= 1_000_000


def test_bidi_override_and_zero_width_characters_are_kept_as_text() -> None:
    text = "safe \u202eevil\u202c and zero\u200bwidth"
    html = render_content(text)
    assert "\u202e" in html and "\u200b" in html
    _assert_inert(html)


def test_template_filter_is_the_same_function() -> None:
    html = Template("{% load accord_content %}{{ value|render_content }}").render(Context({"value": "<script>x"}))
    assert html == render_content("<script>x")
    assert "<script" not in html
