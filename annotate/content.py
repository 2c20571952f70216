"""Item content is untrusted: every value shown to a rater passes through `render_content`."""

import json
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from annotate.templatetags.accord_markup import markdown_to_html

# Turn roles we recognise get their own class; anything else is shown as text under a generic class.
KNOWN_ROLES = frozenset({"system", "user", "assistant", "tool"})


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
