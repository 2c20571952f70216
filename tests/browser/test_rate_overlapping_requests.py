"""Overlapping requests from one rater (a double click, two tabs) each get a sound answer."""

import pytest

from annotate.models import Assignment
from ratings.models import Rating

pytestmark = pytest.mark.browser

LIKERT = {"key": "quality", "type": "likert", "label": "Quality", "scale": {"min": 1, "max": 5}}

# Posts the same answer for the shown item `times` times at once, alongside as many reloads of the panel,
# and resolves to the HTTP status of every response.
_OVERLAPPING = """async (times) => {
  const form = document.querySelector('#rate-form');
  const body = new URLSearchParams(new FormData(form));
  body.set('c-quality', '4');
  const headers = {'HX-Request': 'true', 'Content-Type': 'application/x-www-form-urlencoded'};
  const requests = [];
  for (let i = 0; i < times; i++) {
    requests.push(fetch(form.action, {method: 'POST', body: body.toString(), headers}));
    requests.push(fetch(window.location.pathname, {headers: {'HX-Request': 'true'}}));
  }
  return (await Promise.all(requests)).map((response) => response.status);
}"""


def test_overlapping_submits_store_one_rating_and_every_answer_succeeds(page, login, rating_campaign) -> None:
    campaign, rater = rating_campaign([LIKERT], [{"text": f"Item {n}"} for n in range(4)])
    login(rater)
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_selector("#rate-form")
    first = int(page.input_value("#rate-form input[name=assignment]"))

    statuses = page.evaluate(_OVERLAPPING, 6)

    assert statuses == [200] * 12
    assert list(Rating.objects.filter(rater=rater).values_list("values", flat=True)) == [{"quality": 4}]
    assert Assignment.objects.get(pk=first).status == Assignment.Status.SUBMITTED
    # Every panel that came back after the submit shows the same next item: one lease, not one per request.
    assert Assignment.objects.filter(rater=rater, status=Assignment.Status.LEASED).count() == 1
    page.reload()
    page.wait_for_selector("#rate-form")
    assert int(page.input_value("#rate-form input[name=assignment]")) != first
