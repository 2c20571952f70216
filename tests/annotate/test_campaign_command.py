"""The create_campaign management command."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, ManagementUtility, call_command

from annotate.models import Campaign, Membership
from tests.factories import DatasetFactory, ItemFactory, RubricFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    dataset = DatasetFactory(name="Demo", content_fields=["prompt", "response"], metadata_fields=["model", "topic"])
    for i in range(20):
        ItemFactory(dataset=dataset, metadata={"model": "m", "topic": ["x", "y"][i % 2]})
    rubric = RubricFactory(name="HHH")
    RubricVersionFactory(rubric=rubric, number=1)
    RubricVersionFactory(rubric=rubric, number=2)
    return dataset, rubric


def run(*args):
    out = StringIO()
    call_command("create_campaign", *args, stdout=out)
    return out.getvalue()


def test_creates_a_random_campaign_with_owner_and_raters(setup):
    UserFactory(username="alice")
    out = run(
        "--slug=demo2",
        "--dataset=Demo",
        "--rubric=HHH",
        "--sample=random",
        "--n=8",
        "--seed=4",
        "--overlap=2",
        "--visible-fields=prompt,response",
        "--rater=alice",
        "--rater=bob",
        "--owner=olga",
    )
    campaign = Campaign.objects.get(slug="demo2")
    assert campaign.items.count() == 8
    assert campaign.rubric_version.number == 2
    assert campaign.overlap == 2
    assert campaign.visible_fields == ["prompt", "response"]
    roles = dict(campaign.memberships.values_list("user__username", "role"))
    assert roles == {"olga": "owner", "alice": "rater", "bob": "rater"}
    assert "Created campaign 'demo2' with 8 items" in out
    bob_password = re.search(r"Created user bob with password (\S+)", out).group(1)
    assert User.objects.get(username="bob").check_password(bob_password)
    assert "Created user olga with password" in out
    assert "Created user alice" not in out


def test_picks_a_rubric_version_and_stratifies(setup):
    run(
        "--slug=strat",
        "--dataset=Demo",
        "--rubric=HHH",
        "--rubric-version=1",
        "--sample=stratified",
        "--n=3",
        "--field=topic",
        "--activate",
    )
    campaign = Campaign.objects.get(slug="strat")
    assert campaign.rubric_version.number == 1
    assert campaign.items.count() == 6
    assert campaign.status == Campaign.Status.ACTIVE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset=Nope", "--rubric=HHH"], "--dataset: no dataset named 'Nope'"),
        (["--dataset=Demo", "--rubric=Nope"], "--rubric: no rubric named 'Nope'"),
        (["--dataset=Demo", "--rubric=HHH", "--rubric-version=9"], "has no version 9"),
        (["--dataset=Demo", "--rubric=HHH", "--sample=random"], "n:"),
        (["--dataset=Demo", "--rubric=HHH", "--sample=stratified", "--n=2", "--field=colour"], "field:"),
        (["--dataset=Demo", "--rubric=HHH", "--overlap=0"], "overlap:"),
        (["--dataset=Demo", "--rubric=HHH", "--visible-fields=secret"], "visible_fields:"),
        (["--dataset=Demo", "--rubric=HHH", "--rater=bad name!"], "username:"),
    ],
)
def test_errors_are_command_errors_and_nothing_is_created(setup, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("--slug=broken", *args)
    assert not Campaign.objects.exists()
    assert not Membership.objects.exists()


def test_duplicate_slug_is_a_command_error(setup):
    run("--slug=once", "--dataset=Demo", "--rubric=HHH")
    with pytest.raises(CommandError, match="already exists"):
        run("--slug=once", "--dataset=Demo", "--rubric=HHH")


def test_unknown_owner_is_rolled_back_when_creation_fails(setup):
    with pytest.raises(CommandError):
        run("--slug=x", "--dataset=Demo", "--rubric=HHH", "--overlap=99", "--owner=ghost")
    assert not User.objects.filter(username="ghost").exists()


def test_exits_non_zero_with_a_one_line_error(setup, capsys):
    utility = ManagementUtility(["manage.py", "create_campaign", "--slug=x", "--dataset=Nope", "--rubric=HHH"])
    with pytest.raises(SystemExit) as excinfo:
        utility.execute()
    assert excinfo.value.code == 1
    err = capsys.readouterr().err
    assert "CommandError: --dataset: no dataset named 'Nope'" in err
    assert "Traceback" not in err


def test_the_owner_may_rate_too_and_a_slug_is_made_from_the_name(setup):
    out = run("--name=Helpfulness round 2", "--dataset=Demo", "--rubric=HHH", "--owner=olga", "--owner-rates")
    campaign = Campaign.objects.get(slug="helpfulness-round-2")
    membership = Membership.objects.get(campaign=campaign, user__username="olga")
    assert (membership.role, membership.rates) == (Membership.Role.OWNER, True)
    assert "Created campaign 'helpfulness-round-2'" in out


def test_starting_with_fewer_raters_than_the_overlap_is_warned_of(setup):
    UserFactory(username="alice")
    out = run("--slug=short", "--dataset=Demo", "--rubric=HHH", "--overlap=3", "--rater=alice", "--activate")
    assert Campaign.objects.get(slug="short").status == Campaign.Status.ACTIVE
    assert "Overlap is 3 raters per item but only 1 member rates" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset=Demo", "--rubric=HHH"], "--slug or --name"),
        (["--slug=x", "--dataset=Demo", "--rubric=HHH", "--owner-rates"], "--owner-rates"),
    ],
)
def test_missing_names_are_refused_naming_the_option(setup, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Campaign.objects.exists()
