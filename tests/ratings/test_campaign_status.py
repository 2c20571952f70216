"""Campaign status: draft → active ↔ paused → closed, changed by owners only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.models import Campaign, Membership
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
        (Status.CLOSED, Status.ACTIVE),
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
        (Status.CLOSED, Status.PAUSED),
        (Status.ARCHIVED, Status.ACTIVE),
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


# --------------------------------------------------------------------------- closing asks first, reopening


@pytest.mark.parametrize("start", [Status.ACTIVE, Status.PAUSED])
def test_close_asks_first_and_changes_nothing(client, owner, campaign, start):
    Campaign.objects.filter(pk=campaign.pk).update(status=start)
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "closed"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Close {campaign.name}?" in page
    assert "Every rating so far is kept" in page
    assert 'name="confirm" value="on"' in page and 'name="status" value="closed"' in page
    campaign.refresh_from_db()
    assert campaign.status == start


def test_confirmed_close_closes_and_the_page_offers_reopen(client, owner, campaign):
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "closed", "confirm": "on"}, follow=True)
    assert "now closed" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED
    page = response.content.decode()
    assert ">Reopen<" in page and 'value="active"' in page


def test_owner_reopens_a_closed_campaign(client, owner, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.CLOSED)
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "active"}, follow=True)
    assert "now active" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Status.ACTIVE


def test_non_owners_cannot_reach_the_close_confirmation(client, campaign, rater):
    client.force_login(rater)
    assert client.post(status_url(campaign), {"status": "closed"}).status_code == 404


# --------------------------------------------------------------------------- overlap above the members who rate


def test_starting_with_fewer_raters_than_the_overlap_warns_with_the_numbers(client, owner, campaign, rater):
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.DRAFT, overlap=3)
    client.force_login(owner)
    response = client.post(status_url(campaign), {"status": "active"}, follow=True)
    page = response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Status.ACTIVE
    warning = "Overlap is 3 raters per item but only 1 member rates: no item can get 3 ratings"
    assert page.count(warning) == 2  # the message after starting, and the page's own warning
    assert "Add 2 more members who rate" in page
    assert "or lower the overlap to 1 in the settings" in page


def test_the_warning_stays_until_enough_members_rate(client, owner, campaign, rater, other_rater):
    Campaign.objects.filter(pk=campaign.pk).update(overlap=3)
    client.force_login(owner)
    detail = reverse("ratings:campaign-detail", args=[campaign.slug])
    assert 'id="overlap-warning"' in client.get(detail).content.decode()
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=True)
    assert 'id="overlap-warning"' not in client.get(detail).content.decode()


def test_no_member_who_rates_is_said_plainly(client, owner, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(overlap=2)
    client.force_login(owner)
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert "Overlap is 2 raters per item but no member rates yet" in page
    assert "lower the overlap" not in page


def test_a_closed_campaign_is_not_warned_about(client, owner, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(overlap=3, status=Status.CLOSED)
    client.force_login(owner)
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert 'id="overlap-warning"' not in page


def test_readers_see_the_warning_too(client, campaign, viewer):
    Campaign.objects.filter(pk=campaign.pk).update(overlap=3)
    client.force_login(viewer)
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert 'id="overlap-warning"' in page
