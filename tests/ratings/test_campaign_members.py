"""Campaign members: roles, the last owner, invitations, and the owner-only pages for them."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.models import Membership
from annotate.services.campaigns import member_invite, membership_remove, membership_set
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


def add_url(campaign):
    return reverse("ratings:campaign-member-add", args=[campaign.slug])


def update_url(campaign, membership):
    return reverse("ratings:campaign-member-update", args=[campaign.slug, membership.pk])


def membership_of(campaign, user):
    return Membership.objects.get(campaign=campaign, user=user)


def test_membership_set_adds_and_changes_roles(campaign, outsider):
    membership_set(campaign=campaign, user=outsider, role=Role.RATER)
    assert membership_of(campaign, outsider).role == Role.RATER
    membership_set(campaign=campaign, user=outsider, role=Role.VIEWER)
    assert membership_of(campaign, outsider).role == Role.VIEWER


def test_membership_set_rejects_unknown_roles(campaign, outsider):
    with pytest.raises(ValidationError, match="role: unknown role 'boss'"):
        membership_set(campaign=campaign, user=outsider, role="boss")


def test_last_owner_cannot_be_demoted(campaign, owner):
    with pytest.raises(ValidationError, match="last owner"):
        membership_set(campaign=campaign, user=owner, role=Role.RATER)
    assert membership_of(campaign, owner).role == Role.OWNER


def test_last_owner_cannot_be_removed(campaign, owner):
    with pytest.raises(ValidationError, match="last owner"):
        membership_remove(campaign=campaign, membership=membership_of(campaign, owner))
    assert membership_of(campaign, owner)


def test_an_owner_can_leave_when_another_owner_remains(campaign, owner, viewer):
    membership_set(campaign=campaign, user=viewer, role=Role.OWNER)
    membership_remove(campaign=campaign, membership=membership_of(campaign, owner))
    assert list(campaign.memberships.values_list("user__username", "role")) == [("viewer", "owner")]


def test_invite_creates_a_new_user_with_a_one_time_password(campaign):
    user, password = member_invite(campaign=campaign, username="newbie", role=Role.RATER)
    assert password
    assert User.objects.get(username="newbie").check_password(password)
    assert membership_of(campaign, user).role == Role.RATER


def test_invite_uses_a_given_password_for_new_users(campaign):
    user, password = member_invite(campaign=campaign, username="newbie", role=Role.VIEWER, password="s3cret-pw")
    assert password == "s3cret-pw"
    assert user.check_password("s3cret-pw")


def test_invite_of_an_existing_user_only_adds_the_membership(campaign, outsider):
    user, password = member_invite(campaign=campaign, username="outsider", role=Role.ADJUDICATOR)
    assert user == outsider
    assert password is None
    assert membership_of(campaign, outsider).role == Role.ADJUDICATOR


def test_invite_of_a_member_is_refused(campaign, rater):
    with pytest.raises(ValidationError, match="already a member"):
        member_invite(campaign=campaign, username="rater", role=Role.VIEWER)


@pytest.mark.parametrize(("username", "role"), [("", "rater"), ("bad name!", "rater"), ("ok", "boss")])
def test_invite_validates_username_and_role(campaign, username, role):
    with pytest.raises(ValidationError):
        member_invite(campaign=campaign, username=username, role=role)
    assert not User.objects.filter(username=username).exists()


def test_owner_adds_a_member_of_another_of_their_campaigns_at_once(client, owner, campaign):
    colleague = UserFactory(username="colleague")
    MembershipFactory(campaign=CampaignFactory(owner=owner), user=colleague, role=Role.VIEWER)
    client.force_login(owner)
    response = client.post(add_url(campaign), {"username": "colleague", "role": "rater"}, follow=True)
    assert "colleague is now rater in this campaign." in response.content.decode()
    assert membership_of(campaign, colleague).role == Role.RATER


def test_owner_adding_an_existing_member_is_told_so(client, owner, campaign, rater):
    client.force_login(owner)
    response = client.post(add_url(campaign), {"username": "rater", "role": "viewer"})
    assert response.status_code == 200
    assert "already a member (rater)" in response.content.decode()
    assert membership_of(campaign, rater).role == Role.RATER


def test_owner_gets_an_invitation_link_and_no_account_is_made(client, owner, campaign):
    client.force_login(owner)
    response = client.post(add_url(campaign), {"username": "carol", "role": "rater"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Send this invitation link to <strong>carol</strong> (valid for 7 days)" in page
    assert "http://testserver/invite/" in page
    assert not User.objects.filter(username="carol").exists()
    assert not Membership.objects.filter(campaign=campaign, user__username="carol").exists()


def test_owner_invite_with_bad_input_shows_the_form_with_errors(client, owner, campaign):
    client.force_login(owner)
    response = client.post(add_url(campaign), {"username": "bad name!", "role": "rater"})
    assert response.status_code == 200
    assert "username: &#x27;bad name!&#x27; may contain only letters" in response.content.decode()
    response = client.post(add_url(campaign), {"username": "x", "role": "boss"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "/invite/" not in response.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_member_form_page_renders_for_the_owner(client, owner, campaign):
    client.force_login(owner)
    response = client.get(add_url(campaign))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_owner_changes_a_members_role(client, owner, campaign, rater):
    client.force_login(owner)
    client.post(update_url(campaign, membership_of(campaign, rater)), {"action": "role", "role": "viewer"})
    assert membership_of(campaign, rater).role == Role.VIEWER


def test_owner_removes_a_member_after_confirming(client, owner, campaign, rater):
    client.force_login(owner)
    client.post(update_url(campaign, membership_of(campaign, rater)), {"action": "remove", "confirm": "on"})
    assert not Membership.objects.filter(campaign=campaign, user=rater).exists()


def test_page_refuses_to_remove_the_last_owner(client, owner, campaign):
    client.force_login(owner)
    response = client.post(update_url(campaign, membership_of(campaign, owner)), {"action": "remove"}, follow=True)
    assert "last owner" in response.content.decode()
    assert membership_of(campaign, owner).role == Role.OWNER


def test_membership_of_another_campaign_is_404(client, owner, campaign):
    foreign = MembershipFactory(user=UserFactory())
    client.force_login(owner)
    assert client.post(update_url(campaign, foreign), {"action": "remove"}).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_anonymous_is_redirected_to_login(client, campaign, rater):
    for url in (add_url(campaign), update_url(campaign, membership_of(campaign, rater))):
        response = client.post(url, {"username": "x", "role": "rater", "action": "remove"})
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_outsider_gets_404(client, outsider, campaign, rater):
    client.force_login(outsider)
    assert client.get(add_url(campaign)).status_code == 404
    assert client.post(add_url(campaign), {"username": "x", "role": "rater"}).status_code == 404
    assert client.post(update_url(campaign, membership_of(campaign, rater)), {"action": "remove"}).status_code == 404
    assert membership_of(campaign, rater)


@pytest.mark.parametrize("role_fixture", ["rater", "viewer", "adjudicator"])
def test_non_owners_cannot_manage_members(client, campaign, other_rater, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.post(add_url(campaign), {"username": "x", "role": "owner"}).status_code == 404
    target = membership_of(campaign, other_rater)
    assert client.post(update_url(campaign, target), {"action": "role", "role": "owner"}).status_code == 404
    assert membership_of(campaign, other_rater).role == Role.RATER
    assert not User.objects.filter(username="x").exists()


def test_a_refused_member_change_is_shown_in_the_members_card(client, owner, campaign):
    client.force_login(owner)
    response = client.post(update_url(campaign, membership_of(campaign, owner)), {"action": "remove"})
    assert response.status_code == 200
    error = response.content.decode().split('id="members-error"')[1].split("</p>")[0]
    assert "last owner" in error


def test_an_unknown_member_action_names_the_field(client, owner, campaign, rater):
    client.force_login(owner)
    response = client.post(update_url(campaign, membership_of(campaign, rater)), {"action": "promote"})
    error = response.content.decode().split('id="members-error"')[1].split("</p>")[0]
    assert error.startswith(">Action:")
    assert membership_of(campaign, rater).role == Role.RATER


# --------------------------------------------------------------------------- members who also rate


def test_owner_adds_an_adjudicator_who_also_rates(client, owner, campaign):
    colleague = UserFactory(username="colleague")
    MembershipFactory(campaign=CampaignFactory(owner=owner), user=colleague, role=Role.VIEWER)
    client.force_login(owner)
    data = {"username": "colleague", "role": "adjudicator", "rates": "on"}
    response = client.post(add_url(campaign), data, follow=True)
    assert "colleague is now adjudicator · rates in this campaign." in response.content.decode()
    membership = membership_of(campaign, colleague)
    assert (membership.role, membership.rates) == (Role.ADJUDICATOR, True)


def test_a_viewer_who_rates_is_refused_with_the_reason(client, owner, campaign):
    colleague = UserFactory(username="colleague")
    MembershipFactory(campaign=CampaignFactory(owner=owner), user=colleague, role=Role.VIEWER)
    client.force_login(owner)
    response = client.post(add_url(campaign), {"username": "colleague", "role": "viewer", "rates": "on"})
    assert response.status_code == 200
    assert "rates: a viewer only reads" in response.content.decode()
    assert not Membership.objects.filter(campaign=campaign, user=colleague).exists()


def test_the_last_owner_starts_and_stops_rating(client, owner, campaign):
    client.force_login(owner)
    url = update_url(campaign, membership_of(campaign, owner))
    response = client.post(url, {"action": "rates", "rates": "yes"}, follow=True)
    assert "curator is now owner · rates." in response.content.decode()
    assert membership_of(campaign, owner).rates
    assert membership_of(campaign, owner).role == Role.OWNER
    client.post(url, {"action": "rates", "rates": "no"})
    assert not membership_of(campaign, owner).rates


def test_members_table_reads_owner_rates_and_offers_the_switch(client, owner, campaign, rater, adjudicator):
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=True)
    client.force_login(owner)
    page = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    members = page.split('id="campaign-members"')[1].split("</table>")[0]
    assert "Owner · rates</span>" in members
    assert "Adjudicator</span>" in members and "Adjudicator · rates" not in members
    assert "Rater</span>" in members and "Rater · rates" not in members
    assert members.count("Stop rating") == 1
    assert members.count("Also rate<") == 1
    assert 'name="rates" value="yes"' in members


@pytest.mark.parametrize(
    ("role_fixture", "rates", "message"),
    [("rater", "no", "raters always rate"), ("viewer", "yes", "viewers only read")],
)
def test_a_switch_the_role_does_not_allow_is_refused_with_the_reason(
    client, owner, campaign, role_fixture, rates, message, request
):
    member = request.getfixturevalue(role_fixture)
    client.force_login(owner)
    response = client.post(update_url(campaign, membership_of(campaign, member)), {"action": "rates", "rates": rates})
    assert response.status_code == 200
    assert message in response.content.decode().split('id="members-error"')[1].split("</p>")[0]
    assert membership_of(campaign, member).rates == (role_fixture == "rater")


def test_a_switch_without_yes_or_no_names_the_field(client, owner, campaign):
    client.force_login(owner)
    response = client.post(update_url(campaign, membership_of(campaign, owner)), {"action": "rates", "rates": "maybe"})
    assert "Rates:" in response.content.decode().split('id="members-error"')[1].split("</p>")[0]
    assert not membership_of(campaign, owner).rates


def test_an_owner_who_rates_keeps_rating_when_made_adjudicator(campaign, owner, viewer):
    membership_set(campaign=campaign, user=viewer, role=Role.OWNER, rates=True)
    membership_set(campaign=campaign, user=viewer, role=Role.ADJUDICATOR)
    assert (membership_of(campaign, viewer).role, membership_of(campaign, viewer).rates) == (Role.ADJUDICATOR, True)
    membership_set(campaign=campaign, user=viewer, role=Role.VIEWER)
    assert not membership_of(campaign, viewer).rates


# --------------------------------------------------------------------------- removing asks first


def test_remove_asks_first_and_removes_nobody(client, owner, campaign, rater):
    client.force_login(owner)
    response = client.post(update_url(campaign, membership_of(campaign, rater)), {"action": "remove"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Remove rater from" in page
    assert 'name="confirm" value="on"' in page
    assert reverse("ratings:campaign-detail", args=[campaign.slug]) + "#campaign-members" in page
    assert membership_of(campaign, rater)


def test_the_confirmation_says_the_ratings_stay(client, owner, campaign, rater):
    RatingFactory(campaign_item=campaign.items.first(), rater=rater)
    client.force_login(owner)
    page = client.post(update_url(campaign, membership_of(campaign, rater)), {"action": "remove"}).content.decode()
    assert "Their 1 rating stays" in page


def test_the_last_owner_is_refused_before_any_confirmation(client, owner, campaign):
    client.force_login(owner)
    page = client.post(update_url(campaign, membership_of(campaign, owner)), {"action": "remove"}).content.decode()
    assert "last owner" in page.split('id="members-error"')[1].split("</p>")[0]
    assert 'name="confirm"' not in page
