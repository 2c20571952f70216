"""Invitation links: the owner learns nothing about which usernames exist; the invited person joins by the link."""

import re
import time
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import Membership
from annotate.services.invitations import INVITATION_SALT, invitation_make
from tests.factories import CampaignFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
# UserFactory's password.
PASSWORD = "pw-for-tests-123"
NEW_PASSWORD = "amber-kettle-4812"
EIGHT_DAYS = 8 * 24 * 3600


def add_url(campaign) -> str:
    return reverse("ratings:campaign-member-add", args=[campaign.slug])


def invite(client, campaign, username: str, role: str = "rater"):
    """Post the owner's add-or-invite form; return the response."""
    return client.post(add_url(campaign), {"username": username, "role": role})


def link_in(response) -> str:
    """The invitation path shown on the owner's page."""
    match = re.search(r"http://testserver(/invite/[^/\"]+/)", response.content.decode())
    assert match, "no invitation link on the page"
    return match.group(1)


def token_url(campaign, username: str, role: str, inviter) -> str:
    return reverse(
        "annotate:invitation", args=[invitation_make(campaign=campaign, inviter=inviter, username=username, role=role)]
    )


def without_tokens(html: str) -> str:
    """The page with its invitation token and its per-response CSRF mask blanked out."""
    html = re.sub(r"/invite/[^/\"]+/", "/invite/TOKEN/", html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="CSRF"', html)
    return re.sub(r"&quot;X-CSRFToken&quot;: &quot;[^&]+&quot;|\"X-CSRFToken\": \"[^\"]+\"", "X-CSRF", html)


def is_member(campaign, username: str) -> bool:
    return Membership.objects.filter(campaign=campaign, user__username=username).exists()


# Asking about a name: the owner cannot tell whether it has an account.


def test_a_name_with_an_account_and_one_without_get_the_same_answer(client, owner, campaign):
    client.force_login(owner)
    client.get(add_url(campaign))  # the CSRF cookie is set once, before either answer
    with CaptureQueriesContext(connection) as before:
        unknown = invite(client, campaign, "bob")
    # bob now has an account, as a member of a campaign this owner does not own.
    MembershipFactory(campaign=CampaignFactory(), user=UserFactory(username="bob"), role=Role.RATER)
    with CaptureQueriesContext(connection) as after:
        existing = invite(client, campaign, "bob")
    assert unknown.status_code == existing.status_code == 200
    assert without_tokens(unknown.content.decode()) == without_tokens(existing.content.decode())
    assert "Send this invitation link to <strong>bob</strong> (valid for 7 days)" in existing.content.decode()
    assert sorted(unknown.cookies) == sorted(existing.cookies)
    assert "messages" not in existing.cookies
    assert len(before) == len(after)
    assert not is_member(campaign, "bob")


def test_the_owner_never_sees_a_password(client, owner, campaign):
    UserFactory(username="dana")
    client.force_login(owner)
    for name in ("dana", "erin"):
        response = invite(client, campaign, name)
        follow_up = client.get(reverse("ratings:campaign-detail", args=[campaign.slug]))
        for page in (response.content.decode(), follow_up.content.decode()):
            assert "with password" not in page
            assert "Created account" not in page
        assert "messages" not in response.cookies
    # No account was made, and the existing one keeps its password: there is no new password to show.
    assert not User.objects.filter(username="erin").exists()
    assert User.objects.get(username="dana").check_password(PASSWORD)


def test_staff_add_any_existing_user_at_once(client, campaign):
    admin = UserFactory(username="admin", is_staff=True)
    UserFactory(username="frank")
    client.force_login(admin)
    response = client.post(add_url(campaign), {"username": "frank", "role": "viewer"}, follow=True)
    assert "frank is now viewer in this campaign." in response.content.decode()
    assert is_member(campaign, "frank")


@pytest.mark.parametrize("role_fixture", ["outsider", "rater", "viewer", "adjudicator"])
def test_only_owners_can_make_invitations(client, campaign, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    response = invite(client, campaign, "mallory", role="owner")
    assert response.status_code == 404
    assert "/invite/" not in response.content.decode()


def test_the_service_refuses_to_sign_an_invitation_for_a_non_owner(campaign, rater):
    with pytest.raises(ValidationError, match="only an owner"):
        invitation_make(campaign=campaign, inviter=rater, username="mallory", role=Role.OWNER)


# Opening the link.


def test_the_link_names_the_campaign_and_the_role(client, owner, campaign):
    client.force_login(owner)
    url = link_in(invite(client, campaign, "gina", role="adjudicator"))
    client.logout()
    page = client.get(url).content.decode()
    assert f"Join {campaign.name}" in page
    assert 'as <span class="badge">adjudicator</span>' in page


def test_the_invited_user_signed_in_accepts_with_a_button(client, owner, campaign):
    hank = UserFactory(username="hank")
    url = token_url(campaign, "hank", Role.RATER, owner)
    client.force_login(hank)
    page = client.get(url).content.decode()
    assert "Accept and join" in page
    assert not is_member(campaign, "hank")
    response = client.post(url, follow=True)
    assert f"You are now rater in {campaign.name}." in response.content.decode()
    assert Membership.objects.get(campaign=campaign, user=hank).role == Role.RATER


def test_accepting_twice_changes_nothing(client, owner, campaign):
    ivy = UserFactory(username="ivy")
    url = token_url(campaign, "ivy", Role.OWNER, owner)
    client.force_login(ivy)
    client.post(url)
    # The owner made ivy a viewer since: the old link does not make her owner again.
    Membership.objects.filter(campaign=campaign, user=ivy).update(role=Role.VIEWER)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert f"You are already viewer in {campaign.name}." in response.content.decode()
    assert Membership.objects.get(campaign=campaign, user=ivy).role == Role.VIEWER


def test_an_invited_user_not_signed_in_logs_in_and_comes_back_to_accept(client, owner, campaign):
    jack = UserFactory(username="jack")
    url = token_url(campaign, "jack", Role.VIEWER, owner)
    page = client.get(url).content.decode()
    login_link = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page)
    assert login_link, "no log-in link on the invitation page"
    assert "Create account" not in page
    login_page = client.get(login_link.group(1).replace("&amp;", "&"))
    assert login_page.context["next"] == url
    response = client.post(reverse("login"), {"username": "jack", "password": PASSWORD, "next": url})
    assert response["Location"] == url
    assert "Accept and join" in client.get(url).content.decode()
    client.post(url)
    assert Membership.objects.get(campaign=campaign, user=jack).role == Role.VIEWER


def test_an_invited_name_without_an_account_creates_it_with_a_chosen_password(client, owner, campaign):
    url = token_url(campaign, "kim", Role.RATER, owner)
    page = client.get(url).content.decode()
    assert "Choose a password for your new account <strong>kim</strong>" in page
    response = client.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "username": "root"})
    assert response.status_code == 302
    assert response["Location"] == reverse("ratings:campaign-detail", args=[campaign.slug])
    kim = User.objects.get(username="kim")
    assert kim.check_password(NEW_PASSWORD)
    assert not User.objects.filter(username="root").exists()
    assert Membership.objects.get(campaign=campaign, user=kim).role == Role.RATER
    # Signed in as kim: the campaign page opens.
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("password", "again", "error"),
    [
        ("123", "123", "too short"),
        ("password123", "password123", "too common"),
        ("kimberly-kim", "kimberly-kim", "too similar to the username"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two passwords differ."),
        ("", "", "This field is required."),
    ],
)
def test_a_weak_or_mistyped_password_is_refused(client, owner, campaign, password, again, error):
    url = token_url(campaign, "kimberly", Role.RATER, owner)
    response = client.post(url, {"password": password, "password_again": again})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not User.objects.filter(username="kimberly").exists()


