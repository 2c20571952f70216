"""Nothing deletes what raters did: a rated campaign is archived, a rater deactivated, a rated item kept."""

import pytest
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from annotate.models import Assignment, Campaign, CampaignItem, Dataset, Item
from ratings.models import Rating, RatingRevision
from ratings.queue import assignment_next, assignment_skip
from tests.factories import (
    CampaignFactory,
    MembershipFactory,
    RatingFactory,
    RatingRevisionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Status = Campaign.Status


@pytest.fixture
def rated() -> Rating:
    """A rating by "rita", revised once."""
    rating = RatingFactory(rater=UserFactory(username="rita"))
    RatingRevisionFactory(rating=rating, number=1)
    return rating


def _all_kept(rating: Rating) -> bool:
    return (
        Rating.objects.filter(pk=rating.pk, values=rating.values).exists()
        and RatingRevision.objects.filter(rating=rating).exists()
        and Campaign.objects.filter(pk=rating.campaign_id).exists()
        and CampaignItem.objects.filter(pk=rating.campaign_item_id).exists()
        and User.objects.filter(pk=rating.rater_id).exists()
    )


def _bulk(client: Client, model: str, action: str, pks: list[int], app: str = "annotate") -> str:
    url = reverse(f"admin:{app}_{model}_changelist")
    response = client.post(url, {"action": action, "_selected_action": pks, "post": "yes"}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_deleting_a_rated_campaign_in_the_admin_is_refused_and_says_to_archive(client, staff, rated):
    url = reverse("admin:annotate_campaign_delete", args=[rated.campaign_id])
    page = client.get(url).content.decode()
    assert "Cannot delete campaign" in page
    assert "1 rating by 1 rater" in page and "Archive selected campaigns" in page
    assert client.post(url, {"post": "yes"}).status_code == 200
    assert _all_kept(rated)


def test_delete_selected_cannot_delete_a_rated_campaign_either(client, staff, rated):
    unrated = CampaignFactory(with_items=2)
    page = _bulk(client, "campaign", "delete_selected", [rated.campaign_id, unrated.pk])
    assert "Cannot delete campaigns" in page and f"“{rated.campaign.slug}” has 1 rating" in page
    assert _all_kept(rated) and Campaign.objects.filter(pk=unrated.pk).exists()


def test_a_campaign_without_ratings_is_still_deleted(client, staff):
    campaign = CampaignFactory(with_items=2)
    response = client.post(reverse("admin:annotate_campaign_delete", args=[campaign.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_archive_action_archives_a_campaign_and_keeps_its_ratings(client, staff, rated):
    page = _bulk(client, "campaign", "archive_selected", [rated.campaign_id])
    assert f"Now archived: {rated.campaign.slug}." in page
    assert Campaign.objects.get(pk=rated.campaign_id).status == Status.ARCHIVED
    assert _all_kept(rated)


def test_unarchive_action_brings_an_archived_campaign_back_closed(client, staff, rated):
    active = CampaignFactory()
    Campaign.objects.filter(pk=rated.campaign_id).update(status=Status.ARCHIVED)
    page = _bulk(client, "campaign", "unarchive_selected", [rated.campaign_id, active.pk])
    assert Campaign.objects.get(pk=rated.campaign_id).status == Status.CLOSED
    # Unarchiving must not close a campaign that was never archived.
    assert Campaign.objects.get(pk=active.pk).status == Status.ACTIVE
    assert f"{active.slug} is active" in page


def test_the_admin_shows_the_status_without_letting_it_jump_the_status_machine(client, staff, rated):
    url = reverse("admin:annotate_campaign_change", args=[rated.campaign_id])
    page = client.get(url).content.decode()
    assert 'name="status"' not in page and "Active" in page


def test_deleting_a_user_who_rated_is_refused_and_says_to_deactivate(client, staff, rated):
    url = reverse("admin:auth_user_delete", args=[rated.rater_id])
    page = client.get(url).content.decode()
    assert "Cannot delete user" in page and "“rita” has 1 rating" in page and "Deactivate selected users" in page
    assert client.post(url, {"post": "yes"}).status_code == 200
    page = _bulk(client, "user", "delete_selected", [rated.rater_id], app="auth")
    assert "Cannot delete user" in page
    assert _all_kept(rated)


def test_deactivating_a_user_keeps_their_ratings_and_stops_their_sign_in(client, staff, rated):
    page = _bulk(client, "user", "deactivate_selected", [rated.rater_id], app="auth")
    assert "Deactivated 1 user" in page
    assert not User.objects.get(pk=rated.rater_id).is_active
    assert not Client().login(username="rita", password="pw-for-tests-123")
    assert _all_kept(rated)


def test_a_user_who_never_rated_is_still_deleted(client, staff):
    user = UserFactory(username="newcomer")
    MembershipFactory(user=user)
    response = client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


def test_deleting_a_rated_item_is_refused_for_the_item_its_campaign_item_and_its_dataset(client, staff, rated):
    item = rated.campaign_item.item
    for model, pk in [("item", item.pk), ("campaignitem", rated.campaign_item_id), ("dataset", item.dataset_id)]:
        url = reverse(f"admin:annotate_{model}_delete", args=[pk])
        assert "has 1 rating by 1 rater" in client.get(url).content.decode(), model
        assert client.post(url, {"post": "yes"}).status_code == 200, model
        assert "Cannot delete" in _bulk(client, model, "delete_selected", [pk]), model
    assert _all_kept(rated) and Item.objects.filter(pk=item.pk).exists()


def test_an_item_without_ratings_is_still_deleted(client, staff):
    campaign = CampaignFactory(with_items=2)
    item = campaign.items.first().item
    response = client.post(reverse("admin:annotate_item_delete", args=[item.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Item.objects.filter(pk=item.pk).exists() and campaign.items.count() == 1


def test_a_skip_is_kept_like_a_rating(client, staff, campaign, rater):
    assignment_skip(assignment=assignment_next(campaign=campaign, rater=rater), reason="Not in my language")
    page = client.get(reverse("admin:auth_user_delete", args=[rater.pk])).content.decode()
    assert "Cannot delete user" in page and "1 assignment" in page
    assert "Cannot delete assignment" in _bulk(client, "assignment", "delete_selected", [Assignment.objects.get().pk])
    assert Assignment.objects.get().skip_reason == "Not in my language"


def test_a_plain_lease_can_be_deleted_to_hand_the_item_back(client, staff, campaign, rater):
    lease = assignment_next(campaign=campaign, rater=rater)
    _bulk(client, "assignment", "delete_selected", [lease.pk])
    assert not Assignment.objects.filter(pk=lease.pk).exists()


def test_the_database_layer_refuses_to_cascade_ratings_away(rated):
    for doomed in [rated.campaign, rated.campaign_item, rated.campaign_item.item, rated.rater, rated]:
        with pytest.raises(ProtectedError):
            doomed.delete()
    with pytest.raises(ProtectedError):
        Dataset.objects.filter(pk=rated.campaign.dataset_id).delete()
    assert _all_kept(rated)
