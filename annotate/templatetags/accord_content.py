"""Template filters for untrusted item content and the order its fields are shown in."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from annotate.content import content_display_order, fields_in_order
from annotate.content import render_content as _render_content
from annotate.models import Campaign, Item

register = template.Library()


@register.filter(is_safe=False)
def render_content(value: Any) -> SafeString:
    """Template filter: item content in, escaped or sanitised HTML out."""
    return _render_content(value)


@register.filter
def content_in_order(item: Item, campaign: Campaign) -> list[tuple[str, Any]]:
    """Template filter: an item's content fields as (name, value) pairs in the campaign's display order."""
    order = content_display_order(campaign.dataset.content_fields, campaign.visible_fields or [])
    return fields_in_order(item.content, order)


@register.filter
def metadata_in_order(item: Item, campaign: Campaign) -> list[tuple[str, Any]]:
    """Template filter: an item's metadata as (name, value) pairs in the dataset's field order."""
    return fields_in_order(item.metadata or {}, campaign.dataset.metadata_fields)
