"""Hostile answers on the rating page: huge numbers and huge text get an inline error, never a crash or an echo."""

import pytest
from django.urls import reverse

from ratings.models import Rating
from ratings.queue import assignment_next

pytestmark = pytest.mark.django_db


def _submit(client, campaign, rater, **fields: str):
    assignment = assignment_next(campaign=campaign, rater=rater)
    client.force_login(rater)
    data = {"assignment": assignment.pk, **fields}
    return client.post(reverse("ratings:rate-submit", args=[campaign.slug]), data, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("raw", ["9" * 5000, "-" + "1" * 40, "1e999", "²"])
def test_a_scale_answer_that_is_no_small_integer_is_an_inline_error(client, campaign, rater, raw):
    response = _submit(client, campaign, rater, **{"c-helpful": raw})
    assert response.status_code == 200
    assert b"is not one of 1, 2, 3, 4, 5" in response.content
    assert Rating.objects.count() == 0


def test_an_error_quotes_a_huge_answer_only_in_part(client, campaign, rater):
    response = _submit(client, campaign, rater, **{"c-helpful": "x" * 1_000_000})
    assert response.status_code == 200 and len(response.content) < 100_000
    assert Rating.objects.count() == 0


def test_a_comment_over_the_limit_is_refused_without_echoing_it_in_the_error(client, campaign, rater):
    response = _submit(client, campaign, rater, **{"c-helpful": "3", "comment": "y" * 20_000})
    assert response.status_code == 200
    assert b"comment: at most 10000 characters, got 20000" in response.content
    assert Rating.objects.count() == 0
