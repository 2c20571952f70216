"""Every number the rater sees agrees with the owner's campaign page: complete items, the rater's ratings, the share."""

import csv
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign
from ratings.gold import campaign_items_mark_gold
from ratings.progress import campaign_progress, rater_stats
from ratings.queue import assignment_next
from ratings.queue_selectors import rater_progress
from ratings.services import rating_submit, ratings_import
from tests.factories import CampaignFactory, raters_of

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
MINE_RE = re.compile(r"My ratings: ([^<]*)</label>")
CAMPAIGN_RE = re.compile(r"Campaign: (\d+) of (\d+) items complete")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _assignment(html: str) -> str:
    return re.search(r'name="assignment" value="(\d+)"', html).group(1)


def _submit(client: Client, campaign: Campaign, html: str) -> str:
    url = reverse("ratings:rate-submit", args=[campaign.slug])
    return client.post(url, {"assignment": _assignment(html), "c-helpful": "3"}, **HX).content.decode()


def _complete(html: str) -> tuple[int, int]:
    found = CAMPAIGN_RE.search(html)
    return int(found.group(1)), int(found.group(2))


def _owner_numbers(campaign: Campaign) -> tuple[int, int]:
    progress = campaign_progress(campaign)
    return progress.complete, progress.n_items


def _ratings_on_owner_page(campaign: Campaign, rater: User) -> int:
    return next(s.n_ratings for s in rater_stats(campaign) if s.username == rater.username)


def _rate_all(campaign: Campaign, raters: list[User]) -> None:
    """Raters take turns until the queue has nothing for any of them."""
    active = list(raters)
    while active:
        for rater in list(active):
            assignment = assignment_next(campaign=campaign, rater=rater)
            if assignment is None:
                active.remove(rater)
            else:
                rating_submit(assignment=assignment, values={"helpful": 2})


def test_the_panel_after_a_submit_counts_the_item_that_submit_completed() -> None:
    campaign = CampaignFactory(with_items=4, overlap=1)
    (rater,) = raters_of(campaign, 1)
    client = _client(rater)
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    for n in range(1, 4):
        html = _submit(client, campaign, html)
        assert _complete(html) == (n, 4) == _owner_numbers(campaign)


def test_the_panel_after_the_last_item_counts_it_too() -> None:
    campaign = CampaignFactory(with_items=2, overlap=1)
    (rater,) = raters_of(campaign, 1)
    client = _client(rater)
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    html = _submit(client, campaign, _submit(client, campaign, html))
    assert "There are no more items for you" in html
    assert _complete(html) == (2, 2) == _owner_numbers(campaign)
    assert MINE_RE.search(html).group(1) == "2 · no more items for me"


@pytest.mark.parametrize(
    ("n_items", "overlap", "n_raters", "n_gold", "gold_rate", "repeat_rate"),
    [(12, 1, 1, 2, 0.2, 0.25), (40, 2, 3, 4, 0.1, 0.1), (30, 2, 2, 5, 0.2, 0.2), (100, 3, 5, 10, 0.05, 0.05)],
)
def test_raters_who_rate_alike_finish_exactly_at_their_share(
    n_items: int, overlap: int, n_raters: int, n_gold: int, gold_rate: float, repeat_rate: float
) -> None:
    """The share counts the gold checks and repeats the queue mixes in as the queue serves them: rounded up."""
    campaign = CampaignFactory(with_items=n_items, overlap=overlap, gold_rate=gold_rate, repeat_rate=repeat_rate)
    ids = list(campaign.items.order_by("order_key").values_list("item__external_id", flat=True))
    gold = ids[:n_gold]
    campaign_items_mark_gold(campaign=campaign, external_ids=gold, answers={i: {"helpful": 2} for i in gold})
    raters = raters_of(campaign, n_raters)
    _rate_all(campaign, raters)
    for rater in raters:
        progress = rater_progress(campaign=campaign, rater=rater)
        assert progress.done == progress.share == _ratings_on_owner_page(campaign, rater)


def test_a_rater_past_their_share_is_told_it_is_done_not_shown_more_than_all() -> None:
    campaign = CampaignFactory(with_items=6, overlap=1)
    first, _idle = raters_of(campaign, 2)
    client = _client(first)
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    for _ in range(4):
        html = _submit(client, campaign, html)
    assert MINE_RE.search(html).group(1) == "4 · my share of 3 is done"
    assert 'id="progress-mine" class="progress" max="3" value="3"' in html


def test_the_count_after_ratings_imported_meanwhile_is_the_owners(tmp_path: Path) -> None:
    campaign = CampaignFactory(with_items=4, overlap=2)
    (rater,) = raters_of(campaign, 1)
    client = _client(rater)
    html = _submit(client, campaign, client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode())
    # The rater now holds a lease; labels of theirs from another tool arrive before their next answer.
    rated = set(campaign.items.filter(ratings__rater=rater).values_list("item__external_id", flat=True))
    leased = set(campaign.items.filter(assignments__rater=rater).values_list("item__external_id", flat=True))
    free = [i for i in campaign.items.values_list("item__external_id", flat=True) if i not in rated | leased]
    path = tmp_path / "labels.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "rater", "criterion", "value"])
        writer.writerows([[item, rater.username, "helpful", 4] for item in free])
    ratings_import(campaign=campaign, source=path, match_members=True)
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert MINE_RE.search(html).group(1).startswith(f"{_ratings_on_owner_page(campaign, rater)} ")
    assert _ratings_on_owner_page(campaign, rater) == 1 + len(free)


def test_the_rater_campaign_page_offers_rating_until_the_share_is_done() -> None:
    campaign = CampaignFactory(with_items=4, overlap=1)
    first, _second = raters_of(campaign, 2)
    client = _client(first)
    url = reverse("ratings:campaign-detail", args=[campaign.slug])
    assert "Start rating" in client.get(url).content.decode()
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    html = _submit(client, campaign, html)
    page = client.get(url).content.decode()
    assert "Continue rating" in page and "Start rating" not in page
    assert "My ratings: 1 of my share of 2" in page
    _submit(client, campaign, html)
    page = client.get(url).content.decode()
    # The share is done while items are still open: the page says so, and rating more stays possible.
    assert "Start rating" not in page and "Your share is done" in page and "Rate more" in page


def test_the_rater_campaign_page_says_when_nothing_is_left() -> None:
    campaign = CampaignFactory(with_items=2, overlap=1)
    (rater,) = raters_of(campaign, 1)
    _rate_all(campaign, [rater])
    page = _client(rater).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert "Start rating" not in page and "Rate more" not in page
    assert "There are no more items for you in this campaign" in page
    assert "My ratings: 2 · no more items for me" in page
    assert "Campaign: 2 of 2 items complete (100%)" in page


def test_a_paused_campaign_gives_its_reason_and_no_button() -> None:
    campaign = CampaignFactory(with_items=2, overlap=1, status=Campaign.Status.PAUSED)
    (rater,) = raters_of(campaign, 1)
    page = _client(rater).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert "This campaign is paused" in page
    assert "Start rating" not in page and "no more items for me" not in page
