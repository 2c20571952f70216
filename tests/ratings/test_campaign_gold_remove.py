"""Turning a gold item back into an ordinary one deletes its expected values: the page asks first."""

import pytest
from django.urls import reverse

from annotate.models import Campaign, CampaignItem
from ratings.gold import campaign_items_mark_gold

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_id(campaign: Campaign) -> str:
    external_id = campaign.items.order_by("order_key").first().item.external_id
    campaign_items_mark_gold(campaign=campaign, external_ids=[external_id], answers={external_id: {"helpful": 4}})
    return external_id


def remove_url(campaign: Campaign) -> str:
    return reverse("ratings:campaign-gold-remove", args=[campaign.slug])


def is_gold(campaign: Campaign, external_id: str) -> bool:
    return CampaignItem.objects.filter(campaign=campaign, item__external_id=external_id, is_gold=True).exists()


def test_remove_asks_first_and_keeps_the_expected_values(client, owner, campaign, gold_id):
    client.force_login(owner)
    response = client.post(remove_url(campaign), {"external_id": gold_id})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Make item &#x27;{gold_id}&#x27; an ordinary item?" in page
    assert "Its expected values are deleted" in page
    assert f'name="external_id" value="{gold_id}"' in page and 'name="confirm" value="on"' in page
    assert reverse("ratings:campaign-gold", args=[campaign.slug]) in page
    assert is_gold(campaign, gold_id)


def test_confirmed_remove_makes_it_ordinary(client, owner, campaign, gold_id):
    client.force_login(owner)
    response = client.post(remove_url(campaign), {"external_id": gold_id, "confirm": "on"})
    assert response.status_code == 302
    assert not is_gold(campaign, gold_id)


@pytest.mark.parametrize("external_id", ["not-gold", "x" * 5000, ""])
def test_what_is_not_a_gold_item_is_refused_before_asking(client, owner, campaign, gold_id, external_id):
    client.force_login(owner)
    response = client.post(remove_url(campaign), {"external_id": external_id})
    page = response.content.decode()
    assert response.status_code == 200
    assert "is not a gold item of" in page.split('id="gold-remove-error"')[1].split("</p>")[0]
    assert 'name="confirm"' not in page
    assert is_gold(campaign, gold_id)


def test_a_closed_campaign_says_so_before_asking(client, owner, campaign, gold_id):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    client.force_login(owner)
    page = client.post(remove_url(campaign), {"external_id": gold_id}).content.decode()
    assert "This campaign is closed: its gold items can no longer change." in page
    assert 'name="confirm"' not in page
    assert is_gold(campaign, gold_id)
