"""Item content is untrusted: every value shown to a rater passes through `render_content`.

The order content fields are shown in is decided here too, by `content_display_order`, for every page and export.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from annotate.templatetags.accord_markup import markdown_to_html

# Turn roles we recognise get their own class; anything else is shown as text under a generic class.
KNOWN_ROLES = frozenset({"system", "user", "assistant", "tool"})


def content_display_order(content_fields: Iterable[str], visible_fields: Iterable[str] = ()) -> list[str]:
    """The order content fields are shown in: a campaign's visible fields in their order, then the rest in file order.

    Every page and export that shows item content follows this list, never the stored dict's key order:
    PostgreSQL's jsonb keeps keys sorted by length and bytes, not as the file had them.
    """
    known = list(content_fields)
    listed = set(known)
    return list(dict.fromkeys([*(name for name in visible_fields if name in listed), *known]))


def fields_in_order(values: Any, order: Iterable[str]) -> list[tuple[str, Any]]:
    """(name, value) pairs of an item's content or metadata in display order; names the order lacks come last."""
    if not isinstance(values, dict):
        return [] if values is None else [("content", values)]
    pairs = [(name, values[name]) for name in dict.fromkeys(order) if name in values]
    shown = {name for name, _value in pairs}
    return pairs + [(name, value) for name, value in values.items() if name not in shown]


def is_conversation(value: Any) -> bool:
    """A non-empty list of {"role", "content"} turns, as chat datasets store them."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(turn, dict) and "role" in turn and "content" in turn for turn in value)
    )


def _render_text(text: str) -> str:
    return f'<div class="markdown">{markdown_to_html(text)}</div>'


def _render_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    return f'<pre class="json">{escape(text)}</pre>'


def _render_conversation(turns: list[dict[str, Any]]) -> str:
    parts = ['<ol class="conversation">']
    for turn in turns:
        role = str(turn["role"])
        role_class = role if role in KNOWN_ROLES else "other"
        body = turn["content"]
        inner = _render_text(body) if isinstance(body, str) else _render_json(body)
        parts.append(
            f'<li class="turn turn-{role_class}"><div class="turn-role">{escape(role)}</div>'
            f'<div class="turn-body">{inner}</div></li>'
        )
    parts.append("</ol>")
    return "".join(parts)


def content_to_html(value: Any) -> str:
    """Render a content value as sanitised HTML: Markdown for text, turns for conversations, JSON otherwise."""
    if value is None:
        inner = '<p class="muted">(empty)</p>'
    elif isinstance(value, str):
        inner = _render_text(value)
    elif is_conversation(value):
        inner = _render_conversation(value)
    else:
        inner = _render_json(value)
    # hx-disable makes htmx ignore any hx-* attribute that might slip through inside the content.
    return f'<div class="item-content" hx-disable>{inner}</div>'


def render_content(value: Any) -> SafeString:
    """The one place item content becomes markup: sanitised by nh3 or escaped, then marked safe."""
    # Every string inside has been through markdown_to_html (nh3 allow-list) or escape() above.
    return mark_safe(content_to_html(value))  # noqa: S308
