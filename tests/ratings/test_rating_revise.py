"""rating_revise keeps every earlier version; closed campaigns freeze ratings."""

import pytest
from django.core.exceptions import ValidationError

from annotate.models import Campaign, Membership
from ratings.models import Rating
from ratings.queue import assignment_next
from ratings.services import rating_revise, rating_submit
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, RubricVersionFactory, UserFactory
from tests.ratings.test_assignment_next import PAIRWISE


@pytest.fixture
def rating(db) -> Rating:
    campaign = CampaignFactory(with_items=1)
    rater = UserFactory(username="reviser")
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    assignment = assignment_next(campaign=campaign, rater=rater)
    return rating_submit(assignment=assignment, values={"helpful": 2}, comment="first", seconds_spent=10)


def test_revise_keeps_every_revision(rating: Rating) -> None:
    rating_revise(rating=rating, values={"helpful": 3}, comment="second", seconds_spent=5)
    rating_revise(rating=rating, values={"helpful": 5}, comment="third", seconds_spent=4)
    rating.refresh_from_db()
    assert (rating.values, rating.comment, rating.seconds_spent) == ({"helpful": 5}, "third", 4)
    revisions = list(rating.revisions.order_by("number").values_list("number", "values", "comment", "seconds_spent"))
    assert revisions == [(1, {"helpful": 2}, "first", 10), (2, {"helpful": 3}, "second", 5)]


def test_first_revision_is_the_original_with_its_time(rating: Rating) -> None:
    created = rating.created_at
    rating_revise(rating=rating, values={"helpful": 1})
    assert rating.revisions.get().recorded_at == created


def test_invalid_revision_changes_nothing(rating: Rating) -> None:
    with pytest.raises(ValidationError) as exc:
        rating_revise(rating=rating, values={"helpful": 0})
    assert exc.value.message_dict == {"helpful": ["Helpfulness: 0 is not one of 1, 2, 3, 4, 5"]}
    rating.refresh_from_db()
    assert rating.values == {"helpful": 2}
    assert not rating.revisions.exists()


def test_revise_allowed_while_paused(rating: Rating) -> None:
    Campaign.objects.update(status=Campaign.Status.PAUSED)
    assert rating_revise(rating=rating, values={"helpful": 4}).values == {"helpful": 4}


def test_revise_refused_once_closed(rating: Rating) -> None:
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        rating_revise(rating=rating, values={"helpful": 4})
    assert not rating.revisions.exists()


@pytest.mark.django_db
def test_pairwise_revision_maps_screen_labels_back() -> None:
    campaign = CampaignFactory(with_items=1, rubric_version=RubricVersionFactory(criteria=[PAIRWISE]))
    rating = RatingFactory(campaign_item=campaign.items.get(), values={"preference": "A"}, presentation={"left": "b"})
    rating_revise(rating=rating, values={"preference": "tie"})
    rating_revise(rating=rating, values={"preference": "B"})
    rating.refresh_from_db()
    assert rating.values == {"preference": "A"}
    assert [r.values for r in rating.revisions.order_by("number")] == [{"preference": "A"}, {"preference": "tie"}]
