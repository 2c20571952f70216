"""The leaderboard at scale: Bradley–Terry with 1,000 bootstrap resamples, and the page, at 100,000 comparisons.

    python benchmarks/leaderboard.py [--comparisons 100000] [--systems 50] [--per-item 2] [--raters 20]

Simulates pairwise judgements among `systems` systems with Bradley–Terry strengths drawn from a normal
distribution (sd 0.6 on the log scale, about 100 Elo-like points), 10% ties, `per-item` judgements per item by
different raters out of `raters`, the order on screen drawn per judgement and one rater who takes the left
output 40% of the time. It measures, each in a fresh child process so peak RSS is clean:

(a) `ratings.leaderboard.bradley_terry` on the judgements as a DataFrame, 1,000 resamples: win rates, scores,
    intervals, neighbours and head to head, with no database;
(a') `ratings.leaderboard.position_model` on the same judgements (one fit; its intervals are clustered
    standard errors, not resamples);
(b) the first, uncached load of the leaderboard page (`/c/<slug>/leaderboard/`, all ratings: the default)
    through Django's test Client with the cache cleared, on PostgreSQL: the database bench_leaderboard is
    created (dropped first, and again at the end), migrated and loaded with COPY (setup, not measured);
(b') the same page counting final labels (`?labels=final`).
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
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_leaderboard"
SLUG = "bench-leaderboard"
KEY = "preference"
OWNER = "bench-owner"
SEED = 20261206
REPEATS = 3
TIE_SHARE = 0.10
LEFT_TAKER_SHARE = 0.40


def simulate(n_comparisons: int, n_systems: int, per_item: int, n_raters: int) -> pd.DataFrame:
    """Judgements: item, rater (index), system_a, system_b, outcome (1 A, 0.5 tie, 0 B), left ("a"/"b")."""
    rng = np.random.default_rng(SEED)
    strength = rng.normal(0.0, 0.6, n_systems)
    n_items = n_comparisons // per_item
    a = rng.integers(0, n_systems, n_items)
    b = (a + rng.integers(1, n_systems, n_items)) % n_systems
    item = np.repeat(np.arange(n_items), per_item)
    # Different raters on one item: consecutive raters from a random start.
    rater = (np.repeat(rng.integers(0, n_raters, n_items), per_item) + np.tile(np.arange(per_item), n_items)) % n_raters
    sa, sb = strength[a][item], strength[b][item]
    p_a = 1 / (1 + np.exp(sb - sa))
    u = rng.random(len(item))
    outcome = np.where(u < TIE_SHARE, 0.5, np.where(u < TIE_SHARE + (1 - TIE_SHARE) * p_a, 1.0, 0.0))
    left = np.where(rng.random(len(item)) < 0.5, "a", "b")
    taker = (rater == 0) & (rng.random(len(item)) < LEFT_TAKER_SHARE)
    outcome = np.where(taker, np.where(left == "a", 1.0, 0.0), outcome)
    names = np.array([f"model-{i:02d}" for i in range(n_systems)], dtype=object)
    return pd.DataFrame(
        {
            "item": item,
            "rater": rater,
            "system_a": names[a][item],
            "system_b": names[b][item],
            "outcome": outcome,
            "left": left,
        }
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_stats(part: str, sizes: tuple[int, int, int, int]) -> None:
    """Runs in a child: (a) bradley_terry or (a') position_model with 1,000 resamples, REPEATS times."""
    from ratings import leaderboard

    frame = simulate(*sizes)
    baseline = _peak_mb()
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = leaderboard.bradley_terry(frame, n_boot=1000) if part == "bt" else leaderboard.position_model(frame)
        runs.append(time.perf_counter() - start)
    summary: dict[str, Any] = {
        "part": part,
        "comparisons": len(frame),
        "items": int(frame["item"].nunique()),
        "median_s": round(statistics.median(runs), 3),
        "runs_s": [round(r, 3) for r in runs],
        "baseline_mb": round(baseline),
        "peak_mb": round(_peak_mb()),
    }
    if part == "bt":
        top = result.systems[0]
        summary["top"] = f"{top.system} {top.score:.0f} [{top.ci_low:.0f}, {top.ci_high:.0f}]"
        summary["distinguishable"] = sum(n.distinguishable for n in result.neighbours)
    else:
        summary["theta"] = f"{result.theta:.3f} [{result.theta_low:.3f}, {result.theta_high:.3f}]"
    print(json.dumps(summary), flush=True)


def _django() -> None:
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
    rest = [f for f in fields if f.attname not in given]
    defaults = tuple(_copy_text(f.get_default()) for f in rest)
    columns = ", ".join(f'"{name}"' for name in [*given, *(f.column for f in rest)])
    with cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row((*row, *defaults))


def setup(sizes: tuple[int, int, int, int]) -> None:
    """Runs in a child: migrate, then COPY the pairwise campaign's items, sample and ratings into bench_leaderboard."""
    _django()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from annotate.models import Campaign, CampaignItem, Dataset, Item, Membership, Rubric, RubricVersion
    from annotate.rubrics import validate_criteria
    from ratings.models import Rating

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    frame = simulate(*sizes)
    per_item = frame.groupby("item", sort=True).first()
    n_items = len(per_item)
    criteria = validate_criteria([{"key": KEY, "type": "pairwise"}])
    dataset = Dataset.objects.create(
        name="bench",
        content_fields=["prompt", "response_a", "response_b"],
        metadata_fields=["model_a", "model_b"],
        item_count=n_items,
    )
    version = RubricVersion.objects.create(rubric=Rubric.objects.create(name="bench"), number=1, criteria=criteria)
    campaign = Campaign.objects.create(
        slug=SLUG,
        name="Bench",
        dataset=dataset,
        rubric_version=version,
        overlap=sizes[2],
        sample_spec={"method": "all"},
    )
    raters = [User.objects.create(username=f"rater{r}", is_active=False) for r in range(sizes[3])]
    Membership.objects.bulk_create(Membership(campaign=campaign, user=u, role="rater", rates=True) for u in raters)
    owner = User.objects.create(username=OWNER)
    Membership.objects.create(campaign=campaign, user=owner, role="owner")
    now = datetime.now(UTC).isoformat()
    words = {1.0: "A", 0.5: "tie", 0.0: "B"}
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        item_rows = (
            (
                dataset.pk,
                f"pair-{i:07d}",
                i + 1,
                '{"prompt": "p", "response_a": "a", "response_b": "b"}',
                json.dumps({"model_a": row.system_a, "model_b": row.system_b}),
            )
            for i, row in enumerate(per_item.itertuples())
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
                sampled[item],
                campaign.pk,
                raters[rater].pk,
                version.pk,
                json.dumps({KEY: words[outcome]}),
                json.dumps({"left": left}),
                False,
                now,
                now,
                "bench",
            )
            for item, rater, outcome, left in zip(
                frame["item"], frame["rater"], frame["outcome"], frame["left"], strict=True
            )
        )
        given = ["campaign_item_id", "campaign_id", "rater_id", "rubric_version_id", "values", "presentation"]
        _copy(cursor, Rating, rating_rows, [*given, "is_repeat", "created_at", "updated_at", "source"])
        cursor.execute("ANALYZE")
    n_ratings = Rating.objects.filter(campaign=campaign).count()
    print(json.dumps({"ratings": n_ratings, "items": n_items, "load_s": round(time.perf_counter() - start, 1)}))


