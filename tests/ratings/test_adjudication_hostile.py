"""Hostile input at the adjudication pages: a clear error, nothing written, never a server error."""

import pytest
from django.urls import reverse

from annotate.models import Campaign, CampaignItem
from ratings.models import Adjudication, AdjudicationRequest
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _item(campaign: Campaign) -> CampaignItem:
    return CampaignItem.objects.filter(campaign=campaign).order_by("order_key").first()


def _decide(client, campaign: Campaign, item: CampaignItem, data: dict):
    return client.post(reverse("ratings:adjudicate-item", args=[campaign.slug, item.pk]), data)


def test_an_oversized_rationale_is_refused_with_its_length(client, rated, adjudicator):
    client.force_login(adjudicator)
    data = {"outcome-helpful": "ambiguous", "rationale-helpful": "x" * 5001}
    response = _decide(client, rated, _item(rated), data)
    assert response.status_code == 400
    assert "rationale: at most 5000 characters, got 5001" in response.content.decode()
    assert not Adjudication.objects.exists()


def test_a_nul_in_a_rationale_is_refused_before_the_view(client, rated, adjudicator):
    client.force_login(adjudicator)
    response = _decide(client, rated, _item(rated), {"outcome-helpful": "ambiguous", "rationale-helpful": "a\x00b"})
    assert response.status_code == 400
    assert not Adjudication.objects.exists()


@pytest.mark.parametrize("more", ["abc", "-1", "0", "99999999999999999999999", "1e3", ""])
def test_a_send_back_with_a_malformed_number_of_raters_is_refused(client, rated, adjudicator, more):
    rated.status = Campaign.Status.ACTIVE
    rated.save()
    client.force_login(adjudicator)
    response = _decide(client, rated, _item(rated), {"outcome-helpful": "send_back", "more_raters": more})
    assert response.status_code == 400
    assert "more raters: a whole number from 1 to 10" in response.content.decode()
    assert not Adjudication.objects.exists()
    assert _item(rated).extra_overlap == 0


@pytest.mark.parametrize("value", ["7", "<script>alert(1)</script>", "4" * 5000, "true"])
def test_a_final_value_outside_the_scale_is_refused_and_shown_escaped(client, rated, adjudicator, value):
    client.force_login(adjudicator)
    data = {"outcome-helpful": "final", "c-helpful": value, "rationale-helpful": "because"}
    response = _decide(client, rated, _item(rated), data)
    assert response.status_code == 400
    assert "final value:" in response.content.decode()
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not Adjudication.objects.exists()


def test_another_campaigns_item_is_not_found_under_this_campaign(client, rated, adjudicator):
    other = CampaignFactory(with_items=1)
    client.force_login(adjudicator)
    foreign = _item(other)
    assert client.get(reverse("ratings:adjudicate-item", args=[rated.slug, foreign.pk])).status_code == 404
    assert (
        _decide(client, rated, foreign, {"outcome-helpful": "ambiguous", "rationale-helpful": "x"}).status_code == 404
    )
    send = reverse("ratings:adjudicate-send", args=[rated.slug, foreign.pk])
    assert client.post(send, {"note": "x"}).status_code == 404
    assert not Adjudication.objects.exists() and not AdjudicationRequest.objects.exists()


@pytest.mark.parametrize("query", ["?after=abc", "?after=-5", "?after=99999999999999999999", "?reason=%00", "?page=x"])
def test_hostile_query_strings_on_the_queue_never_fail(client, rated, adjudicator, query):
    client.force_login(adjudicator)
    for name in ("adjudicate", "adjudicate-next", "campaign-flags"):
        assert client.get(reverse(f"ratings:{name}", args=[rated.slug]) + query).status_code in (200, 302, 400)
