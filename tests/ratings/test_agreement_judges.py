"""The agreement dashboard's "Machine judges": each machine rater held against the raters, with a plain verdict.

The verdict is the alternative annotator test of Calderon, Reichart and Dror (2025), "The Alternative Annotator
Test for LLM-as-a-Judge" (arXiv 2501.10970), as ratings.judges computes it: a judge that gives the raters'
majority label matches the remaining raters at least as well as any left-out rater and passes; a judge that
answers at random does not.
"""

import json
from collections import Counter

import numpy as np
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, CampaignItem, Membership
from annotate.rubrics import validate_criteria
from ratings.judge_report import campaign_judges, human_final_labels
from ratings.machine_ratings import machine_ratings_record
from ratings.models import Adjudication
from ratings.selectors import ratings_frame
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

N_ITEMS = 40


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _campaign(n_raters: int = 4, n_items: int = N_ITEMS) -> tuple[Campaign, dict[str, list[int]]]:
    """Raters who mostly give an item's true point on a 1-5 scale, one step off a fifth of the time."""
    owner = UserFactory(username="judge-owner")
    campaign = CampaignFactory(with_items=n_items, overlap=n_raters, owner=owner)
    rng = np.random.default_rng(7)
    truth = rng.integers(1, 6, size=n_items)
    items = list(CampaignItem.objects.filter(campaign=campaign).select_related("item").order_by("order_key"))
    labels = {}
    for r in range(n_raters):
        user = UserFactory(username=f"person{r}")
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        off = rng.random(n_items) < 0.2
        step = rng.choice([-1, 1], size=n_items)
        values = np.clip(np.where(off, truth + step, truth), 1, 5)
        labels[user.username] = [int(v) for v in values]
        for item, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=item, rater=user, values={"helpful": int(value)})
    return campaign, labels


def _majority(labels: dict[str, list[int]]) -> list[int]:
    columns = list(zip(*labels.values(), strict=True))
    return [Counter(col).most_common(1)[0][0] for col in columns]


def _judge(campaign: Campaign, name: str, values: list[int]) -> None:
    items = CampaignItem.objects.filter(campaign=campaign).select_related("item").order_by("order_key")
    labels = [{"item_id": ci.item.external_id, "values": {"helpful": v}} for ci, v in zip(items, values, strict=True)]
    machine_ratings_record(campaign=campaign, machine={"name": name, "model": "test-model"}, ratings=labels)


def _page(user, campaign: Campaign, **headers: str) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("ratings:agreement", args=[campaign.slug]), **headers)
    return response.status_code, response.content.decode()


@pytest.fixture
def judged() -> Campaign:
    campaign, labels = _campaign()
    _judge(campaign, "judge-majority", _majority(labels))
    _judge(campaign, "judge-random", [int(v) for v in np.random.default_rng(11).integers(1, 6, size=N_ITEMS)])
    return campaign


def test_a_judge_giving_the_majority_can_replace_a_rater_and_a_random_one_cannot(judged) -> None:
    sections = {
        s.machine: s for s in campaign_judges(judged, judged.rubric_version.typed_criteria, n_boot=200)["helpful"]
    }

    good, bad = sections["judge-majority"], sections["judge-random"]
    assert good.outcome == "passed"
    assert good.headline == "judge-majority can replace a rater on this criterion."
    assert bad.outcome == "failed"
    assert bad.headline == "judge-random cannot replace a rater on this criterion."
    assert good.alt_test.winning_rate >= 0.5 > bad.alt_test.winning_rate
    # Beside each rater: the judge's agreement with them, and theirs with the other raters.
    assert [row.rater for row in good.with_each_rater] == ["person0", "person1", "person2", "person3"]
    assert all(row.judge.value > 0.8 for row in good.with_each_rater)
    assert all(row.judge.value < 0.3 for row in bad.with_each_rater)
    assert good.with_final.value > bad.with_final.value
    assert good.pool_alpha.value == pytest.approx(bad.pool_alpha.value)
    assert good.pool_alpha_with_judge.value > good.pool_alpha.value > bad.pool_alpha_with_judge.value


def test_the_owner_reads_both_verdicts_on_the_dashboard(judged) -> None:
    code, html = _page(Membership.objects.get(campaign=judged, role="owner").user, judged)

    assert code == 200
    assert "Machine judges" in html
    assert "judge-majority can replace a rater on this criterion." in html
    assert "judge-random cannot replace a rater on this criterion." in html
    assert "ε = 0.15" in html
    assert "with person0" in html and "with the raters' final label" in html


def test_a_viewer_sees_the_machine_judges(judged) -> None:
    viewer = UserFactory(username="judge-viewer")
    MembershipFactory(campaign=judged, user=viewer, role=Membership.Role.VIEWER)

    code, html = _page(viewer, judged)

    assert code == 200
    assert "judge-random cannot replace a rater on this criterion." in html


def test_the_criterion_panel_swapped_by_htmx_carries_the_section(judged) -> None:
    owner = Membership.objects.get(campaign=judged, role="owner").user

    code, html = _page(owner, judged, HTTP_HX_REQUEST="true")

    assert code == 200
    assert "<html" not in html
    assert 'id="judges"' in html


