"""Campaign status: draft → active ↔ paused → closed, changed by owners only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.models import Campaign
from annotate.services.campaigns import campaign_set_status

pytestmark = pytest.mark.django_db
Status = Campaign.Status


def status_url(campaign):
    return reverse("ratings:campaign-status", args=[campaign.slug])


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.DRAFT, Status.ACTIVE),
        (Status.ACTIVE, Status.PAUSED),
        (Status.PAUSED, Status.ACTIVE),
        (Status.ACTIVE, Status.CLOSED),
        (Status.PAUSED, Status.CLOSED),
    ],
)
def test_allowed_transitions(campaign, start, target):
    Campaign.objects.filter(pk=campaign.pk).update(status=start)
    campaign.refresh_from_db()
    assert campaign_set_status(campaign=campaign, status=target).status == target
    campaign.refresh_from_db()
    assert campaign.status == target


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.DRAFT, Status.PAUSED),
        (Status.DRAFT, Status.CLOSED),
        (Status.ACTIVE, Status.ACTIVE),
        (Status.ACTIVE, Status.DRAFT),
        (Status.CLOSED, Status.ACTIVE),
        (Status.ACTIVE, "finished"),
    ],
)
def test_invalid_transitions_raise_naming_status(campaign, start, target):
    Campaign.objects.filter(pk=campaign.pk).update(status=start)
    campaign.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        campaign_set_status(campaign=campaign, status=target)
    assert "status" in excinfo.value.message_dict
    campaign.refresh_from_db()
    assert campaign.status == start


def test_owner_pauses_the_campaign(client, owner, campaign):
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "paused"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Status.PAUSED
    assert "now paused" in response.content.decode()


def test_invalid_transition_shows_an_error_not_a_crash(client, owner, campaign):
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "draft"}, follow=True)
    assert response.status_code == 200
    assert "cannot become" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Status.ACTIVE


def test_garbage_status_is_refused_politely(client, owner, campaign):
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "<script>"}, follow=True)
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == Status.ACTIVE


def test_get_is_not_allowed(client, owner, campaign):
    client.force_login(owner)
    assert client.get(status_url(campaign)).status_code == 405


def test_anonymous_is_redirected_to_login(client, campaign):
    response = client.post(status_url(campaign), {"status": "paused"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_outsider_gets_404(client, outsider, campaign):
    client.force_login(outsider)
    assert client.post(status_url(campaign), {"status": "paused"}).status_code == 404


@pytest.mark.parametrize("role_fixture", ["rater", "viewer", "adjudicator"])
def test_non_owners_cannot_change_status(client, campaign, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.post(status_url(campaign), {"status": "paused"}).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Status.ACTIVE


def test_a_refused_change_shows_the_page_again_with_the_reason_beside_the_buttons(client, owner, campaign):
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "draft"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="status-error"' in page
    assert "cannot become" in page.split('id="status-error"')[1].split("</p>")[0]


def test_an_unknown_status_names_the_choices(client, owner, campaign):
    client.force_login(owner)
    page = client.post(status_url(campaign), {"status": "<script>"}).content.decode()
    assert "Status: choose one of draft, active, paused, closed, archived." in page
    assert "<script>" not in page.split('id="status-error"')[1].split("</p>")[0]
