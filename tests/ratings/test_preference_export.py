"""Preference pairs for training: a pairwise campaign's items as prompt / chosen / rejected rows, read back with
pandas, by command, API and page."""

import io
from datetime import UTC, datetime

import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotate.models import Assignment, Campaign, CampaignItem, Dataset, Membership
from annotate.rubrics import validate_criteria
from ratings import export_runs
from ratings.models import Adjudication, ExportRun
from ratings.preference_export import system_fields
from ratings.queue import assignment_next
from ratings.services import rating_submit
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    ItemFactory,
    MachineRaterFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

CRITERIA = [
    {"key": "pref", "type": "pairwise"},
    {"key": "graded", "type": "pairwise", "strength": 2},
    {"key": "why", "type": "free_text", "required": False},
]
# external id -> votes of r1, r2, r3 as (pref, graded), in the dataset's A/B terms.
VOTES = {
    "clear_b": [("B", 2), ("B", 1), ("A", -1)],
    "unanimous_a": [("A", -2), ("A", -2), ("A", -1)],
    "tie_vote": [("tie", 0), ("tie", 0), ("A", 1)],
    "split": [("A", -1), ("B", 1)],
    "overruled": [("A", -1), ("A", -1), ("B", 2)],
    "ambiguous": [("A", -1), ("B", 1), ("B", 1)],
    "unrated": [],
    "machine": [("A", -1)],
}
COLUMNS = [
    "prompt",
    "chosen",
    "rejected",
    "margin",
    "n_votes",
    "votes_chosen",
    "votes_rejected",
    "votes_tie",
    "agreement",
    "item_id",
    "system_chosen",
    "system_rejected",
    "criterion",
    "label_source",
    "tie",
    "chosen_side",
]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def _adjudicate(campaign: Campaign, item: CampaignItem, key: str, outcome: str, value: object = None) -> None:
    Adjudication.objects.create(
        campaign=campaign,
        campaign_item=item,
        criterion_key=key,
        outcome=outcome,
        value=value,
        rationale="Read both twice.",
        decided_by=UserFactory(),
        decided_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )


def build_pairs(owner: User, *, content_fields: tuple[str, ...] = ("prompt", "response_a", "response_b")) -> Campaign:
    """A pairwise campaign (plain and graded criteria) with hand-set votes, an overruling and an ambiguous call."""
    dataset = DatasetFactory(content_fields=list(content_fields), metadata_fields=["model_a", "model_b", "topic"])
    version = RubricVersionFactory(criteria=validate_criteria(CRITERIA))
    campaign = CampaignFactory(created_by=owner, owner=owner, dataset=dataset, rubric_version=version, overlap=3)
    raters = [UserFactory(username=f"r{i}") for i in (1, 2, 3)]
    items = {}
    for order, external_id in enumerate(VOTES):
        content = {name: f"{name} of {external_id}" for name in content_fields}
        metadata = {"model_a": "atlas-7b", "topic": "maths"}
        if external_id != "clear_b":
            metadata["model_b"] = "borealis-13b"
        item = ItemFactory(dataset=dataset, external_id=external_id, content=content, metadata=metadata)
        items[external_id] = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        for rater, (pref, graded) in zip(raters, VOTES[external_id], strict=False):
            RatingFactory(campaign_item=items[external_id], rater=rater, values={"pref": pref, "graded": graded})
    # r1 looked again at an item and changed their mind: a repeat is not another vote.
    RatingFactory(
        campaign_item=items["unanimous_a"], rater=raters[0], values={"pref": "B", "graded": 2}, is_repeat=True
    )
    # A machine judge disagrees with the one person who rated "machine": it is not in the pool.
    judge = MachineRaterFactory(campaign=campaign)
    RatingFactory(campaign_item=items["machine"], rater=judge.user, values={"pref": "B", "graded": 2}, by_machine=True)
    _adjudicate(campaign, items["overruled"], "pref", Adjudication.Outcome.FINAL, "B")
    _adjudicate(campaign, items["ambiguous"], "pref", Adjudication.Outcome.AMBIGUOUS)
    return Campaign.objects.select_related("dataset", "rubric_version").get(pk=campaign.pk)


