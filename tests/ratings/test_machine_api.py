"""POST /api/v1/campaigns/<slug>/machine-ratings/ and GET …/machine-raters/: a judge's labels, owners only."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, CampaignItem, MachineRater
from ratings.machine_ratings import MAX_RATINGS_PER_CALL
from ratings.models import Rating, RatingRevision

pytestmark = pytest.mark.django_db


def _post(user: User, campaign: Campaign, body: object) -> tuple[int, dict]:
    client = Client()
    client.force_login(user)
    url = reverse("ratings-api:campaign-machine-ratings", args=[campaign.slug])
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def _problems(answer: dict) -> list[dict]:
    """Every problem of a 400, after checking the error's shape: the first is repeated at the top."""
    error = answer["error"]
    assert error["code"] == "invalid"
    first = error["details"][0]
    assert (error["message"], error["field"], error["row"]) == (first["message"], first["field"], first["row"])
    return error["details"]


def _items(campaign: Campaign) -> list[str]:
    return list(
        CampaignItem.objects.filter(campaign=campaign).order_by("order_key").values_list("item__external_id", flat=True)
    )


def _body(campaign: Campaign, values: list[int], **extra: object) -> dict:
    ids = _items(campaign)
    return {
        "machine": {"name": "judge-a", "model": "gpt-4o-mini", "prompt": "Rate helpfulness 1-5.", "version": "v1"},
        "ratings": [{"item_id": ids[i], "values": {"helpful": v}} for i, v in enumerate(values)],
        **extra,
    }


def test_owner_posts_a_judges_labels_and_they_are_kept_as_machine_ratings(campaign, owner) -> None:
    code, body = _post(owner, campaign, _body(campaign, [1, 2, 3, 4, 5]))

    assert code == 201
    assert body == {"machine": "judge-a", "machine_created": True, "created": 5, "replaced": 0}
    machine = MachineRater.objects.get(campaign=campaign, name="judge-a")
    assert (machine.model, machine.version) == ("gpt-4o-mini", "v1")
    ratings = Rating.objects.filter(rater=machine.user).order_by("campaign_item__order_key")
    assert [r.values["helpful"] for r in ratings] == [1, 2, 3, 4, 5]
    assert all(r.by_machine and r.source == "api" for r in ratings)


@pytest.mark.parametrize("role", ["outsider", "rater", "viewer", "adjudicator"])
def test_only_owners_may_post_labels(request, campaign, role) -> None:
    user = request.getfixturevalue(role)

    code, _ = _post(user, campaign, _body(campaign, [1, 2]))

    assert code == 404
    assert not Rating.objects.filter(campaign=campaign).exists()
    assert not MachineRater.objects.filter(campaign=campaign).exists()


