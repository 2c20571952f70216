"""Per-rater figures on the campaign page, progress without gold items, and setting the gold and repeat rates."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, Membership
from annotate.selectors.campaigns import campaigns_for_user
from annotate.services.campaigns import campaign_create, campaign_set_rates
from ratings.gold import campaign_items_mark_gold
from ratings.progress import campaign_progress, rater_stats
from ratings.queue_selectors import expected_share
from tests.factories import (
    DatasetFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RubricFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rate(campaign: Campaign, rater: User, seconds: list[float | None]) -> None:
    for campaign_item, spent in zip(campaign.items.order_by("order_key"), seconds, strict=False):
        RatingFactory(campaign_item=campaign_item, rater=rater, seconds_spent=spent)


def test_median_seconds_per_rater(campaign: Campaign, rater: User, other_rater: User) -> None:
    _rate(campaign, rater, [10, 60, 20])
    _rate(campaign, other_rater, [10, 20, None, 5, 40])
    outsider_rater = UserFactory(username="zed")
    stats = {s.username: s for s in rater_stats(campaign)}
    assert stats["rater"].median_seconds == 20
    # An even count takes the mean of the middle two; ratings without a time are left out.
    assert stats["other_rater"].median_seconds == 15
    assert (stats["rater"].n_ratings, stats["other_rater"].n_ratings) == (3, 5)
    assert outsider_rater.username not in stats


def test_a_rater_without_timed_ratings_has_no_median(campaign: Campaign, rater: User) -> None:
    _rate(campaign, rater, [None])
    (stat,) = rater_stats(campaign)
    assert (stat.n_ratings, stat.median_seconds) == (1, None)


def test_campaign_page_shows_median_seconds_to_owners_and_readers(
    campaign: Campaign, owner: User, viewer: User, rater: User
) -> None:
    _rate(campaign, rater, [12, 13, 14])
    for user in (owner, viewer):
        page = _client(user).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
        assert "Median seconds" in page and ">13.0<" in page


def test_raters_do_not_see_other_raters_figures(campaign: Campaign, rater: User, other_rater: User) -> None:
    _rate(campaign, other_rater, [12, 13, 14])
    page = _client(rater).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert "other_rater" not in page and "Median seconds" not in page


def test_progress_and_item_counts_leave_gold_items_out(campaign: Campaign, curator: User, rater: User) -> None:
    items = list(campaign.items.order_by("order_key").select_related("item"))
    gold_id = items[0].item.external_id
    campaign_items_mark_gold(campaign=campaign, external_ids=[gold_id], answers={gold_id: {"helpful": 3}})
    RatingFactory(campaign_item=items[0], rater=rater)
    RatingFactory(campaign_item=items[1], rater=rater)
    progress = campaign_progress(campaign)
    assert (progress.n_items, progress.n_ratings, progress.in_progress, progress.pending) == (4, 1, 1, 3)
    (listed,) = campaigns_for_user(curator)
    assert listed.n_items == 4


def test_expected_share_adds_gold_checks_and_repeats(campaign: Campaign) -> None:
    campaign.gold_rate, campaign.repeat_rate = 0.2, 0.1
    # 40 items at k=2 over 4 raters: 20 each, +5 gold (20·0.2/0.8), +3 repeats (25·0.1/0.9 = 2.8, rounded up as
    # the queue serves one more while repeats < 0.1 × all items served).
    assert expected_share(n_items=40, n_gold=10, n_raters=4, campaign=campaign) == 28
    # There are only 3 gold items to give: +3 repeats (23·0.1/0.9 = 2.6, rounded up).
    assert expected_share(n_items=40, n_gold=3, n_raters=4, campaign=campaign) == 26


# --------------------------------------------------------------------------- the rates


def test_owner_changes_the_rates(campaign: Campaign, owner: User) -> None:
    url = reverse("ratings:campaign-rates", args=[campaign.slug])
    response = _client(owner).post(url, {"gold_rate": "0.15", "repeat_rate": "0.05"}, follow=True)
    campaign.refresh_from_db()
    assert (campaign.gold_rate, campaign.repeat_rate) == (0.15, 0.05)
    assert "Gold rate 0.15, repeat rate 0.05." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gold_rate": "0.6", "repeat_rate": "0"}, "Ensure this value is less than or equal to 0.5."),
        ({"gold_rate": "0", "repeat_rate": "0.31"}, "Ensure this value is less than or equal to 0.3."),
        ({"gold_rate": "-0.1", "repeat_rate": "0"}, "Ensure this value is greater than or equal to 0."),
        ({"gold_rate": "lots", "repeat_rate": "0"}, "Enter a number."),
    ],
)
def test_out_of_range_rates_are_shown_again_with_what_is_wrong(
    campaign: Campaign, owner: User, data: dict, message: str
) -> None:
    response = _client(owner).post(reverse("ratings:campaign-rates", args=[campaign.slug]), data)
    page = response.content.decode()
    # The campaign page again, not a redirect: the error beside its field, the rates as the owner typed them.
    assert response.status_code == 200
    field = next(name for name in data if data[name] not in ("0",))
    assert re.search(rf'name="{field}"[^>]*value="{re.escape(data[field])}"', page)
    assert f'<span class="errorlist" role="alert">{message}</span>' in page.replace("&#x27;", "'")
    campaign.refresh_from_db()
    assert (campaign.gold_rate, campaign.repeat_rate) == (0, 0)


@pytest.mark.parametrize("value", ["9" * 5000, "nan", "inf", "1e400"])
def test_hostile_rates_come_back_with_an_error(campaign: Campaign, owner: User, value: str) -> None:
    data = {"gold_rate": value, "repeat_rate": "0"}
    response = _client(owner).post(reverse("ratings:campaign-rates", args=[campaign.slug]), data)
    assert response.status_code == 200
    assert '<span class="errorlist" role="alert">' in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.gold_rate == 0


def test_a_nul_byte_in_a_rate_is_refused_before_the_form(campaign: Campaign, owner: User) -> None:
    data = {"gold_rate": "0\x00.1", "repeat_rate": "0"}
    response = _client(owner).post(reverse("ratings:campaign-rates", args=[campaign.slug]), data)
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.gold_rate == 0


def test_rates_of_a_campaign_closed_meanwhile_are_refused_on_the_page(campaign: Campaign, owner: User) -> None:
    client = _client(owner)
    client.get(reverse("ratings:campaign-detail", args=[campaign.slug]))
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    data = {"gold_rate": "0.1", "repeat_rate": "0"}
    page = client.post(reverse("ratings:campaign-rates", args=[campaign.slug]), data).content.decode()
    assert "The campaign is closed: the rates can no longer change." in page
    campaign.refresh_from_db()
    assert campaign.gold_rate == 0


@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.ACTIVE, Campaign.Status.PAUSED])
def test_rates_can_change_until_the_campaign_closes(campaign: Campaign, status: str) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    assert campaign_set_rates(campaign=campaign, gold_rate=0.1, repeat_rate=0.2).gold_rate == 0.1


def test_a_closed_campaigns_rates_are_frozen(campaign: Campaign, owner: User) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed campaign's rates can no longer change"):
        campaign_set_rates(campaign=campaign, gold_rate=0.1, repeat_rate=0)
    page = _client(owner).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert reverse("ratings:campaign-rates", args=[campaign.slug]) not in page


@pytest.mark.parametrize(
    ("gold_rate", "repeat_rate", "field"),
    [(0.51, 0, "gold_rate"), (0, 0.4, "repeat_rate"), (float("nan"), 0, "gold_rate"), (True, 0, "gold_rate")],
)
def test_the_service_names_a_bad_rate(campaign: Campaign, gold_rate: float, repeat_rate: float, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        campaign_set_rates(campaign=campaign, gold_rate=gold_rate, repeat_rate=repeat_rate)
    assert list(caught.value.message_dict) == [field]
    assert caught.value.message_dict[field][0].startswith(f"{field}: must be a number from 0 to")


@pytest.mark.parametrize("role_fixture", ["rater", "viewer", "adjudicator", "outsider"])
def test_only_owners_change_the_rates(campaign: Campaign, role_fixture: str, request: pytest.FixtureRequest) -> None:
    client = _client(request.getfixturevalue(role_fixture))
    url = reverse("ratings:campaign-rates", args=[campaign.slug])
    assert client.post(url, {"gold_rate": "0.2", "repeat_rate": "0.1"}).status_code == 404
    campaign.refresh_from_db()
    assert campaign.gold_rate == 0


def test_campaign_create_takes_the_rates(curator: User) -> None:
    dataset = DatasetFactory()
    ItemFactory(dataset=dataset)
    created = campaign_create(
        slug="rated",
        name="Rated",
        dataset=dataset,
        rubric_version=RubricVersionFactory(),
        sample_spec={"method": "all"},
        overlap=2,
        lease_minutes=30,
        visible_fields=[],
        user=curator,
        gold_rate=0.1,
        repeat_rate=0.05,
    )
    created.refresh_from_db()
    assert (created.gold_rate, created.repeat_rate) == (0.1, 0.05)
    with pytest.raises(ValidationError, match="repeat_rate: must be a number from 0 to 0.3"):
        campaign_create(
            slug="rated2",
            name="Rated",
            dataset=dataset,
            rubric_version=created.rubric_version,
            sample_spec={"method": "all"},
            overlap=2,
            lease_minutes=30,
            visible_fields=[],
            user=curator,
            repeat_rate=0.5,
        )


def test_the_create_page_sets_the_rates(curator: User) -> None:
    dataset = DatasetFactory(created_by=curator)
    ItemFactory(dataset=dataset)
    version = RubricVersionFactory(rubric=RubricFactory(created_by=curator))
    client = _client(curator)
    url = reverse("ratings:campaign-create")
    assert 'name="gold_rate"' in client.get(url, {"dataset": dataset.pk}).content.decode()
    data = {
        "dataset": dataset.pk,
        "name": "With checks",
        "slug": "checks",
        "rubric_version": version.pk,
        "method": "all",
        "seed": "0",
        "overlap": "2",
        "lease_minutes": "30",
        "visible_fields": ["prompt"],
        "gold_rate": "0.2",
        "repeat_rate": "0.1",
    }
    assert client.post(url, data).status_code == 302
    campaign = Campaign.objects.get(slug="checks")
    assert (campaign.gold_rate, campaign.repeat_rate) == (0.2, 0.1)
    page = client.get(reverse("ratings:campaign-detail", args=["checks"])).content.decode()
    assert "0.2 (20% of each rater's items)" in page


def test_the_command_sets_the_rates() -> None:
    dataset = DatasetFactory(name="Demo")
    ItemFactory(dataset=dataset)
    RubricVersionFactory(rubric=RubricFactory(name="HHH"))
    args = ["create_campaign", "--slug=cmd", "--dataset=Demo", "--rubric=HHH"]
    call_command(*args, "--gold-rate=0.25", "--repeat-rate=0.1", stdout=StringIO())
    campaign = Campaign.objects.get(slug="cmd")
    assert (campaign.gold_rate, campaign.repeat_rate) == (0.25, 0.1)
    with pytest.raises(CommandError, match=r"gold_rate: must be a number from 0 to 0.5 \(got 0.9\)"):
        call_command("create_campaign", "--slug=cmd2", "--dataset=Demo", "--rubric=HHH", "--gold-rate=0.9")
    assert not Campaign.objects.filter(slug="cmd2").exists()


def test_every_rater_member_is_listed_even_without_ratings(campaign: Campaign, rater: User) -> None:
    MembershipFactory(campaign=campaign, user=UserFactory(username="late"), role=Membership.Role.RATER)
    assert [s.username for s in rater_stats(campaign)] == ["late", "rater"]
