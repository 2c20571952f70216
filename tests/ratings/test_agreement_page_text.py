"""The agreement dashboard's words: when its figures were computed, as a person reads a time."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from ratings.templatetags.accord_time import age_text, time_with_age


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def test_computed_reads_as_a_local_time_with_its_age_and_keeps_the_exact_value(client, rated, owner):
    client.force_login(owner)
    body = client.get(reverse("ratings:agreement", args=[rated.slug])).content.decode()
    shown = re.search(r'computed <time datetime="([^"]+)">([^<]+)</time>', body)
    assert shown is not None
    assert datetime.fromisoformat(shown.group(1)).tzinfo is not None
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC \(just now\)", shown.group(2))
    # The ISO value stays in the attribute only, never in the text a reader sees.
    assert not re.search(r">[^<]*\d{4}-\d\d-\d\dT\d\d:\d\d", body)


def test_the_age_is_said_in_the_largest_unit():
    now = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
    assert age_text(now - timedelta(seconds=20), now) == "just now"
    # timesince keeps a number and its unit together with a no-break space.
    assert age_text(now - timedelta(minutes=3, seconds=10), now) == "3\xa0minutes ago"
    assert age_text(now - timedelta(hours=2, minutes=50), now) == "2\xa0hours ago"
    assert age_text(now - timedelta(days=3, hours=5), now) == "3\xa0days ago"


def test_a_stored_value_that_is_not_a_timestamp_is_shown_as_it_is():
    assert time_with_age("not a time") == "not a time"
    assert time_with_age("2026-12-06T14:05:00").startswith('<time datetime="2026-12-06T14:05:00">6 Dec 2026, 14:05 UTC')
