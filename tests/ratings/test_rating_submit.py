"""rating_submit and values_from_post: every criterion type's checks, late submits, double submits."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from annotate.criteria import values_from_post, values_validate
from annotate.models import Assignment, Campaign, Membership
from ratings.models import Rating
from ratings.queue import assignment_next
from ratings.services import rating_submit
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, RubricVersionFactory, UserFactory

CRITERIA = [
    {
        "key": "helpful",
        "type": "likert",
        "label": "Helpfulness",
        "help": "",
        "required": True,
        "level": "ordinal",
        "options": [{"value": v, "label": str(v), "key": str(v)} for v in range(1, 6)],
    },
    {
        "key": "topic",
        "type": "categorical",
        "label": "Topic",
        "help": "",
        "required": True,
        "level": "nominal",
        "options": [
            {"value": "code", "label": "Code", "key": "1"},
            {"value": "maths", "label": "Maths", "key": "2"},
        ],
    },
    {
        "key": "safe",
        "type": "binary",
        "label": "Safe",
        "help": "",
        "required": True,
        "level": "nominal",
        "options": [{"value": True, "label": "Yes", "key": "y"}, {"value": False, "label": "No", "key": "n"}],
    },
    {
        "key": "issues",
        "type": "multi_label",
        "label": "Issues",
        "help": "",
        "required": True,
        "level": "nominal",
        "options": [
            {"value": "typo", "label": "Typo", "key": "1"},
            {"value": "wrong", "label": "Wrong", "key": "2"},
            {"value": "rude", "label": "Rude", "key": "3"},
        ],
        "min_selected": 0,
        "max_selected": 2,
    },
    {
        "key": "score",
        "type": "numeric",
        "label": "Score",
        "help": "",
        "required": True,
        "level": "interval",
        "min": 0,
        "max": 10,
        "step": 0.5,
        "unit": "",
    },
    {
        "key": "preference",
        "type": "pairwise",
        "label": "Preference",
        "help": "",
        "required": False,
        "level": "ordinal",
        "fields": ["response_a", "response_b"],
        "strength": 2,
        "options": [
            {"value": -2, "label": "A much better", "key": "1"},
            {"value": -1, "label": "A slightly better", "key": "2"},
            {"value": 0, "label": "Tie", "key": "3"},
            {"value": 1, "label": "B slightly better", "key": "4"},
            {"value": 2, "label": "B much better", "key": "5"},
        ],
    },
    {
        "key": "why",
        "type": "free_text",
        "label": "Rationale",
        "help": "",
        "required": False,
        "level": "none",
        "max_length": 20,
        "placeholder": "",
    },
]
VALID = {"helpful": 4, "topic": "code", "safe": True, "issues": ["typo"], "score": 7.5, "preference": -1, "why": "ok"}


def _errors(values: dict) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        values_validate(CRITERIA, values)
    return exc.value.message_dict


def test_valid_answers_pass_unchanged() -> None:
    assert values_validate(CRITERIA, VALID) == VALID


def test_missing_required_answer_names_the_criterion() -> None:
    errors = _errors({k: v for k, v in VALID.items() if k != "topic"})
    assert errors == {"topic": ["Topic: an answer is required"]}


def test_optional_answers_may_be_left_out() -> None:
    values = {k: v for k, v in VALID.items() if k not in ("why", "preference")}
    assert values_validate(CRITERIA, values) == values


def test_unknown_criterion_is_rejected() -> None:
    assert "length" in _errors({**VALID, "length": 3})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("helpful", 7, "Helpfulness: 7 is not one of 1, 2, 3, 4, 5"),
        ("helpful", "4", "Helpfulness: '4' is not one of 1, 2, 3, 4, 5"),
        ("helpful", True, "Helpfulness: True is not one of 1, 2, 3, 4, 5"),
        ("topic", "poetry", "Topic: 'poetry' is not one of 'code', 'maths'"),
        ("safe", "yes", "Safe: 'yes' is not yes or no (true or false)"),
        ("safe", 1, "Safe: 1 is not yes or no (true or false)"),
        ("issues", "typo", "Issues: 'typo' is not a list of labels"),
        ("issues", ["typo", "spam"], "Issues: 'spam' is not one of 'typo', 'wrong', 'rude'"),
        ("issues", ["typo", "wrong", "rude"], "Issues: choose at most 2 labels, got 3"),
        ("issues", ["typo", "typo"], "Issues: ['typo', 'typo'] lists a label more than once"),
        ("score", 11, "Score: 11 is outside 0–10"),
        ("score", -1, "Score: -1 is outside 0–10"),
        ("score", 7.3, "Score: 7.3 is not on a step of 0.5 from 0"),
        ("score", "high", "Score: 'high' is not a number"),
        ("score", float("nan"), "Score: nan is not a number"),
        ("preference", 3, "Preference: 3 is not one of -2, -1, 0, 1, 2"),
        ("preference", "A", "Preference: 'A' is not one of -2, -1, 0, 1, 2"),
        ("why", "x" * 21, "Rationale: at most 20 characters, got 21"),
        ("why", 5, "Rationale: 5 is not text"),
    ],
)
def test_each_bad_answer_names_criterion_and_value(key: str, value: object, message: str) -> None:
    assert _errors({**VALID, key: value}) == {key: [message]}


def test_multi_label_min_selected() -> None:
    criteria = [dict(CRITERIA[3], min_selected=1)]
    with pytest.raises(ValidationError) as exc:
        values_validate(criteria, {"issues": []})
    assert exc.value.message_dict == {"issues": ["Issues: choose at least 1 labels, got 0"]}


def test_values_from_post_parses_each_type() -> None:
    post = QueryDict(mutable=True)
    post.update({"c-helpful": "4", "c-topic": "code", "c-safe": "false", "c-score": "7.5", "c-preference": "-1"})
    post.setlist("c-issues", ["typo", "rude"])
    post["c-why"] = "  fine  "
    assert values_from_post(CRITERIA, post) == {
        "helpful": 4,
        "topic": "code",
        "safe": False,
        "issues": ["typo", "rude"],
        "score": 7.5,
        "preference": -1,
        "why": "fine",
    }


def test_values_from_post_leaves_blanks_out_and_keeps_bad_input_for_the_message() -> None:
    post = QueryDict("c-helpful=&c-score=lots&c-safe=maybe")
    values = values_from_post(CRITERIA, post)
    assert values == {"score": "lots", "safe": "maybe", "issues": []}
    errors = _errors(values)
    assert errors["helpful"] == ["Helpfulness: an answer is required"]
    assert errors["score"] == ["Score: 'lots' is not a number"]


def _leased(campaign: Campaign, username: str = "rater") -> tuple[User, Assignment]:
    rater = UserFactory(username=username)
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    return rater, assignment_next(campaign=campaign, rater=rater)


@pytest.mark.django_db
def test_submit_stores_rating_and_closes_assignment() -> None:
    campaign = CampaignFactory(with_items=2, rubric_version=RubricVersionFactory(criteria=CRITERIA))
    rater, assignment = _leased(campaign)
    Assignment.objects.filter(pk=assignment.pk).update(presentation={"left": "a"})
    assignment.refresh_from_db()
    rating = rating_submit(assignment=assignment, values=VALID, comment=" thanks ", seconds_spent=12.5)
    assert rating.values == VALID
    assert (rating.rater, rating.comment, rating.seconds_spent) == (rater, "thanks", 12.5)
    assert rating.rubric_version == campaign.rubric_version
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.SUBMITTED
    assert assignment.submitted_at is not None


@pytest.mark.django_db
def test_graded_pairwise_is_negated_when_sides_were_swapped() -> None:
    campaign = CampaignFactory(with_items=1, rubric_version=RubricVersionFactory(criteria=CRITERIA))
    _, assignment = _leased(campaign)
    Assignment.objects.filter(pk=assignment.pk).update(presentation={"left": "b"})
    assignment.refresh_from_db()
    rating = rating_submit(assignment=assignment, values=VALID)
    assert rating.values["preference"] == 1
    assert rating.presentation == {"left": "b"}


@pytest.mark.django_db
def test_invalid_submit_stores_nothing() -> None:
    campaign = CampaignFactory(with_items=1)
    _, assignment = _leased(campaign)
    with pytest.raises(ValidationError) as exc:
        rating_submit(assignment=assignment, values={"helpful": 9})
    assert exc.value.message_dict == {"helpful": ["Helpfulness: 9 is not one of 1, 2, 3, 4, 5"]}
    assert not Rating.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.LEASED


@pytest.mark.django_db
def test_double_submit_is_refused() -> None:
    campaign = CampaignFactory(with_items=1)
    _, assignment = _leased(campaign)
    rating_submit(assignment=assignment, values={"helpful": 2})
    with pytest.raises(ValidationError, match="already submitted"):
        rating_submit(assignment=assignment, values={"helpful": 3})
    assert Rating.objects.count() == 1


@pytest.mark.django_db
def test_late_submit_is_accepted_while_a_slot_is_free() -> None:
    campaign = CampaignFactory(with_items=1, overlap=2, lease_minutes=5)
    _, assignment = _leased(campaign)
    later = timezone.now() + timedelta(minutes=30)
    assert rating_submit(assignment=assignment, values={"helpful": 5}, now=later).values == {"helpful": 5}


@pytest.mark.django_db
def test_late_submit_is_refused_once_the_item_reached_k() -> None:
    campaign = CampaignFactory(with_items=1, overlap=1, lease_minutes=5)
    _, slow = _leased(campaign, "slow")
    later = timezone.now() + timedelta(minutes=30)
    fast = UserFactory(username="fast")
    MembershipFactory(campaign=campaign, user=fast, role=Membership.Role.RATER)
    taken = assignment_next(campaign=campaign, rater=fast, now=later)
    rating_submit(assignment=taken, values={"helpful": 1}, now=later)
    with pytest.raises(ValidationError, match="lease on this item expired"):
        rating_submit(assignment=slow, values={"helpful": 5}, now=later)
    assert Rating.objects.count() == 1


@pytest.mark.django_db
def test_submit_refused_when_imported_ratings_filled_the_item() -> None:
    campaign = CampaignFactory(with_items=1, overlap=1)
    _, assignment = _leased(campaign)
    RatingFactory(campaign_item=assignment.campaign_item, rater=UserFactory(username="imported"))
    with pytest.raises(ValidationError, match="other raters"):
        rating_submit(assignment=assignment, values={"helpful": 5})


@pytest.mark.django_db
def test_submit_refused_when_campaign_paused() -> None:
    campaign = CampaignFactory(with_items=1)
    _, assignment = _leased(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    with pytest.raises(ValidationError, match="paused"):
        rating_submit(assignment=assignment, values={"helpful": 5})
