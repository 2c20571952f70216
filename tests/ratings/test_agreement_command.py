"""`manage.py agreement`: the per-criterion table, the JSON report, and clear errors."""

import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.models import CampaignItem
from ratings import reports
from tests.factories import LIKERT_CRITERION, CampaignFactory, RatingFactory, RubricVersionFactory, UserFactory

RATIONALE = {"key": "rationale", "type": "free_text", "label": "Rationale", "level": "none"}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def rated(db):
    campaign = CampaignFactory(
        slug="hhh", rubric_version=RubricVersionFactory(criteria=[dict(LIKERT_CRITERION), RATIONALE]), with_items=5
    )
    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))
    for username, values in {"r1": [1, 2, 3, 3, 5], "r2": [1, 2, 3, 4, 4], "r3": [2, 2, 4, 4, 5]}.items():
        user = UserFactory(username=username)
        for item, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=item, rater=user, values={"helpful": value})
    return campaign


def run(*args: str) -> str:
    out = StringIO()
    call_command("agreement", *args, stdout=out)
    return out.getvalue()


def test_table_lists_each_criterion_in_aligned_columns(rated):
    output = run("hhh", "--n-boot", "200")
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith("criterion"))
    row = next(line for line in lines if line.startswith("helpful"))
    helpful = reports.campaign_agreement(rated, n_boot=200).criterion("helpful")
    assert f"{helpful.alpha.value:.3f}" in row
    assert f"[{helpful.alpha.ci_low:.3f}, {helpful.alpha.ci_high:.3f}]" in row
    assert row.index(f"{helpful.alpha.value:.3f}") + 5 == header.index("alpha") + 5
    assert "rationale: not measured" in output


def test_json_is_the_full_report(rated):
    data = json.loads(run("hhh", "--format", "json", "--n-boot", "100"))
    assert data["campaign_slug"] == "hhh"
    helpful = data["criteria"][0]
    assert helpful["key"] == "helpful"
    assert helpful["alpha"]["value"] == pytest.approx(
        reports.campaign_agreement(rated, n_boot=100).criteria[0].alpha.value
    )
    assert {"raters", "kappa_matrix", "most_disputed", "slices", "over_time"} <= set(helpful)


def test_one_criterion(rated):
    data = json.loads(run("hhh", "--criterion", "helpful", "--format", "json", "--n-boot", "50"))
    assert [c["key"] for c in data["criteria"]] == ["helpful"]


def test_an_unknown_campaign_is_a_command_error(db):
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        run("nope")


def test_an_unknown_criterion_is_a_command_error_listing_the_criteria(rated):
    with pytest.raises(CommandError, match="has no criterion 'nope'.*helpful, rationale"):
        run("hhh", "--criterion", "nope")


def test_a_campaign_without_ratings_prints_the_reason(db):
    CampaignFactory(slug="empty")
    assert "No ratings on this criterion yet." in run("empty", "--n-boot", "10")


def test_errors_exit_non_zero_without_a_traceback(db, capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "agreement", "nope"]).execute()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "CommandError: no campaign with slug 'nope'" in err
    assert "Traceback" not in err
