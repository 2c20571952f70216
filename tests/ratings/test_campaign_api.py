"""The campaigns API: create a campaign, read it by role, start and close it, its progress, and its members."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Campaign, CampaignItem, Membership
from annotate.services.api_tokens import api_token_create
from annotate.services.campaigns import MAX_DESCRIPTION_LENGTH, campaign_create
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RubricFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
Status = Campaign.Status
LIST = reverse("ratings-api:campaign-list")


def detail_url(campaign: Campaign) -> str:
    return reverse("ratings-api:campaign-detail", args=[campaign.slug])


def action_url(campaign: Campaign, action: str) -> str:
    return reverse(f"ratings-api:campaign-{action}", args=[campaign.slug])


def members_url(campaign: Campaign) -> str:
    return reverse("ratings-api:campaign-member-list", args=[campaign.slug])


def member_url(campaign: Campaign, membership: Membership | int) -> str:
    pk = membership if isinstance(membership, int) else membership.pk
    return reverse("ratings-api:campaign-member-detail", args=[campaign.slug, pk])


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def error_of(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]


@pytest.fixture
def dataset(curator):
    dataset = DatasetFactory(
        name="Responses", created_by=curator, content_fields=["prompt", "response"], metadata_fields=["model", "topic"]
    )
    for i in range(12):
        ItemFactory(dataset=dataset, metadata={"model": "m1", "topic": ["a", "b", "c"][i % 3]})
    dataset.item_count = 12
    dataset.save()
    return dataset


@pytest.fixture
def rubric(curator):
    rubric = RubricFactory(name="HHH", created_by=curator)
    RubricVersionFactory(rubric=rubric, number=1, guidelines="First guidelines.")
    RubricVersionFactory(rubric=rubric, number=2, guidelines="Second guidelines.")
    return rubric


def body_for(dataset, rubric, /, **overrides) -> dict:
    body = {
        "name": "Helpfulness",
        "slug": "helpfulness",
        "dataset": dataset.pk,
        "rubric": rubric.pk,
        "sample": {"kind": "random", "n": 6, "seed": 3},
        "overlap": 3,
    }
    body.update(overrides)
    return body


# --------------------------------------------------------------------------- create


def test_a_curator_creates_a_campaign_with_a_token_and_becomes_its_owner(curator, dataset, rubric):
    _token, secret = api_token_create(user=curator, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = body_for(
        dataset,
        rubric,
        description="Rate for helpfulness only.",
        lease_minutes=45,
        visible_fields=["response", "prompt", "topic"],
        gold_rate=0.1,
        repeat_rate=0.05,
    )
    response = client.post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    assert response["Location"] == "/api/v1/campaigns/helpfulness/"
    got = response.json()
    assert (got["slug"], got["status"], got["role"], got["rates"]) == ("helpfulness", "draft", "owner", False)
    assert got["rubric"] == {"id": rubric.pk, "name": "HHH", "version": 2}
    assert got["guidelines"] == "Second guidelines."
    assert got["dataset"] == {"id": dataset.pk, "name": "Responses"}
    assert got["sample"] == {"kind": "random", "n": 6, "seed": 3, "field": None}
    assert got["visible_fields"] == ["response", "prompt", "topic"]
    assert (got["lease_minutes"], got["gold_rate"], got["repeat_rate"]) == (45, 0.1, 0.05)
    assert got["description"] == "Rate for helpfulness only."
    assert got["progress"]["n_items"] == 6 and got["sample_note"] == ""
    assert got["next_statuses"] == ["active", "archived"]
    campaign = Campaign.objects.get(slug="helpfulness")
    assert campaign.created_by == curator
    assert CampaignItem.objects.filter(campaign=campaign).count() == 6
    assert list(campaign.memberships.values_list("user__username", "role")) == [("curator", "owner")]
    # The new campaign is then in the caller's list.
    assert [c["slug"] for c in client.get(LIST).json()["results"]] == ["helpfulness"]


def test_the_same_seed_draws_the_same_sample_as_the_page(client, curator, dataset, rubric):
    api(curator).post(LIST, body_for(dataset, rubric, slug="by-api"), format="json")
    client.force_login(curator)
    form = {
        "dataset": dataset.pk,
        "name": "By page",
        "slug": "by-page",
        "rubric_version": rubric.versions.get(number=2).pk,
        "method": "random",
        "n": "6",
        "seed": "3",
        "overlap": "3",
        "lease_minutes": "30",
    }
    assert client.post(reverse("ratings:campaign-create"), form).status_code == 302

    def drawn(slug: str) -> list[int]:
        items = CampaignItem.objects.filter(campaign__slug=slug).order_by("order_key")
        return list(items.values_list("item_id", flat=True))

    assert drawn("by-api") == drawn("by-page")


def test_a_stratified_sample_takes_n_items_per_value_of_the_field(curator, dataset, rubric):
    sample = {"kind": "stratified", "n": 2, "field": "topic", "seed": 1}
    response = api(curator).post(LIST, body_for(dataset, rubric, sample=sample), format="json")
    assert response.status_code == 201, response.content
    got = response.json()
    assert got["sample"] == {"kind": "stratified", "n": 2, "seed": 1, "field": "topic"}
    assert got["progress"]["n_items"] == 6


def test_left_out_the_sample_is_every_item_and_the_slug_comes_from_the_name(curator, dataset, rubric):
    body = {"name": "Round 2, helpful?", "dataset": dataset.pk, "rubric": rubric.pk, "overlap": 2}
    response = api(curator).post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    got = response.json()
    assert got["slug"] == "round-2-helpful"
    assert got["sample"]["kind"] == "all" and got["progress"]["n_items"] == 12
    assert (got["lease_minutes"], got["gold_rate"], got["visible_fields"]) == (30, 0.0, [])


def test_a_random_sample_larger_than_the_dataset_says_so(curator, dataset, rubric):
    body = body_for(dataset, rubric, sample={"kind": "random", "n": 50})
    got = api(curator).post(LIST, body, format="json").json()
    assert got["progress"]["n_items"] == 12
    assert "only 12" in got["sample_note"]


def test_a_rubric_version_number_picks_that_version(curator, dataset, rubric):
    response = api(curator).post(LIST, body_for(dataset, rubric, rubric_version=1), format="json")
    assert response.status_code == 201
    assert response.json()["rubric"]["version"] == 1
    assert Campaign.objects.get(slug="helpfulness").rubric_version.number == 1


def test_a_dataset_or_rubric_the_caller_cannot_see_is_named_and_not_revealed(curator, dataset, rubric):
    someone = UserFactory(username="someone")
    theirs = DatasetFactory(created_by=someone)
    their_rubric = RubricVersionFactory(rubric=RubricFactory(created_by=someone)).rubric
    client = api(curator)
    missing = client.post(LIST, body_for(dataset, rubric, dataset=999_999), format="json")
    hidden = client.post(LIST, body_for(dataset, rubric, dataset=theirs.pk), format="json")
    assert error_of(missing)["field"] == error_of(hidden)["field"] == "dataset"
    assert error_of(hidden)["message"] == f"dataset: no dataset {theirs.pk} that you can see."
    assert error_of(missing)["message"] == "dataset: no dataset 999999 that you can see."
    both = error_of(
        client.post(LIST, body_for(dataset, rubric, dataset=theirs.pk, rubric=their_rubric.pk), format="json")
    )
    assert [d["field"] for d in both["details"]] == ["dataset", "rubric"]
    assert not Campaign.objects.exists()


BAD_INPUTS = [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"overlap": 0}, "overlap"),
    ({"overlap": 21}, "overlap"),
    ({"overlap": "three"}, "overlap"),
    ({"overlap": 2.5}, "overlap"),
    ({"overlap": True}, "overlap"),
    ({"lease_minutes": 0}, "lease_minutes"),
    ({"lease_minutes": 10**12}, "lease_minutes"),
    ({"gold_rate": 0.9}, "gold_rate"),
    ({"gold_rate": "NaN"}, "gold_rate"),
    ({"repeat_rate": -0.1}, "repeat_rate"),
    ({"visible_fields": ["prompt", "secret"]}, "visible_fields"),
    ({"visible_fields": "prompt"}, "visible_fields"),
    ({"sample": {"kind": "weighted"}}, "sample.kind"),
    ({"sample": "all"}, "sample"),
    ({"sample": {"kind": "random"}}, "sample.n"),
    ({"sample": {"kind": "random", "n": 0}}, "sample.n"),
    ({"sample": {"kind": "random", "n": 5, "seed": -1}}, "sample.seed"),
    ({"sample": {"kind": "stratified", "n": 2}}, "sample.field"),
    ({"sample": {"kind": "stratified", "n": 2, "field": "prompt"}}, "sample.field"),
    ({"slug": "not a slug!"}, "slug"),
    ({"slug": "new"}, "slug"),
    ({"slug": "x" * 81}, "slug"),
    ({"rubric_version": 9}, "rubric_version"),
    ({"rubric_version": 0}, "rubric_version"),
    ({"dataset": "first"}, "dataset"),
    ({"dataset": 10**30}, "dataset"),
    ({"rubric": -1}, "rubric"),
    ({"description": "x" * (MAX_DESCRIPTION_LENGTH + 1)}, "description"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INPUTS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_INPUTS)])
def test_every_bad_value_is_a_400_naming_the_field_and_nothing_is_written(curator, dataset, rubric, change, field):
    response = api(curator).post(LIST, body_for(dataset, rubric, **change), format="json")
    assert error_of(response)["field"] == field
    assert not Campaign.objects.exists() and not CampaignItem.objects.exists()


def test_a_form_encoded_body_creates_the_same_campaign(curator, dataset, rubric):
    form = {"name": "By form", "dataset": dataset.pk, "rubric": rubric.pk, "overlap": 2}
    response = api(curator).post(LIST, {**form, "visible_fields": ["prompt", "topic"]})
    assert response.status_code == 201, response.content
    assert response.json()["visible_fields"] == ["prompt", "topic"]


@pytest.mark.parametrize("body", ["[1, 2]", '"campaign"', "{"])
def test_a_body_that_is_not_an_object_is_a_400(curator, body):
    response = api(curator).generic("POST", LIST, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] in ("invalid", "parse_error")
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("missing", ["name", "dataset", "rubric", "overlap"])
def test_a_required_field_left_out_is_named(curator, dataset, rubric, missing):
    body = body_for(dataset, rubric)
    del body[missing]
    assert error_of(api(curator).post(LIST, body, format="json"))["field"] == missing


def test_a_taken_slug_is_a_400_and_the_other_campaign_is_untouched(curator, dataset, rubric, campaign):
    response = api(curator).post(LIST, body_for(dataset, rubric, slug=campaign.slug), format="json")
    assert error_of(response)["field"] == "slug"
    assert Campaign.objects.count() == 1


def test_a_dataset_without_items_is_refused(curator, rubric):
    empty = DatasetFactory(created_by=curator)
    response = api(curator).post(LIST, body_for(empty, rubric, sample=None), format="json")
    assert error_of(response)["field"] == "dataset"
    assert not Campaign.objects.exists()


def test_a_rubric_without_versions_is_refused(curator, dataset):
    bare = RubricFactory(created_by=curator)
    response = api(curator).post(LIST, body_for(dataset, bare), format="json")
    assert error_of(response)["field"] == "rubric"


def test_only_curators_create_campaigns(rater, dataset, rubric):
    assert api(rater).post(LIST, body_for(dataset, rubric), format="json").status_code == 403
    assert api().post(LIST, body_for(dataset, rubric), format="json").status_code == 401
    assert not Campaign.objects.filter(slug="helpfulness").exists()


def test_the_service_refuses_a_description_longer_than_the_page_allows(curator, dataset, rubric):
    with pytest.raises(DjangoValidationError) as caught:
        campaign_create(
            slug="long",
            name="Long",
            description="x" * (MAX_DESCRIPTION_LENGTH + 1),
            dataset=dataset,
            rubric_version=rubric.versions.get(number=1),
            sample_spec={"method": "all"},
            overlap=2,
            lease_minutes=30,
            visible_fields=[],
            user=curator,
        )
    assert "description" in caught.value.message_dict


# --------------------------------------------------------------------------- detail by role


OWNER_KEYS = {"next_statuses", "settings_locks", "rates_editable", "n_gold_items", "system_field"}
READER_KEYS = {
    "dataset",
    "sample",
    "sample_text",
    "lease_minutes",
    "visible_fields",
    "gold_rate",
    "repeat_rate",
    "progress",
    "overlap_warning",
    "created_at",
    "created_by",
}


def test_a_rater_gets_the_guidelines_and_their_own_progress_only(rater, other_rater, campaign):
    item = CampaignItem.objects.filter(campaign=campaign).first()
    RatingFactory(campaign_item=item, rater=rater, values={"helpful": 3})
    RatingFactory(campaign_item=item, rater=other_rater, values={"helpful": 5}, comment="other-rater-secret")
    response = api(rater).get(detail_url(campaign))
    assert response.status_code == 200
    got = response.json()
    assert (got["role"], got["rates"], got["status"]) == ("rater", True, "active")
    assert got["guidelines"] == "Rate the response." and got["criteria"][0]["key"] == "helpful"
    assert got["my_progress"]["done"] == 1 and got["my_progress"]["n_items"] == 5
    assert got["unavailable_reason"] == ""
    assert not (READER_KEYS | OWNER_KEYS) & set(got)
    assert "other_rater" not in response.content.decode() and "other-rater-secret" not in response.content.decode()


def test_a_rater_of_a_paused_campaign_is_told_why_nothing_comes(rater, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.PAUSED)
    assert "paused" in api(rater).get(detail_url(campaign)).json()["unavailable_reason"]


@pytest.mark.parametrize("role_fixture", ["viewer", "adjudicator"])
def test_readers_get_settings_and_progress_but_not_the_owners_parts(request, campaign, role_fixture):
    user = request.getfixturevalue(role_fixture)
    got = api(user).get(detail_url(campaign)).json()
    assert READER_KEYS <= set(got) and not OWNER_KEYS & set(got)
    assert got["role"] == role_fixture and "my_progress" not in got
    # The dataset is named, but its id only goes to those who may open it.
    assert got["dataset"]["id"] is None and got["dataset"]["name"] == campaign.dataset.name
    assert got["progress"]["n_items"] == 5


def test_the_owner_gets_what_they_may_change_and_why_the_rest_is_locked(owner, campaign):
    got = api(owner).get(detail_url(campaign)).json()
    assert OWNER_KEYS | READER_KEYS <= set(got)
    assert got["next_statuses"] == ["paused", "closed", "archived"]
    assert set(got["settings_locks"]) >= {"slug", "dataset", "rubric_version", "sample"}
    assert got["rates_editable"] is True and got["n_gold_items"] == 0


def test_an_owner_who_rates_also_gets_their_progress(owner, campaign):
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=True)
    got = api(owner).get(detail_url(campaign)).json()
    assert got["rates"] is True and got["my_progress"]["done"] == 0


def test_outsiders_and_raters_of_other_campaigns_get_404(outsider, campaign):
    elsewhere = UserFactory(username="elsewhere")
    MembershipFactory(campaign=CampaignFactory(), user=elsewhere, role=Role.RATER)
    for user in (outsider, elsewhere):
        response = api(user).get(detail_url(campaign))
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api(outsider).get(reverse("ratings-api:campaign-detail", args=["no-such"])).status_code == 404
    assert api().get(detail_url(campaign)).status_code == 401


# --------------------------------------------------------------------------- activate and close


def test_the_owner_starts_a_draft_and_is_warned_when_too_few_members_rate(owner, campaign, rater):
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.DRAFT, overlap=3)
    response = api(owner).post(action_url(campaign, "activate"))
    assert response.status_code == 200, response.content
    got = response.json()
    assert got["status"] == "active"
    assert "only 1 member rates" in got["overlap_warning"]
    campaign.refresh_from_db()
    assert campaign.status == Status.ACTIVE


def test_with_enough_members_who_rate_there_is_no_warning(owner, campaign, rater, other_rater):
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.DRAFT, overlap=2)
    assert api(owner).post(action_url(campaign, "activate")).json()["overlap_warning"] == ""


def test_the_owner_closes_and_reopens_the_campaign(owner, campaign):
    closed = api(owner).post(action_url(campaign, "close"))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["next_statuses"] == ["active", "archived"]
    reopened = api(owner).post(action_url(campaign, "activate"))
    assert reopened.status_code == 200 and reopened.json()["status"] == "active"


@pytest.mark.parametrize(
    ("start", "action"),
    [(Status.ACTIVE, "activate"), (Status.DRAFT, "close"), (Status.ARCHIVED, "activate"), (Status.CLOSED, "close")],
)
def test_a_change_the_status_does_not_allow_is_a_400_naming_status(owner, campaign, start, action):
    Campaign.objects.filter(pk=campaign.pk).update(status=start)
    error = error_of(api(owner).post(action_url(campaign, action)))
    assert error["field"] == "status" and "cannot become" in error["message"]
    campaign.refresh_from_db()
    assert campaign.status == start


@pytest.mark.parametrize("role_fixture", ["rater", "adjudicator", "viewer", "outsider"])
def test_only_the_owner_changes_the_status(request, campaign, role_fixture):
    client = api(request.getfixturevalue(role_fixture))
    assert client.post(action_url(campaign, "close")).status_code == 404
    assert client.post(action_url(campaign, "activate")).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Status.ACTIVE


def test_staff_act_as_owners(campaign):
    admin = UserFactory(username="root", is_staff=True)
    assert api(admin).post(action_url(campaign, "close")).json()["role"] == "owner"


# --------------------------------------------------------------------------- progress


def test_readers_get_progress_with_rater_names_and_only_the_owner_gold_accuracy(rated, owner, viewer):
    gold = CampaignItem.objects.filter(campaign=rated).order_by("order_key").last()
    CampaignItem.objects.filter(pk=gold.pk).update(is_gold=True, gold_answer={"helpful": 5})
    by_owner = api(owner).get(action_url(rated, "progress")).json()
    assert (by_owner["n_items"], by_owner["n_complete"], by_owner["n_pending"]) == (4, 4, 0)
    assert by_owner["overlap"] == rated.overlap
    rows = {row["username"]: row for row in by_owner["raters"]}
    assert set(rows) == {"r1", "r2", "r3"}
    assert rows["r1"]["n_ratings"] == 5 and rows["r1"]["gold_accuracy"] == 100.0
    assert rows["r2"]["gold_correct"] == 0 and rows["r2"]["gold_answers"] == 1
    by_viewer = api(viewer).get(action_url(rated, "progress")).json()
    assert {row["username"] for row in by_viewer["raters"]} == {"r1", "r2", "r3"}
    assert all("gold_accuracy" not in row and "n_gold" not in row for row in by_viewer["raters"])


def test_raters_and_outsiders_get_no_progress(rated, rater, outsider):
    assert api(rater).get(action_url(rated, "progress")).status_code == 404
    assert api(outsider).get(action_url(rated, "progress")).status_code == 404


# --------------------------------------------------------------------------- members


def test_the_owner_pages_through_the_members(owner, campaign, rater, other_rater, viewer, adjudicator):
    client = api(owner)
    url, seen = f"{members_url(campaign)}?limit=2", []
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [(m["username"], m["role"], m["rates"]) for m in page["results"]]
        url = page["next"]
    assert seen == [
        ("curator", "owner", False),
        ("rater", "rater", True),
        ("other_rater", "rater", True),
        ("viewer", "viewer", False),
        ("adjudicator", "adjudicator", False),
    ]


def test_a_bad_page_limit_or_cursor_is_named(owner, campaign):
    assert error_of(api(owner).get(members_url(campaign), {"limit": "0"}))["field"] == "limit"
    assert error_of(api(owner).get(members_url(campaign), {"cursor": "junk"}))["field"] == "cursor"


@pytest.fixture
def known(owner):
    """A user the owner knows: a rater in another campaign the owner owns."""
    user = UserFactory(username="known")
    MembershipFactory(campaign=CampaignFactory(owner=owner), user=user, role=Role.RATER)
    return user


def test_the_owner_adds_someone_they_know(owner, campaign, known):
    response = api(owner).post(members_url(campaign), {"username": "known", "role": "adjudicator", "rates": True})
    assert response.status_code == 201, response.content
    membership = Membership.objects.get(campaign=campaign, user=known)
    assert response.json() == {"id": membership.pk, "username": "known", "role": "adjudicator", "rates": True}


def test_an_unknown_name_is_a_400_that_does_not_say_whether_the_account_exists(owner, campaign):
    UserFactory(username="stranger")
    client = api(owner)
    exists = error_of(client.post(members_url(campaign), {"username": "stranger", "role": "rater"}, format="json"))
    absent = error_of(client.post(members_url(campaign), {"username": "nobody", "role": "rater"}, format="json"))
    assert exists["field"] == absent["field"] == "username"
    assert exists["message"].replace("stranger", "X") == absent["message"].replace("nobody", "X")
    assert Membership.objects.filter(campaign=campaign).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "known", "role": "boss"}, "role"),
        ({"username": "known", "role": "viewer", "rates": True}, "rates"),
        ({"username": "known", "role": "rater", "rates": "maybe"}, "rates"),
        ({"username": "", "role": "rater"}, "username"),
        ({"username": "bad name!", "role": "rater"}, "username"),
        ({"role": "rater"}, "username"),
        ({"username": "curator", "role": "rater"}, "username"),
    ],
)
def test_a_bad_member_is_a_400_naming_the_field(owner, campaign, known, body, field):
    before = list(Membership.objects.filter(campaign=campaign).values_list("user__username", "role"))
    assert error_of(api(owner).post(members_url(campaign), body, format="json"))["field"] == field
    assert list(Membership.objects.filter(campaign=campaign).values_list("user__username", "role")) == before


def test_the_owner_changes_a_role_and_whether_an_adjudicator_rates(owner, campaign, adjudicator):
    membership = Membership.objects.get(campaign=campaign, user=adjudicator)
    client = api(owner)
    rates = client.patch(member_url(campaign, membership), {"rates": True}, format="json")
    assert rates.status_code == 200 and rates.json()["rates"] is True
    role = client.patch(member_url(campaign, membership), {"role": "viewer"}, format="json")
    assert role.json() == {"id": membership.pk, "username": "adjudicator", "role": "viewer", "rates": False}


def test_a_change_refused_half_way_changes_nothing(owner, campaign, adjudicator):
    membership = Membership.objects.get(campaign=campaign, user=adjudicator)
    response = api(owner).patch(member_url(campaign, membership), {"role": "rater", "rates": False}, format="json")
    assert error_of(response)["field"] == "rates"
    membership.refresh_from_db()
    assert (membership.role, membership.rates) == (Role.ADJUDICATOR, False)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"role": "boss"}, "role"), ({"rates": "often"}, "rates"), ({}, None)],
)
def test_a_bad_member_change_is_a_400(owner, campaign, rater, body, field):
    membership = Membership.objects.get(campaign=campaign, user=rater)
    assert error_of(api(owner).patch(member_url(campaign, membership), body, format="json"))["field"] == field


def test_a_rater_cannot_stop_rating_nor_a_viewer_start(owner, campaign, rater, viewer):
    client = api(owner)
    for user, rates in ((rater, False), (viewer, True)):
        membership = Membership.objects.get(campaign=campaign, user=user)
        assert error_of(client.patch(member_url(campaign, membership), {"rates": rates}, format="json"))["field"] == (
            "rates"
        )


def test_the_last_owner_can_be_neither_demoted_nor_removed(owner, campaign):
    mine = Membership.objects.get(campaign=campaign, user=owner)
    client = api(owner)
    demoted = error_of(client.patch(member_url(campaign, mine), {"role": "viewer"}, format="json"))
    assert demoted["field"] == "role" and "last owner" in demoted["message"]
    removed = error_of(client.delete(member_url(campaign, mine)))
    assert removed["field"] == "membership" and "last owner" in removed["message"]
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_the_owner_removes_a_member_whose_ratings_stay(owner, campaign, rater):
    item = CampaignItem.objects.filter(campaign=campaign).first()
    RatingFactory(campaign_item=item, rater=rater)
    membership = Membership.objects.get(campaign=campaign, user=rater)
    response = api(owner).delete(member_url(campaign, membership))
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert item.ratings.filter(rater=rater).exists()


def test_a_membership_of_another_campaign_or_no_membership_is_404(owner, campaign):
    theirs = MembershipFactory(campaign=CampaignFactory(), role=Role.RATER)
    client = api(owner)
    assert client.delete(member_url(campaign, theirs)).status_code == 404
    assert client.patch(member_url(campaign, 10**30), {"role": "viewer"}, format="json").status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("role_fixture", ["rater", "adjudicator", "viewer", "outsider"])
def test_only_the_owner_reads_or_changes_members(request, campaign, owner, role_fixture):
    client = api(request.getfixturevalue(role_fixture))
    mine = Membership.objects.get(campaign=campaign, user=owner)
    assert client.get(members_url(campaign)).status_code == 404
    assert client.post(members_url(campaign), {"username": "curator", "role": "viewer"}).status_code == 404
    assert client.patch(member_url(campaign, mine), {"role": "viewer"}, format="json").status_code == 404
    assert client.delete(member_url(campaign, mine)).status_code == 404
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


# --------------------------------------------------------------------------- the list


def test_the_campaign_list_pages_newest_first_with_my_role(rater, campaign):
    later = [CampaignFactory(slug=f"later-{i}") for i in range(2)]
    for other in later:
        MembershipFactory(campaign=other, user=rater, role=Role.VIEWER)
    CampaignFactory(slug="not-mine")
    client, url, seen = api(rater), f"{LIST}?limit=2", []
    while url:
        page = client.get(url).json()
        seen += [(c["slug"], c["role"], c["rates"]) for c in page["results"]]
        url = page["next"]
    assert seen == [("later-1", "viewer", False), ("later-0", "viewer", False), (campaign.slug, "rater", True)]


def test_a_campaign_you_cannot_reach_is_a_404_that_says_so_without_saying_whether_it_exists(client, outsider, campaign):
    client.force_login(outsider)
    missing = client.get("/api/v1/campaigns/no-such-campaign/").json()["error"]
    hidden = client.get(f"/api/v1/campaigns/{campaign.slug}/").json()["error"]
    assert missing == hidden
    assert missing["code"] == "not_found"
    assert missing["message"] == "No such campaign, or none in which your role allows this."


def test_a_misspelt_option_is_refused_naming_it_rather_than_left_at_its_default(curator, dataset, rubric):
    body = body_for(dataset, rubric, slug="typo")
    body["visible_field"] = ["prompt"]
    response = api(curator).post(LIST, body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "visible_field"
    assert "Not a field this operation takes" in error["message"] and "visible_fields" in error["message"]
    assert not Campaign.objects.filter(slug="typo").exists()


def test_a_misspelt_key_inside_the_sample_is_named_with_its_path(curator, dataset, rubric):
    body = body_for(dataset, rubric, slug="typo", sample={"kind": "random", "n": 2, "sed": 7})
    response = api(curator).post(LIST, body, format="json")
    assert response.status_code == 400
    assert error_of(response)["field"] == "sample.sed"
