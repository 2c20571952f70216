"""`manage.py load_rubric FILE …`."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Rubric, RubricVersion

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rubrics"


def run(*files: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_rubric", *map(str, files), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_loading_the_examples_creates_each_rubric():
    out, err = run(*sorted(EXAMPLES.glob("*.yaml")))
    assert out.splitlines() == [
        "Loaded rubric Helpful, honest, harmless version 1 (created)",
        "Loaded rubric Pairwise preference version 1 (created)",
        "Loaded rubric Safety flags version 1 (created)",
    ]
    assert err == "" and Rubric.objects.count() == 3


def test_loading_again_reports_unchanged_and_writes_nothing():
    run(EXAMPLES / "hhh.yaml")
    out, _ = run(EXAMPLES / "hhh.yaml")
    assert out == "Loaded rubric Helpful, honest, harmless version 1 (unchanged)\n"
    assert RubricVersion.objects.count() == 1


def test_loading_a_changed_file_reports_the_new_version(tmp_path):
    path = tmp_path / "tone.json"
    path.write_text('{"name": "Tone", "criteria": [{"key": "polite", "type": "binary"}]}')
    run(path)
    path.write_text('{"name": "Tone", "criteria": [{"key": "polite", "type": "binary", "label": "Polite?"}]}')
    out, _ = run(path)
    assert out == "Loaded rubric Tone version 2 (updated)\n"


def test_an_invalid_file_prints_each_problem_to_stderr_and_fails(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: Bad\ncriteria:\n  - {key: a, type: likert}\n  - {key: a, type: binary}\n")
    with pytest.raises(CommandError, match="1 of 1 rubric file failed to load"):
        run(path)
    assert not Rubric.objects.exists()


def test_error_messages_name_the_file_and_the_criterion(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: Bad\ncriteria:\n  - {key: a, type: likert}\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_rubric", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith(f"{path}: criterion 1 (a): likert needs a scale")


def test_a_missing_file_is_reported_and_the_other_files_still_load(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "load_rubric", str(tmp_path / "nope.yaml"), str(EXAMPLES / "pairwise.yaml"), stdout=StringIO(), stderr=err
        )
    assert f"{tmp_path / 'nope.yaml'}: no such file" in err.getvalue()
    assert Rubric.objects.filter(name="Pairwise preference").exists()


def test_a_file_that_is_not_text_is_reported(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xff\xfe\x00\x01")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_rubric", str(path), stdout=StringIO(), stderr=err)
    assert "cannot read the file" in err.getvalue()
