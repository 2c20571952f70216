"""Archiving puts a campaign away with all its ratings: hidden from the home page, closed to rating, reversible."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.models import Campaign
from annotate.services.campaigns import campaign_set_status
from ratings.queue import assignment_next
from ratings.services import rating_revise, rating_submit

pytestmark = pytest.mark.django_db
Status = Campaign.Status


def _set(campaign: Campaign, status: str) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    campaign.refresh_from_db()


@pytest.mark.parametrize("start", [Status.DRAFT, Status.ACTIVE, Status.PAUSED, Status.CLOSED])
def test_any_campaign_can_be_archived(campaign, start):
    _set(campaign, start)
    assert campaign_set_status(campaign=campaign, status=Status.ARCHIVED).status == Status.ARCHIVED


@pytest.mark.parametrize("target", [Status.DRAFT, Status.ACTIVE, Status.PAUSED, Status.ARCHIVED])
def test_an_archived_campaign_only_comes_back_closed(campaign, target):
    _set(campaign, Status.ARCHIVED)
    with pytest.raises(ValidationError):
        campaign_set_status(campaign=campaign, status=target)
    assert campaign_set_status(campaign=campaign, status=Status.CLOSED).status == Status.CLOSED


def test_owner_archives_a_closed_campaign_and_unarchives_it_from_its_page(client, owner, campaign):
    client.force_login(owner)
    _set(campaign, Status.CLOSED)
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert 'value="archived"' in page and ">Archive<" in page
    url = reverse("ratings:campaign-status", args=[campaign.slug])
    assert "now archived" in client.post(url, {"status": "archived"}, follow=True).content.decode()
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert ">Unarchive<" in page
    assert "now closed" in client.post(url, {"status": "closed"}, follow=True).content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED


def test_archived_campaigns_leave_the_home_list_but_stay_reachable(client, owner, campaign):
    client.force_login(owner)
    _set(campaign, Status.ARCHIVED)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert response.context["campaigns"] == []
    assert "Archived campaigns (1)" in page
    assert reverse("ratings:campaign-detail", args=[campaign.slug]) in page
    assert "You are not a member of any campaign yet" not in page


def test_raters_cannot_rate_or_revise_in_an_archived_campaign(client, campaign, rater):
    assignment = assignment_next(campaign=campaign, rater=rater)
    rating = rating_submit(assignment=assignment, values={"helpful": 3})
    leased = assignment_next(campaign=campaign, rater=rater)
    _set(campaign, Status.ARCHIVED)
    with pytest.raises(ValidationError, match="archived"):
        rating_submit(assignment=leased, values={"helpful": 3})
    with pytest.raises(ValidationError, match="archived"):
        rating_revise(rating=rating, values={"helpful": 5})
    assert assignment_next(campaign=campaign, rater=rater) is None
    client.force_login(rater)
    page = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert "This campaign is archived" in page