@pytest.fixture
def pairs(db, curator: User) -> Campaign:
    return build_pairs(curator)


def _member(campaign: Campaign, username: str, role: str) -> User:
    user = UserFactory(username=username)
    MembershipFactory(campaign=campaign, user=user, role=role)
    return user


def _command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_labels", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _frame(campaign: Campaign, *args: str) -> pd.DataFrame:
    out, _ = _command(campaign.slug, "--format", "preference", *args)
    return pd.read_json(io.StringIO(out), lines=True).set_index("item_id", drop=False)


# --------------------------------------------------------------------------- rows


def test_rows_have_the_documented_columns_and_leave_out_ties_ambiguous_and_unrated(pairs):
    frame = _frame(pairs, "--criterion", "pref")
    assert list(frame.columns) == COLUMNS
    assert sorted(frame.index) == ["clear_b", "machine", "overruled", "unanimous_a"]
    row = frame.loc["clear_b"]
    assert (row["prompt"], row["chosen"], row["rejected"]) == (
        "prompt of clear_b",
        "response_b of clear_b",
        "response_a of clear_b",
    )
    assert (row["n_votes"], row["votes_chosen"], row["votes_rejected"], row["votes_tie"]) == (3, 2, 1, 0)
    assert row["margin"] == pytest.approx(1 / 3) and row["agreement"] == pytest.approx(2 / 3)
    assert (row["chosen_side"], row["label_source"], row["criterion"], row["tie"]) == ("B", "majority", "pref", False)
    # The dataset names no system for its response B: null, not a guess.
    assert pd.isna(row["system_chosen"]) and row["system_rejected"] == "atlas-7b"


def test_a_unanimous_item_has_full_margin_and_agreement_and_repeats_are_not_votes(pairs):
    row = _frame(pairs, "--criterion", "pref").loc["unanimous_a"]
    assert (row["chosen"], row["chosen_side"], row["label_source"]) == ("response_a of unanimous_a", "A", "unanimous")
    assert (row["n_votes"], row["votes_chosen"], row["margin"], row["agreement"]) == (3, 3, 1.0, 1.0)
    assert (row["system_chosen"], row["system_rejected"]) == ("atlas-7b", "borealis-13b")


def test_the_adjudicated_winner_overrides_the_majority(pairs):
    row = _frame(pairs, "--criterion", "pref").loc["overruled"]
    assert (row["chosen"], row["chosen_side"], row["label_source"]) == ("response_b of overruled", "B", "adjudicated")
    assert (row["votes_chosen"], row["votes_rejected"]) == (1, 2)
    # The raters leaned the other way: the margin says so.
    assert row["margin"] == pytest.approx(-1 / 3) and row["agreement"] == pytest.approx(1 / 3)


def test_machine_raters_votes_are_not_counted(pairs):
    row = _frame(pairs, "--criterion", "pref").loc["machine"]
    assert (row["n_votes"], row["votes_chosen"], row["votes_rejected"]) == (1, 1, 0)
    assert (row["chosen_side"], row["label_source"]) == ("A", "single_rating")


def test_ties_are_kept_on_request_with_a_and_b_in_order(pairs):
    frame = _frame(pairs, "--criterion", "pref", "--include-ties")
    assert sorted(frame.index[frame["tie"]]) == ["split", "tie_vote"]
    voted = frame.loc["tie_vote"]
    assert (voted["chosen"], voted["rejected"], voted["chosen_side"]) == (
        "response_a of tie_vote",
        "response_b of tie_vote",
        "A",
    )
    assert (voted["label_source"], voted["votes_tie"], voted["votes_chosen"]) == ("majority", 2, 1)
    assert voted["agreement"] == pytest.approx(2 / 3)
    split = frame.loc["split"]
    assert (split["label_source"], split["margin"], split["agreement"]) == ("tie", 0.0, 0.0)
    assert "ambiguous" not in frame.index


