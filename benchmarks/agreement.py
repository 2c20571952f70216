"""Agreement at scale: Krippendorff's alpha from the database at 1,000,000 labels, on PostgreSQL.

    python benchmarks/agreement.py [--items 200000] [--raters 5]

Creates the PostgreSQL database bench_agreement (dropped first, and again at the end),
migrates it, and bulk loads one campaign with `items x raters` labels of one likert
1-5 criterion with COPY (setup, not measured). Raters are simulated as a latent true
score per item plus rater noise, cut into five ordered categories, so ordinal alpha
is about 0.6; each item carries one metadata field (`source`, 4 values) so the dashboard
has slices to compute. It then measures, each in a fresh child process so peak RSS is clean:

(a) alpha from the database: `ratings.selectors.ratings_frame(..., columns=ALPHA_COLUMNS)`
    (one bulk read of item, rater and value) plus `agreement.alpha`, end to end;
(b) the same with `agreement.alpha_with_ci(..., n_boot=1000)`;
(a') for comparison, the full frame (with the time column and item external ids) plus `agreement.alpha`;
(e) the first, uncached load of the agreement dashboard page for the campaign (every statistic
    and diagnostic on it, rendered), through Django's test Client with the cache cleared;
(c) the raw `krippendorff.alpha` call on a prebuilt raters x items reliability matrix;
(d) NLTK's `AnnotationTask(...).alpha()` on a 10,000-label subset (skipped without nltk).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_agreement"
SLUG = "bench-agreement"
KEY = "quality"
OWNER = "bench-owner"
DOMAIN = [1, 2, 3, 4, 5]
SEED = 20261126
REPEATS = 3
NLTK_LABELS = 10_000
# Noise of each rater around the latent score (which has variance 1), and the cut points of the 1-5 scale.
NOISE_SD = 0.72
CUTS = [-1.2, -0.4, 0.4, 1.2]


def simulate(n_items: int, n_raters: int) -> np.ndarray:
    """A raters x items matrix of labels 1-5: latent score + rater bias + noise, cut into five categories."""
    rng = np.random.default_rng(SEED)
    truth = rng.normal(0.0, 1.0, n_items)
    bias = rng.normal(0.0, 0.1, n_raters)[:, None]
    latent = truth[None, :] + bias + rng.normal(0.0, NOISE_SD, (n_raters, n_items))
    return (np.searchsorted(CUTS, latent) + 1).astype(np.int64)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["ACCORD_TESTING"] = "1"
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()


def _copy_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _copy(cursor: Any, model: Any, rows: Any, given: list[str]) -> None:
    """COPY rows (tuples of the `given` columns) into a model's table; other columns get the model's defaults."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = {f.attname: f for f in fields}
    rest = [f for f in fields if f.attname not in given]
    defaults = tuple(_copy_text(f.get_default()) for f in rest)
    columns = ", ".join(f'"{name}"' for name in [*given, *(f.column for f in rest)])
    missing = [name for name in given if name not in names]
    if missing:
        raise SystemExit(f"{model._meta.db_table} has no column(s) {', '.join(missing)}")
    with cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row((*row, *defaults))


