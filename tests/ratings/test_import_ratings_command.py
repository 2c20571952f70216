"""The import_ratings command: options map onto the import, errors exit 1 with one line on stderr."""

from pathlib import Path

import pytest
from django.core import management
from django.core.management import base

from annotate.models import CampaignItem, Membership
from ratings.models import Rating
from tests.factories import ItemFactory, UserFactory
from tests.ratings.test_import_ratings import counts, long_rows, make_campaign, values_of, write_file


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> object:
    """Run the command as manage.py would; return (exit code, stdout, stderr)."""
    # System checks are covered elsewhere; run_from_argv closes every connection when it ends,
    # which would end the test's transaction.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)

    def call(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            management.ManagementUtility(["manage.py", "import_ratings", *args, "--skip-checks"]).execute()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


@pytest.mark.django_db
def test_command_imports_long_file_and_lists_new_raters(tmp_path: Path, run: object) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "3"), ("i1", "alice", "safe", "yes")))
    code, out, err = run(str(path), "--campaign", campaign.slug)
    assert (code, err) == (0, "")
    assert "Imported 1 ratings (2 labels) on 1 items" in out
    assert f"New external raters without a login: alice (as alice@{campaign.slug})" in out
    assert values_of(campaign) == {("i1", "alice"): {"helpful": 3, "safe": True}}


@pytest.mark.django_db
def test_command_wide_layout_with_renamed_item_column_and_explicit_format(tmp_path: Path, run: object) -> None:
    campaign = make_campaign()
    ItemFactory(dataset=campaign.dataset, external_id="spare")
    path = tmp_path / "labels.txt"
    path.write_text('{"id": "i1", "r1": 2, "r2": 3}\n{"id": "spare", "r1": 4}\n')
    code, out, err = run(
        str(path), "--campaign", campaign.slug, "--format", "jsonl", "--wide", "--criterion", "helpful",
        "--item-field", "id", "--add-missing-items",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "1 items added to the sample" in out
    assert CampaignItem.objects.filter(campaign=campaign, item__external_id="spare").exists()
    assert Rating.objects.count() == 3


@pytest.mark.django_db
def test_command_renamed_long_columns(tmp_path: Path, run: object) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", [{"doc": "i2", "who": "bob", "what": "topic", "label": "maths"}])
    code, _, err = run(
        str(path), "--campaign", campaign.slug, "--item-field", "doc", "--rater-field", "who",
        "--criterion-field", "what", "--value-field", "label",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert values_of(campaign) == {("i2", "bob"): {"topic": "maths"}}


@pytest.mark.django_db
def test_command_error_exits_1_with_the_row_message_and_no_traceback(tmp_path: Path, run: object) -> None:
    campaign = make_campaign()
    before = counts()
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "3"), ("i2", "bob", "helpful", "six")))
    code, out, err = run(str(path), "--campaign", campaign.slug)
    assert code == 1
    assert out == ""
    assert "line 3, field 'value', value 'six': Helpful: 'six' is not one of 1, 2, 3, 4, 5" in err
    assert "Traceback" not in err
    assert counts() == before


@pytest.mark.django_db
def test_command_unknown_campaign(tmp_path: Path, run: object) -> None:
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "3")))
    code, _, err = run(str(path), "--campaign", "no-such-campaign")
    assert code == 1
    assert "No campaign with slug 'no-such-campaign'" in err


@pytest.mark.django_db
def test_command_existing_rating_needs_replace(tmp_path: Path, run: object) -> None:
    campaign = make_campaign()
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "3")))
    assert run(str(path), "--campaign", campaign.slug)[0] == 0
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "5")), name="second")
    code, _, err = run(str(path), "--campaign", campaign.slug)
    assert code == 1
    assert "line 2, field 'item_id', value 'i1': rater 'alice' already rated this item" in err
    code, out, _ = run(str(path), "--campaign", campaign.slug, "--replace")
    assert code == 0
    assert "1 replaced" in out
    assert Rating.objects.get().revisions.count() == 1


@pytest.mark.django_db
def test_command_credits_campaign_raters_only_with_as_members(tmp_path: Path, run: object) -> None:
    campaign = make_campaign()
    carol = UserFactory(username="carol")
    Membership.objects.create(campaign=campaign, user=carol, role=Membership.Role.RATER, rates=True)
    path = write_file(tmp_path, "csv", long_rows(("i1", "carol", "helpful", "3")))
    code, out, err = run(str(path), "--campaign", campaign.slug)
    assert (code, err) == (0, "")
    assert f"New external raters without a login: carol (as carol@{campaign.slug})" in out
    assert not Rating.objects.filter(rater=carol).exists()
    path = write_file(tmp_path, "csv", long_rows(("i2", "carol", "helpful", "4")), name="second")
    code, out, err = run(str(path), "--campaign", campaign.slug, "--as-members")
    assert (code, err) == (0, "")
    assert "Credited to the campaign's raters: carol" in out
    assert Rating.objects.get(rater=carol).values == {"helpful": 4}
