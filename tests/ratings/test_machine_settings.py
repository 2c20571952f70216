"""The owner's settings for machine raters and systems, and the campaign page's "Machine raters" section."""

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign
from ratings.machine_ratings import campaign_evaluation_update, machine_ratings_record, system_field_options
from tests.factories import CampaignFactory, DatasetFactory, RubricVersionFactory

pytestmark = pytest.mark.django_db

PAIRWISE = {
    "key": "preference",
    "type": "pairwise",
    "label": "Which is better?",
    "fields": ["response_a", "response_b"],
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _settings_post(campaign: Campaign, **extra: str) -> dict:
    """The settings form as it stands, with the fields given changed."""
    data = {
        "name": campaign.name,
        "description": campaign.description,
        "rubric_version": str(campaign.rubric_version_id),
        "method": "all",
        "seed": "0",
        "overlap": str(campaign.overlap),
        "lease_minutes": str(campaign.lease_minutes),
        "visible_fields": ["prompt", "response"],
        "order_0": "1",
        "order_1": "2",
        "order_2": "3",
        "gold_rate": "0",
        "repeat_rate": "0",
    }
    data.update(extra)
    return data


def test_the_owner_names_the_system_field_and_counts_machine_raters(campaign, owner) -> None:
    url = reverse("ratings:campaign-settings", args=[campaign.slug])
    page = _client(owner).get(url).content.decode()
    # The dataset has a "model" field: that is what the campaign guesses until the owner names another.
    assert "System field" in page and "Guess (model)" in page
    assert '<option value="model">model</option>' in page
    assert "Machine raters count as raters" in page

    response = _client(owner).post(url, _settings_post(campaign, system_field="model", machine_raters_in_pool="on"))

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.system_field, campaign.machine_raters_in_pool) == ("model", True)


def test_without_a_field_to_guess_the_empty_choice_says_so(owner) -> None:
    campaign = CampaignFactory(dataset=DatasetFactory(metadata_fields=["topic"]), owner=owner)

    page = _client(owner).get(reverse("ratings:campaign-settings", args=[campaign.slug])).content.decode()

    assert "Guess from the metadata" in page and '<option value="topic">topic</option>' in page


def test_a_system_field_the_dataset_lacks_is_refused_naming_it(campaign, owner) -> None:
    url = reverse("ratings:campaign-settings", args=[campaign.slug])

    response = _client(owner).post(url, _settings_post(campaign, system_field="vendor", name="Renamed"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "system field: vendor is not a field of the dataset that names a system (its fields: model)" in page
    campaign.refresh_from_db()
    assert campaign.system_field == "" and campaign.name != "Renamed"


def test_the_service_refuses_a_field_the_dataset_lacks(campaign) -> None:
    with pytest.raises(Exception, match="'vendor' is not a field"):
        campaign_evaluation_update(campaign=campaign, system_field="vendor", machine_raters_in_pool=False)


def test_a_pairwise_campaign_offers_the_base_name_of_each_pair_of_fields() -> None:
    dataset = DatasetFactory(
        content_fields=["prompt", "response_a", "response_b"], metadata_fields=["model_a", "model_b", "topic", "lang_a"]
    )
    campaign = CampaignFactory(dataset=dataset, rubric_version=RubricVersionFactory(criteria=[PAIRWISE]))

    assert system_field_options(campaign) == ["model"]
    updated = campaign_evaluation_update(campaign=campaign, system_field="model", machine_raters_in_pool=False)
    assert updated.system_field == "model"
    with pytest.raises(Exception, match="'topic' is not a field"):
        campaign_evaluation_update(campaign=campaign, system_field="topic", machine_raters_in_pool=False)


@pytest.mark.parametrize("role", ["outsider", "rater", "viewer", "adjudicator"])
def test_only_owners_reach_the_settings(request, campaign, role) -> None:
    user = request.getfixturevalue(role)
    url = reverse("ratings:campaign-settings", args=[campaign.slug])

    assert _client(user).post(url, _settings_post(campaign, machine_raters_in_pool="on")).status_code == 404
    campaign.refresh_from_db()
    assert not campaign.machine_raters_in_pool


def _judge(campaign: Campaign) -> None:
    first = campaign.items.select_related("item").order_by("order_key").first()
    machine_ratings_record(
        campaign=campaign,
        machine={"name": "judge-7", "model": "gpt-4o-mini", "version": "2026-10", "prompt": "Rate <b>helpfulness</b>."},
        ratings=[{"item_id": first.item.external_id, "values": {"helpful": 4}}],
    )


def test_the_campaign_page_lists_machine_raters_with_their_provenance(campaign, owner) -> None:
    _judge(campaign)

    page = _client(owner).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()

    assert 'id="machine-raters"' in page
    assert "judge-7" in page and "gpt-4o-mini" in page and "2026-10" in page
    # The prompt is folded away, and escaped.
    assert '<details class="machine-prompt">' in page and "Rate &lt;b&gt;helpfulness&lt;/b&gt;." in page
    assert "Add a machine rater" in page and f"/api/v1/campaigns/{campaign.slug}/machine-ratings/" in page
    assert "Kept apart" in page
    # Not among the people's ratings.
    assert "judge-7+machine@" not in page


def test_viewers_see_machine_raters_but_not_how_to_add_one(campaign, viewer) -> None:
    _judge(campaign)

    page = _client(viewer).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()

    assert "judge-7" in page
    assert "Add a machine rater" not in page


def test_without_machine_raters_only_the_owner_sees_the_section(campaign, owner, viewer) -> None:
    url = reverse("ratings:campaign-detail", args=[campaign.slug])

    assert "No machine raters yet." in _client(owner).get(url).content.decode()
    assert 'id="machine-raters"' not in _client(viewer).get(url).content.decode()


def test_the_page_says_when_machine_raters_count(campaign, owner) -> None:
    _judge(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(machine_raters_in_pool=True)

    page = _client(owner).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()

    assert "Counted as raters" in page


def test_a_raters_page_has_no_machine_raters(campaign, rater) -> None:
    _judge(campaign)

    page = _client(rater).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()

    assert "judge-7" not in page
