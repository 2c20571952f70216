"""Exporting a campaign's labels at 1,000,000 ratings, on SQLite and PostgreSQL.

    python benchmarks/export_labels.py [--items 200000] [--raters 5] [--db sqlite|postgres|both] [--repeats 3]

Builds one campaign with `items x raters` ratings in a temporary SQLite file and in the PostgreSQL database
exp_bench (dropped first and at the end), loaded in bulk (executemany on SQLite, COPY on PostgreSQL; setup,
not measured). The rubric has a likert 1-5 scale, a yes/no flag and an optional free-text note; one rating in
ten carries a note, one in twenty a comment and one in a hundred an earlier revision, so every column of the
per-rating export has something to do. Items carry two content fields and two metadata fields.

It then runs `manage.py export_labels` (through call_command) in a fresh child process per run, writing to a
file: per rating to Parquet, CSV and JSONL, and per item to Parquet and CSV (each item's final labels, which
reads every rating again, item chunk by item chunk). Each line gives the median wall time of the runs, the
rows written, the file's size, and the child's peak RSS (VmHWM) next to its RSS before the export started.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DB = "exp_bench"
SLUG = "bench-export"
SEED = 20261206
NOTES = ["Clear and correct.", "Misses the second half of the question.", "=SUM(A1:A9) looks like a formula", ""]
RUNS = [
    ("rating", "parquet"),
    ("rating", "csv"),
    ("rating", "jsonl"),
    ("item", "parquet"),
    ("item", "csv"),
]


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["ACCORD_TESTING"] = "1"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()


def _rating_rows(n_items: int, n_raters: int, item_ids: list[int], raters: list[int]) -> Any:
    """(campaign_item, rater, values, comment, seconds, created, updated) per rating, deterministic."""
    rng = random.Random(SEED)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(n_items):
        truth = rng.randint(1, 5)
        for r in range(n_raters):
            quality = min(5, max(1, truth + rng.choice((-1, 0, 0, 0, 1))))
            note = rng.choice(NOTES) if rng.random() < 0.1 else ""
            values = {"quality": quality, "safe": rng.random() < 0.9}
            if note:
                values["note"] = note
            comment = "Needed two reads." if rng.random() < 0.05 else ""
            created = start + timedelta(seconds=i * n_raters + r)
            revised = created + timedelta(minutes=5) if rng.random() < 0.01 else created
            yield item_ids[i], raters[r], json.dumps(values), comment, round(rng.uniform(5, 90), 1), created, revised


def setup(url: str, n_items: int, n_raters: int) -> None:
    """Runs in a child: migrate, then load the campaign's items, sample, ratings and revisions in bulk."""
    _django(url)
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F

    from annotate.models import Campaign, CampaignItem, Dataset, Item, Membership, Rubric, RubricVersion
    from annotate.rubrics import validate_criteria
    from ratings.models import Rating, RatingRevision

    call_command("migrate", verbosity=0)
    begin = time.perf_counter()
    criteria = validate_criteria(
        [
            {"key": "quality", "type": "likert", "scale": {"min": 1, "max": 5}},
            {"key": "safe", "type": "binary"},
            {"key": "note", "type": "free_text", "required": False},
        ]
    )
    dataset = Dataset.objects.create(
        name="bench", content_fields=["prompt", "response"], metadata_fields=["model", "topic"], item_count=n_items
    )
    version = RubricVersion.objects.create(rubric=Rubric.objects.create(name="bench"), number=1, criteria=criteria)
    campaign = Campaign.objects.create(
        slug=SLUG,
        name="Bench",
        dataset=dataset,
        rubric_version=version,
        overlap=n_raters,
        sample_spec={"method": "all"},
    )
    raters = [User.objects.create(username=f"rater{r}", is_active=False) for r in range(n_raters)]
    Membership.objects.bulk_create(Membership(campaign=campaign, user=u, role="rater", rates=True) for u in raters)
    Membership.objects.create(campaign=campaign, user=User.objects.create(username="bench-owner"), role="owner")
    prompt = "Explain why the sky is blue, in two sentences, to a ten-year-old. " * 3
    response = "Sunlight scatters off the air; blue light scatters the most, so the sky looks blue. " * 4
    items = (
        (dataset.pk, f"item-{i:07d}", i + 1, json.dumps({"prompt": prompt, "response": response}),
         json.dumps({"model": f"model-{i % 5}", "topic": f"topic-{i % 25}"}))
        for i in range(n_items)
    )  # fmt: skip
    _insert(connection, Item, ["dataset_id", "external_id", "position", "content", "metadata"], items)
    item_ids = list(Item.objects.filter(dataset=dataset).order_by("position").values_list("pk", flat=True))
    sample = ((campaign.pk, pk, order) for order, pk in enumerate(item_ids))
    _insert(connection, CampaignItem, ["campaign_id", "item_id", "order_key"], sample)
    sampled = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key").values_list("pk", flat=True))
    rows = (
        (item, campaign.pk, rater, version.pk, values, comment, seconds, False, "accord", "{}", created, updated)
        for item, rater, values, comment, seconds, created, updated in _rating_rows(
            n_items, n_raters, sampled, [u.pk for u in raters]
        )
    )
    given = ["campaign_item_id", "campaign_id", "rater_id", "rubric_version_id", "values", "comment"]
    given += ["seconds_spent", "is_repeat", "source", "presentation", "created_at", "updated_at"]
    _insert(connection, Rating, given, rows)
    revised = Rating.objects.filter(campaign=campaign).exclude(updated_at=F("created_at"))
    # Read in full before inserting: one connection cannot read a query and take a COPY at once.
    revisions = [(pk, 1, json.dumps(v), "", None, t) for pk, v, t in revised.values_list("pk", "values", "created_at")]
    _insert(
        connection,
        RatingRevision,
        ["rating_id", "number", "values", "comment", "seconds_spent", "recorded_at"],
        revisions,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    n = Rating.objects.filter(campaign=campaign).count()
    print(json.dumps({"ratings": n, "load_s": round(time.perf_counter() - begin, 1)}), flush=True)


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _insert(connection: Any, model: Any, given: list[str], rows: Any) -> None:
    """Insert rows (tuples of the `given` columns) in bulk; other columns get the model's defaults."""
    from django.db import transaction

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rest = [f for f in fields if f.attname not in given]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    columns = [*given, *(f.column for f in rest)]
    names = ", ".join(f'"{c}"' for c in columns)
    table = model._meta.db_table
    # One transaction: SQLite in autocommit mode would commit (and sync) every row.
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        if connection.vendor == "postgresql":
            defaults = tuple(_text(d.adapted if hasattr(d, "adapted") else d) for d in defaults)
            defaults = tuple(json.dumps(d) if isinstance(d, dict | list) else d for d in defaults)
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row((*(_text(v) for v in row), *defaults))
            return
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        batch: list[tuple] = []
        for row in rows:
            batch.append((*(_sqlite(v) for v in row), *(_sqlite(d) for d in defaults)))
            if len(batch) >= 50_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def measure(url: str, per: str, fmt: str, out: Path) -> None:
    """Runs in a child: one export_labels run into `out`; prints its time and memory."""
    _django(url)
    from django.core.management import call_command

    import ratings.exports  # noqa: F401 (imported before the baseline, as the command would be)
    import ratings.final_labels  # noqa: F401

    baseline = _status_kb("VmRSS")
    start = time.perf_counter()
    call_command("export_labels", SLUG, "--format", fmt, "--per", per, "-o", str(out), stderr=open(os.devnull, "w"))
    seconds = time.perf_counter() - start
    report = {
        "seconds": round(seconds, 2),
        "baseline_mb": round(baseline / 1024),
        "peak_mb": round(_status_kb("VmHWM") / 1024),
        "bytes": out.stat().st_size,
    }
    print(json.dumps(report), flush=True)


def _child(*args: str) -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{out.stderr.strip()}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _rows(path: Path, per: str, fmt: str) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as handle:
        lines = sum(1 for _ in handle)
    return lines - 1 if fmt == "csv" else lines


def bench(db: str, url: str, args: argparse.Namespace, tmp: Path) -> None:
    loaded = _child("--child", "setup", "--url", url, "--items", str(args.items), "--raters", str(args.raters))[0]
    print(f"\n{db}: loaded {loaded['ratings']:,} ratings in {loaded['load_s']} s (setup, not measured)")
    print(f"  load average before measuring: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for per, fmt in RUNS:
        if args.scopes not in (per, "both"):
            continue
        out = tmp / f"{db}-{per}.{fmt}"
        runs = [_child("--child", "measure", "--url", url, "--per", per, "--fmt", fmt, "--out", str(out))[0]]
        repeats = args.repeats if per == "rating" else 1
        runs += [
            _child("--child", "measure", "--url", url, "--per", per, "--fmt", fmt, "--out", str(out))[0]
            for _ in range(repeats - 1)
        ]
        seconds = [r["seconds"] for r in runs]
        print(
            f"  per {per:<6} {fmt:<7}: median {statistics.median(seconds):6.2f} s of {len(runs)} {seconds}; "
            f"{_rows(out, per, fmt):>9,} rows, {runs[0]['bytes'] / 1e6:7.1f} MB; "
            f"peak RSS {max(r['peak_mb'] for r in runs)} MB (before the export {runs[0]['baseline_mb']} MB)"
        )
        out.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scopes", choices=["rating", "item", "both"], default="both")
    parser.add_argument("--child", choices=["setup", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--per", help=argparse.SUPPRESS)
    parser.add_argument("--fmt", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "setup":
        setup(args.url, args.items, args.raters)
        return
    if args.child == "measure":
        measure(args.url, args.per, args.fmt, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if args.db in ("sqlite", "both"):
            bench("sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}", args, tmp)
        if args.db in ("postgres", "both"):
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            _pg_admin(f"CREATE DATABASE {PG_DB}")
            try:
                bench("postgres", f"{PG_SERVER}/{PG_DB}", args, tmp)
            finally:
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
