"""manage.py export_labels: the export to a file or standard output, and clear errors."""

import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_labels", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_goes_to_standard_output_when_no_file_is_named(rated):
    out, _ = _run(rated.slug)
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 15 and list(frame.columns[:3]) == ["item_id", "campaign_item", "rater"]


def test_jsonl_per_item_goes_to_standard_output(rated):
    out, _ = _run(rated.slug, "--format", "jsonl", "--per", "item")
    assert len(out.splitlines()) == 5


def test_a_named_file_is_written_and_the_rows_counted(rated, tmp_path):
    path = tmp_path / "labels.parquet"
    _, err = _run(rated.slug, "--format", "parquet", "-o", str(path))
    assert len(pd.read_parquet(path)) == 15
    assert "Wrote 15 rows" in err
    assert [p.name for p in tmp_path.iterdir()] == ["labels.parquet"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no campaign with slug 'nope'"),
        (["{slug}", "--criterion", "nope"], "has no criterion 'nope' (its criteria: helpful)"),
        (["{slug}", "--format", "xlsx"], "unknown format 'xlsx': choose one of csv, jsonl, parquet"),
        (["{slug}", "--per", "label"], "unknown scope 'label': choose per rating or per item"),
        (["{slug}", "--format", "parquet"], "parquet is a binary format: name the file to write with -o"),
        (["{slug}", "-o", "/nonexistent/dir/x.csv"], "cannot write /nonexistent/dir/x.csv"),
    ],
)
def test_errors_are_command_errors_that_say_what_to_do(rated, args, message):
    with pytest.raises(CommandError) as error:
        _run(*[a.format(slug=rated.slug) for a in args])
    assert message in str(error.value)
