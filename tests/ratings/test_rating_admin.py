"""Staff correct a rating in the admin under the rating page's checks, and every earlier version is kept."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign
from ratings.models import Rating, RatingRevision
from ratings.services import MAX_COMMENT_LENGTH
from tests.factories import CampaignFactory, CampaignItemFactory, RatingFactory, RatingRevisionFactory
from tests.ratings.test_assignment_next import PAIRWISE

pytestmark = pytest.mark.django_db


@pytest.fixture
def rating() -> Rating:
    return RatingFactory(values={"helpful": 4}, comment="as given")


def _change(client: Client, rating: Rating, values: str, comment: str = "") -> tuple[int, str]:
    url = reverse("admin:ratings_rating_change", args=[rating.pk])
    response = client.post(url, {"values": values, "comment": comment})
    return response.status_code, html.unescape(response.content.decode())


def test_bogus_values_are_refused_with_the_rating_pages_messages(client, staff, rating):
    status, page = _change(client, rating, '{"helpful": 99, "bogus": "x"}')
    assert status == 200
    assert "Helpfulness: 99 is not one of 1, 2, 3, 4, 5" in page
    assert "bogus: not a criterion of this rubric (expected helpful)" in page
    rating.refresh_from_db()
    assert (rating.values, rating.comment) == ({"helpful": 4}, "as given")
    assert not rating.revisions.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("{not json", "Enter a valid JSON."),
        ("[4]", "values: must be a mapping from criterion key to answer"),
        ("", "values: must be a mapping from criterion key to answer"),
        ("{}", "Helpfulness: an answer is required"),
        ('{"helpful": true}', "Helpfulness: True is not one of 1, 2, 3, 4, 5"),
        ('{"helpful": NaN}', "Helpfulness: nan is not one of 1, 2, 3, 4, 5"),
    ],
)
def test_malformed_values_are_form_errors_not_crashes(client, staff, rating, values, message):
    status, page = _change(client, rating, values)
    assert status == 200 and message in page
    rating.refresh_from_db()
    assert rating.values == {"helpful": 4} and not rating.revisions.exists()


def test_a_comment_longer_than_the_rating_page_allows_is_refused(client, staff, rating):
    status, page = _change(client, rating, '{"helpful": 5}', comment="x" * (MAX_COMMENT_LENGTH + 1))
    assert status == 200 and f"comment: at most {MAX_COMMENT_LENGTH} characters" in page
    rating.refresh_from_db()
    assert rating.values == {"helpful": 4}


def test_a_correction_keeps_the_previous_version_as_a_revision(client, staff, rating):
    status, _ = _change(client, rating, '{"helpful": 5}', comment="  corrected  ")
    assert status == 302
    rating.refresh_from_db()
    assert (rating.values, rating.comment) == ({"helpful": 5}, "corrected")
    revision = rating.revisions.get()
    assert (revision.number, revision.values, revision.comment) == (1, {"helpful": 4}, "as given")
    assert revision.recorded_at == rating.created_at


def test_a_second_correction_numbers_its_revision_after_the_first(client, staff, rating):
    _change(client, rating, '{"helpful": 5}')
    _change(client, rating, '{"helpful": 1}')
    assert list(rating.revisions.order_by("number").values_list("number", "values")) == [
        (1, {"helpful": 4}),
        (2, {"helpful": 5}),
    ]


def test_saving_without_a_change_records_no_revision(client, staff, rating):
    status, _ = _change(client, rating, '{"helpful": 4}', comment="as given")
    assert status == 302 and not rating.revisions.exists()


def test_a_closed_or_archived_campaigns_rating_can_still_be_corrected_by_staff(client, staff, rating):
    for status in (Campaign.Status.CLOSED, Campaign.Status.ARCHIVED):
        Campaign.objects.filter(pk=rating.campaign_id).update(status=status)
        assert _change(client, rating, f'{{"helpful": {2 if status == "closed" else 3}}}')[0] == 302
    rating.refresh_from_db()
    assert rating.values == {"helpful": 3} and rating.revisions.count() == 2


def test_pairwise_answers_are_edited_as_stored_not_as_the_rater_saw_them(client, staff):
    campaign = CampaignFactory(rubric_version__criteria=[PAIRWISE])
    rating = RatingFactory(
        campaign_item=CampaignItemFactory(campaign=campaign), values={"preference": "A"}, presentation={"left": "b"}
    )
    assert _change(client, rating, '{"preference": "B"}')[0] == 302
    rating.refresh_from_db()
    assert rating.values == {"preference": "B"}


def test_the_change_page_shows_values_and_revisions_as_json(client, staff, rating):
    RatingRevisionFactory(rating=rating, number=1, values={"helpful": 2}, comment="first try")
    page = html.unescape(client.get(reverse("admin:ratings_rating_change", args=[rating.pk])).content.decode())
    assert '{"helpful": 4}' in page and '{"helpful": 2}' in page and "first try" in page


def test_ratings_cannot_be_added_or_deleted_in_the_admin(client, staff, rating):
    assert client.get(reverse("admin:ratings_rating_add")).status_code == 403
    assert client.post(reverse("admin:ratings_rating_delete", args=[rating.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:ratings_rating_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "delete_selected", "_selected_action": [rating.pk], "post": "yes"})
    assert Rating.objects.filter(pk=rating.pk).exists()


def test_revisions_are_read_only_in_the_admin(client, staff, rating):
    revision = RatingRevisionFactory(rating=rating, number=1, values={"helpful": 2})
    url = reverse("admin:ratings_ratingrevision_change", args=[revision.pk])
    page = html.unescape(client.get(url).content.decode())
    assert '{"helpful": 2}' in page and 'name="values"' not in page
    assert client.post(url, {"values": '{"helpful": 5}', "number": 1}).status_code == 403
    assert client.get(reverse("admin:ratings_ratingrevision_add")).status_code == 403
    delete = reverse("admin:ratings_ratingrevision_delete", args=[revision.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert RatingRevision.objects.get(pk=revision.pk).values == {"helpful": 2}
