"""The rating pages: who may open them, page vs fragment, what a rater can and cannot see."""

import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotate.models import Assignment, Campaign, Membership
from ratings.models import Rating
from ratings.queue import assignment_next
from ratings.services import rating_submit
from tests.factories import CampaignFactory, ItemFactory, MembershipFactory, RatingFactory, RubricVersionFactory
from tests.ratings.test_assignment_next import PAIRWISE

HX = {"HTTP_HX_REQUEST": "true"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, campaign: Campaign, **kwargs: object) -> str:
    return reverse(f"ratings:{name}", kwargs={"slug": campaign.slug, **kwargs})


def _current(campaign: Campaign, user: User) -> Assignment:
    return Assignment.objects.get(campaign_item__campaign=campaign, rater=user, status=Assignment.Status.LEASED)


@pytest.mark.django_db
def test_rate_page_is_a_full_page_with_the_item(campaign: Campaign, rater: User) -> None:
    response = _client(rater).get(_url("rate", campaign))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="rate-panel"' in html and 'id="rate-form"' in html
    item = _current(campaign, rater).campaign_item.item
    assert item.content["prompt"] in html
    assert 'src="/static/js/rate.js"' in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_rate_with_htmx_returns_only_the_panel(campaign: Campaign, rater: User) -> None:
    response = _client(rater).get(_url("rate", campaign), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="rate-panel"')
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_page_has_no_inline_scripts_or_styles(campaign: Campaign, rater: User) -> None:
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html and "hx-on" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["rate", "my-ratings", "rate-back"])
def test_outsider_viewer_owner_and_adjudicator_get_404(
    campaign: Campaign, outsider: User, viewer: User, owner: User, adjudicator: User, name: str
) -> None:
    for user in (outsider, viewer, owner, adjudicator):
        assert _client(user).get(_url(name, campaign)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["rate-submit", "rate-skip", "rate-flag"])
