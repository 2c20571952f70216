"""The ratings import page: owners only; the import runs as a task whose page shows the counts or the failing row."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign
from ratings.models import Rating
from tests.ratings.test_import_ratings import counts, write_file


def _url(campaign: Campaign) -> str:
    return reverse("ratings-upload:ratings-import", args=[campaign.slug])


def _ids(campaign: Campaign) -> list[str]:
    return list(campaign.items.order_by("order_key").values_list("item__external_id", flat=True))


def _post(client: Client, campaign: Campaign, text: str, name: str = "labels.csv", **fields: str) -> object:
    data = {
        "file": SimpleUploadedFile(name, text.encode()),
        "fmt": "",
        "layout": "long",
        "criterion": "",
        "item_field": "item_id",
        "rater_field": "rater",
        "criterion_field": "criterion",
        "value_field": "value",
        "comment_field": "comment",
        **fields,
    }
    # The import runs as a task (run at once by the test settings' backend); the form redirects to its page.
    return client.post(_url(campaign), data, follow=True)


@pytest.mark.django_db
def test_owner_sees_the_form_and_the_campaign_links_to_it(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    response = client.get(_url(campaign))
    assert response.status_code == 200
    assert "Import ratings" in response.content.decode()
    detail = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert _url(campaign) in detail


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rater", "viewer", "adjudicator", "outsider"])
def test_non_owners_get_404(client: Client, campaign: Campaign, role: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(role))
    assert client.get(_url(campaign)).status_code == 404
    before = counts()
    assert _post(client, campaign, "item_id,rater,criterion,value\n").status_code == 404
    assert counts() == before


@pytest.mark.django_db
def test_rater_sees_no_import_link(client: Client, campaign: Campaign, rater: User) -> None:
    client.force_login(rater)
    detail = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert _url(campaign) not in detail


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client: Client, campaign: Campaign) -> None:
    response = client.get(_url(campaign))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_long_upload_shows_counts_and_new_raters(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    first, second = _ids(campaign)[:2]
    text = f"item_id,rater,criterion,value\n{first},alice,helpful,4\n{second},alice,helpful,2\n{first},bob,helpful,5\n"
    response = _post(client, campaign, text)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ratings imported" in page
    assert '<div class="stat">3</div><div class="muted">ratings</div>' in page
    for name in ("alice", "bob"):
        assert f'<li>{name} <span class="muted">as {name}@{campaign.slug}</span></li>' in page
    assert Rating.objects.filter(campaign_item__campaign=campaign, source="labels.csv").count() == 3


@pytest.mark.django_db
def test_wide_upload(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    first, second = _ids(campaign)[:2]
    text = f"item_id,alice,bob\n{first},4,3\n{second},,1\n"
    response = _post(client, campaign, text, layout="wide", criterion="helpful")
    assert response.status_code == 200
    assert Rating.objects.filter(campaign_item__campaign=campaign).count() == 3


@pytest.mark.django_db
def test_wide_upload_needs_a_criterion(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    response = _post(client, campaign, "item_id,alice\nx,1\n", layout="wide")
    assert response.status_code == 400
    assert "The wide layout holds one criterion: pick it." in response.content.decode()


@pytest.mark.django_db
def test_error_names_the_row_on_the_import_page_and_writes_nothing(
    client: Client, campaign: Campaign, owner: User
) -> None:
    client.force_login(owner)
    first = _ids(campaign)[0]
    before = counts()
    text = f"item_id,rater,criterion,value\n{first},alice,helpful,4\nmissing-id,bob,helpful,5\n"
    response = _post(client, campaign, text)
    page = response.content.decode()
    assert response.status_code == 200
    assert "line 3, field &#x27;item_id&#x27;, value &#x27;missing-id&#x27;: no item with this id" in page
    assert "Nothing was imported." in page and "hx-trigger" not in page
    assert counts() == before


@pytest.mark.django_db
def test_unknown_extension_is_a_form_error(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    response = _post(client, campaign, "whatever", name="labels.xlsx")
    assert response.status_code == 400
    assert "Unknown file extension" in response.content.decode()


@pytest.mark.django_db
def test_parquet_upload(client: Client, campaign: Campaign, owner: User, tmp_path: Path) -> None:
    client.force_login(owner)
    first = _ids(campaign)[0]
    path = write_file(tmp_path, "parquet", [{"item_id": first, "alice": 4, "bob": 5}])
    data = {"file": SimpleUploadedFile("labels.parquet", path.read_bytes()), "layout": "wide", "criterion": "helpful"}
    data |= {"item_field": "item_id", "rater_field": "rater", "criterion_field": "criterion", "value_field": "value"}
    response = client.post(_url(campaign), {**data, "comment_field": "comment"}, follow=True)
    assert response.status_code == 200
    assert Rating.objects.filter(campaign_item__campaign=campaign, source="labels.parquet").count() == 2


@pytest.mark.django_db
def test_the_member_box_credits_labels_to_the_campaigns_raters(
    client: Client, campaign: Campaign, owner: User, rater: User
) -> None:
    client.force_login(owner)
    first, second = _ids(campaign)[:2]
    text = f"item_id,rater,criterion,value\n{first},rater,helpful,4\n"
    page = _post(client, campaign, text).content.decode()
    assert f'<li>rater <span class="muted">as rater@{campaign.slug}</span></li>' in page
    assert not Rating.objects.filter(rater=rater).exists()
    text = f"item_id,rater,criterion,value\n{second},rater,helpful,2\n"
    page = _post(client, campaign, text, match_members="on").content.decode()
    assert "Credited to this campaign's raters" in page
    assert Rating.objects.get(rater=rater).values == {"helpful": 2}


@pytest.mark.django_db
def test_only_owners_see_an_import_and_its_page_polls_until_it_finishes(
    client: Client, campaign: Campaign, owner: User, rater: User, outsider: User, settings
) -> None:
    # Queued, not run: no worker takes it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(owner)
    first = _ids(campaign)[0]
    response = _post(client, campaign, f"item_id,rater,criterion,value\n{first},alice,helpful,4\n")
    url = response.redirect_chain[-1][0]
    page = response.content.decode()
    assert "Waiting for a worker" in page and f'hx-get="{url}" hx-trigger="every 2s"' in page
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Waiting for a worker" in fragment and "<html" not in fragment
    for user in (rater, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert not Rating.objects.filter(campaign_item__campaign=campaign).exists()
