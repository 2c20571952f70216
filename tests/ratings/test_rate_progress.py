"""The rating page's campaign-wide progress: kept as counts by the services, exact after every kind of change."""

import csv
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, CampaignCounts
from ratings.gold import campaign_items_mark_gold, campaign_items_unmark_gold
from ratings.models import Rating
from ratings.progress import campaign_progress
from ratings.queue import assignment_next
from ratings.queue_selectors import rater_progress
from ratings.services import rating_submit, ratings_import
from tests.factories import CampaignFactory, ItemFactory, UserFactory, raters_of

pytestmark = pytest.mark.django_db


def _page_numbers(campaign: Campaign) -> tuple[int, int]:
    """(complete, items) as the rating page's progress shows them to a rater."""
    progress = rater_progress(campaign=campaign, rater=UserFactory())
    return progress.complete, progress.n_items


def _counted(campaign: Campaign) -> tuple[int, int]:
    """(complete, items) recounted from the ratings, as the campaign page's dashboard does."""
    progress = campaign_progress(campaign)
    return progress.complete, progress.n_items


def _rate(campaign: Campaign, rater: User, n: int) -> None:
    for _ in range(n):
        assignment = assignment_next(campaign=campaign, rater=rater)
        assert assignment is not None
        rating_submit(assignment=assignment, values={"helpful": 2})


def _external_ids(campaign: Campaign) -> list[str]:
    return list(campaign.items.order_by("order_key").values_list("item__external_id", flat=True))


def test_an_item_counts_as_complete_the_moment_its_kth_rating_is_stored() -> None:
    campaign = CampaignFactory(with_items=3, overlap=2)
    first, second = raters_of(campaign, 2)
    assert _page_numbers(campaign) == (0, 3)
    _rate(campaign, first, 3)
    assert _page_numbers(campaign) == (0, 3)
    _rate(campaign, second, 1)
    assert _page_numbers(campaign) == (1, 3) == _counted(campaign)
    _rate(campaign, second, 2)
    assert _page_numbers(campaign) == (3, 3) == _counted(campaign)


def test_gold_checks_and_repeats_never_complete_an_item() -> None:
    campaign = CampaignFactory(with_items=12, overlap=1, gold_rate=0.2, repeat_rate=0.25)
    ids = _external_ids(campaign)
    campaign_items_mark_gold(campaign=campaign, external_ids=ids[:2], answers={i: {"helpful": 2} for i in ids[:2]})
    (rater,) = raters_of(campaign, 1)
    while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
        rating_submit(assignment=assignment, values={"helpful": 2})
    assert Rating.objects.filter(campaign=campaign, is_repeat=True).exists()
    assert Rating.objects.filter(campaign=campaign, campaign_item__is_gold=True).exists()
    assert _page_numbers(campaign) == (10, 10) == _counted(campaign)


def test_gold_marked_and_unmarked_moves_items_in_and_out_of_the_counts() -> None:
    campaign = CampaignFactory(with_items=4, overlap=1)
    (rater,) = raters_of(campaign, 1)
    _rate(campaign, rater, 2)
    rated = list(Rating.objects.filter(campaign=campaign).values_list("campaign_item__item__external_id", flat=True))
    campaign_items_mark_gold(campaign=campaign, external_ids=rated[:1], answers={rated[0]: {"helpful": 2}})
    assert _page_numbers(campaign) == (1, 3) == _counted(campaign)
    campaign_items_unmark_gold(campaign=campaign, external_ids=rated[:1])
    # Its rating counts again.
    assert _page_numbers(campaign) == (2, 4) == _counted(campaign)


def test_imported_ratings_complete_items(tmp_path: Path) -> None:
    campaign = CampaignFactory(with_items=3, overlap=2)
    ids = _external_ids(campaign)
    path = tmp_path / "labels.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "rater", "criterion", "value"])
        writer.writerows(
            [[ids[0], "ext1", "helpful", 3], [ids[0], "ext2", "helpful", 4], [ids[1], "ext1", "helpful", 5]]
        )
    ratings_import(campaign=campaign, source=path)
    assert _page_numbers(campaign) == (1, 3) == _counted(campaign)
    # The queue carries on from the imported counts: one more rating completes the second item.
    (rater,) = raters_of(campaign, 1)
    _rate(campaign, rater, 1)
    assert _page_numbers(campaign) == (2, 3) == _counted(campaign)


def test_items_an_import_adds_to_the_sample_are_counted(tmp_path: Path) -> None:
    campaign = CampaignFactory(with_items=2, overlap=1)
    extra = ItemFactory(dataset=campaign.dataset)
    path = tmp_path / "labels.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "rater", "criterion", "value"])
        writer.writerow([extra.external_id, "ext1", "helpful", 3])
    ratings_import(campaign=campaign, source=path, add_missing_items=True)
    assert _page_numbers(campaign) == (1, 3) == _counted(campaign)


def test_changing_k_in_the_admin_recounts_complete_items(admin_client: Client) -> None:
    campaign = CampaignFactory(with_items=2, overlap=2)
    (rater,) = raters_of(campaign, 1)
    _rate(campaign, rater, 2)
    assert _page_numbers(campaign) == (0, 2)
    url = reverse("admin:annotate_campaign_change", args=[campaign.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "visible_fields"}
    data.update(
        overlap=1,
        sample_spec='{"method": "all"}',
        visible_fields="[]",
        dataset=campaign.dataset_id,
        rubric_version=campaign.rubric_version_id,
        **{"memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0},
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert campaign.overlap == 1
    assert _page_numbers(campaign) == (2, 2) == _counted(campaign)


def test_the_rating_page_shows_the_kept_counts(client: Client) -> None:
    campaign = CampaignFactory(with_items=3, overlap=1)
    first, second = raters_of(campaign, 2)
    _rate(campaign, first, 1)
    client.force_login(second)
    page = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert "Campaign: 1 of 3 items complete (33%)" in page
    # Kept, not recounted: the page reads the count row.
    CampaignCounts.objects.filter(campaign=campaign).update(n_complete=2)
    page = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert "Campaign: 2 of 3 items complete (66%)" in page


def test_a_campaign_without_a_count_row_is_counted_from_its_rows() -> None:
    campaign = CampaignFactory(with_items=2, overlap=1)
    (rater,) = raters_of(campaign, 1)
    _rate(campaign, rater, 1)
    CampaignCounts.objects.filter(campaign=campaign).delete()
    assert _page_numbers(campaign) == (1, 2)