def test_outsider_cannot_post(campaign: Campaign, outsider: User, viewer: User, name: str) -> None:
    for user in (outsider, viewer):
        assert _client(user).post(_url(name, campaign), {"assignment": "1"}).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(campaign: Campaign) -> None:
    response = Client().get(_url("rate", campaign))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_submit_returns_the_next_item_fragment(campaign: Campaign, rater: User) -> None:
    client = _client(rater)
    client.get(_url("rate", campaign))
    first = _current(campaign, rater)
    response = client.post(_url("rate-submit", campaign), {"assignment": first.pk, "c-helpful": "4"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert Rating.objects.get(rater=rater).values == {"helpful": 4}
    second = _current(campaign, rater)
    assert second.pk != first.pk
    assert f'name="assignment" value="{second.pk}"' in html
    assert "Saved." in html


@pytest.mark.django_db
def test_submit_without_htmx_redirects_back_to_the_page(campaign: Campaign, rater: User) -> None:
    client = _client(rater)
    client.get(_url("rate", campaign))
    response = client.post(
        _url("rate-submit", campaign), {"assignment": _current(campaign, rater).pk, "c-helpful": "2"}
    )
    assert response.status_code == 302 and response["Location"] == _url("rate", campaign)


@pytest.mark.django_db
def test_missing_answer_rerenders_the_panel_with_an_inline_error(campaign: Campaign, rater: User) -> None:
    client = _client(rater)
    client.get(_url("rate", campaign))
    assignment = _current(campaign, rater)
    response = client.post(_url("rate-submit", campaign), {"assignment": assignment.pk, "comment": "kept"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Helpfulness: an answer is required" in html
    assert f'name="assignment" value="{assignment.pk}"' in html
    assert ">kept</textarea>" in html
    assert not Rating.objects.exists()


# An answer ticked in the rating form.
CHOSEN = re.compile(r'<input type="radio" name="c-[^"]*"[^>]* checked')


@pytest.mark.django_db
def test_answers_and_errors_shown_to_one_rater_never_reach_the_next_blank_form(
    campaign: Campaign, rater: User, other_rater: User
) -> None:
    client = _client(rater)
    client.get(_url("rate", campaign))
    # An answer with a comment too long comes back with the error, the answer ticked and the comment kept.
    posted = {"assignment": _current(campaign, rater).pk, "c-helpful": "4", "comment": "zebra " * 3000}
    rejected = client.post(_url("rate-submit", campaign), posted, **HX).content.decode()
    assert "comment: at most" in rejected and "zebra zebra" in rejected and CHOSEN.search(rejected)
    blank = _client(other_rater).get(_url("rate", campaign)).content.decode()
    assert "comment: at most" not in blank and "zebra" not in blank and not CHOSEN.search(blank)
    assert blank.count('type="radio" name="c-helpful"') == 5
    again = client.post(_url("rate-submit", campaign), {**posted, "comment": "zebra"}, **HX).content.decode()
    assert "Saved." in again and not CHOSEN.search(again) and "comment: at most" not in again


@pytest.mark.django_db
def test_posting_another_raters_assignment_is_404(campaign: Campaign, rater: User, other_rater: User) -> None:
    theirs = assignment_next(campaign=campaign, rater=other_rater)
    response = _client(rater).post(_url("rate-submit", campaign), {"assignment": theirs.pk, "c-helpful": "1"}, **HX)
    assert response.status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_posting_my_assignment_from_another_campaign_is_404(campaign: Campaign, rater: User) -> None:
    elsewhere = CampaignFactory(with_items=2)
    MembershipFactory(campaign=elsewhere, user=rater, role=Membership.Role.RATER)
    mine_elsewhere = assignment_next(campaign=elsewhere, rater=rater)
    client = _client(rater)
    for action in ("rate-submit", "rate-skip", "rate-flag"):
        data = {"assignment": mine_elsewhere.pk, "c-helpful": "1", "flag": "unsafe"}
        assert client.post(_url(action, campaign), data, **HX).status_code == 404
    assert not Rating.objects.exists()
    mine_elsewhere.refresh_from_db()
    assert mine_elsewhere.status == Assignment.Status.LEASED


@pytest.mark.django_db
@pytest.mark.parametrize("posted", ["99999999999999999999", "9223372036854775808", "-1", "1e3", ""])
def test_posting_a_malformed_or_huge_assignment_id_is_404(campaign: Campaign, rater: User, posted: str) -> None:
    client = _client(rater)
    client.get(_url("rate", campaign))
    for action in ("rate-submit", "rate-skip", "rate-flag"):
        data = {"assignment": posted, "c-helpful": "1", "flag": "unsafe"}
        assert client.post(_url(action, campaign), data, **HX).status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_skip_and_flag_move_on(campaign: Campaign, rater: User) -> None:
    client = _client(rater)
    client.get(_url("rate", campaign))
    first = _current(campaign, rater)
    response = client.post(_url("rate-skip", campaign), {"assignment": first.pk, "reason": "unclear"}, **HX)
    assert response.status_code == 200 and "Skipped." in response.content.decode()
    second = _current(campaign, rater)
    response = client.post(_url("rate-flag", campaign), {"assignment": second.pk, "flag": "unsafe", "note": "n"}, **HX)
    assert response.status_code == 200 and "Flagged" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.skip_reason) == ("skipped", "unclear")
    assert (second.status, second.flag, second.flag_note) == ("skipped", "unsafe", "n")


@pytest.mark.django_db
def test_inactive_campaign_shows_why(campaign: Campaign, rater: User) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert "This campaign is paused" in html
    assert 'id="rate-form"' not in html


@pytest.mark.django_db
def test_finished_rater_is_told_there_is_nothing_left(campaign: Campaign, rater: User) -> None:
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        rating_submit(assignment=assignment, values={"helpful": 3})
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert "no more items for you" in html
    assert 'value="5"' in html  # my progress: 5 done


@pytest.mark.django_db
def test_hidden_fields_never_reach_the_page(rater: User, campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(visible_fields=["prompt"])
    for ci in campaign.items.all():
        ci.item.content = {"prompt": "Visible prompt", "response": "SECRET-RESPONSE"}
        ci.item.metadata = {"model": "SECRET-MODEL"}
        ci.item.save()
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert "Visible prompt" in html
    assert "SECRET-RESPONSE" not in html and "SECRET-MODEL" not in html


@pytest.mark.django_db
def test_empty_visible_fields_show_content_but_no_metadata(rater: User, campaign: Campaign) -> None:
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert "An answer." in html
    assert "atlas-7b" not in html


@pytest.mark.django_db
def test_visible_metadata_is_shown(rater: User, campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(visible_fields=["prompt", "model"])
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert "atlas-7b" in html
    assert "An answer." not in html


@pytest.mark.django_db
def test_rater_never_sees_other_raters_labels(campaign: Campaign, rater: User, other_rater: User) -> None:
    for ci in campaign.items.all():
        RatingFactory(campaign_item=ci, rater=other_rater, values={"helpful": 1}, comment="OTHER-RATER-COMMENT")
    client = _client(rater)
    pages = [_url("rate", campaign), _url("my-ratings", campaign)]
    client.get(pages[0])
    rating = rating_submit(assignment=_current(campaign, rater), values={"helpful": 5}, comment="MY-COMMENT")
    pages.append(_url("rating-revise", campaign, rating_pk=rating.pk))
    for page in pages:
        html = client.get(page).content.decode()
        assert "OTHER-RATER-COMMENT" not in html and "other_rater" not in html
    assert "MY-COMMENT" in client.get(_url("my-ratings", campaign)).content.decode()


@pytest.mark.django_db
def test_another_raters_rating_cannot_be_opened(campaign: Campaign, rater: User, other_rater: User) -> None:
    theirs = RatingFactory(campaign_item=campaign.items.first(), rater=other_rater)
    client = _client(rater)
    assert client.get(_url("rating-revise", campaign, rating_pk=theirs.pk)).status_code == 404
    assert client.post(_url("rating-revise", campaign, rating_pk=theirs.pk), {"c-helpful": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.values == {"helpful": 4}


@pytest.mark.django_db
def test_revise_page_saves_a_revision(campaign: Campaign, rater: User) -> None:
    rating = rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 2})
    client = _client(rater)
    url = _url("rating-revise", campaign, rating_pk=rating.pk)
    html = client.get(url).content.decode()
    assert re.search(r'value="2" data-key="2" checked', html)
    response = client.post(url, {"c-helpful": "5", "comment": "changed my mind"})
    assert response.status_code == 302 and response["Location"] == _url("my-ratings", campaign)
    rating.refresh_from_db()
    assert rating.values == {"helpful": 5}
    assert rating.revisions.get().values == {"helpful": 2}


@pytest.mark.django_db
def test_revise_page_shows_errors_inline(campaign: Campaign, rater: User) -> None:
    rating = rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 2})
    response = _client(rater).post(_url("rating-revise", campaign, rating_pk=rating.pk), {"c-helpful": "9"})
    assert response.status_code == 200
    assert "Helpfulness: 9 is not one of 1, 2, 3, 4, 5" in response.content.decode()


@pytest.mark.django_db
def test_closed_campaign_ratings_are_read_only(campaign: Campaign, rater: User) -> None:
    rating = rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 2})
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    client = _client(rater)
    url = _url("rating-revise", campaign, rating_pk=rating.pk)
    assert 'id="rate-form"' not in client.get(url).content.decode()
    response = client.post(url, {"c-helpful": "5"})
    assert "closed" in response.content.decode()
    assert not rating.revisions.exists()


@pytest.mark.django_db
def test_back_opens_my_latest_rating(campaign: Campaign, rater: User) -> None:
    client = _client(rater)
    response = client.get(_url("rate-back", campaign))
    assert response.status_code == 302 and response["Location"] == _url("rate", campaign)
    first = rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 2})
    second = rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 3})
    assert first.pk != second.pk
    response = client.get(_url("rate-back", campaign))
    # Saving the revision returns to the rating page.
    assert response["Location"] == _url("rating-revise", campaign, rating_pk=second.pk) + "?" + urlencode(
        {"next": _url("rate", campaign)}
    )


