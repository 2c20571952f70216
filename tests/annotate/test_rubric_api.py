"""The REST API for rubrics: the list as a page, one rubric with its versions, one version; only for those who may
see the rubric."""

import copy

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Membership, Rubric
from annotate.services.api_tokens import api_token_create
from tests.factories import (
    LIKERT_CRITERION,
    CampaignFactory,
    MembershipFactory,
    RubricFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TONE = """\
name: Tone
description: How it sounds.
guidelines: Rate the tone.
criteria:
  - key: polite
    type: binary
    label: Polite
"""


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def versions(curator: User) -> Rubric:
    """A rubric of the curator's with two versions, the first used by a campaign (frozen), the second a draft."""
    first = RubricVersionFactory(number=1, rubric__created_by=curator, rubric__name="Helpfulness", guidelines="Rate.")
    relabelled = copy.deepcopy(LIKERT_CRITERION) | {"label": "How helpful"}
    RubricVersionFactory(rubric=first.rubric, number=2, guidelines="Rate strictly.", criteria=[relabelled])
    CampaignFactory(rubric_version=first, owner=curator)
    return first.rubric


def test_a_curator_loads_a_rubric_and_reads_it_back_with_its_versions(curator):
    client = _client(curator)
    created = client.post(reverse("api:rubric-list"), {"text": TONE}, format="json")
    assert created.status_code == 201
    changed = TONE.replace("label: Polite", "label: Courteous")
    assert client.post(reverse("api:rubric-list"), {"text": changed}, format="json").json()["latest_version"] == 2
    pk = created.json()["id"]

    detail = client.get(reverse("api:rubric-detail", args=[pk])).json()

    assert (detail["name"], detail["description"], detail["latest_version"]) == ("Tone", "How it sounds.", 2)
    assert [c["label"] for c in detail["criteria"]] == ["Courteous"]
    assert [(v["number"], v["frozen"]) for v in detail["versions"]] == [(2, False), (1, False)]
    first = client.get(reverse("api:rubric-version-detail", args=[pk, 1])).json()
    assert (first["number"], first["guidelines"], first["frozen"]) == (1, "Rate the tone.", False)
    assert [c["label"] for c in first["criteria"]] == ["Polite"]


def test_a_version_a_campaign_uses_is_frozen(curator, versions):
    client = _client(curator)
    detail = client.get(reverse("api:rubric-detail", args=[versions.pk])).json()
    assert [(v["number"], v["frozen"]) for v in detail["versions"]] == [(2, False), (1, True)]
    assert detail["latest_version"] == 2 and detail["criteria"][0]["label"] == "How helpful"
    assert client.get(reverse("api:rubric-version-detail", args=[versions.pk, 1])).json()["frozen"] is True


def test_the_list_is_a_page_of_rubrics_with_their_newest_criteria(curator, versions):
    for n in range(3):
        RubricVersionFactory(rubric__created_by=curator, rubric__name=f"extra-{n}")
    client = _client(curator)
    seen, url = [], reverse("api:rubric-list") + "?limit=2"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += body["results"]
        url = body["next"]
    assert [r["id"] for r in seen] == sorted(Rubric.objects.values_list("pk", flat=True))
    first = next(r for r in seen if r["id"] == versions.pk)
    assert first["latest_version"] == 2 and first["criteria"][0]["label"] == "How helpful"


def test_the_list_reads_the_versions_of_a_page_at_once(curator, django_assert_max_num_queries):
    for n in range(10):
        RubricVersionFactory(rubric__created_by=curator, rubric__name=f"r{n}")
    client = _client(curator)
    client.get(reverse("api:rubric-list"))
    with django_assert_max_num_queries(8):
        assert len(client.get(reverse("api:rubric-list")).json()["results"]) == 10


def test_an_api_token_reads_rubrics_as_its_user(curator, versions):
    _token, secret = api_token_create(user=curator, name="notebook")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert [r["id"] for r in client.get(reverse("api:rubric-list")).json()["results"]] == [versions.pk]
    assert client.get(reverse("api:rubric-detail", args=[versions.pk])).status_code == 200


def test_outsiders_and_campaign_members_who_do_not_own_it_get_404(curator, versions, campaign):
    urls = [
        reverse("api:rubric-detail", args=[versions.pk]),
        reverse("api:rubric-version-detail", args=[versions.pk, 1]),
    ]
    used = campaign.rubric_version
    member_urls = [
        reverse("api:rubric-detail", args=[used.rubric_id]),
        reverse("api:rubric-version-detail", args=[used.rubric_id, used.number]),
    ]
    outsider = _client(UserFactory(username="outsider"))
    for url in urls + member_urls:
        assert outsider.get(url).status_code == 404, url
    for role in (Membership.Role.RATER, Membership.Role.ADJUDICATOR, Membership.Role.VIEWER):
        member = UserFactory(username=f"member-{role}")
        MembershipFactory(campaign=campaign, user=member, role=role)
        client = _client(member)
        for url in member_urls:
            assert client.get(url).status_code == 404, (role, url)
        assert client.get(reverse("api:rubric-list")).json()["results"] == []
    assert outsider.get(reverse("api:rubric-list")).json() == {"next": None, "previous": None, "results": []}


def test_the_owner_of_a_campaign_on_another_users_rubric_sees_it(curator):
    version = RubricVersionFactory(rubric=RubricFactory(created_by=UserFactory(username="alice")))
    campaign = CampaignFactory(rubric_version=version)
    MembershipFactory(campaign=campaign, user=curator, role=Membership.Role.OWNER)
    client = _client(curator)
    assert [r["id"] for r in client.get(reverse("api:rubric-list")).json()["results"]] == [version.rubric_id]
    assert client.get(reverse("api:rubric-version-detail", args=[version.rubric_id, 1])).status_code == 200


def test_staff_see_every_rubric(versions):
    staff = _client(UserFactory(username="admin", is_staff=True))
    assert staff.get(reverse("api:rubric-detail", args=[versions.pk])).status_code == 200


def test_anonymous_callers_get_401(client, versions):
    response = client.get(reverse("api:rubric-detail", args=[versions.pk]))
    assert response.status_code == 401


@pytest.mark.parametrize("number", ["3", "0", "9" * 40])
def test_a_version_the_rubric_does_not_have_is_not_found(curator, versions, number):
    response = _client(curator).get(f"/api/v1/rubrics/{versions.pk}/versions/{number}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_rubric_id_past_64_bits_is_not_found(curator):
    assert _client(curator).get(f"/api/v1/rubrics/{'9' * 40}/").status_code == 404


@pytest.mark.parametrize(("query", "field"), [({"limit": "1001"}, "limit"), ({"cursor": "%%%"}, "cursor")])
def test_a_bad_page_parameter_is_a_400_naming_it(curator, versions, query, field):
    response = _client(curator).get(reverse("api:rubric-list"), query)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_an_invalid_rubric_is_a_400_that_stores_nothing(curator):
    text = "name: Broken\ncriteria:\n  - key: helpful\n    type: likert\n"
    response = _client(curator).post(reverse("api:rubric-list"), {"text": text}, format="json")
    error = response.json()["error"]
    assert response.status_code == 400 and error["field"] == "text"
    assert "helpful" in error["message"]
    assert Rubric.objects.count() == 0


@pytest.mark.parametrize(("body", "field"), [({}, "text"), ({"text": TONE, "format": "toml"}, "format")])
def test_a_malformed_load_is_a_400_naming_the_field(curator, body, field):
    response = _client(curator).post(reverse("api:rubric-list"), body, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    assert Rubric.objects.count() == 0


def test_a_user_who_may_not_curate_cannot_load_a_rubric(rater):
    response = _client(rater).post(reverse("api:rubric-list"), {"text": TONE}, format="json")
    assert response.status_code == 403 and Rubric.objects.filter(name="Tone").count() == 0