def test_a_signed_out_client_is_refused(campaign) -> None:
    url = reverse("ratings-api:campaign-machine-ratings", args=[campaign.slug])
    response = Client().post(url, json.dumps(_body(campaign, [1])), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_one_bad_label_refuses_the_whole_call_and_names_index_field_and_value(campaign, owner) -> None:
    body = _body(campaign, [1, 2, 9, 4])

    code, answer = _post(owner, campaign, body)

    assert code == 400
    [problem] = _problems(answer)
    assert "ratings[2]" in problem["message"] and "helpful" in problem["message"] and "9" in problem["message"]
    assert (problem["field"], problem["row"]) == ("ratings.2.values.helpful", 3)
    assert not Rating.objects.filter(campaign=campaign).exists()
    assert not MachineRater.objects.filter(campaign=campaign).exists()


def test_an_item_outside_the_sample_is_named(campaign, owner) -> None:
    body = _body(campaign, [1, 2])
    body["ratings"].append({"item_id": "no-such-item", "values": {"helpful": 3}})

    code, answer = _post(owner, campaign, body)

    assert code == 400
    assert _problems(answer) == [
        {
            "message": "ratings[2].item_id: no item 'no-such-item' in this campaign's sample.",
            "field": "ratings.2.item_id",
            "row": 3,
        }
    ]
    assert not Rating.objects.filter(campaign=campaign).exists()


ONE = [{"item_id": "x", "values": {"helpful": 1}}]


@pytest.mark.parametrize(
    ("body", "expected", "field", "row"),
    [
        ([], "The body must be a JSON object", None, None),
        ({"ratings": []}, "machine: must be an object", "machine", None),
        ({"machine": {"name": ""}, "ratings": ONE}, "machine.name", "machine.name", None),
        ({"machine": {"name": "bad name!"}, "ratings": ONE}, "bad name!", "machine.name", None),
        (
            {"machine": {"name": "j", "model": 5}, "ratings": []},
            "machine.model: must be text, got 5",
            "machine.model",
            None,
        ),
        ({"machine": {"name": "j"}, "ratings": "all of them"}, "ratings: must be a list", "ratings", None),
        ({"machine": {"name": "j"}, "ratings": []}, "ratings: the list is empty", "ratings", None),
        ({"machine": {"name": "j"}, "ratings": [7]}, "ratings[0]: must be an object", "ratings.0", 1),
        (
            {"machine": {"name": "j"}, "ratings": [{"values": {"helpful": 1}}]},
            "ratings[0].item_id",
            "ratings.0.item_id",
            1,
        ),
        (
            {"machine": {"name": "j"}, "ratings": [{"item_id": "x"}]},
            "ratings[0] (item 'x').values",
            "ratings.0.values",
            1,
        ),
        (
            {"machine": {"name": "j"}, "ratings": [*ONE, {"item_id": "y", "values": {"nope": 1}}]},
            "values.nope: not a",
            "ratings.1.values.nope",
            2,
        ),
        (
            {"machine": {"name": "j"}, "ratings": [{"item_id": "x", "values": {"helpful": 1}, "comment": 3}]},
            "comment",
            "ratings.0.comment",
            1,
        ),
        ({"machine": {"name": "j"}, "ratings": ONE, "replace": "yes"}, "Must be true or false", "replace", None),
    ],
)
def test_a_malformed_body_gets_a_400_naming_the_problem(campaign, owner, body, expected, field, row) -> None:
    code, answer = _post(owner, campaign, body)

    assert code == 400
    named = [p for p in _problems(answer) if expected in p["message"]]
    assert named, answer
    assert (named[0]["field"], named[0]["row"]) == (field, row)
    assert not Rating.objects.filter(campaign=campaign).exists()


def test_text_that_is_not_json_is_a_400(campaign, owner) -> None:
    client = Client()
    client.force_login(owner)
    url = reverse("ratings-api:campaign-machine-ratings", args=[campaign.slug])
    response = client.post(url, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("JSON parse error")


def test_more_labels_than_a_call_may_carry_are_refused_with_the_limit(campaign, owner) -> None:
    body = {
        "machine": {"name": "j"},
        "ratings": [{"item_id": "x", "values": {"helpful": 1}}] * (MAX_RATINGS_PER_CALL + 1),
    }

    code, answer = _post(owner, campaign, body)

    assert code == 400
    [problem] = _problems(answer)
    assert f"at most {MAX_RATINGS_PER_CALL:,} labels per call" in problem["message"]
    assert (problem["field"], problem["row"]) == ("ratings", None)


def test_the_same_item_twice_in_one_call_is_named(campaign, owner) -> None:
    body = _body(campaign, [1, 2])
    body["ratings"].append(dict(body["ratings"][0]))

    code, answer = _post(owner, campaign, body)

    assert code == 400
    [problem] = _problems(answer)
    assert "ratings[2]" in problem["message"] and "ratings[0] labels it already" in problem["message"]
    assert (problem["field"], problem["row"]) == ("ratings.2", 3)


def test_a_second_label_on_an_item_needs_replace_and_keeps_the_first_as_a_revision(campaign, owner) -> None:
    assert _post(owner, campaign, _body(campaign, [1, 2]))[0] == 201

    code, answer = _post(owner, campaign, _body(campaign, [5, 2, 3]))
    assert code == 400
    problems = _problems(answer)
    assert [(p["field"], p["row"]) for p in problems] == [("ratings.0", 1), ("ratings.1", 2)]
    assert '"replace": true' in problems[0]["message"]
    assert Rating.objects.filter(campaign=campaign).count() == 2

    code, answer = _post(owner, campaign, _body(campaign, [5, 2, 3], replace=True))
    assert code == 201
    assert answer == {"machine": "judge-a", "machine_created": False, "created": 1, "replaced": 2}
    first = Rating.objects.get(campaign=campaign, campaign_item__item__external_id=_items(campaign)[0])
    assert first.values == {"helpful": 5}
    assert list(RatingRevision.objects.filter(rating=first).values_list("values", flat=True)) == [{"helpful": 1}]


def test_other_provenance_under_a_known_name_is_refused(campaign, owner) -> None:
    assert _post(owner, campaign, _body(campaign, [1]))[0] == 201
    body = _body(campaign, [1, 2], replace=True)
    body["machine"]["model"] = "another-model"

    code, answer = _post(owner, campaign, body)

    assert code == 400
    [problem] = _problems(answer)
    assert "another-model" in problem["message"] and problem["field"] is None
    assert Rating.objects.filter(campaign=campaign).count() == 1


@pytest.mark.parametrize("status", [Campaign.Status.CLOSED, Campaign.Status.ARCHIVED])
def test_a_closed_campaign_takes_no_labels(campaign, owner, status) -> None:
    campaign.status = status
    campaign.save(update_fields=["status"])

    code, answer = _post(owner, campaign, _body(campaign, [1]))

    assert code == 400
    [problem] = _problems(answer)
    assert f"This campaign is {status.label.lower()}" in problem["message"]
    assert (problem["field"], problem["row"]) == (None, None)
    assert not Rating.objects.filter(campaign=campaign).exists()


def test_machine_labels_take_no_slot_from_the_raters(campaign, owner) -> None:
    code, _ = _post(owner, campaign, _body(campaign, [1, 2, 3, 4, 5]))

    assert code == 201
    assert set(CampaignItem.objects.filter(campaign=campaign).values_list("n_taken", "n_rated")) == {(0, 0)}


def _list(user: User, campaign: Campaign, query: str = "") -> tuple[int, dict]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("ratings-api:campaign-machine-raters", args=[campaign.slug]) + query)
    return response.status_code, response.json()


@pytest.mark.parametrize("role", ["owner", "adjudicator", "viewer"])
def test_readers_list_machine_raters_with_provenance_and_counts(request, campaign, owner, role) -> None:
    _post(owner, campaign, _body(campaign, [1, 2, 3]))

    code, body = _list(request.getfixturevalue(role), campaign)

    assert code == 200
    assert (body["next"], body["previous"]) == (None, None)
    assert len(body["results"]) == 1
    row = body["results"][0]
    assert (row["name"], row["model"], row["version"], row["prompt"]) == (
        "judge-a",
        "gpt-4o-mini",
        "v1",
        "Rate helpfulness 1-5.",
    )
    assert (row["n_labels"], row["n_items"]) == (3, 3)


@pytest.mark.parametrize("role", ["outsider", "rater"])
def test_raters_and_outsiders_do_not_see_machine_raters(request, campaign, role) -> None:
    code, _ = _list(request.getfixturevalue(role), campaign)
    assert code == 404


def test_machine_raters_come_a_page_at_a_time_by_name(campaign, owner) -> None:
    for name in ["judge-c", "judge-a", "judge-b"]:
        body = _body(campaign, [1])
        body["machine"] = {"name": name}
        assert _post(owner, campaign, body)[0] == 201
    client = Client()
    client.force_login(owner)

    first = client.get(reverse("ratings-api:campaign-machine-raters", args=[campaign.slug]) + "?limit=2").json()
    second = client.get(first["next"]).json()

    assert [r["name"] for r in first["results"]] == ["judge-a", "judge-b"]
    assert [r["name"] for r in second["results"]] == ["judge-c"]
    assert second["next"] is None and client.get(second["previous"]).json()["results"] == first["results"]


@pytest.mark.parametrize(
    ("query", "field"), [("?limit=0", "limit"), ("?limit=x", "limit"), ("?cursor=nonsense", "cursor")]
)
def test_a_bad_page_parameter_is_a_400_naming_it(campaign, owner, query, field) -> None:
    code, answer = _list(owner, campaign, query)

    assert code == 400
    assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid", field)
