"""assignment_skip and assignment_flag."""

import pytest
from django.core.exceptions import ValidationError

from annotate.models import Assignment, Membership
from ratings.queue import assignment_flag, assignment_next, assignment_skip
from ratings.services import rating_submit
from tests.factories import CampaignFactory, MembershipFactory, UserFactory


@pytest.fixture
def leased(db) -> Assignment:
    campaign = CampaignFactory(with_items=2, overlap=1)
    rater = UserFactory(username="skipper")
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    return assignment_next(campaign=campaign, rater=rater)


def test_skip_records_the_reason(leased: Assignment) -> None:
    assignment_skip(assignment=leased, reason="  not my language ")
    leased.refresh_from_db()
    assert (leased.status, leased.skip_reason) == (Assignment.Status.SKIPPED, "not my language")


def test_skipped_item_goes_to_another_rater(leased: Assignment) -> None:
    campaign = leased.campaign_item.campaign
    assignment_skip(assignment=leased, reason="")
    nxt = assignment_next(campaign=campaign, rater=leased.rater)
    rating_submit(assignment=nxt, values={"helpful": 3})
    other = UserFactory(username="other")
    MembershipFactory(campaign=campaign, user=other, role=Membership.Role.RATER)
    assert assignment_next(campaign=campaign, rater=other).campaign_item_id == leased.campaign_item_id


def test_skip_after_submit_is_refused(leased: Assignment) -> None:
    rating_submit(assignment=leased, values={"helpful": 3})
    leased.refresh_from_db()
    with pytest.raises(ValidationError, match="already submitted"):
        assignment_skip(assignment=leased, reason="")


@pytest.mark.parametrize("flag", ["broken", "unsafe", "needs_expert"])
def test_flag_records_choice_and_note_and_moves_on(leased: Assignment, flag: str) -> None:
    assignment_flag(assignment=leased, flag=flag, note=" half the text is missing ")
    leased.refresh_from_db()
    assert (leased.flag, leased.flag_note, leased.status) == (flag, "half the text is missing", "skipped")


def test_unknown_flag_is_rejected(leased: Assignment) -> None:
    with pytest.raises(ValidationError) as exc:
        assignment_flag(assignment=leased, flag="boring", note="")
    assert exc.value.message_dict == {"flag": ["flag: 'boring' is not one of broken, unsafe, needs_expert"]}


def test_flag_on_a_submitted_item_keeps_the_rating(leased: Assignment) -> None:
    rating_submit(assignment=leased, values={"helpful": 3})
    leased.refresh_from_db()
    assignment_flag(assignment=leased, flag="unsafe", note="")
    leased.refresh_from_db()
    assert (leased.status, leased.flag) == (Assignment.Status.SUBMITTED, "unsafe")