def setup(n_items: int, n_raters: int) -> None:
    """Runs in a child: migrate, then COPY the campaign's items, sample and labels into bench_agreement."""
    _django()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from annotate.models import Campaign, CampaignItem, Dataset, Item, Membership, Rubric, RubricVersion
    from annotate.rubrics import validate_criteria
    from ratings.models import Rating

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    criteria = validate_criteria([{"key": KEY, "type": "likert", "scale": {"min": 1, "max": 5}}])
    dataset = Dataset.objects.create(name="bench", content_fields=["prompt"], item_count=n_items)
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
    owner = User.objects.create(username=OWNER)
    Membership.objects.create(campaign=campaign, user=owner, role="owner")
    labels = simulate(n_items, n_raters)
    now = datetime.now(UTC).isoformat()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        item_rows = (
            (dataset.pk, f"item-{i:07d}", i + 1, '{"prompt": "p"}', f'{{"source": "s{i % 4}"}}') for i in range(n_items)
        )
        _copy(cursor, Item, item_rows, ["dataset_id", "external_id", "position", "content", "metadata"])
        item_ids = [pk for (pk,) in Item.objects.filter(dataset=dataset).order_by("position").values_list("pk")]
        _copy(
            cursor,
            CampaignItem,
            ((campaign.pk, pk, order) for order, pk in enumerate(item_ids)),
            ["campaign_id", "item_id", "order_key"],
        )
        sample = dict(CampaignItem.objects.filter(campaign=campaign).values_list("item_id", "pk"))
        sampled = [sample[pk] for pk in item_ids]
        rating_rows = (
            (
                sampled[i],
                campaign.pk,
                raters[r].pk,
                version.pk,
                f'{{"{KEY}": {labels[r, i]}}}',
                False,
                now,
                now,
                "bench",
            )
            for i in range(n_items)
            for r in range(n_raters)
        )
        given = ["campaign_item_id", "campaign_id", "rater_id", "rubric_version_id", "values", "is_repeat"]
        _copy(cursor, Rating, rating_rows, [*given, "created_at", "updated_at", "source"])
        cursor.execute("ANALYZE")
    n_labels = Rating.objects.filter(campaign_item__campaign=campaign).count()
    print(json.dumps({"labels": n_labels, "load_s": round(time.perf_counter() - start, 1)}), flush=True)


def measure(part: str) -> None:
    """Runs in a child: time alpha (a), alpha with its interval (b) or alpha on the full frame (a'), REPEATS times."""
    _django()
    from annotate.models import Campaign
    from ratings import agreement
    from ratings.selectors import ALPHA_COLUMNS, FRAME_COLUMNS, ratings_frame

    baseline = _peak_mb()
    campaign = Campaign.objects.select_related("rubric_version").get(slug=SLUG)
    columns = FRAME_COLUMNS if part == "full" else ALPHA_COLUMNS
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        frame = ratings_frame(campaign, KEY, columns=columns)
        read = time.perf_counter() - start
        if part in ("alpha", "full"):
            value, ci = agreement.alpha(frame, "ordinal", value_domain=DOMAIN), None
        else:
            result = agreement.alpha_with_ci(frame, "ordinal", value_domain=DOMAIN, n_boot=1000)
            value, ci = result.value, (result.ci_low, result.ci_high)
        total = time.perf_counter() - start
        runs.append({"read_s": read, "stats_s": total - read, "total_s": total})
        n_labels = len(frame)
        del frame
    report = {
        "part": part,
        "alpha": round(value, 4),
        "ci": [round(v, 4) for v in ci] if ci else None,
        "labels": n_labels,
        "median": {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]},
        "runs_total_s": [round(r["total_s"], 3) for r in runs],
        "baseline_mb": round(baseline),
        "peak_mb": round(_peak_mb()),
    }
    print(json.dumps(report), flush=True)


def measure_dashboard() -> None:
    """Runs in a child: (e) the agreement dashboard page with a cold cache, REPEATS times."""
    os.environ["ALLOWED_HOSTS"] = "testserver"
    _django()
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.test import Client

    from ratings import reports

    baseline = _peak_mb()
    client = Client()
    client.force_login(User.objects.get(username=OWNER))
    runs, computes = [], []
    compute = reports._compute

    def timed_compute(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return compute(*args, **kwargs)
        finally:
            computes.append(time.perf_counter() - start)

    reports._compute = timed_compute
    for _ in range(REPEATS):
        cache.clear()
        start = time.perf_counter()
        response = client.get(f"/c/{SLUG}/agreement/")
        runs.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"dashboard answered {response.status_code}")
    report = {
        "part": "dashboard",
        "median_s": round(statistics.median(runs), 3),
        "runs_s": [round(r, 3) for r in runs],
        "compute_median_s": round(statistics.median(computes), 3),
        "baseline_mb": round(baseline),
        "peak_mb": round(_peak_mb()),
    }
    print(json.dumps(report), flush=True)