def test_a_rater_does_not_reach_the_dashboard(judged) -> None:
    rater = Membership.objects.filter(campaign=judged, role="rater").first().user

    code, html = _page(rater, judged)

    assert code == 404
    assert "judge-majority" not in html


def test_the_judges_labels_are_not_among_the_raters(judged) -> None:
    owner = Membership.objects.get(campaign=judged, role="owner").user

    _, html = _page(owner, judged)

    # The raters' table and matrix name people only; the machine raters' accounts never appear.
    assert "+machine@" not in html


def test_a_judge_added_after_the_report_was_cached_appears_at_once() -> None:
    campaign, labels = _campaign()
    owner = Membership.objects.get(campaign=campaign, role="owner").user
    _, before = _page(owner, campaign)
    assert "Machine judges" not in before

    _judge(campaign, "late-judge", _majority(labels))

    _, after = _page(owner, campaign)
    assert "late-judge can replace a rater on this criterion." in after


def test_with_too_few_raters_the_page_says_why_the_test_cannot_run() -> None:
    campaign, labels = _campaign(n_raters=2)
    _judge(campaign, "judge-pair", _majority(labels))
    owner = Membership.objects.get(campaign=campaign, role="owner").user

    _, html = _page(owner, campaign)

    assert "judge-pair could not be tested as a replacement for a rater on this criterion." in html
    assert "needs at least 3 human raters" in html
    assert "with person1" in html


def test_the_agreement_api_gives_the_judges_per_criterion(judged) -> None:
    owner = Membership.objects.get(campaign=judged, role="owner").user
    client = Client()
    client.force_login(owner)

    body = client.get(reverse("ratings-api:campaign-agreement", args=[judged.slug])).json()

    judges = {j["machine"]: j for j in body["criteria"][0]["judges"]}
    assert judges["judge-majority"]["outcome"] == "passed"
    assert judges["judge-random"]["outcome"] == "failed"
    assert judges["judge-random"]["alt_test"]["epsilon"] == 0.15
    json.dumps(body)


def test_the_raters_final_label_is_the_adjudicated_value_where_one_was_decided(judged) -> None:
    criterion = judged.rubric_version.typed_criteria[0]
    humans = ratings_frame(judged, "helpful", criterion=criterion, who="humans")
    first, second = humans["item"].drop_duplicates().iloc[:2].tolist()
    owner = Membership.objects.get(campaign=judged, role="owner").user
    decided = {
        first: Adjudication(
            campaign_item_id=first, criterion_key="helpful", outcome="final", value=1, decided_by=owner
        ),
        second: Adjudication(campaign_item_id=second, criterion_key="helpful", outcome="ambiguous", decided_by=owner),
    }

    final = human_final_labels(humans, criterion, decided)

    assert final[first] == 1
    assert second not in final.index


MIXED = [
    {"key": "tone", "type": "categorical", "options": ["formal", "casual", "rude"]},
    {"key": "safe", "type": "binary"},
    {"key": "issues", "type": "multi_label", "options": ["bias", "error", "style"], "required": False},
    {"key": "score", "type": "numeric", "min": 0, "max": 10, "step": 0.5},
    {"key": "preference", "type": "pairwise"},
]


def test_every_criterion_type_gets_a_section_and_the_page_renders() -> None:
    owner = UserFactory(username="mixed-owner")
    version = RubricVersionFactory(criteria=validate_criteria(MIXED))
    campaign = CampaignFactory(with_items=36, overlap=3, owner=owner, rubric_version=version)
    rng = np.random.default_rng(3)
    items = list(CampaignItem.objects.filter(campaign=campaign).select_related("item").order_by("order_key"))

    def labels() -> dict:
        return {
            "tone": str(rng.choice(["formal", "casual", "rude"])),
            "safe": bool(rng.random() < 0.7),
            "issues": sorted({str(x) for x in rng.choice(["bias", "error", "style"], size=int(rng.integers(0, 3)))}),
            "score": float(rng.integers(0, 21)) / 2,
            "preference": str(rng.choice(["A", "B", "tie"])),
        }

    for r in range(3):
        user = UserFactory(username=f"mixed{r}")
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        for item in items:
            RatingFactory(campaign_item=item, rater=user, values=labels())
    machine_ratings_record(
        campaign=campaign,
        machine={"name": "mixed-judge"},
        ratings=[{"item_id": ci.item.external_id, "values": labels()} for ci in items],
    )

    sections = campaign_judges(campaign, campaign.rubric_version.typed_criteria, n_boot=50)

    assert {key: [s.status for s in found] for key, found in sections.items()} == {
        "tone": ["ok"],
        "safe": ["ok"],
        "issues": ["ok"],
        "score": ["ok"],
        "preference": ["ok"],
    }
    assert all(s.outcome in ("passed", "failed") for found in sections.values() for s in found)
    client = Client()
    client.force_login(owner)
    for key in sections:
        response = client.get(reverse("ratings:agreement", args=[campaign.slug]) + f"?criterion={key}")
        assert response.status_code == 200
        assert "mixed-judge" in response.content.decode()
