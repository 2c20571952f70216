"""Subsets with their own alpha (metadata values, periods so far, a rater's repeats) below the minimum of pairable
items are marked "too few to judge" on the dashboard and in the API, and the page states the minimum."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from annotate.models import CampaignItem, Membership
from ratings import charts, reports
from ratings.models import Rating
from tests.factories import CampaignFactory, ItemFactory, MembershipFactory, RatingFactory, UserFactory

# The minimum the page states: benchmarks/slice_minimum.py explains the choice (ratings.reports).
MINIMUM = 20


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def _campaign(topics: dict[str, int]):
    """Three raters on helpfulness; per topic that many items. "small…" topics are unanimous (alpha 1.000 [1, 1])."""
    campaign = CampaignFactory()
    owner = UserFactory(username="slice-owner")
    MembershipFactory(campaign=campaign, user=owner, role=Membership.Role.OWNER)
    raters = [UserFactory(username=f"slice-rater{n}") for n in range(3)]
    for rater in raters:
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    order = 0
    for topic, n_items in topics.items():
        for index in range(n_items):
            item = ItemFactory(dataset=campaign.dataset, metadata={"topic": topic})
            campaign_item = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
            order += 1
            truth = 1 + index % 5
            for n, rater in enumerate(raters):
                shift = 0 if topic.startswith("small") else (0, 1, -1)[(index + n) % 3] * (index % 2)
                value = min(5, max(1, truth + shift))
                RatingFactory(campaign_item=campaign_item, rater=rater, values={"helpful": value}, seconds_spent=20.0)
    return campaign, owner


def _topic_rows(report) -> dict:
    table = next(t for t in report.criterion("helpful").slices if t.field == "topic")
    return {row.value: row for row in table.rows}


def test_a_slice_of_eight_unanimous_items_is_too_few_to_judge(db):
    campaign, _ = _campaign({"big": 25, "small": 8})
    rows = _topic_rows(reports.campaign_agreement(campaign))
    assert (rows["small"].alpha, rows["small"].ci_low, rows["small"].ci_high) == (1.0, 1.0, 1.0)
    assert rows["small"].n_pairable_items == 8 and rows["small"].too_few is True
    assert rows["big"].n_pairable_items == 25 and rows["big"].too_few is False


def test_the_page_states_the_minimum_and_greys_the_small_slice(client, db):
    campaign, owner = _campaign({"big": 25, "small": 8})
    client.force_login(owner)
    body = client.get(reverse("ratings:agreement", args=[campaign.slug])).content.decode()
    assert f"Slices with fewer than {MINIMUM} pairable items" in body
    assert "too few to judge" in body
    small = re.search(r'<tr class="too-few"[^>]*>\s*<td><a [^>]*value=small"', body)
    big = re.search(r'<tr class="too-few"[^>]*>\s*<td><a [^>]*value=big"', body)
    assert small is not None and big is None


def test_the_slice_chart_greys_the_small_slice(db):
    campaign, _ = _campaign({"big": 25, "small": 8})
    data = charts.criterion_charts(reports.campaign_agreement(campaign).criterion("helpful"))
    topic = next(s for s in data["slices"] if s["field"] == "topic")
    assert dict(zip(topic["labels"], topic["too_few"], strict=True)) == {"big": False, "small": True}


def test_the_api_flags_the_small_slice_and_states_the_minimum(client, db):
    campaign, owner = _campaign({"big": 25, "small": 8})
    client.force_login(owner)
    data = client.get(f"/api/v1/campaigns/{campaign.slug}/agreement").json()
    assert data["min_pairable_items"] == MINIMUM
    topic = next(t for t in data["criteria"][0]["slices"] if t["field"] == "topic")
    flags = {row["value"]: (row["too_few"], row["n_pairable_items"]) for row in topic["rows"]}
    assert flags == {"big": (False, 25), "small": (True, 8)}


def _set_times(campaign, times_by_item_order: dict[int, datetime]) -> None:
    for order, moment in times_by_item_order.items():
        Rating.objects.filter(campaign_item__campaign=campaign, campaign_item__order_key=order).update(
            updated_at=moment
        )


def test_a_period_whose_labels_so_far_are_too_few_is_left_off_the_curve(db):
    campaign, _ = _campaign({"big": 40})
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    _set_times(campaign, {order: start + timedelta(days=0 if order < 5 else 1 + order % 3) for order in range(40)})
    helpful = reports.campaign_agreement(campaign).criterion("helpful")
    first = helpful.over_time[0]
    assert first.n_pairable_items == 5 and first.too_few is True
    assert first not in helpful.time_curve
    assert all(p.n_pairable_items >= MINIMUM for p in helpful.time_curve)
    assert [p.label for p in helpful.over_time] == ["2 Nov 2026", "3 Nov 2026", "4 Nov 2026", "5 Nov 2026"]
    data = charts.criterion_charts(helpful)
    assert data["over_time"]["periods"] == [p.label for p in helpful.time_curve]


def test_labels_of_one_day_are_drawn_by_the_hour(db):
    campaign, _ = _campaign({"big": 40})
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    _set_times(campaign, {order: start + timedelta(hours=0 if order < 25 else 2) for order in range(40)})
    helpful = reports.campaign_agreement(campaign).criterion("helpful")
    assert [(p.label, p.unit) for p in helpful.over_time] == [("2 Nov 09:00", "hour"), ("2 Nov 11:00", "hour")]
    assert len(charts.criterion_charts(helpful)["over_time"]["periods"]) == 2


def test_a_single_period_is_said_in_words_instead_of_a_lone_dot(client, db):
    campaign, owner = _campaign({"big": 25, "small": 8})
    moment = datetime(2026, 11, 2, 9, 15, tzinfo=UTC)
    _set_times(campaign, dict.fromkeys(range(33), moment))
    client.force_login(owner)
    body = client.get(reverse("ratings:agreement", args=[campaign.slug])).content.decode()
    assert 'data-chart="over_time"' not in body
    assert "All 99 labels so far were given within one hour (2 Nov 09:00)" in body
    assert "a curve over time needs two hours" in body


def test_periods_with_too_few_items_so_far_are_said_in_words(db):
    campaign, _ = _campaign({"big": 12})
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    _set_times(campaign, {order: start + timedelta(days=order % 3) for order in range(12)})
    helpful = reports.campaign_agreement(campaign).criterion("helpful")
    assert len(helpful.over_time) == 3 and helpful.time_curve == []
    words = charts.time_words(helpful, MINIMUM)
    assert words.startswith("The labels so far span 3 days, but none of them has alpha on enough pairable items")


def test_a_raters_few_repeats_are_too_few_to_judge(client, db):
    campaign, owner = _campaign({"big": 25})
    rater = Rating.objects.filter(campaign_item__campaign=campaign).first().rater
    for rating in Rating.objects.filter(campaign_item__campaign=campaign, rater=rater)[:4]:
        RatingFactory(campaign_item=rating.campaign_item, rater=rater, values=rating.values, is_repeat=True)
    row = reports.campaign_agreement(campaign).criterion("helpful").test_retest[0]
    assert (row.n_repeated, row.too_few) == (4, True)
    client.force_login(owner)
    body = client.get(reverse("ratings:agreement", args=[campaign.slug])).content.decode()
    assert "(too few to judge)" in body


def test_a_pair_of_raters_sharing_too_few_items_is_greyed_in_the_kappa_matrix(client, db):
    campaign, owner = _campaign({"big": 25})
    newcomer = UserFactory(username="slice-newcomer")
    for campaign_item in CampaignItem.objects.filter(campaign=campaign, order_key__lt=8):
        RatingFactory(campaign_item=campaign_item, rater=newcomer, values={"helpful": 3})
    matrix = reports.campaign_agreement(campaign).criterion("helpful").kappa_matrix
    cells = dict(zip(matrix.raters, matrix.rows[matrix.raters.index("slice-newcomer")].cells, strict=True))
    assert (cells["slice-rater0"].n_shared, cells["slice-rater0"].bucket) == (8, "k-na")
    full = dict(zip(matrix.raters, matrix.rows[matrix.raters.index("slice-rater0")].cells, strict=True))
    assert full["slice-rater1"].n_shared == 25 and full["slice-rater1"].bucket != "k-na"
    client.force_login(owner)
    body = client.get(reverse("ratings:agreement", args=[campaign.slug])).content.decode()
    assert f"fewer than {MINIMUM} shared items: too few to judge" in body