def test_a_signed_in_user_with_another_name_is_told_the_link_is_for_someone_else(client, owner, campaign, outsider):
    url = token_url(campaign, "lena", Role.RATER, owner)
    client.force_login(outsider)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 403
        assert "This invitation is for someone else" in response.content.decode()
    assert not Membership.objects.filter(campaign=campaign, user=outsider).exists()
    assert not User.objects.filter(username="lena").exists()


# Links that no longer work.


def test_an_expired_link_is_refused(client, owner, campaign):
    UserFactory(username="mo")
    with mock.patch.object(signing.time, "time", return_value=time.time() - EIGHT_DAYS):
        url = token_url(campaign, "mo", Role.RATER, owner)
    client.force_login(User.objects.get(username="mo"))
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "This invitation link has expired" in response.content.decode()
    assert not is_member(campaign, "mo")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a:b:c",
        signing.dumps({"c": 1, "r": "rater", "u": "nina", "i": 1}, salt="another.purpose"),
        # Signed by us but not an invitation's shape.
        signing.dumps({"c": "1", "r": "rater", "u": "nina", "i": 1}, salt=INVITATION_SALT),
        signing.dumps({"c": 1, "r": "boss", "u": "nina", "i": 1}, salt=INVITATION_SALT),
        signing.dumps(["nina"], salt=INVITATION_SALT),
    ],
)
def test_a_malformed_link_is_refused(client, campaign, token):
    response = client.get(reverse("annotate:invitation", args=[token]))
    assert response.status_code == 400
    assert "This invitation link is not valid" in response.content.decode()