def test_ambiguous_items_are_kept_on_request_and_state_no_preference(pairs):
    frame = _frame(pairs, "--criterion", "pref", "--include-ambiguous")
    row = frame.loc["ambiguous"]
    assert (row["tie"], row["label_source"], row["chosen_side"]) == (True, "ambiguous", "A")
    assert (row["votes_chosen"], row["votes_rejected"]) == (1, 2)
    assert pd.isna(row["agreement"])
    assert "tie_vote" not in frame.index


def test_graded_margin_is_the_mean_signed_strength_toward_the_chosen_side(pairs):
    frame = _frame(pairs, "--criterion", "graded")
    unanimous = frame.loc["unanimous_a"]
    # Votes -2, -2, -1: two say A is much better, one slightly: (2 + 2 + 1) / 3 toward A.
    assert (unanimous["chosen_side"], unanimous["label_source"]) == ("A", "majority")
    assert unanimous["margin"] == pytest.approx(5 / 3)
    # Votes 2, 1, -1 agree on B but not on how much: the side most votes are on wins.
    clear = frame.loc["clear_b"]
    assert (clear["chosen_side"], clear["label_source"]) == ("B", "side_majority")
    assert clear["margin"] == pytest.approx((2 + 1 - 1) / 3) and clear["agreement"] == pytest.approx(2 / 3)
    # Graded votes -1, 1 split the sides: a tie, left out.
    assert "split" not in frame.index


@pytest.mark.django_db
def test_a_swapped_screen_does_not_flip_the_winner(curator):
    dataset = DatasetFactory(content_fields=["prompt", "response_a", "response_b"], metadata_fields=[])
    version = RubricVersionFactory(criteria=validate_criteria(CRITERIA[:1]))
    campaign = CampaignFactory(created_by=curator, owner=curator, dataset=dataset, rubric_version=version, overlap=1)
    item = ItemFactory(
        dataset=dataset, external_id="x", content={"prompt": "P", "response_a": "AA", "response_b": "BB"}
    )
    CampaignItem.objects.create(campaign=campaign, item=item, order_key=0)
    rater = UserFactory(username="swapped")
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    assignment = assignment_next(campaign=campaign, rater=rater)
    Assignment.objects.filter(pk=assignment.pk).update(presentation={"left": "b"})
    assignment.refresh_from_db()
    # The rater saw response B on the left and pressed "A is better": the left one, B.
    rating_submit(assignment=assignment, values={"pref": "A"})
    row = _frame(campaign).loc["x"]
    assert (row["chosen"], row["rejected"], row["chosen_side"]) == ("BB", "AA", "B")


def test_the_system_field_names_the_metadata_behind_each_side(pairs):
    pairs.system_field = "checkpoint"
    pairs.save(update_fields=["system_field"])
    row = _frame(pairs, "--criterion", "pref").loc["unanimous_a"]
    assert pd.isna(row["system_chosen"]) and pd.isna(row["system_rejected"])


# --------------------------------------------------------------------------- the prompt field


@pytest.mark.django_db
def test_several_visible_prompt_candidates_must_be_named(curator):
    campaign = build_pairs(curator, content_fields=("prompt", "context", "response_a", "response_b"))
    with pytest.raises(CommandError) as error:
        _command(campaign.slug, "--format", "preference", "--criterion", "pref")
    assert "several content fields besides the compared ones (prompt, context)" in str(error.value)
    frame = _frame(campaign, "--criterion", "pref", "--prompt-field", "context")
    assert frame.loc["clear_b", "prompt"] == "context of clear_b"


@pytest.mark.django_db
def test_the_prompt_is_the_visible_field_when_the_other_is_hidden(curator):
    campaign = build_pairs(curator, content_fields=("prompt", "context", "response_a", "response_b"))
    campaign.visible_fields = ["context", "response_a", "response_b"]
    campaign.save(update_fields=["visible_fields"])
    assert _frame(campaign, "--criterion", "pref").loc["clear_b", "prompt"] == "context of clear_b"


