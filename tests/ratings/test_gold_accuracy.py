"""Gold accuracy per rater: exact matches, numeric within half a step, multi-label as sets; owners only."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, Membership
from annotate.rubrics import validate_criteria
from ratings.gold import campaign_items_mark_gold
from ratings.progress import gold_score, gold_value_matches, rater_stats
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

CRITERIA = validate_criteria(
    [
        {"key": "helpful", "type": "likert", "scale": {"min": 1, "max": 5}},
        {"key": "score", "type": "numeric", "min": 0, "max": 10, "step": 0.5},
        {"key": "issues", "type": "multi_label", "options": ["wrong", "rude", "long"]},
        {"key": "safe", "type": "binary"},
        {"key": "topic", "type": "categorical", "options": ["code", "math"]},
        {"key": "why", "type": "free_text"},
    ]
)
BY_KEY = {c["key"]: c for c in CRITERIA}


@pytest.mark.parametrize(
    ("key", "expected", "given", "match"),
    [
        ("helpful", 4, 4, True),
        ("helpful", 4, 5, False),
        ("score", 5.0, 5.25, True),  # exactly half a step away
        ("score", 5.0, 4.75, True),
        ("score", 5.0, 5.5, False),
        ("score", 5, 5.0, True),
        ("issues", ["wrong", "rude"], ["rude", "wrong"], True),
        ("issues", ["wrong", "rude"], ["wrong"], False),
        ("issues", [], [], True),
        ("safe", True, True, True),
        ("safe", True, 1, False),
        ("topic", "code", "math", False),
        ("topic", "code", None, False),
    ],
)
def test_gold_value_matches(key: str, expected: object, given: object, match: bool) -> None:
    assert gold_value_matches(BY_KEY[key], expected, given) is match


def test_gold_score_ignores_free_text_and_unknown_keys() -> None:
    expected = {"helpful": 3, "why": "x", "gone": 1, "topic": "code"}
    assert gold_score(CRITERIA, expected, {"helpful": 3}) == (2, 1)
    assert gold_score(CRITERIA, None, {"helpful": 3}) == (0, 0)


@pytest.fixture
def scored(curator: User) -> Campaign:
    """Three gold items and one ordinary item, rated by ann, ben and a repeat; cat has rated nothing."""
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=CRITERIA), with_items=4, owner=curator)
    g1, g2, g3, plain = campaign.items.order_by("order_key").select_related("item")
    answers = {
        g1.item.external_id: {"helpful": 4, "score": 5.0},
        g2.item.external_id: {"issues": ["wrong", "rude"], "safe": True},
        g3.item.external_id: {"topic": "code"},
    }
    campaign_items_mark_gold(campaign=campaign, external_ids=list(answers), answers=answers)
    ann, ben, cat = (UserFactory(username=name) for name in ("ann", "ben", "cat"))
    for user in (ann, ben, cat):
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
    rate = RatingFactory
    rate(campaign_item=g1, rater=ann, values={"helpful": 4, "score": 5.25}, seconds_spent=10)  # 2 of 2
    rate(campaign_item=g2, rater=ann, values={"issues": ["rude", "wrong"], "safe": False}, seconds_spent=30)  # 1 of 2
    rate(campaign_item=plain, rater=ann, values={"helpful": 1}, seconds_spent=20)
    rate(campaign_item=plain, rater=ann, values={"helpful": 2}, is_repeat=True, seconds_spent=40)
    rate(campaign_item=g1, rater=ben, values={"helpful": 5}, seconds_spent=8)  # 0 of 2: score missing counts as wrong
    rate(campaign_item=g3, rater=ben, values={"topic": "code"})  # 1 of 1
    return campaign


def test_accuracy_per_rater_on_hand_made_ratings(scored: Campaign) -> None:
    stats = {s.username: s for s in rater_stats(scored)}
    ann, ben, cat = stats["ann"], stats["ben"], stats["cat"]
    assert (ann.n_ratings, ann.n_repeats, ann.n_gold, ann.gold_answers, ann.gold_correct) == (4, 1, 2, 4, 3)
    assert ann.gold_accuracy == pytest.approx(75.0)
    assert (ben.n_ratings, ben.n_gold, ben.gold_answers, ben.gold_correct) == (2, 2, 3, 1)
    assert ben.gold_accuracy == pytest.approx(100 / 3)
    assert (cat.n_ratings, cat.n_gold, cat.gold_answers, cat.gold_accuracy) == (0, 0, 0, None)


def test_readers_get_no_gold_figures(scored: Campaign) -> None:
    for stat in rater_stats(scored, include_gold=False):
        assert (stat.n_gold, stat.gold_answers, stat.gold_correct, stat.gold_accuracy) == (None, None, None, None)


def _page(user: User, campaign: Campaign) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()


def test_owner_sees_gold_accuracy_and_what_it_rests_on(scored: Campaign, curator: User) -> None:
    page = _page(curator, scored)
    assert "Gold accuracy" in page
    assert '75% <span class="muted small">(on 4 gold answers)</span>' in page
    assert '33% <span class="muted small">(on 3 gold answers)</span>' in page


@pytest.mark.parametrize("role", [Membership.Role.VIEWER, Membership.Role.ADJUDICATOR])
def test_readers_do_not_see_gold_accuracy(scored: Campaign, role: str) -> None:
    reader = UserFactory(username=f"reader-{role}")
    MembershipFactory(campaign=scored, user=reader, role=role)
    page = _page(reader, scored)
    assert "Gold accuracy" not in page and "gold answers" not in page


def test_raters_never_see_gold_status_or_accuracy(scored: Campaign) -> None:
    ann = User.objects.get(username="ann")
    page = _page(ann, scored)
    assert "gold" not in page.lower() and "accuracy" not in page.lower()
    client = Client()
    client.force_login(ann)
    mine = client.get(reverse("ratings:my-ratings", args=[scored.slug])).content.decode()
    assert "gold" not in mine.lower()
