"""Importing an automatic judge's labels: a machine rater's ratings, outside the membership and the queue."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from annotate.models import Campaign, CampaignItem, MachineRater, Membership
from annotate.services.machine_raters import Provenance
from ratings.importers import Layout
from ratings.models import Rating
from ratings.queue import assignment_next
from ratings.services import rating_submit, ratings_import
from tests.factories import CampaignFactory, MembershipFactory, UserFactory
from tests.ratings.test_import_ratings import counts, long_rows, make_campaign, write_file
from tests.ratings.test_import_ratings_page import _ids, _post


def judge_rows(*labels: tuple[str, str, str]) -> list[dict[str, str]]:
    """Long-layout rows without a rater column, from (item id, criterion, value) tuples."""
    return [{"item_id": i, "criterion": c, "value": v} for i, c, v in labels]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_machine_labels_are_the_machine_raters_and_no_membership(tmp_path: Path, fmt: str) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, fmt, judge_rows(("i1", "helpful", "4"), ("i1", "safe", "yes"), ("i2", "helpful", "2")))
    memberships = Membership.objects.count()
    result = ratings_import(
        campaign=campaign, source=path, machine="gpt-judge", provenance=Provenance(model="gpt-4o-mini")
    )
    assert (result.machine, result.machine_created, result.n_ratings, result.raters_created) == (
        "gpt-judge",
        True,
        2,
        [],
    )
    machine = MachineRater.objects.get(campaign=campaign)
    assert (machine.name, machine.model) == ("gpt-judge", "gpt-4o-mini")
    ratings = Rating.objects.filter(campaign_item__campaign=campaign)
    assert {(r.rater_id, r.by_machine, r.is_repeat) for r in ratings} == {(machine.user_id, True, False)}
    assert Membership.objects.count() == memberships
    assert not machine.user.is_active and not machine.user.has_usable_password()


@pytest.mark.django_db
def test_a_rater_column_naming_one_rater_is_ignored_and_two_raters_are_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    same = long_rows(("i1", "gpt", "helpful", "4"), ("i2", "gpt", "helpful", "3"))
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", same), machine="judge")
    assert Rating.objects.filter(by_machine=True).count() == 2
    before = counts()
    two = long_rows(("i3", "gpt", "helpful", "4"), ("i4", "claude", "helpful", "3"))
    with pytest.raises(ValidationError) as caught:
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", two, name="two"), machine="judge")
    assert caught.value.messages == [
        "line 3, field 'rater', value 'claude': every label of this file is judge's, but line 2 named the rater "
        "'gpt': split the file by rater, or leave the rater out."
    ]
    wide = [{"item_id": "i3", "gpt": "4", "claude": "2"}]
    with pytest.raises(
        ValidationError, match=r"line 2, field 'claude', value 'claude': every label .* named the rater 'gpt'"
    ):
        ratings_import(
            campaign=campaign,
            source=write_file(tmp_path, "csv", wide, name="wide"),
            layout=Layout(wide=True, criterion="helpful"),
            machine="judge",
        )
    assert counts() == before


@pytest.mark.django_db
def test_a_wide_file_with_one_column_is_the_judges(tmp_path: Path) -> None:
    campaign = make_campaign()
    wide = [{"item_id": "i1", "score": "4"}, {"item_id": "i2", "score": None}, {"item_id": "i3", "score": "1"}]
    layout = Layout(wide=True, criterion="helpful")
    result = ratings_import(
        campaign=campaign, source=write_file(tmp_path, "parquet", wide), layout=layout, machine="judge"
    )
    assert (result.n_ratings, result.machine) == (2, "judge")


@pytest.mark.django_db
def test_an_item_rated_by_a_machine_is_still_served_to_human_raters(tmp_path: Path) -> None:
    campaign = CampaignFactory(overlap=1, with_items=1)
    item = CampaignItem.objects.get(campaign=campaign)
    human = UserFactory()
    member = MembershipFactory(campaign=campaign, user=human, role=Membership.Role.RATER)
    Membership.objects.filter(pk=member.pk).update(queue_counted=True)
    path = write_file(tmp_path, "csv", judge_rows((item.item.external_id, "helpful", "5")))
    ratings_import(campaign=campaign, source=path, machine="judge")
    item.refresh_from_db()
    assert (item.n_rated, item.n_taken) == (0, 0)
    # A machine rater has no queue: the members' queue states are left as they were.
    assert Membership.objects.get(pk=member.pk).queue_counted
    assignment = assignment_next(campaign=campaign, rater=human)
    assert assignment is not None and assignment.campaign_item_id == item.pk
    rating_submit(assignment=assignment, values={"helpful": 3})
    item.refresh_from_db()
    assert item.n_rated == 1
    assert campaign.counts.n_complete == 1


@pytest.mark.django_db
def test_a_provenance_conflict_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", judge_rows(("i1", "helpful", "4")))
    ratings_import(campaign=campaign, source=path, machine="judge", provenance=Provenance(model="model-a"))
    before = counts()
    other = write_file(tmp_path, "csv", judge_rows(("i2", "helpful", "4")), name="other")
    with pytest.raises(
        ValidationError, match=r"Machine rater 'judge' was recorded with model 'model-a', not 'model-b'"
    ):
        ratings_import(campaign=campaign, source=other, machine="judge", provenance=Provenance(model="model-b"))
    assert counts() == before
    # A field it lacked is filled in; the same model is the same judge.
    result = ratings_import(
        campaign=campaign, source=other, machine="judge", provenance=Provenance(model="model-a", version="v2")
    )
    assert not result.machine_created
    assert MachineRater.objects.get().version == "v2"


@pytest.mark.django_db
def test_a_bad_machine_name_is_refused(tmp_path: Path) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", judge_rows(("i1", "helpful", "4")))
    with pytest.raises(ValidationError, match=r"The machine rater name 'no way' may contain only"):
        ratings_import(campaign=campaign, source=path, machine="no way")
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_the_machines_earlier_labels_follow_replace_and_keep(tmp_path: Path) -> None:
    campaign = make_campaign()
    ratings_import(
        campaign=campaign, source=write_file(tmp_path, "csv", judge_rows(("i1", "helpful", "4"))), machine="judge"
    )
    again = write_file(tmp_path, "csv", judge_rows(("i1", "helpful", "2")), name="again")
    with pytest.raises(ValidationError, match=r"line 2, field 'item_id', value 'i1': machine rater 'judge' already"):
        ratings_import(campaign=campaign, source=again, machine="judge")
    result = ratings_import(campaign=campaign, source=again, machine="judge", replace=True)
    assert result.n_replaced == 1
    rating = Rating.objects.get()
    assert (rating.values, rating.revisions.get().values) == ({"helpful": 2}, {"helpful": 4})
    ratings_import(campaign=campaign, source=again, machine="judge", repeats="keep")
    assert list(Rating.objects.order_by("pk").values_list("is_repeat", "by_machine")) == [(False, True), (True, True)]


@pytest.mark.django_db
def test_a_machines_ratings_are_not_a_persons_and_a_persons_not_the_machines(tmp_path: Path) -> None:
    campaign = make_campaign()
    human = UserFactory(username="judge")
    MembershipFactory(campaign=campaign, user=human, role=Membership.Role.RATER)
    rows = long_rows(("i1", "judge", "helpful", "3"))
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows), match_members=True)
    # The member's rating of i1 does not make the machine judge's label of i1 a second one.
    result = ratings_import(
        campaign=campaign, source=write_file(tmp_path, "csv", judge_rows(("i1", "helpful", "5")), "j"), machine="judge"
    )
    assert result.n_replaced == 0
    assert sorted(Rating.objects.values_list("by_machine", "values")) == [
        (False, {"helpful": 3}),
        (True, {"helpful": 5}),
    ]


@pytest.mark.django_db
def test_as_members_never_maps_a_file_rater_onto_a_machine_raters_account(tmp_path: Path) -> None:
    campaign = make_campaign()
    ratings_import(
        campaign=campaign, source=write_file(tmp_path, "csv", judge_rows(("i1", "helpful", "4"))), machine="judge"
    )
    machine = MachineRater.objects.get()
    # Even made a member who rates, the machine's account receives no person's labels.
    Membership.objects.create(campaign=campaign, user=machine.user, role=Membership.Role.RATER, rates=True)
    rows = long_rows(("i2", machine.user.username, "helpful", "3"))
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows, "as"), match_members=True)
    assert Rating.objects.filter(rater=machine.user).count() == 1
    # The external rater "judge+machine" would take the machine's account name: refused.
    rows = long_rows(("i3", "judge+machine", "helpful", "3"))
    with pytest.raises(ValidationError, match=r"belongs to an account that is not one; rename the rater"):
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows, "plus"), match_members=True)
    with pytest.raises(ValidationError, match=r"a machine judge's labels belong to its machine rater"):
        ratings_import(
            campaign=campaign, source=write_file(tmp_path, "csv", rows, "plus"), machine="judge", match_members=True
        )
    assert Rating.objects.filter(rater=machine.user).count() == 1


@pytest.mark.django_db
def test_command_machine_options(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", judge_rows(("i1", "helpful", "4"), ("i2", "helpful", "1")))
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Rate the answer's helpfulness from 1 to 5.\n")
    call_command(
        "import_ratings", str(path), "--campaign", campaign.slug, "--machine", "judge", "--machine-model",
        "gpt-4o-mini", "--machine-version", "2026-10", "--machine-prompt-file", str(prompt),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert f"Imported 2 ratings (2 labels) on 2 items into campaign {campaign.slug} as machine rater judge in" in out
    assert "New machine rater: judge" in out and "external raters" not in out
    machine = MachineRater.objects.get()
    assert (machine.model, machine.version, machine.prompt) == (
        "gpt-4o-mini",
        "2026-10",
        "Rate the answer's helpfulness from 1 to 5.",
    )
    with pytest.raises(CommandError, match=r"--machine-model describe a machine judge: give its name with --machine"):
        call_command("import_ratings", str(path), "--campaign", campaign.slug, "--machine-model", "x")
    with pytest.raises(CommandError, match=r"recorded with model 'gpt-4o-mini', not 'other'"):
        call_command(
            "import_ratings", str(path), "--campaign", campaign.slug, "--machine", "judge", "--machine-model", "other"
        )
    with pytest.raises(CommandError, match=r"--machine-prompt-file '.*missing.txt': cannot read it"):
        call_command(
            "import_ratings", str(path), "--campaign", campaign.slug, "--machine", "judge",
            "--machine-prompt-file", str(tmp_path / "missing.txt"),
        )  # fmt: skip


def _machine_post(client: Client, campaign: Campaign, text: str, **fields: str) -> object:
    return _post(client, campaign, text, is_machine="on", machine_name="judge", **fields)


@pytest.mark.django_db
def test_the_owner_imports_a_judges_labels_from_the_page(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    first, second = _ids(campaign)[:2]
    text = f"item_id,criterion,value\n{first},helpful,4\n{second},helpful,2\n"
    response = _machine_post(
        client, campaign, text, machine_model="gpt-4o-mini", machine_version="v1", machine_prompt="Rate it."
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "as machine rater <strong>judge</strong> (new)" in page
    assert "New external raters" not in page
    machine = MachineRater.objects.get(campaign=campaign)
    assert (machine.model, machine.version, machine.prompt) == ("gpt-4o-mini", "v1", "Rate it.")
    assert Rating.objects.filter(rater=machine.user, by_machine=True).count() == 2
    assert not Membership.objects.filter(user=machine.user).exists()


@pytest.mark.django_db
def test_the_page_names_the_field_of_a_bad_machine_choice(client: Client, campaign: Campaign, owner: User) -> None:
    client.force_login(owner)
    first = _ids(campaign)[0]
    text = f"item_id,criterion,value\n{first},helpful,4\n"
    _machine_post(client, campaign, text, machine_model="gpt-4o-mini")
    before = counts()
    conflict = _machine_post(client, campaign, text, machine_model="gpt-5")
    assert conflict.status_code == 400
    assert (
        "Machine rater &#x27;judge&#x27; was recorded with model &#x27;gpt-4o-mini&#x27;" in conflict.content.decode()
    )
    nameless = _post(client, campaign, text, is_machine="on", machine_name=" ")
    assert nameless.status_code == 400 and "A machine rater needs a name" in nameless.content.decode()
    unticked = _post(client, campaign, text, machine_name="judge")
    assert unticked.status_code == 400
    assert (
        "Tick “These labels are a machine judge&#x27;s” to import a judge&#x27;s labels." in unticked.content.decode()
    )
    members = _machine_post(client, campaign, text, match_members="on")
    assert members.status_code == 400
    assert "A machine judge&#x27;s labels belong to its machine rater: untick this." in members.content.decode()
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rater", "outsider"])
def test_a_rater_or_outsider_cannot_import_a_judges_labels(
    client: Client, campaign: Campaign, role: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(role))
    first = _ids(campaign)[0]
    response = _machine_post(client, campaign, f"item_id,criterion,value\n{first},helpful,4\n")
    assert response.status_code == 404
    assert not MachineRater.objects.exists() and not Rating.objects.exists()