# --------------------------------------------------------------------------- command


def test_the_command_says_what_it_wrote_and_left_out(pairs, tmp_path):
    path = tmp_path / "pairs.jsonl"
    _, err = _command(pairs.slug, "--format", "preference", "--criterion", "pref", "-o", str(path))
    assert len(pd.read_json(path, lines=True)) == 4
    assert (
        f"Wrote to {path}: 4 preference pairs from 8 items; left out: 2 ties, 1 genuinely ambiguous, 1 without votes."
        in err
    )
    assert "--include-ties and --include-ambiguous" in err
    _, err = _command(pairs.slug, "--format", "preference", "--criterion", "pref", "--include-ties", "-o", str(path))
    assert "6 preference pairs (2 ties among them) from 8 items" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "has several pairwise criteria (pref, graded): name one"),
        (
            ["--criterion", "why"],
            "criterion 'why' is not a pairwise preference (the pairwise criteria: pref, graded)",
        ),
        (["--criterion", "nope"], "has no criterion 'nope' (its pairwise criteria: pref, graded)"),
        (
            ["--criterion", "pref", "--prompt-field", "response_a"],
            "prompt field 'response_a' is not a content field besides the compared response_a and response_b "
            "(choose from: prompt)",
        ),
    ],
)
def test_bad_options_are_refused_with_a_reason(pairs, args, message):
    with pytest.raises(CommandError) as error:
        _command(pairs.slug, "--format", "preference", *args)
    assert message in str(error.value)


def test_a_campaign_without_a_pairwise_criterion_is_refused(rated):
    with pytest.raises(CommandError) as error:
        _command(rated.slug, "--format", "preference")
    assert (
        f"campaign {rated.slug} has no pairwise criterion to take preference pairs from (its criteria: helpful)"
        in str(error.value)
    )


# --------------------------------------------------------------------------- API


def _api(campaign: Campaign, query: str = "") -> str:
    return f"/api/v1/campaigns/{campaign.slug}/export/?format=preference&criterion=pref{query}"


def _read(response) -> pd.DataFrame:
    return pd.read_json(io.BytesIO(b"".join(response.streaming_content)), lines=True)


@pytest.mark.parametrize("role", [Membership.Role.VIEWER, Membership.Role.ADJUDICATOR])
def test_api_readers_get_the_pairs_with_the_options(client, pairs, role):
    client.force_login(_member(pairs, "reader", role))
    response = client.get(_api(pairs, "&include_ties=true"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{pairs.slug}-preference.jsonl"'
    assert sorted(_read(response)["item_id"]) == ["clear_b", "machine", "overruled", "split", "tie_vote", "unanimous_a"]


@pytest.mark.parametrize("who", ["rater", "outsider"])
def test_api_refuses_raters_and_outsiders(client, pairs, who):
    user = _member(pairs, "r", Membership.Role.RATER) if who == "rater" else UserFactory(username="o")
    client.force_login(user)
    assert client.get(_api(pairs)).status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("&prompt_field=nope", "prompt_field", "prompt field 'nope' is not a content field"),
        ("&include_ties=perhaps", "include_ties", "valid boolean"),
    ],
)
def test_api_bad_options_are_400_naming_the_field(client, pairs, curator, query, field, words):
    client.force_login(curator)
    response = client.get(_api(pairs, query))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field
    assert words in error["message"]


def test_api_refuses_preference_pairs_of_a_campaign_without_a_pairwise_criterion(client, rated, owner):
    client.force_login(owner)
    response = client.get(f"/api/v1/campaigns/{rated.slug}/export/?format=preference")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "format"
    assert "has no pairwise criterion" in error["message"]


