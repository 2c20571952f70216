"""Members who rate: raters always do, owners and adjudicators may as well, viewers never do."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, Membership
from annotate.services.campaigns import member_add, membership_set
from ratings.models import Rating
from ratings.progress import rater_counts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rate_url(campaign: Campaign, name: str = "rate") -> str:
    return reverse(f"ratings:{name}", kwargs={"slug": campaign.slug})


def _membership(campaign: Campaign, user: User) -> Membership:
    return Membership.objects.get(campaign=campaign, user=user)


def test_the_last_owner_can_also_rate_and_stays_owner(campaign: Campaign, owner: User) -> None:
    membership_set(campaign=campaign, user=owner, role=Role.OWNER, rates=True)
    membership = _membership(campaign, owner)
    assert (membership.role, membership.rates) == (Role.OWNER, True)


def test_an_owner_who_rates_gets_items_and_submits(campaign: Campaign, owner: User) -> None:
    client = _client(owner)
    assert client.get(_rate_url(campaign)).status_code == 404
    membership_set(campaign=campaign, user=owner, role=Role.OWNER, rates=True)
    page = client.get(_rate_url(campaign))
    assert page.status_code == 200 and 'id="rate-form"' in page.content.decode()
    assignment = page.context["assignment"]
    client.post(_rate_url(campaign, "rate-submit"), {"assignment": assignment.pk, "c-helpful": "4"})
    assert Rating.objects.filter(campaign_item__campaign=campaign, rater=owner).count() == 1
    # Still the owner: the campaign's own pages stay open to them.
    assert client.get(reverse("ratings:agreement", kwargs={"slug": campaign.slug})).status_code == 200


def test_an_adjudicator_may_rate_and_stop_rating(campaign: Campaign, adjudicator: User) -> None:
    membership_set(campaign=campaign, user=adjudicator, role=Role.ADJUDICATOR, rates=True)
    assert _client(adjudicator).get(_rate_url(campaign)).status_code == 200
    membership_set(campaign=campaign, user=adjudicator, role=Role.ADJUDICATOR, rates=False)
    assert _client(adjudicator).get(_rate_url(campaign)).status_code == 404


def test_members_who_rate_count_as_raters(campaign: Campaign, owner: User, rater: User) -> None:
    assert [row.username for row in rater_counts(campaign) if row.is_member] == ["rater"]
    membership_set(campaign=campaign, user=owner, role=Role.OWNER, rates=True)
    assert [row.username for row in rater_counts(campaign) if row.is_member] == ["curator", "rater"]


def test_a_viewer_cannot_rate(campaign: Campaign, viewer: User) -> None:
    with pytest.raises(ValidationError, match="rates: a viewer only reads"):
        membership_set(campaign=campaign, user=viewer, role=Role.VIEWER, rates=True)
    with pytest.raises(ValidationError, match="rates: a viewer only reads"):
        member_add(campaign=campaign, user=UserFactory(), role=Role.VIEWER, rates=True)
    assert _client(viewer).get(_rate_url(campaign)).status_code == 404


def test_a_rater_always_rates_whatever_is_asked(campaign: Campaign) -> None:
    user = UserFactory()
    member_add(campaign=campaign, user=user, role=Role.RATER, rates=False)
    assert _membership(campaign, user).rates is True


def test_changing_role_keeps_rating_where_the_new_role_allows(campaign: Campaign, rater: User) -> None:
    membership_set(campaign=campaign, user=rater, role=Role.ADJUDICATOR)
    assert _membership(campaign, rater).rates is True
    membership_set(campaign=campaign, user=rater, role=Role.VIEWER)
    assert _membership(campaign, rater).rates is False


def test_the_database_refuses_a_rater_who_does_not_rate(campaign: Campaign, rater: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(campaign=campaign, user=rater).update(rates=False)