def test_a_tampered_link_is_refused(client, owner, campaign):
    token = invitation_make(campaign=campaign, inviter=owner, username="nina", role=Role.RATER)
    payload = signing.b64_decode(token.split(":")[0].encode()).replace(b"rater", b"owner")
    forged = signing.b64_encode(payload).decode() + token[token.index(":") :]
    client.force_login(UserFactory(username="nina"))
    for url in (reverse("annotate:invitation", args=[forged]), reverse("annotate:invitation", args=[token[:-2]])):
        response = client.post(url)
        assert response.status_code == 400
        assert "This invitation link is not valid" in response.content.decode()
    assert not is_member(campaign, "nina")


def test_an_invitation_from_someone_no_longer_owner_is_refused(client, owner, campaign, viewer):
    url = token_url(campaign, "omar", Role.OWNER, owner)
    omar = UserFactory(username="omar")
    Membership.objects.filter(campaign=campaign, user=viewer).update(role=Role.OWNER)
    Membership.objects.filter(campaign=campaign, user=owner).delete()
    client.force_login(omar)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "no longer owns the campaign" in response.content.decode()
    assert not is_member(campaign, "omar")
    client.logout()
    assert client.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}).status_code == 400


def test_an_owner_removed_after_the_page_opened_cannot_add_a_new_account(client, owner, campaign, viewer):
    url = token_url(campaign, "pia", Role.RATER, owner)
    assert "Create account and join" in client.get(url).content.decode()
    Membership.objects.filter(campaign=campaign, user=viewer).update(role=Role.OWNER)
    Membership.objects.filter(campaign=campaign, user=owner).delete()
    response = client.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 400
    assert not User.objects.filter(username="pia").exists()


def test_a_link_to_a_deleted_campaign_is_refused(client, owner, campaign):
    url = token_url(campaign, "quinn", Role.RATER, owner)
    campaign.delete()
    response = client.get(url)
    assert response.status_code == 400
    assert "its campaign no longer exists" in response.content.decode()


def test_someone_taking_the_name_first_is_sent_to_log_in(client, owner, campaign):
    url = token_url(campaign, "rosa", Role.RATER, owner)
    assert "Create account and join" in client.get(url).content.decode()
    UserFactory(username="rosa")
    response = client.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Log in as rosa to accept it." in response.content.decode()
    assert not User.objects.get(username="rosa").check_password(NEW_PASSWORD)
    assert not is_member(campaign, "rosa")


# Invitations to rate too.


def test_an_invitation_may_offer_owner_who_also_rates(client, owner, campaign):
    client.force_login(owner)
    response = client.post(add_url(campaign), {"username": "kim", "role": "owner", "rates": "on"})
    assert 'joins as <span class="badge">owner · rates</span>' in response.content.decode()
    url = link_in(response)
    client.logout()
    kim = UserFactory(username="kim")
    client.force_login(kim)
    assert 'as <span class="badge">owner · rates</span>' in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert f"You are now owner · rates in {campaign.name}." in response.content.decode()
    membership = Membership.objects.get(campaign=campaign, user=kim)
    assert (membership.role, membership.rates) == (Role.OWNER, True)


def test_a_new_account_from_an_invitation_to_rate_too_rates(client, owner, campaign):
    url = reverse(
        "annotate:invitation",
        args=[invitation_make(campaign=campaign, inviter=owner, username="lee", role=Role.ADJUDICATOR, rates=True)],
    )
    client.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    membership = Membership.objects.get(campaign=campaign, user__username="lee")
    assert (membership.role, membership.rates) == (Role.ADJUDICATOR, True)


def test_an_invitation_without_rates_still_reads_as_before(client, owner, campaign):
    """A link signed before invitations could offer rating carries no "a": it offers the role alone."""
    token = signing.dumps({"c": campaign.pk, "r": "adjudicator", "u": "moe", "i": owner.pk}, salt=INVITATION_SALT)
    client.force_login(UserFactory(username="moe"))
    client.post(reverse("annotate:invitation", args=[token]))
    membership = Membership.objects.get(campaign=campaign, user__username="moe")
    assert (membership.role, membership.rates) == (Role.ADJUDICATOR, False)


def test_a_rater_invitation_rates_and_a_viewer_invitation_to_rate_is_refused(owner, campaign):
    token = invitation_make(campaign=campaign, inviter=owner, username="ned", role=Role.RATER)
    assert signing.loads(token, salt=INVITATION_SALT) == {"c": campaign.pk, "r": "rater", "u": "ned", "i": owner.pk}
    with pytest.raises(ValidationError, match="a viewer only reads"):
        invitation_make(campaign=campaign, inviter=owner, username="ned", role=Role.VIEWER, rates=True)


def test_a_link_whose_rates_is_not_yes_or_no_is_refused(client, owner, campaign):
    data = {"c": campaign.pk, "r": "owner", "u": "otto", "i": owner.pk, "a": "yes"}
    response = client.get(reverse("annotate:invitation", args=[signing.dumps(data, salt=INVITATION_SALT)]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
