"""Each rater's pace on the agreement dashboard, the API, the item page and the data card, with raters who are
implausibly fast marked by a rule the page states."""

import re

import numpy as np
import pandas as pd
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from annotate.models import CampaignItem, Membership
from ratings import agreement_diagnostics, reports
from ratings.data_card import data_card_markdown
from ratings.pseudonyms import rater_pseudonym
from tests.factories import CampaignFactory, ItemFactory, MembershipFactory, RatingFactory, UserFactory

SECONDS = {"steady": 24.0, "careful": 41.0, "skimmer": 0.2}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def paced(db):
    """Twelve items rated by three raters; "skimmer" spends 0.2 s on each."""
    campaign = CampaignFactory()
    owner = UserFactory(username="pace-owner")
    MembershipFactory(campaign=campaign, user=owner, role=Membership.Role.OWNER)
    raters = {name: UserFactory(username=name) for name in SECONDS}
    for rater in raters.values():
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    for order in range(12):
        item = ItemFactory(dataset=campaign.dataset, metadata={})
        campaign_item = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        for name, rater in raters.items():
            RatingFactory(
                campaign_item=campaign_item,
                rater=rater,
                values={"helpful": 1 + (order + len(name)) % 5},
                seconds_spent=SECONDS[name] + order % 3,
            )
    return campaign, owner, raters


def _frame(seconds: dict[int, list[float]]) -> pd.DataFrame:
    rows = [(rater, s) for rater, values in seconds.items() for s in values]
    return pd.DataFrame(rows, columns=["rater", "seconds"])


def test_a_median_under_the_floor_is_fast():
    table = agreement_diagnostics.rater_speed(_frame({1: [2.0] * 5, 2: [2.5] * 5}), 3.0, 0.25, 5)
    assert table["fast"].tolist() == [True, True]


def test_a_median_under_a_quarter_of_the_others_is_fast():
    seconds = {1: [20.0] * 6, 2: [30.0] * 6, 3: [5.0] * 6}
    table = agreement_diagnostics.rater_speed(_frame(seconds), 3.0, 0.25, 5)
    assert table["fast"].tolist() == [False, False, True]
    assert table.loc[3, "others_median"] == 25.0


def test_too_few_timed_items_are_never_marked_and_untimed_ones_still_count_as_rated():
    seconds = {1: [0.1, 0.1, np.nan, np.nan], 2: [20.0] * 5}
    table = agreement_diagnostics.rater_speed(_frame(seconds), 3.0, 0.25, 5)
    assert table.loc[1, ["n_rated", "n_timed"]].tolist() == [4, 2]
    assert table["fast"].tolist() == [False, False]


def test_the_report_marks_the_fast_rater_and_says_why(paced):
    campaign, _, _ = paced
    speed = reports.campaign_agreement(campaign).rater_speed
    rows = {r.username: r for r in speed.rows}
    assert [r.username for r in speed.fast] == ["skimmer"]
    assert rows["skimmer"].median_seconds == pytest.approx(1.2)
    assert (rows["skimmer"].n_rated, rows["skimmer"].n_timed) == (12, 12)
    assert rows["skimmer"].note.startswith("Median 1.2 s: under 3 s per item and under 25% of the other raters'")
    assert rows["steady"].fast is False and rows["steady"].note == ""


def test_the_dashboard_states_the_rule_and_links_to_the_fast_raters_items(client, paced):
    campaign, owner, _ = paced
    client.force_login(owner)
    body = client.get(reverse("ratings:agreement", args=[campaign.slug])).content.decode()
    assert "Rater speed" in body and escape(reports.SPEED_RULE) in body
    assert "1 rater implausibly fast." in body
    assert "<li><strong>skimmer</strong>: Median 1.2 s: under 3 s per item" in body
    row = re.search(r'<tr class="speed-fast">(.*?)</tr>', body, re.S).group(1)
    items = reverse("ratings:agreement-items", args=[campaign.slug])
    assert f'href="{items}?rater=skimmer"' in row and "implausibly fast" in row
    assert ">1.2<" in row
    # The criterion's raters table marks the same rater.
    assert re.search(r">skimmer</a> <a class=\"badge bad\" href=\"#rater-speed\"", body)


def test_the_api_gives_each_raters_pace(client, paced):
    campaign, owner, _ = paced
    client.force_login(owner)
    speed = client.get(f"/api/v1/campaigns/{campaign.slug}/agreement").json()["rater_speed"]
    assert speed["rule"] == reports.SPEED_RULE
    assert {r["username"]: r["fast"] for r in speed["rows"]} == {"careful": False, "skimmer": True, "steady": False}


def test_the_item_page_marks_a_rating_given_in_under_the_floor(client, paced):
    campaign, owner, _ = paced
    client.force_login(owner)
    item = CampaignItem.objects.get(campaign=campaign, order_key=0)
    body = client.get(reverse("ratings:agreement-item", args=[campaign.slug, item.pk])).content.decode()
    assert "0.2 · implausibly fast" in body
    assert "Shown left" not in body


def test_the_data_card_names_the_fast_rater_by_pseudonym(paced):
    campaign, _, raters = paced
    card = data_card_markdown(campaign)
    pseudonym = rater_pseudonym(campaign, raters["skimmer"].pk)
    assert f"- Speed: 1 rater implausibly fast: {pseudonym} (1.2 s per item over 12 items)." in card
    assert "skimmer" not in card


def test_a_campaign_without_timed_ratings_has_no_speed_section(client, rated, owner):
    client.force_login(owner)
    assert reports.campaign_agreement(rated).rater_speed is None
    body = client.get(reverse("ratings:agreement", args=[rated.slug])).content.decode()
    assert "Rater speed" not in body
