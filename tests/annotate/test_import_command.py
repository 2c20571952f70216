"""The import_items management command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Dataset, Item

ROOT = Path(__file__).resolve().parents[2]


def _file(tmp_path, records, name="items.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


RECORDS = [{"id": "1", "prompt": "p1", "model": "m1"}, {"id": "2", "prompt": "p2", "model": "m2"}]


def test_command_creates_the_dataset_and_reports_counts(db, tmp_path, capsys):
    call_command("import_items", str(_file(tmp_path, RECORDS)), "--dataset", "cmd", "--metadata-fields", "model")
    out = capsys.readouterr().out
    assert out.startswith("Imported 2 items into dataset cmd (now 2 items) in ")
    assert "items/s)" in out
    assert Item.objects.get(external_id="1").metadata == {"model": "m1"}


def test_command_writes_in_batches_of_the_given_size(db, tmp_path, capsys):
    records = [{"id": str(n), "prompt": f"p{n}", "model": f"m{n % 2}"} for n in range(5)]
    path = _file(tmp_path, records)
    call_command("import_items", str(path), "--dataset", "cmd", "--metadata-fields", "model", "--batch-size", "2")
    assert "Imported 5 items" in capsys.readouterr().out
    assert list(Item.objects.order_by("position").values_list("external_id", flat=True)) == ["0", "1", "2", "3", "4"]


def test_command_appends_to_an_existing_dataset(db, tmp_path, capsys):
    call_command("import_items", str(_file(tmp_path, RECORDS)), "--dataset", "cmd")
    more = _file(tmp_path, [{"id": "3", "prompt": "p3", "model": "m3"}], name="more.jsonl")
    call_command("import_items", str(more), "--dataset", "cmd", "--content-fields", "prompt")
    assert "Imported 1 items into dataset cmd (now 3 items)" in capsys.readouterr().out
    assert Item.objects.get(external_id="3").metadata == {"model": "m3"}


def test_command_honours_format_and_id_field(db, tmp_path, capsys):
    path = tmp_path / "items.data"
    path.write_text("key,text\nk1,hello\n", encoding="utf-8")
    call_command("import_items", str(path), "--dataset", "csv", "--format", "csv", "--id-field", "key")
    assert Item.objects.get().external_id == "k1"


def test_command_bad_input_raises_a_command_error_and_imports_nothing(db, tmp_path):
    path = _file(tmp_path, RECORDS + [{"prompt": "no id"}])
    with pytest.raises(CommandError, match="line 3, field 'id': the id is missing"):
        call_command("import_items", str(path), "--dataset", "cmd")
    assert not Dataset.objects.exists()


def test_command_exits_non_zero_with_the_error_on_stderr_and_no_traceback(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1", "text": "ok"}\n{broken\n', encoding="utf-8")
    env = {"ACCORD_TESTING": "1", "ACCORD_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [sys.executable, "manage.py", "import_items", str(path), "--dataset", "x"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "line 2: invalid JSON" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
