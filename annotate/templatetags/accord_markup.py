"""Markdown for text our users write (rubric guidelines): rendered, then sanitised."""

from functools import lru_cache

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# Raw HTML in the source is escaped by markdown-it ("html": False) and nh3 removes anything else unexpected.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


# A rater's item is drawn twice in a row (the submit's next panel, then the page), and guidelines on every
# page: short texts keep their rendering. Longer ones are rare and would only crowd the cache.
CACHED_TEXT_LIMIT = 16_384


def markdown_to_html(text: str) -> str:
    """Render Markdown to sanitised HTML: safe to insert into a page even when the source is hostile."""
    text = text or ""
    return _render_cached(text) if len(text) <= CACHED_TEXT_LIMIT else _render(text)


@lru_cache(maxsize=256)
def _render_cached(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


@register.filter(is_safe=False)
def render_markdown(text: str | None) -> SafeString:
    """Template filter: Markdown in, sanitised HTML out."""
    # The HTML has just been through nh3's allow-list, which is what makes marking it safe correct.
    return mark_safe(markdown_to_html(text or ""))  # noqa: S308
