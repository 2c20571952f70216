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
    assert response.status_code in (401, 403)


def test_one_bad_label_refuses_the_whole_call_and_names_index_field_and_value(campaign, owner) -> None:
    body = _body(campaign, [1, 2, 9, 4])

    code, answer = _post(owner, campaign, body)

    assert code == 400
    assert len(answer["errors"]) == 1
    message = answer["errors"][0]
    assert "ratings[2]" in message and "helpful" in message and "9" in message
    assert not Rating.objects.filter(campaign=campaign).exists()
    assert not MachineRater.objects.filter(campaign=campaign).exists()


def test_an_item_outside_the_sample_is_named(campaign, owner) -> None:
    body = _body(campaign, [1, 2])
    body["ratings"].append({"item_id": "no-such-item", "values": {"helpful": 3}})

    code, answer = _post(owner, campaign, body)

    assert code == 400
    assert answer["errors"] == ["ratings[2].item_id: no item 'no-such-item' in this campaign's sample."]
    assert not Rating.objects.filter(campaign=campaign).exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "The body must be a JSON object"),
        ({"ratings": []}, "machine: must be an object"),
        ({"machine": {"name": ""}, "ratings": [{"item_id": "x", "values": {"helpful": 1}}]}, "machine.name"),
        ({"machine": {"name": "bad name!"}, "ratings": [{"item_id": "x", "values": {"helpful": 1}}]}, "bad name!"),
        ({"machine": {"name": "j", "model": 5}, "ratings": []}, "machine.model: must be text, got 5"),
        ({"machine": {"name": "j"}, "ratings": "all of them"}, "ratings: must be a list"),
        ({"machine": {"name": "j"}, "ratings": []}, "ratings: the list is empty"),
        ({"machine": {"name": "j"}, "ratings": [7]}, "ratings[0]: must be an object"),
        ({"machine": {"name": "j"}, "ratings": [{"values": {"helpful": 1}}]}, "ratings[0].item_id"),
        ({"machine": {"name": "j"}, "ratings": [{"item_id": "x"}]}, "ratings[0] (item 'x').values"),
        ({"machine": {"name": "j"}, "ratings": [{"item_id": "x", "values": {"nope": 1}}]}, "values.nope: not a"),
        ({"machine": {"name": "j"}, "ratings": [{"item_id": "x", "values": {"helpful": 1}, "comment": 3}]}, "comment"),
        (
            {"machine": {"name": "j"}, "ratings": [{"item_id": "x", "values": {"helpful": 1}}], "replace": "yes"},
            "replace",
        ),
    ],
)
def test_a_malformed_body_gets_a_400_naming_the_problem(campaign, owner, body, expected) -> None:
    code, answer = _post(owner, campaign, body)

    assert code == 400
    assert any(expected in message for message in answer["errors"]), answer
    assert not Rating.objects.filter(campaign=campaign).exists()


def test_text_that_is_not_json_is_a_400(campaign, owner) -> None:
    client = Client()
    client.force_login(owner)
    url = reverse("ratings-api:campaign-machine-ratings", args=[campaign.slug])
    response = client.post(url, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_more_labels_than_a_call_may_carry_are_refused_with_the_limit(campaign, owner) -> None:
    body = {
        "machine": {"name": "j"},
        "ratings": [{"item_id": "x", "values": {"helpful": 1}}] * (MAX_RATINGS_PER_CALL + 1),
    }

    code, answer = _post(owner, campaign, body)

    assert code == 400
    assert f"at most {MAX_RATINGS_PER_CALL:,} labels per call" in answer["errors"][0]


def test_the_same_item_twice_in_one_call_is_named(campaign, owner) -> None:
    body = _body(campaign, [1, 2])
    body["ratings"].append(dict(body["ratings"][0]))

    code, answer = _post(owner, campaign, body)

    assert code == 400
    assert "ratings[2]" in answer["errors"][0] and "ratings[0] labels it already" in answer["errors"][0]


def test_a_second_label_on_an_item_needs_replace_and_keeps_the_first_as_a_revision(campaign, owner) -> None:
    assert _post(owner, campaign, _body(campaign, [1, 2]))[0] == 201

    code, answer = _post(owner, campaign, _body(campaign, [5, 2, 3]))
    assert code == 400
    assert "ratings[0]" in answer["errors"][0] and '"replace": true' in answer["errors"][0]
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
    assert "another-model" in answer["errors"][0]
    assert Rating.objects.filter(campaign=campaign).count() == 1


@pytest.mark.parametrize("status", [Campaign.Status.CLOSED, Campaign.Status.ARCHIVED])
def test_a_closed_campaign_takes_no_labels(campaign, owner, status) -> None:
    campaign.status = status
    campaign.save(update_fields=["status"])

    code, answer = _post(owner, campaign, _body(campaign, [1]))

    assert code == 400
    assert f"This campaign is {status.label.lower()}" in answer["errors"][0]
    assert not Rating.objects.filter(campaign=campaign).exists()


def test_machine_labels_take_no_slot_from_the_raters(campaign, owner) -> None:
    code, _ = _post(owner, campaign, _body(campaign, [1, 2, 3, 4, 5]))

    assert code == 201
    assert set(CampaignItem.objects.filter(campaign=campaign).values_list("n_taken", "n_rated")) == {(0, 0)}


def _list(user: User, campaign: Campaign) -> tuple[int, object]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("ratings-api:campaign-machine-raters", args=[campaign.slug]))
    return response.status_code, response.json()


@pytest.mark.parametrize("role", ["owner", "adjudicator", "viewer"])
def test_readers_list_machine_raters_with_provenance_and_counts(request, campaign, owner, role) -> None:
    _post(owner, campaign, _body(campaign, [1, 2, 3]))

    code, body = _list(request.getfixturevalue(role), campaign)

    assert code == 200
    assert len(body) == 1
    row = body[0]
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