def test_a_large_campaign_writes_the_pairs_in_a_task_with_its_options(client, pairs, curator, monkeypatch):
    monkeypatch.setattr(export_runs, "EXPORT_INLINE_ITEMS", 4)
    client.force_login(curator)
    response = client.get(_api(pairs, "&include_ties=true&include_ambiguous=true"))
    assert response.status_code == 202
    run = ExportRun.objects.get()
    assert (run.scope, run.fmt, run.criterion_key) == ("pair", "jsonl", "pref")
    assert run.options == {"include_ties": True, "include_ambiguous": True, "prompt_field": "prompt"}
    body = client.get(response["Location"]).json()
    assert (body["status"], body["rows"], body["total"]) == ("succeeded", 7, 8)
    frame = _read(client.get(body["download_url"]))
    assert sorted(frame.loc[frame["tie"], "item_id"]) == ["ambiguous", "split", "tie_vote"]


# --------------------------------------------------------------------------- page


def _page(campaign: Campaign) -> str:
    return reverse("ratings:export", args=[campaign.slug])


def test_the_page_offers_preference_pairs_with_their_columns_and_what_is_left_out(client, pairs, curator):
    client.force_login(curator)
    page = client.get(_page(pairs)).content.decode()
    assert "Preference pairs (JSONL)" in page and "Preference pairs: keep ties" in page
    assert "<code>votes_chosen</code>" in page and "<code>label_source</code>" in page
    assert "2 ties, 1 genuinely ambiguous, 1 without votes" in page


def test_the_page_of_a_campaign_without_a_pairwise_criterion_offers_no_preference_pairs(client, rated, owner):
    client.force_login(owner)
    page = client.get(_page(rated)).content.decode()
    assert "Preference pairs" not in page


def test_the_page_downloads_the_pairs(client, pairs, curator):
    client.force_login(curator)
    data = {"format": "preference", "per": "rating", "criterion": "pref", "include_ambiguous": "on"}
    response = client.post(_page(pairs), data)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{pairs.slug}-preference.jsonl"'
    frame = _read(response)
    assert sorted(frame["item_id"]) == ["ambiguous", "clear_b", "machine", "overruled", "unanimous_a"]


def test_the_page_re_renders_a_bad_choice_with_its_reason(client, pairs, curator):
    client.force_login(curator)
    response = client.post(_page(pairs), {"format": "preference", "per": "rating", "criterion": "why"})
    assert response.status_code == 400
    assert "criterion &#x27;why&#x27; is not a pairwise preference" in response.content.decode()


@pytest.mark.parametrize("who", ["rater", "outsider"])
def test_the_page_refuses_raters_and_outsiders(client, pairs, who):
    user = _member(pairs, "r", Membership.Role.RATER) if who == "rater" else UserFactory(username="o")
    client.force_login(user)
    assert client.get(_page(pairs)).status_code == 404
    post = client.post(_page(pairs), {"format": "preference", "per": "rating", "criterion": "pref"})
    assert post.status_code == 404


def test_without_a_system_field_the_metadata_pair_is_guessed_model_then_system(pairs):
    def guess(fields: list[str], system_field: str = "") -> tuple[str, str] | None:
        campaign = Campaign(
            system_field=system_field, dataset=Dataset(metadata_fields=fields), rubric_version=pairs.rubric_version
        )
        return system_fields(campaign)

    assert guess(["engine_a", "engine_b", "system_a", "system_b"]) == ("system_a", "system_b")
    assert guess(["system_a", "system_b", "model_a", "model_b"]) == ("model_a", "model_b")
    assert guess(["engine_a", "engine_b"]) == ("engine_a", "engine_b")
    assert guess(["model_a", "topic"]) is None
    assert guess(["model_a", "model_b"], "engine") == ("engine_a", "engine_b")


def test_a_large_export_from_the_page_reports_its_pairs_against_the_items(client, pairs, curator, monkeypatch):
    monkeypatch.setattr(export_runs, "EXPORT_INLINE_ITEMS", 4)
    client.force_login(curator)
    data = {"format": "preference", "per": "rating", "criterion": "pref", "include_ties": "on"}
    response = client.post(_page(pairs), data, follow=True)
    page = response.content.decode()
    assert "6 preference pairs (pref, ties kept) from 8 items" in page
    assert "Download the file" in page
