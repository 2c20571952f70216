"""Timestamps for people: a readable local time and how long ago it was, with the exact value kept in <time>."""

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

register = template.Library()


def age_text(moment: datetime, now: datetime) -> str:
    """How long ago, in words: "just now" under a minute, else the largest unit ("3 minutes ago", "2 days ago")."""
    if (now - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


@register.simple_tag
def time_with_age(iso: str) -> SafeString | str:
    """An ISO timestamp as "6 Dec 2026, 14:05 UTC (3 minutes ago)" inside <time datetime="…">; other text as is."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    local = timezone.localtime(moment)
    readable = date_format(local, "j M Y, H:i T")
    return format_html('<time datetime="{}">{} ({})</time>', iso, readable, age_text(moment, timezone.now()))
