"""The rating queue's cost against a rater's history, with gold checks and repeats on, in-process.

    python benchmarks/queue_history.py [--items 20000] [--histories 100,1000,3000,10000] [--cycles 300]
                                       [--plans] [--keep-db]

On PostgreSQL (a fresh database, bench_queue or $BENCH_PG_DB, dropped at the end), or on SQLite with
--sqlite. For each history size a campaign of --items items (k = 3, 10 % of them gold, gold rate 0.1,
repeat rate 0.05: a real campaign's settings) gets one rater who already holds that many submitted ratings,
written in bulk as the queue would have served them (benchmarks/histories.py): a lone rater, so every item
they rated is still open and sits at the head of the queue. The rater then calls assignment_next and
rating_submit --cycles times, each timed. Printed per history: next and submit p50 and p95 in ms, the
statements of a cycle with their mean time, and, on PostgreSQL, EXPLAIN ANALYZE of each SELECT of the last
cycle (execution time and the most rows any plan node produced; --plans prints the whole plans).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict

from rating_load import PG_SERVER, ROOT, _env, _manage, _psql

PG_DB = os.environ.get("BENCH_PG_DB", "bench_queue")
GOLD_SHARE = 10  # every 10th item of the campaign's order is gold
GOLD_RATE, REPEAT_RATE = 0.1, 0.05


def _setup(n_items: int, histories: list[int]):
    from django.contrib.auth.models import User
    from django.db import connection
    from histories import write_histories
    from rating_load import CRITERIA

    from annotate.models import Campaign, CampaignItem, Dataset, Item, Membership, Rubric, RubricVersion

    dataset = Dataset.objects.create(name="history", content_fields=["prompt", "response"])
    Item.objects.bulk_create(
        (
            Item(dataset=dataset, external_id=f"item-{i:07d}", position=i, content={"prompt": f"Prompt {i}."})
            for i in range(n_items)
        ),
        batch_size=5000,
    )
    rubric = Rubric.objects.create(name="helpfulness")
    version = RubricVersion.objects.create(rubric=rubric, number=1, criteria=CRITERIA)
    item_ids = list(Item.objects.filter(dataset=dataset).order_by("pk").values_list("pk", flat=True))
    runs = []
    for n in histories:
        campaign = Campaign.objects.create(
            slug=f"history-{n}",
            name=f"History {n}",
            dataset=dataset,
            rubric_version=version,
            sample_spec={"method": "all"},
            overlap=3,
            gold_rate=GOLD_RATE,
            repeat_rate=REPEAT_RATE,
            status=Campaign.Status.ACTIVE,
        )
        CampaignItem.objects.bulk_create(
            (
                CampaignItem(campaign=campaign, item_id=pk, order_key=(i * 7919) % n_items, is_gold=i % GOLD_SHARE == 0)
                for i, pk in enumerate(item_ids)
            ),
            batch_size=5000,
        )
        rater = User.objects.create(username=f"rater-{n}")
        Membership.objects.create(campaign=campaign, user=rater, role=Membership.Role.RATER, rates=True)
        started = time.perf_counter()
        write_histories(campaign=campaign, raters=[rater], per_rater=n, values={"helpful": 3})
        print(f"history of {n} ratings written in {time.perf_counter() - started:.1f} s", flush=True)
        runs.append((campaign, rater))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return runs


def _label(sql: str) -> str:
    return " ".join(sql.split())[:90]


def _cycle_statements(campaign, rater, timings: dict) -> list[tuple[str, object]]:
    """One next → submit cycle; record each statement's time under its label; return the statements."""
    from django.db import connection

    from ratings.queue import assignment_next
    from ratings.services import rating_submit

    seen: list[tuple[str, object]] = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings[_label(sql)].append(time.perf_counter() - started)
            seen.append((sql, params))

    with connection.execute_wrapper(wrapper):
        assignment = assignment_next(campaign=campaign, rater=rater, after_close=True)
        rating_submit(assignment=assignment, values={"helpful": 3})
    return seen


def _explain(statements: list[tuple[str, object]], full: bool) -> None:
    from django.db import connection, transaction

    for sql, params in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001 - a statement EXPLAIN cannot take is reported, not fatal
            print(f"      (no plan: {exc})")
            continue
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]

        def most_rows(node: dict) -> int:
            own = int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 1))
            return max([own, *(most_rows(child) for child in node.get("Plans", []))])

        print(f"      {plan['Execution Time']:7.3f} ms, at most {most_rows(plan['Plan']):>6} rows: {_label(sql)[:70]}")
        if full:
            print(json.dumps(plan["Plan"], indent=1)[:6000])


def measure(campaign, rater, cycles: int, plans: bool) -> dict:
    from ratings.queue import assignment_next
    from ratings.services import rating_submit

    next_ms, submit_ms = [], []
    for _ in range(cycles):
        started = time.perf_counter()
        assignment = assignment_next(campaign=campaign, rater=rater, after_close=True)
        middle = time.perf_counter()
        rating_submit(assignment=assignment, values={"helpful": 3})
        next_ms.append((middle - started) * 1000)
        submit_ms.append((time.perf_counter() - middle) * 1000)
    timings: dict[str, list[float]] = defaultdict(list)
    statements = []
    for _ in range(20):
        statements = _cycle_statements(campaign, rater, timings)

    def cut(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    result = {
        "next_p50": cut(next_ms, 50),
        "next_p95": cut(next_ms, 95),
        "submit_p50": cut(submit_ms, 50),
        "submit_p95": cut(submit_ms, 95),
    }
    print(
        f"  next p50 {result['next_p50']:6.2f} p95 {result['next_p95']:6.2f} ms | "
        f"submit p50 {result['submit_p50']:6.2f} p95 {result['submit_p95']:6.2f} ms",
        flush=True,
    )
    print(f"  statements per cycle: {len(statements)}; mean time of each (last 20 cycles):")
    for label, times in sorted(timings.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {1000 * sum(times) / 20:7.3f} ms  x{len(times) / 20:g}  {label}")
    from django.db import connection

    if connection.vendor == "postgresql":
        print("  EXPLAIN ANALYZE of the last cycle's SELECTs:")
        _explain(statements, plans)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--histories", default="100,1000,3000,10000")
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true", help="run on a SQLite file instead of PostgreSQL")
    parser.add_argument("--plans", action="store_true", help="print every plan in full")
    parser.add_argument("--keep-db", action="store_true")
    options = parser.parse_args()
    histories = [int(v) for v in options.histories.split(",")]
    sqlite_dir = tempfile.TemporaryDirectory() if options.sqlite else None
    env = _env(db=PG_DB)
    if sqlite_dir:
        env["DATABASE_URL"] = f"sqlite:///{sqlite_dir.name}/queue.sqlite3"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    if not sqlite_dir:
        _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        _psql(f"CREATE DATABASE {PG_DB}")
    try:
        _manage("migrate", "--noinput", "-v", "0", env=env)
        import django

        django.setup()
        results = {}
        for (campaign, rater), n in zip(_setup(options.items, histories), histories, strict=True):
            print(f"history {n} ratings ({campaign.slug}):", flush=True)
            results[n] = measure(campaign, rater, options.cycles, options.plans)
        low, high = results[histories[0]], results[histories[-1]]
        print(
            f"next at {histories[-1]} against {histories[0]}: p50 x{high['next_p50'] / low['next_p50']:.2f}, "
            f"p95 x{high['next_p95'] / low['next_p95']:.2f}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not sqlite_dir and not options.keep_db:
            _psql(f"DROP DATABASE IF EXISTS {PG_DB}", server=PG_SERVER)


if __name__ == "__main__":
    main()
