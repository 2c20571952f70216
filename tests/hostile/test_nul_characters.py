"""NUL characters in any text a request carries: a clear 400 naming where, never a server error.

PostgreSQL refuses NUL in a text column, so before this check a NUL in a rating comment, a skip reason,
a browser filter or a rubric name stopped with a server error there. The check runs once, before any view.
"""

import json

import pytest
from django.urls import reverse

from annotate.models import ApiToken, Assignment, MachineRater, Rubric
from ratings.models import Rating
from ratings.queue import assignment_next

pytestmark = pytest.mark.django_db


def _leased(campaign, rater) -> Assignment:
    assignment = assignment_next(campaign=campaign, rater=rater)
    assert assignment is not None
    return assignment


def test_a_rating_comment_with_a_nul_is_refused_and_nothing_is_stored(client, campaign, rater):
    assignment = _leased(campaign, rater)
    client.force_login(rater)
    response = client.post(
        reverse("ratings:rate-submit", args=[campaign.slug]),
        {"assignment": assignment.pk, "c-helpful": "4", "comment": "fine\x00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert b"The form field &#x27;comment&#x27; contains a NUL character" in response.content
    assert Rating.objects.count() == 0


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("ratings:rate-skip", {"reason": "broken\x00"}),
        ("ratings:rate-flag", {"flag": "broken", "note": "x\x00y"}),
    ],
)
def test_skip_reasons_and_flag_notes_with_a_nul_are_refused(client, campaign, rater, url_name, data):
    assignment = _leased(campaign, rater)
    client.force_login(rater)
    response = client.post(reverse(url_name, args=[campaign.slug]), {"assignment": assignment.pk, **data})
    assert response.status_code == 400 and b"NUL character" in response.content
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.LEASED and assignment.flag == ""


def test_a_browser_filter_with_a_nul_is_refused(client, campaign, curator):
    client.force_login(curator)
    url = reverse("annotate:dataset-detail", args=[campaign.dataset_id])
    response = client.get(url, {"field": "model", "value": "a\x00b"})
    assert response.status_code == 400
    assert b"The query parameter &#x27;value&#x27; contains a NUL character" in response.content


def test_a_rubric_name_with_a_nul_through_the_api_is_refused(client, curator):
    client.force_login(curator)
    rubric = json.dumps({"name": "To\x00ne", "criteria": [{"key": "q", "type": "binary"}]})
    body = json.dumps({"text": rubric})
    assert "\\\\u0000" in body  # the rubric's escape, escaped again inside the body's string
    response = client.post(reverse("api:rubric-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["message"]
    assert Rubric.objects.count() == 0


def test_a_json_body_with_an_escaped_backslash_before_u0000_is_not_mistaken_for_a_nul(client, curator):
    client.force_login(curator)
    text = 'name: "C:\\\\u0000dir"\ncriteria: [{key: q, type: binary}]\n'
    response = client.post(reverse("api:rubric-list"), {"text": text}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Rubric.objects.get().name == "C:\\u0000dir"


def test_a_rubric_name_with_a_nul_in_the_web_form_is_refused(client, curator):
    client.force_login(curator)
    response = client.post(reverse("annotate:rubric-create"), {"text": "name: To\x00ne\ncriteria: []\n"})
    assert response.status_code == 400 and b"NUL character" in response.content
    assert Rubric.objects.count() == 0


def test_an_address_with_a_nul_is_refused(client, curator):
    client.force_login(curator)
    assert client.get("/datasets/upload/abc%00def/").status_code == 400


def test_an_api_refusal_is_json(client, curator):
    client.force_login(curator)
    response = client.get(reverse("api:dataset-list"), {"q": "\x00"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "The query parameter 'q' contains a NUL character. Remove it and send again."
    assert error["field"] == "q"


def test_text_without_nul_passes_untouched(client, campaign, rater):
    assignment = _leased(campaign, rater)
    client.force_login(rater)
    response = client.post(
        reverse("ratings:rate-submit", args=[campaign.slug]),
        {"assignment": assignment.pk, "c-helpful": "4", "comment": "fine"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Rating.objects.get().comment == "fine"


def test_a_machine_judges_name_with_a_nul_through_the_api_is_refused(client, campaign, owner):
    client.force_login(owner)
    item = campaign.items.order_by("order_key").first().item.external_id
    body = {"machine": {"name": "judge\u0000"}, "ratings": [{"item_id": item, "values": {"helpful": 4}}]}
    url = reverse("ratings-api:campaign-machine-ratings", args=[campaign.slug])
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in json.dumps(response.json())
    assert not MachineRater.objects.exists() and Rating.objects.count() == 0


def test_a_leaderboard_query_with_a_nul_is_refused(client, campaign, owner):
    client.force_login(owner)
    response = client.get(reverse("ratings:leaderboard", args=[campaign.slug]), {"criterion": "help\x00ful"})
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_an_api_token_name_with_a_nul_is_refused(client, owner):
    client.force_login(owner)
    response = client.post(reverse("annotate:api-tokens"), {"name": "nightly\x00"})
    assert response.status_code == 400
    assert b"NUL" in response.content
    assert not ApiToken.objects.exists()