@pytest.mark.django_db
def test_my_ratings_lists_only_mine(campaign: Campaign, rater: User, other_rater: User) -> None:
    items = list(campaign.items.order_by("order_key"))
    mine = RatingFactory(campaign_item=items[0], rater=rater)
    theirs = RatingFactory(campaign_item=items[1], rater=other_rater)
    html = _client(rater).get(_url("my-ratings", campaign)).content.decode()
    assert _url("rating-revise", campaign, rating_pk=mine.pk) in html
    assert _url("rating-revise", campaign, rating_pk=theirs.pk) not in html
    assert items[1].item.external_id not in html


@pytest.mark.django_db
def test_pairwise_sides_follow_the_assignment_order(rater: User) -> None:
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=[PAIRWISE]), overlap=1)
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    item = ItemFactory(
        dataset=campaign.dataset, content={"prompt": "P", "response_a": "ORIG-A", "response_b": "ORIG-B"}
    )
    campaign.items.create(item=item, order_key=1)
    assignment = assignment_next(campaign=campaign, rater=rater)
    client = _client(rater)
    for left, first, second in (("b", "ORIG-B", "ORIG-A"), ("a", "ORIG-A", "ORIG-B")):
        Assignment.objects.filter(pk=assignment.pk).update(presentation={"left": left})
        html = client.get(_url("rate", campaign)).content.decode()
        assert html.index(first) < html.index(second)
        assert "response_a" not in html and "response_b" not in html
        assert '<h3 class="side-label">A</h3>' in html


@pytest.mark.django_db
def test_conversation_content_shows_turns(rater: User) -> None:
    campaign = CampaignFactory(overlap=1)
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    turns = [{"role": "user", "content": "Hello?"}, {"role": "assistant", "content": "<script>x</script>Hi"}]
    campaign.items.create(item=ItemFactory(dataset=campaign.dataset, content={"conversation": turns}), order_key=1)
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert html.count('<li class="turn') == 2
    assert "<script>x" not in html


@pytest.mark.django_db
def test_every_control_type_renders_with_its_keys(rater: User) -> None:
    from tests.ratings.test_rating_submit import CRITERIA

    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=CRITERIA), overlap=1)
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    content = {"prompt": "P", "response_a": "a", "response_b": "b"}
    campaign.items.create(item=ItemFactory(dataset=campaign.dataset, content=content), order_key=1)
    html = _client(rater).get(_url("rate", campaign)).content.decode()
    assert html.count('type="radio" name="c-helpful"') == 5
    assert 'type="radio" name="c-safe" value="true" data-key="y"' in html
    assert html.count('type="checkbox" name="c-issues"') == 3
    assert 'type="range" min="0" max="10" step="0.5"' in html
    assert 'type="number" id="num-score" name="c-score"' in html
    assert 'name="c-preference" value="-2" data-key="1"' in html
    assert '<textarea name="c-why"' in html and 'maxlength="20"' in html
    assert "<kbd>y</kbd>" in html
