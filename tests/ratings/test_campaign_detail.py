"""The campaign page: what each role sees, and who may not see it at all."""

import pytest
from django.urls import reverse

from annotate.models import Campaign, Membership
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def detail_url(campaign):
    return reverse("ratings:campaign-detail", args=[campaign.slug])


@pytest.fixture
def rated(campaign, rater, other_rater):
    """Item 0 rated by both raters (complete at k=2), item 1 by the rater only."""
    items = list(campaign.items.order_by("order_key"))
    RatingFactory(campaign_item=items[0], rater=rater, values={"helpful": 5}, comment="rater-comment-x")
    RatingFactory(campaign_item=items[0], rater=other_rater, values={"helpful": 2}, comment="other-comment-y")
    RatingFactory(campaign_item=items[1], rater=rater, values={"helpful": 4})
    return items


def test_owner_sees_progress_counts_members_and_controls(client, owner, campaign, rated, adjudicator, viewer):
    client.force_login(owner)
    response = client.get(detail_url(campaign))
    page = response.content.decode()
    assert response.status_code == 200
    progress = response.context["progress"]
    assert (progress.n_items, progress.n_ratings) == (5, 3)
    assert (progress.complete, progress.in_progress, progress.pending) == (1, 1, 3)
    assert {(r.username, r.n_ratings) for r in response.context["rater_counts"]} == {("rater", 2), ("other_rater", 1)}
    for name in ("curator", "rater", "other_rater", "adjudicator", "viewer"):
        assert name in page
    assert reverse("ratings:campaign-status", args=[campaign.slug]) in page
    assert reverse("ratings:campaign-member-add", args=[campaign.slug]) in page
    assert "all items, in shuffled order" in page or "All items" in page
    assert campaign.dataset.name in page


def test_owner_sees_a_link_to_the_rubric_version(client, owner, campaign):
    campaign.rubric_version.rubric.created_by = owner
    campaign.rubric_version.rubric.save()
    client.force_login(owner)
    page = client.get(detail_url(campaign)).content.decode()
    version = campaign.rubric_version
    assert reverse("annotate:rubric-version-detail", args=[version.rubric.pk, version.number]) in page


@pytest.mark.parametrize("role_fixture", ["viewer", "adjudicator"])
def test_readers_see_progress_and_counts_but_no_owner_controls(client, campaign, rated, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    response = client.get(detail_url(campaign))
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["progress"].n_ratings == 3
    assert "other_rater" in page
    assert reverse("ratings:campaign-status", args=[campaign.slug]) not in page
    assert reverse("ratings:campaign-member-add", args=[campaign.slug]) not in page


def test_readers_get_no_rubric_link_they_could_not_open(client, viewer, campaign):
    client.force_login(viewer)
    page = client.get(detail_url(campaign)).content.decode()
    version = campaign.rubric_version
    assert reverse("annotate:rubric-version-detail", args=[version.rubric.pk, version.number]) not in page
    assert reverse("annotate:dataset-detail", args=[campaign.dataset.pk]) not in page


def test_rater_sees_only_their_own_count_and_the_guidelines(client, rater, campaign, rated):
    client.force_login(rater)
    response = client.get(detail_url(campaign))
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["my_count"] == 2
    assert "progress" not in response.context
    assert "Rate the response." in page
    assert "other_rater" not in page
    assert "other-comment-y" not in page
    assert "rater-comment-x" not in page
    assert campaign.dataset.name not in page
    assert reverse("ratings:campaign-status", args=[campaign.slug]) not in page


def test_other_rater_count_is_their_own(client, other_rater, campaign, rated):
    client.force_login(other_rater)
    response = client.get(detail_url(campaign))
    assert response.context["my_count"] == 1


def test_guidelines_are_escaped(client, rater, campaign):
    campaign.rubric_version.guidelines = "<script>alert(1)</script>"
    campaign.rubric_version.save()
    client.force_login(rater)
    page = client.get(detail_url(campaign)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "alert(1)" not in page or "&lt;script&gt;" in page


def test_owner_of_a_draft_sees_a_start_button(client, owner, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    client.force_login(owner)
    page = client.get(detail_url(campaign)).content.decode()
    assert ">Start<" in page
    assert ">Pause<" not in page


def test_staff_see_the_page_as_owners(client, campaign, admin_user):
    client.force_login(admin_user)
    response = client.get(detail_url(campaign))
    assert response.context["role"] == "owner"


def test_anonymous_is_redirected_to_login(client, campaign):
    response = client.get(detail_url(campaign))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_outsider_gets_404(client, outsider, campaign):
    client.force_login(outsider)
    assert client.get(detail_url(campaign)).status_code == 404


def test_unknown_campaign_is_404(client, owner):
    client.force_login(owner)
    assert client.get(reverse("ratings:campaign-detail", args=["nope"])).status_code == 404


def test_post_is_not_allowed(client, owner, campaign):
    client.force_login(owner)
    assert client.post(detail_url(campaign)).status_code == 405


# --------------------------------------------------------------------------- owners and adjudicators who also rate


def test_an_owner_who_rates_gets_the_rate_action_and_their_own_progress(client, owner, campaign, rated):
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=True)
    client.force_login(owner)
    response = client.get(detail_url(campaign))
    page = response.content.decode()
    nav = page.split('aria-label="Campaign"')[1].split("</nav>")[0]
    assert f'href="{reverse("ratings:rate", args=[campaign.slug])}">Rate items<' in nav
    assert 'id="my-rating"' in page and 'id="progress-mine"' in page
    assert response.context["my_progress"].done == 0
    assert 'you are <span class="badge">owner · rates</span>' in page


def test_an_adjudicator_who_rates_is_counted_among_the_raters(client, campaign, adjudicator, rated):
    Membership.objects.filter(campaign=campaign, user=adjudicator).update(rates=True)
    client.force_login(adjudicator)
    response = client.get(detail_url(campaign))
    assert "Rate items" in response.content.decode()
    assert "adjudicator" in {r.username for r in response.context["rater_counts"]}


def test_members_who_do_not_rate_get_no_rate_action(client, owner, campaign):
    client.force_login(owner)
    page = client.get(detail_url(campaign)).content.decode()
    assert reverse("ratings:rate", args=[campaign.slug]) not in page
    assert 'id="my-rating"' not in page


# --------------------------------------------------------------------------- the main actions at the top


def test_the_actions_come_first_and_the_guidelines_are_folded_last(client, owner, campaign, rater):
    client.force_login(owner)
    page = client.get(detail_url(campaign)).content.decode()
    nav = page.index('aria-label="Campaign"')
    for label in ("Agreement", "Adjudication", "Flags and skips", "Export", "Settings"):
        assert page.index(f">{label}</a>", nav) < page.index('id="campaign-progress"')
    assert page.index('id="campaign-progress"') < page.index('id="campaign-members"')
    fold = page.index('<details class="card fold" id="campaign-guidelines-fold">')
    assert page.index('id="campaign-members"') < fold < page.index('id="campaign-guidelines"')
