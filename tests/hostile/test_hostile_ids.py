"""Ids sent as text (form fields, query strings, addresses): odd digits and huge numbers find nothing, never crash.

Python's str.isdigit accepts "²", which int() then refuses; a number past 64 bits overflows PostgreSQL's bigint.
"""

import pytest
from django.urls import reverse

from accord.input_checks import parse_row_id
from ratings.models import Rating
from ratings.queue import assignment_next

pytestmark = pytest.mark.django_db

HOSTILE_IDS = ["²", "٣", "1e3", "-1", " 1", "9" * 19, "9" * 40, ""]


@pytest.mark.parametrize("raw", HOSTILE_IDS)
def test_a_posted_assignment_id_that_is_not_a_plain_number_finds_nothing(client, campaign, rater, raw):
    assignment_next(campaign=campaign, rater=rater)
    client.force_login(rater)
    response = client.post(reverse("ratings:rate-submit", args=[campaign.slug]), {"assignment": raw, "c-helpful": "3"})
    assert response.status_code == 404
    assert Rating.objects.count() == 0


@pytest.mark.parametrize("raw", HOSTILE_IDS)
def test_a_browser_page_cursor_that_is_not_a_plain_number_is_ignored(client, campaign, curator, raw):
    client.force_login(curator)
    response = client.get(reverse("annotate:dataset-detail", args=[campaign.dataset_id]), {"after": raw})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/datasets/{big}/", "/datasets/{big}/items/1/", "/rubrics/{big}/", "/rubrics/1/v/{big}/"]
)
def test_an_id_in_the_address_past_64_bits_is_not_found(client, curator, path):
    client.force_login(curator)
    assert client.get(path.format(big="9" * 40)).status_code == 404


def test_parse_row_id_takes_only_ascii_digits_that_fit_a_key():
    assert parse_row_id("42") == 42
    assert parse_row_id("9" * 18) == int("9" * 18)
    assert [parse_row_id(raw) for raw in HOSTILE_IDS + [None]] == [None] * (len(HOSTILE_IDS) + 1)
