"""A closed (or archived) campaign takes no imported ratings and no gold changes; drafts and paused ones do."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, CampaignItem
from ratings.gold import campaign_gold_import, campaign_items_mark_gold, campaign_items_unmark_gold
from ratings.models import Rating
from ratings.services import ratings_import
from tests.ratings.test_import_ratings import counts, long_rows, make_campaign, write_file

# Every status past the open ones; the service must refuse each, whatever it is called.
CLOSED = [Campaign.Status.CLOSED, Campaign.Status.ARCHIVED]


def _set_status(campaign: Campaign, status: str) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=status)


def _gold() -> set[str]:
    return set(CampaignItem.objects.filter(is_gold=True).values_list("item__external_id", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("status", CLOSED)
def test_import_into_a_closed_campaign_is_refused_and_writes_nothing(tmp_path: Path, status: str) -> None:
    campaign = make_campaign()
    _set_status(campaign, status)
    before = counts()
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "4")))
    label = Campaign.Status(status).label.lower()
    with pytest.raises(ValidationError, match=rf"This campaign is {label}: ratings can no longer be imported"):
        ratings_import(campaign=campaign, source=path)
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.PAUSED])
def test_import_into_a_draft_or_paused_campaign_is_accepted(tmp_path: Path, status: str) -> None:
    campaign = make_campaign()
    _set_status(campaign, status)
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "4"))))
    assert Rating.objects.count() == 1


@pytest.mark.django_db
def test_the_command_refuses_a_closed_campaign_without_a_traceback(tmp_path: Path) -> None:
    campaign = make_campaign()
    _set_status(campaign, Campaign.Status.CLOSED)
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "4")))
    with pytest.raises(CommandError, match="This campaign is closed: ratings can no longer be imported"):
        call_command("import_ratings", str(path), "--campaign", campaign.slug)
    assert Rating.objects.count() == 0


@pytest.mark.django_db
def test_the_page_says_the_campaign_is_closed_and_imports_nothing(
    client: Client, campaign: Campaign, owner: User
) -> None:
    _set_status(campaign, Campaign.Status.CLOSED)
    client.force_login(owner)
    url = reverse("ratings-upload:ratings-import", args=[campaign.slug])
    page = client.get(url).content.decode()
    assert "This campaign is closed: ratings can no longer be imported." in page
    assert '<form method="post" enctype="multipart/form-data">' not in page
    first = campaign.items.order_by("order_key").values_list("item__external_id", flat=True)[0]
    data = {
        "file": SimpleUploadedFile("labels.csv", f"item_id,rater,criterion,value\n{first},alice,helpful,4\n".encode()),
        "layout": "long",
        "item_field": "item_id",
        "rater_field": "rater",
        "criterion_field": "criterion",
        "value_field": "value",
        "comment_field": "comment",
    }
    before = counts()
    response = client.post(url, data)
    assert response.status_code == 400
    assert "This campaign is closed: ratings can no longer be imported." in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", CLOSED)
def test_gold_items_of_a_closed_campaign_cannot_change(tmp_path: Path, status: str) -> None:
    campaign = make_campaign()
    campaign_items_mark_gold(campaign=campaign, external_ids=["i1"], answers={"i1": {"helpful": 4}})
    _set_status(campaign, status)
    label = Campaign.Status(status).label.lower()
    refused = rf"This campaign is {label}: its gold items can no longer change"
    with pytest.raises(ValidationError, match=refused):
        campaign_items_mark_gold(campaign=campaign, external_ids=["i2"], answers={"i2": {"helpful": 3}})
    with pytest.raises(ValidationError, match=refused):
        campaign_items_unmark_gold(campaign=campaign, external_ids=["i1"])
    path = tmp_path / "gold.csv"
    path.write_text("id,helpful\ni3,2\n")
    with pytest.raises(ValidationError, match=refused):
        campaign_gold_import(campaign=campaign, source=path)
    with pytest.raises(CommandError, match=refused):
        call_command("mark_gold", campaign.slug, str(path))
    assert _gold() == {"i1"}


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.PAUSED])
def test_gold_items_of_a_draft_or_paused_campaign_can_change(tmp_path: Path, status: str) -> None:
    campaign = make_campaign()
    _set_status(campaign, status)
    path = tmp_path / "gold.csv"
    path.write_text("id,helpful\ni3,2\n")
    assert campaign_gold_import(campaign=campaign, source=path) == 1
    assert _gold() == {"i3"}


@pytest.mark.django_db
def test_the_gold_page_of_a_closed_campaign_says_so_and_changes_nothing(
    client: Client, campaign: Campaign, owner: User
) -> None:
    first, second = campaign.items.order_by("order_key").values_list("item__external_id", flat=True)[:2]
    campaign_items_mark_gold(campaign=campaign, external_ids=[first])
    _set_status(campaign, Campaign.Status.CLOSED)
    client.force_login(owner)
    url = reverse("ratings:campaign-gold", args=[campaign.slug])
    page = client.get(url).content.decode()
    assert "This campaign is closed: its gold items can no longer change." in page
    assert "Save gold item" not in page
    response = client.post(url, {"external_id": second})
    assert "This campaign is closed: its gold items can no longer change." in response.content.decode()
    remove = client.post(reverse("ratings:campaign-gold-remove", args=[campaign.slug]), {"external_id": first})
    assert remove.status_code == 200
    assert "This campaign is closed: its gold items can no longer change." in remove.content.decode()
    assert _gold() == {first}