def measure_raw(n_items: int, n_raters: int) -> None:
    """Runs in a child: (c) krippendorff.alpha on a prebuilt raters x items matrix; (d) NLTK on a subset."""
    import krippendorff

    matrix = simulate(n_items, n_raters).astype(float)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        value = krippendorff.alpha(reliability_data=matrix, value_domain=DOMAIN, level_of_measurement="ordinal")
        times.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "part": "raw",
                "alpha": round(float(value), 4),
                "median_s": round(statistics.median(times), 3),
                "peak_mb": round(_peak_mb()),
            }
        ),
        flush=True,
    )
    try:
        from nltk.metrics.agreement import AnnotationTask
        from nltk.metrics.distance import interval_distance
    except ImportError:
        print(json.dumps({"part": "nltk", "skipped": "nltk is not installed"}), flush=True)
        return
    subset = matrix[:, : NLTK_LABELS // n_raters].astype(int)
    triples = [(f"r{r}", f"i{i}", int(subset[r, i])) for r in range(n_raters) for i in range(subset.shape[1])]
    start = time.perf_counter()
    nltk_value = AnnotationTask(data=triples, distance=interval_distance).alpha()
    seconds = time.perf_counter() - start
    check = krippendorff.alpha(reliability_data=subset.astype(float), level_of_measurement="interval")
    report = {
        "part": "nltk",
        "labels": len(triples),
        "alpha_interval": round(nltk_value, 4),
        "seconds": round(seconds, 2),
    }
    report["krippendorff_interval"] = round(float(check), 4)
    print(json.dumps(report), flush=True)


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _child(*args: str) -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{out.stderr.strip()}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument(
        "--child", choices=["setup", "alpha", "alpha_ci", "full", "dashboard", "raw"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child == "setup":
        setup(args.items, args.raters)
        return
    if args.child in ("alpha", "alpha_ci", "full"):
        measure(args.child)
        return
    if args.child == "dashboard":
        measure_dashboard()
        return
    if args.child == "raw":
        measure_raw(args.items, args.raters)
        return
    sizes = ["--items", str(args.items), "--raters", str(args.raters)]
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {PG_DB}")
    try:
        loaded = _child("--child", "setup", *sizes)[0]
        print(
            f"Loaded {loaded['labels']:,} labels ({args.items:,} items x {args.raters} raters) "
            f"with COPY in {loaded['load_s']} s (setup, not measured)"
        )
        print(f"Load average before measuring: {_load()}")
        parts = [
            ("alpha", "(a) ratings_frame(columns=ALPHA_COLUMNS) + alpha"),
            ("alpha_ci", "(b) ratings_frame(columns=ALPHA_COLUMNS) + alpha_with_ci"),
            ("full", "(a') for comparison: the full ratings_frame (time, external ids) + alpha"),
        ]
        for part, title in parts:
            r = _child("--child", part)[0]
            ci = f", 95% CI {r['ci'][0]}–{r['ci'][1]} (n_boot=1000)" if r["ci"] else ""
            med = r["median"]
            print(
                f"{title} over {r['labels']:,} labels: alpha {r['alpha']}{ci}; median of {REPEATS}: "
                f"{med['total_s']} s end to end (read {med['read_s']} s + statistics {med['stats_s']} s); "
                f"runs {r['runs_total_s']} s; peak RSS {r['peak_mb']} MB (after imports {r['baseline_mb']} MB)"
            )
        r = _child("--child", "dashboard")[0]
        print(
            f"(e) first (uncached) agreement dashboard load: median of {REPEATS}: {r['median_s']} s "
            f"(of which campaign_agreement {r['compute_median_s']} s); runs {r['runs_s']} s; "
            f"peak RSS {r['peak_mb']} MB (after imports {r['baseline_mb']} MB)"
        )
        for r in _child("--child", "raw", *sizes):
            if r["part"] == "raw":
                print(
                    f"(c) krippendorff.alpha on a {args.raters} x {args.items:,} matrix: alpha {r['alpha']}, "
                    f"median of {REPEATS}: {r['median_s']} s, peak RSS {r['peak_mb']} MB"
                )
            elif "skipped" in r:
                print(f"(d) NLTK: skipped, {r['skipped']}")
            else:
                print(
                    f"(d) NLTK AnnotationTask.alpha() (interval distance) on {r['labels']:,} labels: "
                    f"{r['seconds']} s, alpha {r['alpha_interval']} "
                    f"(krippendorff package on the same labels: {r['krippendorff_interval']})"
                )
        print(f"Load average after measuring: {_load()}")
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
