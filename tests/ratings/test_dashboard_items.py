"""Drill-down from the dashboard: the items behind a criterion, and one item's labels side by side."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from annotate.models import CampaignItem, Membership
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, UserFactory


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def rated(campaign):
    """Five items: the first two from another model; r1 and r2 agree except on the last item."""
    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key").select_related("item"))
    for ci in items[:2]:
        ci.item.metadata = {"model": "zephyr"}
        ci.item.save()
    table = {"alice": [1, 2, 3, 4, 1], "bob": [1, 2, 3, 4, 5]}
    for username, values in table.items():
        user = UserFactory(username=username)
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        for ci, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=ci, rater=user, values={"helpful": value}, comment=f"{username} on {value}")
    return campaign


def items_url(campaign, query: str = "") -> str:
    return reverse("ratings:agreement-items", args=[campaign.slug]) + query


def test_owner_sees_every_raters_label_by_username_most_disputed_first(client, rated, owner):
    client.force_login(owner)
    response = client.get(items_url(rated, "?criterion=helpful"))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert len(rows) == 5
    last = CampaignItem.objects.get(campaign=rated, order_key=4).item.external_id
    assert rows[0].external_id == last
    assert rows[0].labels == [("alice", "1"), ("bob", "5")]
    body = response.content.decode()
    assert "alice: <strong>1</strong>" in body and "bob: <strong>5</strong>" in body


def test_items_can_be_sorted_by_item_id(client, rated, owner):
    client.force_login(owner)
    rows = client.get(items_url(rated, "?criterion=helpful&sort=item")).context["page"].object_list
    assert [r.external_id for r in rows] == sorted(r.external_id for r in rows)


def test_items_filter_by_metadata_slice(client, rated, owner):
    client.force_login(owner)
    response = client.get(items_url(rated, "?criterion=helpful&field=model&value=atlas-7b"))
    assert len(response.context["page"].object_list) == 3
    response = client.get(items_url(rated, "?criterion=helpful&field=model&value=zephyr"))
    assert len(response.context["page"].object_list) == 2


def test_items_filter_by_rater(client, rated, owner):
    late = UserFactory(username="carol")
    RatingFactory(campaign_item=rated.items.order_by("order_key").first(), rater=late, values={"helpful": 2})
    client.force_login(owner)
    rows = client.get(items_url(rated, "?criterion=helpful&rater=carol")).context["page"].object_list
    assert len(rows) == 1
    assert ("carol", "2") in rows[0].labels


def test_items_are_paginated(client, db, curator):
    campaign = CampaignFactory(with_items=60, owner=curator)
    user = UserFactory(username="solo")
    for ci in campaign.items.all():
        RatingFactory(campaign_item=ci, rater=user, values={"helpful": 3})
    client.force_login(curator)
    first = client.get(items_url(campaign, "?criterion=helpful"))
    assert len(first.context["page"].object_list) == 50
    assert "page=2" in first.content.decode()
    second = client.get(items_url(campaign, "?criterion=helpful&page=2"))
    assert len(second.context["page"].object_list) == 10


def test_rater_and_outsider_get_404_on_the_item_list(client, rated, rater, outsider):
    for user in (rater, outsider):
        client.force_login(user)
        assert client.get(items_url(rated, "?criterion=helpful")).status_code == 404


def test_an_unknown_criterion_is_404(client, rated, owner):
    client.force_login(owner)
    assert client.get(items_url(rated, "?criterion=nope")).status_code == 404


def test_item_page_shows_content_safely_and_labels_and_comments_side_by_side(client, rated, owner):
    ci = rated.items.order_by("order_key").last()
    ci.item.content = {"prompt": "Hi", "response": "<script>alert(1)</script> **bold**"}
    ci.item.save()
    client.force_login(owner)
    response = client.get(reverse("ratings:agreement-item", args=[rated.slug, ci.pk]) + "?criterion=helpful")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "<strong>bold</strong>" in body
    assert "alice on 1" in body and "bob on 5" in body
    assert "1 · Not helpful" in body and "5 · Extremely helpful" in body


def test_viewer_and_adjudicator_read_the_item_page(client, rated, viewer, adjudicator):
    ci = rated.items.first()
    for user in (viewer, adjudicator):
        client.force_login(user)
        assert client.get(reverse("ratings:agreement-item", args=[rated.slug, ci.pk])).status_code == 200


def test_rater_and_outsider_get_404_on_the_item_page(client, rated, rater, outsider):
    ci = rated.items.first()
    for user in (rater, outsider):
        client.force_login(user)
        assert client.get(reverse("ratings:agreement-item", args=[rated.slug, ci.pk])).status_code == 404


def test_an_item_of_another_campaign_is_404(client, rated, owner):
    other = CampaignFactory(with_items=1)
    ci = other.items.first()
    client.force_login(owner)
    assert client.get(reverse("ratings:agreement-item", args=[rated.slug, ci.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, rated):
    assert client.get(items_url(rated)).status_code == 302
    ci = rated.items.first()
    assert client.get(reverse("ratings:agreement-item", args=[rated.slug, ci.pk])).status_code == 302


def test_item_page_lists_metadata_for_readers(client, rated, owner):
    ci = rated.items.first()
    ci.item.metadata = {"model": "zephyr", "source": "forum"}
    ci.item.save()
    client.force_login(owner)
    body = client.get(reverse("ratings:agreement-item", args=[rated.slug, ci.pk])).content.decode()
    assert "zephyr" in body and "forum" in body
