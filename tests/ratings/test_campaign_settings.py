"""The settings page: what an owner may change after creating a campaign, and why the rest is locked."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.models import Campaign, CampaignCounts, Membership
from annotate.services.campaigns import campaign_update
from ratings.gold import campaign_items_mark_gold
from ratings.queue import assignment_next
from ratings.services import rating_submit
from tests.factories import RubricFactory, RubricVersionFactory

pytestmark = pytest.mark.django_db
Status = Campaign.Status


def settings_url(campaign: Campaign) -> str:
    return reverse("ratings:campaign-settings", args=[campaign.slug])


def form_data(campaign: Campaign, **overrides: object) -> dict:
    """The settings form as posted for an active campaign, every field as it stands."""
    data = {
        "name": campaign.name,
        "description": campaign.description,
        "overlap": str(campaign.overlap),
        "lease_minutes": str(campaign.lease_minutes),
        "visible_fields": ["prompt", "response"],
        "order_0": "1",
        "order_1": "2",
        "order_2": "3",
        "gold_rate": "0",
        "repeat_rate": "0",
    }
    data.update(overrides)
    return data


def update(campaign: Campaign, **overrides: object) -> Campaign:
    kwargs = {
        "name": campaign.name,
        "description": campaign.description,
        "overlap": campaign.overlap,
        "lease_minutes": campaign.lease_minutes,
        "visible_fields": list(campaign.visible_fields),
        "gold_rate": campaign.gold_rate,
        "repeat_rate": campaign.repeat_rate,
    }
    kwargs.update(overrides)
    return campaign_update(campaign=campaign, **kwargs)


def set_status(campaign: Campaign, status: str) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    campaign.refresh_from_db()


def rate_first_item_twice(campaign: Campaign, rater, other_rater) -> None:
    """Both raters rate the same item (the queue prefers the item closest to completion)."""
    for user in (rater, other_rater):
        rating_submit(assignment=assignment_next(campaign=campaign, rater=user), values={"helpful": 3})


# --------------------------------------------------------------------------- the page


def test_the_campaign_page_links_owners_to_the_settings(client, owner, campaign):
    client.force_login(owner)
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert settings_url(campaign) in page.split('aria-label="Campaign"')[1].split("</nav>")[0]


def test_owner_sees_every_setting_and_why_the_fixed_ones_are_fixed(client, owner, campaign):
    client.force_login(owner)
    response = client.get(settings_url(campaign))
    page = response.content.decode()
    assert response.status_code == 200
    for name in ("name", "description", "overlap", "lease_minutes", "gold_rate", "repeat_rate", "order_0"):
        assert f'name="{name}"' in page
    assert f"/c/{campaign.slug}/" in page and "links already sent" in page
    assert "To rate another dataset, create a new campaign." in page
    # The campaign has started: the sample and the rubric version are shown, not offered.
    assert 'name="method"' not in page and 'name="rubric_version"' not in page
    assert "Fixed once the campaign has started" in page


def test_owner_changes_name_description_lease_and_overlap(client, owner, campaign):
    client.force_login(owner)
    data = form_data(campaign, name="Renamed", description="Read the whole answer.", lease_minutes="45", overlap="3")
    response = client.post(settings_url(campaign), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.description, campaign.lease_minutes, campaign.overlap) == (
        "Renamed",
        "Read the whole answer.",
        45,
        3,
    )


def test_the_order_numbers_set_the_order_raters_see_the_fields_in(client, owner, campaign):
    client.force_login(owner)
    data = form_data(campaign, visible_fields=["prompt", "response", "model"], order_0="3", order_1="1", order_2="2")
    client.post(settings_url(campaign), data)
    campaign.refresh_from_db()
    assert campaign.visible_fields == ["response", "model", "prompt"]
    page = client.get(settings_url(campaign)).content.decode()
    # The page lists the shown fields first, in their order, numbered from 1.
    assert page.index('value="response"') < page.index('value="model"') < page.index('value="prompt"')


def test_blank_or_equal_order_numbers_keep_the_order_shown(client, owner, campaign):
    client.force_login(owner)
    client.post(settings_url(campaign), form_data(campaign, order_0="", order_1="", order_2=""))
    campaign.refresh_from_db()
    assert campaign.visible_fields == ["prompt", "response"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_1": "first"}, "order_1"),
        ({"order_1": "0"}, "order_1"),
        ({"overlap": "many"}, "overlap"),
        ({"overlap": "21"}, "overlap"),
        ({"lease_minutes": "99999999999999"}, "lease_minutes"),
        ({"visible_fields": ["secret"]}, "visible_fields"),
        ({"name": " "}, "name"),
        ({"gold_rate": "nan"}, "gold_rate"),
    ],
)
def test_bad_input_shows_the_form_again_naming_the_field(client, owner, campaign, overrides, field):
    client.force_login(owner)
    response = client.post(settings_url(campaign), form_data(campaign, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    campaign.refresh_from_db()
    assert campaign.overlap == 2 and campaign.visible_fields == []


# --------------------------------------------------------------------------- the overlap


def test_the_overlap_goes_down_only_to_the_most_ratings_an_item_has(client, owner, campaign, rater, other_rater):
    Campaign.objects.filter(pk=campaign.pk).update(overlap=3)
    campaign.refresh_from_db()
    rate_first_item_twice(campaign, rater, other_rater)
    client.force_login(owner)
    response = client.post(settings_url(campaign), form_data(campaign, overlap="1"))
    assert "overlap: can go down to 2 at the least" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.overlap == 3
    assert client.post(settings_url(campaign), form_data(campaign, overlap="2")).status_code == 302
    campaign.refresh_from_db()
    assert campaign.overlap == 2
    # The item with two ratings is now complete, on the rating page's kept counts too.
    assert CampaignCounts.objects.get(campaign=campaign).n_complete == 1


def test_lowering_the_overlap_to_the_raters_there_are_clears_the_warning(client, owner, campaign, rater):
    Campaign.objects.filter(pk=campaign.pk).update(overlap=3)
    client.force_login(owner)
    response = client.post(settings_url(campaign), form_data(campaign, overlap="1"), follow=True)
    page = response.content.decode()
    assert "Settings saved." in page
    assert 'id="overlap-warning"' not in page


# --------------------------------------------------------------------------- locks


@pytest.mark.parametrize(
    ("status", "how"), [(Status.CLOSED, "reopen it"), (Status.ARCHIVED, "unarchive and reopen it")]
)
def test_a_closed_campaign_keeps_its_rating_settings(client, owner, campaign, status, how):
    set_status(campaign, status)
    client.force_login(owner)
    page = client.get(settings_url(campaign)).content.decode()
    assert 'name="overlap"' not in page and 'name="order_0"' not in page
    assert f"Fixed while the campaign is {status}: {how} to change this." in page
    # Name and description stay editable; a posted overlap is not even read.
    client.post(settings_url(campaign), {"name": "Archived well", "description": "", "overlap": "9"})
    campaign.refresh_from_db()
    assert (campaign.name, campaign.overlap) == ("Archived well", 2)


def test_the_service_refuses_a_locked_change_naming_the_reason(campaign):
    set_status(campaign, Status.CLOSED)
    with pytest.raises(ValidationError) as excinfo:
        update(campaign, overlap=4, visible_fields=["prompt"])
    assert "reopen it" in excinfo.value.message_dict["overlap"][0]
    assert "visible_fields" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        update(campaign, sample_spec={"method": "random", "n": 2})
    assert "sample" in excinfo.value.message_dict


def test_an_untouched_draft_may_change_its_sample_and_rubric_version(client, owner, campaign):
    set_status(campaign, Status.DRAFT)
    version = RubricVersionFactory(rubric=RubricFactory(name="Other", created_by=owner))
    client.force_login(owner)
    page = client.get(settings_url(campaign)).content.decode()
    assert 'name="method"' in page and 'name="rubric_version"' in page
    data = form_data(campaign, rubric_version=version.pk, method="random", n="3", seed="7", field="")
    response = client.post(settings_url(campaign), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.rubric_version == version
    assert campaign.sample_spec == {"method": "random", "n": 3, "seed": 7}
    assert campaign.items.count() == 3
    assert CampaignCounts.objects.get(campaign=campaign).n_data_items == 3
    assert not Membership.objects.filter(campaign=campaign, queue_counted=True).exists()


def test_gold_items_keep_a_drafts_sample(client, owner, campaign):
    set_status(campaign, Status.DRAFT)
    campaign_items_mark_gold(campaign=campaign, external_ids=[campaign.items.first().item.external_id])
    client.force_login(owner)
    page = client.get(settings_url(campaign)).content.decode()
    assert 'name="method"' not in page
    assert "Fixed while gold items are marked" in page
    with pytest.raises(ValidationError, match="gold items"):
        update(campaign, sample_spec={"method": "random", "n": 2})


def test_ratings_keep_a_drafts_sample(campaign, rater):
    rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 3})
    set_status(campaign, Status.DRAFT)
    with pytest.raises(ValidationError, match="ratings of these items"):
        update(campaign, sample_spec={"method": "random", "n": 2})
    assert campaign.items.count() == 5


def test_the_slug_and_the_dataset_cannot_be_posted_into_a_change(client, owner, campaign):
    client.force_login(owner)
    slug, dataset_id = campaign.slug, campaign.dataset_id
    client.post(settings_url(campaign), form_data(campaign, slug="stolen", dataset="1"))
    campaign.refresh_from_db()
    assert (campaign.slug, campaign.dataset_id) == (slug, dataset_id)


# --------------------------------------------------------------------------- who may


@pytest.mark.parametrize("role_fixture", ["rater", "viewer", "adjudicator", "outsider"])
def test_only_owners_reach_the_settings(client, campaign, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(settings_url(campaign)).status_code == 404
    assert client.post(settings_url(campaign), form_data(campaign, name="Hijacked")).status_code == 404
    campaign.refresh_from_db()
    assert campaign.name != "Hijacked"


def test_anonymous_is_sent_to_log_in(client, campaign):
    response = client.get(settings_url(campaign))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("role_fixture", ["viewer", "adjudicator"])
def test_readers_get_no_settings_link(client, campaign, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert settings_url(campaign) not in page


def test_the_gold_page_sends_a_zero_gold_rate_to_the_settings(client, owner, campaign):
    client.force_login(owner)
    page = client.get(reverse("ratings:campaign-gold", args=[campaign.slug])).content.decode()
    assert "The gold rate is 0" in page and settings_url(campaign) in page