def measure_page(labels: str) -> None:
    """Runs in a child: (b) the leaderboard page with a cold cache, REPEATS times, and the time spent computing."""
    os.environ["ALLOWED_HOSTS"] = "testserver"
    _django()
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.test import Client

    from ratings import leaderboard_report

    baseline = _peak_mb()
    client = Client()
    client.force_login(User.objects.get(username=OWNER))
    runs, computes = [], []
    build = leaderboard_report.build_leaderboard

    def timed_build(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return build(*args, **kwargs)
        finally:
            computes.append(time.perf_counter() - start)

    leaderboard_report.build_leaderboard = timed_build
    for _ in range(REPEATS):
        cache.clear()
        start = time.perf_counter()
        response = client.get(f"/c/{SLUG}/leaderboard/?labels={labels}")
        runs.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"leaderboard answered {response.status_code}")
    start = time.perf_counter()
    client.get(f"/c/{SLUG}/leaderboard/?labels={labels}")
    cached = time.perf_counter() - start
    from annotate.models import Campaign

    board = leaderboard_report.campaign_leaderboard(Campaign.objects.get(slug=SLUG), labels=labels)
    report = {
        "part": labels,
        "judgements": board.n_judgements,
        "systems": len(board.ranking.systems),
        "median_s": round(statistics.median(runs), 3),
        "runs_s": [round(r, 3) for r in runs],
        "compute_median_s": round(statistics.median(computes), 3),
        "cached_s": round(cached, 3),
        "theta": round(board.position.model.theta, 3),
        "baseline_mb": round(baseline),
        "peak_mb": round(_peak_mb()),
    }
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
    parser.add_argument("--comparisons", type=int, default=100_000)
    parser.add_argument("--systems", type=int, default=50)
    parser.add_argument("--per-item", type=int, default=2)
    parser.add_argument("--raters", type=int, default=20)
    parser.add_argument("--child", choices=["bt", "position", "setup", "all", "final"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = (args.comparisons, args.systems, args.per_item, args.raters)
    if args.child in ("bt", "position"):
        measure_stats(args.child, sizes)
        return
    if args.child == "setup":
        setup(sizes)
        return
    if args.child in ("all", "final"):
        measure_page(args.child)
        return
    flags = ["--comparisons", str(args.comparisons), "--systems", str(args.systems)]
    flags += ["--per-item", str(args.per_item), "--raters", str(args.raters)]
    print(f"Load average before measuring: {_load()}")
    for part, title in (("bt", "(a) bradley_terry, 1,000 resamples"), ("position", "(a') position_model")):
        r = _child("--child", part, *flags)[0]
        found = (
            f"top {r['top']}, {r['distinguishable']} neighbours distinguishable" if part == "bt" else f"θ {r['theta']}"
        )
        print(
            f"{title}, {r['comparisons']:,} comparisons on {r['items']:,} items among "
            f"{args.systems} systems: median of {REPEATS}: {r['median_s']} s; runs {r['runs_s']} s; {found}; "
            f"peak RSS {r['peak_mb']} MB (after loading the judgements {r['baseline_mb']} MB)"
        )
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {PG_DB}")
    try:
        loaded = _child("--child", "setup", *flags)[0]
        print(
            f"Loaded {loaded['ratings']:,} ratings on {loaded['items']:,} items into PostgreSQL with COPY in "
            f"{loaded['load_s']} s (setup, not measured)"
        )
        for labels, title in (("all", "(b) first leaderboard page, all ratings"), ("final", "(b') final labels")):
            r = _child("--child", labels)[0]
            print(
                f"{title}: {r['judgements']:,} judgements, {r['systems']} systems: median of {REPEATS}: "
                f"{r['median_s']} s (of which build_leaderboard {r['compute_median_s']} s); runs {r['runs_s']} s; "
                f"cached {r['cached_s']} s; θ {r['theta']}; peak RSS {r['peak_mb']} MB "
                f"(after imports {r['baseline_mb']} MB)"
            )
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    print(f"Load average after measuring: {_load()}")


if __name__ == "__main__":
    main()
