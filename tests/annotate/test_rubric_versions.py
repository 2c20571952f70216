"""Rubric versions: frozen once used, edits make new versions, loading a file is idempotent."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from annotate.models import Rubric, RubricVersion
from annotate.rubrics import parse_rubric
from annotate.selectors.rubrics import (
    rubric_latest_version,
    rubric_list_for,
    rubric_version_spec,
    rubric_version_yaml,
    rubric_versions_visible_to,
)
from annotate.services.rubrics import rubric_create, rubric_load, rubric_version_save
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rubrics"
TEXT = "name: Tone\ndescription: How it sounds.\nguidelines: Be fair.\ncriteria:\n  - {key: polite, type: binary}\n"


def save(rubric: Rubric, *, guidelines: str = "Be fair.", criteria: list | None = None, user=None) -> RubricVersion:
    criteria = criteria if criteria is not None else [{"key": "polite", "type": "binary"}]
    return rubric_version_save(rubric=rubric, guidelines=guidelines, criteria=criteria, description=None, user=user)


def test_rubric_create_makes_the_rubric_and_version_1(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    assert version.number == 1 and version.rubric.name == "Tone" and version.rubric.description == "How it sounds."
    assert version.rubric.created_by == curator and version.created_by == curator
    assert version.criteria[0]["options"][0] == {"value": True, "label": "Yes", "key": "y"}


def test_rubric_create_refuses_a_name_already_in_use_whatever_its_case(curator):
    rubric_create(spec=parse_rubric(TEXT), user=curator)
    with pytest.raises(ValidationError, match="you already have a rubric named 'Tone'"):
        rubric_create(spec=parse_rubric(TEXT.replace("Tone", "TONE")), user=curator)
    assert Rubric.objects.count() == 1


def test_a_version_is_frozen_once_a_campaign_uses_it(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    assert not version.is_frozen
    CampaignFactory(rubric_version=version)
    assert version.is_frozen


def test_saving_an_unused_version_updates_it_in_place(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    saved = save(version.rubric, guidelines="Be very fair.")
    assert saved.pk == version.pk and saved.number == 1 and saved.guidelines == "Be very fair."
    assert RubricVersion.objects.count() == 1


def test_saving_after_a_campaign_uses_the_version_creates_the_next_and_never_touches_the_frozen_one(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    CampaignFactory(rubric_version=version)
    saved = save(version.rubric, guidelines="Be very fair.", user=curator)
    version.refresh_from_db()
    assert saved.number == 2 and saved.created_by == curator
    assert version.guidelines == "Be fair."
    # The new version is unused, so the next edit updates it rather than creating version 3.
    again = save(version.rubric, guidelines="Be fairer still.")
    assert again.pk == saved.pk and RubricVersion.objects.count() == 2


def test_saving_identical_content_over_a_frozen_version_creates_nothing(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    CampaignFactory(rubric_version=version)
    assert save(version.rubric).pk == version.pk
    assert RubricVersion.objects.count() == 1


def test_saving_validates_the_criteria(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    with pytest.raises(ValidationError, match=r"criterion 1 \(polite\): type: unknown type 'flag'"):
        save(version.rubric, criteria=[{"key": "polite", "type": "flag"}])
    version.refresh_from_db()
    assert version.criteria[0]["type"] == "binary"


def test_saving_normalises_raw_criteria(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    saved = save(version.rubric, criteria=[{"key": "score", "type": "likert", "scale": {"min": 1, "max": 3}}])
    assert [o["value"] for o in saved.criteria[0]["options"]] == [1, 2, 3] and saved.criteria[0]["level"] == "ordinal"


def test_saving_with_a_description_updates_the_rubric(curator):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    rubric_version_save(
        rubric=version.rubric, guidelines="Be fair.", criteria=version.criteria, description="New words.", user=None
    )
    version.rubric.refresh_from_db()
    assert version.rubric.description == "New words."


def test_loading_a_new_file_creates_the_rubric():
    version, changed = rubric_load(text=TEXT)
    assert changed and version.number == 1 and version.created_by is None


def test_loading_the_same_file_twice_changes_nothing():
    first, _ = rubric_load(text=TEXT)
    again, changed = rubric_load(text=TEXT)
    assert not changed and again.pk == first.pk and RubricVersion.objects.count() == 1


def test_loading_a_changed_file_adds_a_version_and_keeps_the_old_one():
    first, _ = rubric_load(text=TEXT)
    second, changed = rubric_load(text=TEXT.replace("Be fair.", "Be kind."))
    first.refresh_from_db()
    assert changed and second.number == 2 and second.guidelines == "Be kind." and first.guidelines == "Be fair."


def test_loading_a_file_whose_only_change_is_the_description_updates_the_rubric_not_the_version():
    first, _ = rubric_load(text=TEXT)
    same, changed = rubric_load(text=TEXT.replace("How it sounds.", "Tone of voice."))
    assert changed and same.pk == first.pk and same.rubric.description == "Tone of voice."


def test_loading_an_invalid_file_writes_nothing():
    with pytest.raises(ValidationError):
        rubric_load(text="name: Tone\ncriteria: [{key: polite}]\n")
    assert not Rubric.objects.exists()


def test_loading_the_same_example_as_json_or_yaml_is_the_same_version_with_the_new_text():
    version, _ = rubric_load(text=(EXAMPLES / "hhh.yaml").read_text())
    as_json = json.dumps(rubric_version_spec(version).to_dict())
    again, changed = rubric_load(text=as_json, fmt="json")
    assert again.pk == version.pk and RubricVersion.objects.count() == 1
    assert changed and again.source == as_json


def test_a_version_dumps_to_yaml_that_parses_back_to_it():
    version, _ = rubric_load(text=(EXAMPLES / "safety_flags.yaml").read_text())
    spec = parse_rubric(rubric_version_yaml(version))
    assert spec == rubric_version_spec(version)


def test_selectors_only_return_rubrics_the_user_may_see(curator, outsider):
    version = rubric_create(spec=parse_rubric(TEXT), user=curator)
    assert rubric_latest_version(version.rubric) == version
    assert [r.name for r in rubric_list_for(curator)] == ["Tone"]
    assert rubric_list_for(outsider) == []
    assert list(rubric_versions_visible_to(curator)) == [version]
    assert not rubric_versions_visible_to(outsider).exists()
