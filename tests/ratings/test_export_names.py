"""Raters are named by pseudonyms that stay the same across exports; usernames only for owners who ask."""

import io

import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse

from annotate.models import Membership
from ratings.pseudonyms import rater_pseudonym
from tests.factories import CampaignFactory, MembershipFactory, RatingFactory, UserFactory


def _page_csv(client, campaign, **fields) -> pd.DataFrame:
    data = {"format": "csv", "per": "rating", "criterion": ""} | fields
    response = client.post(reverse("ratings:export", args=[campaign.slug]), data)
    assert response.status_code == 200
    return pd.read_csv(io.BytesIO(b"".join(response.streaming_content)))


def _api_csv(client, campaign, query: str = "") -> pd.DataFrame:
    response = client.get(f"/api/v1/campaigns/{campaign.slug}/export/?format=csv{query}")
    assert response.status_code == 200
    return pd.read_csv(io.BytesIO(b"".join(response.streaming_content)))


def _command_csv(campaign, *extra: str) -> pd.DataFrame:
    out = io.StringIO()
    call_command("export_labels", campaign.slug, *extra, stdout=out)
    return pd.read_csv(io.StringIO(out.getvalue()))


def test_raters_appear_by_pseudonym_and_never_by_username(client, rated, owner):
    client.force_login(owner)
    frame = _page_csv(client, rated)
    assert "rater_name" not in frame.columns
    assert set(frame["rater"]) == {rater_pseudonym(rated, UserFactory(username=n).pk) for n in ("r1", "r2", "r3")}
    assert not frame.isin(["r1", "r2", "r3"]).any().any()


def test_pseudonyms_are_the_same_in_every_export_and_format_of_a_campaign(client, rated, owner, viewer, tmp_path):
    client.force_login(owner)
    first = _page_csv(client, rated)
    client.force_login(viewer)
    again = _api_csv(client, rated)
    path = tmp_path / "r.parquet"
    call_command("export_labels", rated.slug, "--format", "parquet", "-o", str(path), stderr=io.StringIO())
    assert list(first["rater"]) == list(again["rater"]) == list(pd.read_parquet(path)["rater"])


def test_pseudonyms_differ_between_campaigns(db, rated):
    other = CampaignFactory(with_items=1)
    r1 = UserFactory(username="r1")
    MembershipFactory(campaign=other, user=r1, role=Membership.Role.RATER)
    RatingFactory(campaign_item=other.items.first(), rater=r1)
    assert set(_command_csv(other)["rater"]).isdisjoint(set(_command_csv(rated)["rater"]))


def test_an_owner_who_asks_gets_usernames_beside_the_pseudonyms(client, rated, owner):
    client.force_login(owner)
    frame = _page_csv(client, rated, names="on")
    assert list(frame.columns[:4]) == ["item_id", "campaign_item", "rater", "rater_name"]
    assert {(row.rater_name, row.rater) for row in frame.itertuples()} == {
        (n, rater_pseudonym(rated, UserFactory(username=n).pk)) for n in ("r1", "r2", "r3")
    }
    api = _api_csv(client, rated, "&names=true")
    assert set(api["rater_name"]) == {"r1", "r2", "r3"}


@pytest.mark.parametrize("role", ["viewer", "adjudicator"])
def test_anyone_but_an_owner_asking_for_names_gets_pseudonyms(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    assert "rater_name" not in _page_csv(client, rated, names="on").columns
    assert "rater_name" not in _api_csv(client, rated, "&names=true").columns


def test_the_command_adds_usernames_when_asked(rated):
    assert "rater_name" not in _command_csv(rated).columns
    assert set(_command_csv(rated, "--names")["rater_name"]) == {"r1", "r2", "r3"}
