"""The new-campaign page: curators pick a dataset, then settings, and land on the campaign."""

import pytest
from django.urls import reverse

from annotate.models import Campaign, Membership
from tests.factories import DatasetFactory, ItemFactory, RubricFactory, RubricVersionFactory

pytestmark = pytest.mark.django_db
URL = reverse("ratings:campaign-create")


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
def rubric_version(curator):
    return RubricVersionFactory(rubric=RubricFactory(name="HHH", created_by=curator))


def form_data(dataset, version, **overrides):
    data = {
        "dataset": dataset.pk,
        "name": "Helpfulness",
        "slug": "helpfulness",
        "rubric_version": version.pk,
        "method": "random",
        "n": "6",
        "seed": "3",
        "field": "",
        "overlap": "3",
        "lease_minutes": "30",
        "visible_fields": ["prompt", "response", "topic"],
    }
    data.update(overrides)
    return data


def test_curator_first_picks_a_dataset(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Responses" in page
    assert 'name="rubric_version"' not in page


def test_settings_form_offers_the_datasets_fields_as_checkboxes(client, curator, dataset, rubric_version):
    client.force_login(curator)
    page = client.get(URL, {"dataset": dataset.pk}).content.decode()
    for field in ("prompt", "response", "model", "topic"):
        assert f'value="{field}"' in page
    assert "HHH v1" in page


def test_curator_creates_a_campaign_end_to_end(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version))
    assert response.status_code == 302
    assert response["Location"] == reverse("ratings:campaign-detail", args=["helpfulness"])
    campaign = Campaign.objects.get(slug="helpfulness")
    assert campaign.items.count() == 6
    assert campaign.sample_spec == {"method": "random", "n": 6, "seed": 3}
    assert campaign.visible_fields == ["prompt", "response", "topic"]
    assert campaign.overlap == 3
    assert Membership.objects.get(campaign=campaign, user=curator).role == Membership.Role.OWNER
    page = client.get(response["Location"]).content.decode()
    assert "Campaign created with 6 items" in page
    assert "random sample of 6 items (seed 3)" in page.lower()


def test_stratified_campaign_from_the_form(client, curator, dataset, rubric_version):
    client.force_login(curator)
    client.post(URL, form_data(dataset, rubric_version, method="stratified", n="2", field="topic"))
    assert Campaign.objects.get(slug="helpfulness").items.count() == 6


def test_stratified_without_a_field_redisplays_the_form_with_an_error(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version, method="stratified", n="2"))
    assert response.status_code == 200
    assert response.context["form"].errors["field"]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "new"}, "slug"),
        ({"overlap": "0"}, "overlap"),
        ({"overlap": "many"}, "overlap"),
        ({"lease_minutes": "-5"}, "lease_minutes"),
        ({"visible_fields": ["secret"]}, "visible_fields"),
        ({"n": ""}, "n"),
        ({"rubric_version": "999999"}, "rubric_version"),
    ],
)
def test_bad_input_redisplays_the_form(client, curator, dataset, rubric_version, overrides, field):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_duplicate_slug_is_reported_on_the_slug_field(client, curator, dataset, rubric_version, campaign):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version, slug=campaign.slug))
    assert "already exists" in str(response.context["form"].errors["slug"])


def test_datasets_of_others_cannot_be_chosen(client, curator, rubric_version):
    foreign = DatasetFactory(name="Secret data")
    ItemFactory(dataset=foreign)
    client.force_login(curator)
    response = client.get(URL)
    assert "Secret data" not in response.content.decode()
    response = client.post(URL, form_data(foreign, rubric_version))
    assert response.status_code == 200
    assert not Campaign.objects.exists()


def test_garbage_dataset_choice_shows_the_picker(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.get(URL, {"dataset": "abc"})
    assert response.status_code == 200
    assert response.context["picker"].errors


def test_without_datasets_or_rubrics_the_page_says_what_to_do_first(client, curator):
    client.force_login(curator)
    page = client.get(URL).content.decode()
    assert reverse("annotate:dataset-upload") in page
    assert reverse("annotate:rubric-create") in page


def test_anonymous_is_redirected_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_users_who_cannot_curate_are_told_they_lack_the_permission(client, outsider):
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 403
    assert "You may not create campaigns" in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["rater", "viewer", "adjudicator"])
def test_campaign_members_without_the_permission_cannot_create(client, role_fixture, request, dataset, rubric_version):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.post(URL, form_data(dataset, rubric_version, slug="sneaky")).status_code == 403
    assert not Campaign.objects.filter(slug="sneaky").exists()


def test_the_slug_hint_reads_as_an_address(client, curator, dataset, rubric_version):
    client.force_login(curator)
    page = client.get(URL, {"dataset": dataset.pk}).content.decode()
    assert "/c/your-slug/" in page
    assert "Left blank, it is made from the name." in page
    assert "/c//" not in page and "<slug>" not in page


def test_a_blank_slug_is_made_from_the_name(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version, name="Helpfulness, round 2", slug=""))
    assert response.status_code == 302
    assert response["Location"] == reverse("ratings:campaign-detail", args=["helpfulness-round-2"])


def test_the_create_form_orders_the_visible_fields_by_their_numbers(client, curator, dataset, rubric_version):
    client.force_login(curator)
    page = client.get(URL, {"dataset": dataset.pk}).content.decode()
    # Content fields first, checked and numbered; then metadata, numbered after them.
    assert 'name="order_0"' in page and 'name="order_3"' in page
    data = form_data(dataset, rubric_version, order_0="2", order_1="3", order_2="9", order_3="1")
    data["visible_fields"] = ["prompt", "response", "topic"]
    client.post(URL, data)
    assert Campaign.objects.get(slug="helpfulness").visible_fields == ["topic", "prompt", "response"]


def test_a_bad_order_number_names_the_field(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version, order_1="second"))
    assert response.status_code == 200
    assert "order_1" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_lease_longer_than_a_week_is_refused_on_the_form(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version, lease_minutes="99999999999"))
    assert response.status_code == 200
    assert "lease_minutes" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_starting_with_too_few_raters_is_said_on_creation(client, curator, dataset, rubric_version):
    client.force_login(curator)
    response = client.post(URL, form_data(dataset, rubric_version), follow=True)
    assert "Overlap is 3 raters per item but no member rates yet" in response.content.decode()
