"""Template filter for untrusted item content."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from annotate.content import render_content as _render_content

register = template.Library()


@register.filter(is_safe=False)
def render_content(value: Any) -> SafeString:
    """Template filter: item content in, escaped or sanitised HTML out."""
    return _render_content(value)
