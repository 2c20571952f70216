"""The home page lists the caller's campaigns with their role in each."""

import pytest
from django.urls import reverse

from annotate.models import Membership
from tests.factories import CampaignFactory, MembershipFactory

pytestmark = pytest.mark.django_db
URL = reverse("home")


def test_lists_my_campaigns_with_my_role(client, rater, campaign):
    second = CampaignFactory(name="Second campaign")
    MembershipFactory(campaign=second, user=rater, role=Membership.Role.VIEWER)
    CampaignFactory(name="Not mine")
    client.force_login(rater)
    response = client.get(URL)
    page = response.content.decode()
    roles = {c.slug: c.my_role for c in response.context["campaigns"]}
    assert roles == {campaign.slug: "rater", second.slug: "viewer"}
    assert reverse("ratings:campaign-detail", args=[campaign.slug]) in page
    assert "Not mine" not in page


def test_owner_sees_their_campaign_as_owner_with_item_count(client, owner, campaign):
    client.force_login(owner)
    response = client.get(URL)
    (listed,) = response.context["campaigns"]
    assert (listed.my_role, listed.n_items) == ("owner", 5)


def test_raters_are_not_shown_the_dataset_name(client, rater, campaign):
    client.force_login(rater)
    assert campaign.dataset.name not in client.get(URL).content.decode()


def test_curators_get_a_new_campaign_button(client, curator):
    client.force_login(curator)
    assert reverse("ratings:campaign-create") in client.get(URL).content.decode()


def test_non_curators_get_no_new_campaign_button(client, outsider):
    client.force_login(outsider)
    page = client.get(URL).content.decode()
    assert reverse("ratings:campaign-create") not in page
    assert "Ask a campaign owner to invite you" in page


def test_staff_see_every_campaign(client, admin_user, campaign):
    client.force_login(admin_user)
    assert [c.slug for c in client.get(URL).context["campaigns"]] == [campaign.slug]


def test_anonymous_is_redirected_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_members_who_rate_get_a_rate_button_whatever_their_role(client, owner, campaign):
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=True)
    client.force_login(owner)
    page = client.get(URL).content.decode()
    assert f'href="{reverse("ratings:rate", args=[campaign.slug])}"' in page
    assert '<span class="badge">rater</span> <span class="badge">owner</span>' in page


def test_members_who_do_not_rate_get_no_rate_button(client, owner, viewer, campaign):
    for user in (owner, viewer):
        client.force_login(user)
        assert reverse("ratings:rate", args=[campaign.slug]) not in client.get(URL).content.decode()


def test_raters_get_a_rate_button_for_active_campaigns_only(client, rater, campaign):
    client.force_login(rater)
    assert reverse("ratings:rate", args=[campaign.slug]) in client.get(URL).content.decode()
    campaign.status = campaign.Status.PAUSED
    campaign.save(update_fields=["status"])
    assert reverse("ratings:rate", args=[campaign.slug]) not in client.get(URL).content.decode()


def test_each_cell_names_its_column_for_the_phone_layout(client, rater, campaign):
    client.force_login(rater)
    page = client.get(URL).content.decode()
    assert '<table class="stack">' in page
    for label in ("My role", "Status", "Rubric", "Items", "Raters per item (k)"):
        assert f'data-label="{label}"' in page
