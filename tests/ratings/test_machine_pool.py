"""A machine rater's labels stay out of the human pool (agreement, final labels, adjudication, progress, the queue)
unless the owner counts machine raters as raters; exports include them, marked."""

import csv
import io

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, CampaignCounts, CampaignItem, Membership
from ratings.adjudication_queue import adjudication_queue
from ratings.data_card import data_card_markdown, rating_counts
from ratings.exports import ExportSpec, export_stream
from ratings.final_labels import final_labels
from ratings.gold import gold_items
from ratings.machine_ratings import machine_ratings_record
from ratings.progress import campaign_progress, rater_stats
from ratings.queue import assignment_next, campaign_items_recount
from ratings.reports import campaign_agreement
from ratings.selectors import ratings_fingerprint
from tests.factories import (
    CampaignFactory,
    CampaignItemFactory,
    MachineRaterFactory,
    RatingFactory,
    UserFactory,
    raters_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _items(campaign: Campaign) -> list[CampaignItem]:
    return list(CampaignItem.objects.filter(campaign=campaign).select_related("item").order_by("order_key"))


def _judge(campaign: Campaign, values: list[int], *, name: str = "judge", replace: bool = False) -> None:
    """The machine rater labels the campaign's first len(values) items, through the service the API calls."""
    labels = [
        {"item_id": ci.item.external_id, "values": {"helpful": v}}
        for ci, v in zip(_items(campaign), values, strict=False)
    ]
    machine_ratings_record(campaign=campaign, machine={"name": name, "model": "m"}, ratings=labels, replace=replace)


def _pool(campaign: Campaign, on: bool) -> None:
    campaign.machine_raters_in_pool = on
    campaign.save(update_fields=["machine_raters_in_pool"])


def _alpha(campaign: Campaign) -> tuple[float, int]:
    criterion = campaign_agreement(campaign, n_boot=50).criteria[0]
    return criterion.alpha.value, criterion.n_raters


def test_a_machine_raters_labels_leave_alpha_alone_until_the_owner_counts_them(rated) -> None:
    before = _alpha(rated)

    _judge(rated, [5, 1, 5, 1, 1])

    assert _alpha(rated) == before
    _pool(rated, True)
    value, n_raters = _alpha(rated)
    assert n_raters == 4
    assert value < before[0]


def _tied_campaign() -> Campaign:
    """Three items, each rated 2 and 4 by two people: a tie on every item."""
    campaign = CampaignFactory(with_items=3, overlap=2)
    first, second = raters_of(campaign, 2)
    for ci in _items(campaign):
        RatingFactory(campaign_item=ci, rater=first, values={"helpful": 2})
        RatingFactory(campaign_item=ci, rater=second, values={"helpful": 4})
    campaign_items_recount(campaign=campaign)
    return campaign


def _finals(campaign: Campaign) -> list[tuple[object, str, int]]:
    items = [ci.pk for ci in _items(campaign)]
    labels = final_labels(campaign, items)
    return [(labels[pk]["helpful"].value, labels[pk]["helpful"].method, labels[pk]["helpful"].n_raters) for pk in items]


def test_final_labels_ignore_the_machine_rater_unless_it_counts() -> None:
    campaign = _tied_campaign()
    before = _finals(campaign)
    assert [method for _, method, _ in before] == ["tie"] * 3

    _judge(campaign, [4, 4, 4])

    assert _finals(campaign) == before
    _pool(campaign, True)
    assert _finals(campaign) == [(4, "majority", 3)] * 3


def test_the_adjudication_queue_is_not_moved_by_a_machine_rater() -> None:
    campaign = CampaignFactory(with_items=3, overlap=2)
    first, second = raters_of(campaign, 2)
    for ci in _items(campaign):
        RatingFactory(campaign_item=ci, rater=first, values={"helpful": 3})
        RatingFactory(campaign_item=ci, rater=second, values={"helpful": 3})
    assert adjudication_queue(campaign) == []

    # A judge far from the raters: with it, each item's labels would spread over the whole scale.
    _judge(campaign, [1, 5, 1])

    assert adjudication_queue(campaign) == []


def test_progress_and_the_raters_work_count_people_only(rated) -> None:
    progress, stats = campaign_progress(rated), rater_stats(rated)

    _judge(rated, [1, 2, 3, 4, 5])

    assert campaign_progress(rated) == progress
    assert rater_stats(rated) == stats
    _pool(rated, True)
    assert campaign_progress(rated) == progress


def test_the_data_card_counts_the_pool(rated) -> None:
    counts = rating_counts(rated)

    _judge(rated, [1, 2, 3, 4, 5])

    assert rating_counts(rated) == counts


def test_an_item_rated_by_k_people_and_a_machine_is_complete_and_one_rated_by_a_machine_only_is_served() -> None:
    campaign = CampaignFactory(with_items=2, overlap=2)
    first, second, third = raters_of(campaign, 3)
    done, open_item = _items(campaign)
    RatingFactory(campaign_item=done, rater=first, values={"helpful": 3})
    RatingFactory(campaign_item=done, rater=second, values={"helpful": 3})
    campaign_items_recount(campaign=campaign)
    _judge(campaign, [3, 3])
    # A recount after the machine's labels (as an import runs one) still counts people only.
    campaign_items_recount(campaign=campaign)

    assert dict(CampaignItem.objects.filter(campaign=campaign).values_list("pk", "n_rated")) == {
        done.pk: 2,
        open_item.pk: 0,
    }
    assert CampaignCounts.objects.get(campaign=campaign).n_complete == 1
    leased = assignment_next(campaign=campaign, rater=third)
    assert leased is not None and leased.campaign_item_id == open_item.pk
    assert campaign_progress(campaign).complete == 1


def test_an_item_a_machine_rated_keeps_all_k_slots_for_people() -> None:
    campaign = CampaignFactory(with_items=1, overlap=2)
    first, second = raters_of(campaign, 2)
    _judge(campaign, [4])

    assert assignment_next(campaign=campaign, rater=first) is not None
    assert assignment_next(campaign=campaign, rater=second) is not None


def test_the_report_cache_follows_machine_labels_and_the_pool_setting(rated) -> None:
    fingerprints = {ratings_fingerprint(rated)}

    _judge(rated, [1, 2, 3, 4, 5])
    fingerprints.add(ratings_fingerprint(rated))
    _pool(rated, True)
    fingerprints.add(ratings_fingerprint(rated))

    assert len(fingerprints) == 3


def test_per_rating_exports_include_machine_labels_marked_with_the_machine_raters_name(rated) -> None:
    _judge(rated, [1, 2, 3, 4, 5], name="judge-x")

    text = b"".join(export_stream(rated, ExportSpec(scope="rating", fmt="csv"))).decode()

    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 20
    assert sorted(r["machine"] for r in rows) == [""] * 15 + ["judge-x"] * 5


def test_a_machine_rater_is_not_a_member(rated) -> None:
    _judge(rated, [1])

    assert not Membership.objects.filter(campaign=rated, user__username__contains="+machine@").exists()


def test_the_data_card_names_the_machine_raters_and_whether_they_count(rated) -> None:
    assert "machine rater" not in data_card_markdown(rated)

    _judge(rated, [1, 2, 3, 4, 5], name="judge-x")

    assert "1 machine rater (judge-x) is kept apart" in data_card_markdown(rated)
    _pool(rated, True)
    assert "1 machine rater (judge-x) counts as a rater" in data_card_markdown(rated)


def test_counted_machine_raters_are_named_as_machines_on_the_dashboard(rated, owner) -> None:
    _judge(rated, [5, 1, 5, 1, 1], name="judge-y")
    _pool(rated, True)
    client = Client()
    client.force_login(owner)

    html = client.get(reverse("ratings:agreement", args=[rated.slug])).content.decode()

    assert "judge-y (machine)" in html
    assert "+machine@" not in html


@pytest.mark.django_db
def test_the_gold_page_counts_the_raters_of_a_gold_item_not_its_machine_raters() -> None:
    campaign_item = CampaignItemFactory(is_gold=True, gold_answer={"helpful": 4})
    RatingFactory(campaign_item=campaign_item, rater=UserFactory())
    judge = MachineRaterFactory(campaign=campaign_item.campaign)
    RatingFactory(campaign_item=campaign_item, rater=judge.user, by_machine=True)
    (listed,) = gold_items(campaign_item.campaign)
    assert listed.n_ratings == 1
