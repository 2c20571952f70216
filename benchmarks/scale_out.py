"""Two gunicorn instances sharing one PostgreSQL: throughput beside one instance, and no rating lost or doubled.

    python benchmarks/scale_out.py [--items 100000] [--seconds 20] [--warmup 3] [--workers 2] [--raters 16]
                                   [--rounds 1] [--keep-db]

Builds rating_load.py's campaign (k = 3, --items items, 32 raters) in a fresh database accord_scale on the
PostgreSQL of $BENCH_PG_SERVER (the machine's server by default; dropped at the end), then runs two layouts
with the same total of sync workers, --rounds times each, alternating: one gunicorn with --workers workers,
and two gunicorns with half of them each on two loopback ports, the raters split between the two. Every
rater signs in once, on the first instance: the other instance serves it from the session stored in the
shared database. A phase runs --raters raters flat out (rating_load.py's next → submit cycle) for --warmup
seconds, not measured, then for --seconds.

At the end every submit a client saw succeed ("Saved.") must be stored exactly once, no (item, rater) pair
twice, no item above k, and the queue counters equal to the ratings and live leases they stand for; the
script exits 1 otherwise. The load generator shares the machine's cores with gunicorn and PostgreSQL.
"""

import argparse
import http.client
import os
import socket
import subprocess
import sys

from rating_load import (
    HOST,
    N_RATERS,
    OVERLAP,
    ROOT,
    Client,
    _env,
    _manage,
    _percentiles,
    _psql,
    _ratings_count,
    _start_gunicorn,
    run,
    setup_data,
    verify,
)

PG_DB = "accord_scale"


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def point(client: Client, port: int) -> None:
    """Send the client's next requests to another instance; its cookies, and so its session, go along."""
    client.conn.close()
    client.port = port
    client.conn = http.client.HTTPConnection(HOST, port, timeout=60)


def stop(server: subprocess.Popen) -> None:
    """Stop one gunicorn (master and workers) and wait for it."""
    server.terminate()
    server.wait(timeout=30)


def acknowledged_check(acknowledged: list[int]) -> dict[str, int]:
    """How the submits the clients saw succeed stand in the database: each must be stored exactly once."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE n <> 1) FROM (SELECT (SELECT count(*) FROM ratings_rating r "
            "WHERE r.campaign_item_id = a.campaign_item_id AND r.rater_id = a.rater_id AND r.is_repeat = a.is_repeat)"
            " AS n FROM annotate_assignment a WHERE a.id = ANY(%s)) AS t",
            [sorted(set(acknowledged))],
        )
        found, not_once = cursor.fetchone()
    return {
        "acknowledged": len(acknowledged),
        "acknowledged_twice": len(acknowledged) - len(set(acknowledged)),
        "acknowledged_not_stored_once": not_once + len(set(acknowledged)) - found,
    }


def phase(
    name: str, layout: list[int], clients: list[Client], seconds: float, warmup: float, env: dict, signed_in: bool
) -> dict:
    """Run the raters flat out against gunicorns with `layout` workers each; return what they measured."""
    ports = [free_port() for _ in layout]
    servers = []
    try:
        for workers, port in zip(layout, ports, strict=True):
            servers.append(_start_gunicorn(workers, "sync", 1, port=port, env=env))
        for i, client in enumerate(clients):
            point(client, ports[0])
            if not signed_in:
                client.login(f"rater{i:02d}")
            point(client, ports[i % len(ports)])
        before = _ratings_count()
        # Fresh workers compile templates and prepare statements on their first requests: not measured.
        warm, _ = run(clients, warmup, think=0.0)
        stats, wall = run(clients, seconds, think=0.0)
    finally:
        for server in servers:
            stop(server)
    check = verify(before)
    result = {
        "layout": name,
        "workers": sum(layout),
        "cycles": stats.cycles,
        "cycles_per_s": stats.cycles / wall,
        "next_p95": _percentiles(stats.next_ms)["p95"],
        "submit_p95": _percentiles(stats.submit_ms)["p95"],
        "errors": len(warm.errors) + len(stats.errors),
        "acknowledged_ids": warm.acknowledged + stats.acknowledged,
        **check,
    }
    for error in (warm.errors + stats.errors)[:5]:
        print("   ", error[:300])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before each measured phase")
    parser.add_argument("--workers", type=int, default=2, help="sync workers in all, split over two instances")
    parser.add_argument("--raters", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="times each layout runs, alternating")
    parser.add_argument("--keep-db", action="store_true", help=f"leave {PG_DB} in place afterwards")
    options = parser.parse_args()
    if options.workers < 2 or options.workers % 2 or not 0 < options.raters <= N_RATERS:
        parser.error(f"--workers must be even and at least 2; --raters between 1 and {N_RATERS}")
    env = _env(db=PG_DB)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
    _psql(f"CREATE DATABASE {PG_DB}")
    results: list[dict] = []
    try:
        _manage("migrate", "--noinput", "-v", "0", env=env)
        _manage("collectstatic", "--noinput", "-v", "0", env=env)
        print(f"setup: {options.items} items, campaign and {N_RATERS} raters in {setup_data(options.items):.1f} s")
        clients = [Client() for _ in range(options.raters)]
        half = options.workers // 2
        layouts = [
            (f"1 instance x {options.workers} workers", [options.workers]),
            (f"2 instances x {half}", [half, half]),
        ]
        print(f"{options.raters} raters flat out, {options.seconds:.0f} s per phase", flush=True)
        print(
            f"{'layout':<26} {'workers':>7} {'cycles':>7} {'cycles/s':>9} {'next p95':>9} {'submit p95':>11} "
            f"{'errors':>6} {'ratings':>8} {'pairs twice':>11} {'above k':>7} {'counters off':>12}"
        )
        for _ in range(options.rounds):
            for name, layout in layouts:
                result = phase(name, layout, clients, options.seconds, options.warmup, env, bool(results))
                results.append(result)
                print(
                    f"{name:<26} {result['workers']:>7} {result['cycles']:>7} {result['cycles_per_s']:>9.1f} "
                    f"{result['next_p95']:>6.1f} ms {result['submit_p95']:>8.1f} ms {result['errors']:>6} "
                    f"{result['ratings_created']:>8} {result['pairs_twice']:>11} {result['items_above_k']:>7} "
                    f"{result['counters_off']:>12}",
                    flush=True,
                )
        for name, _ in layouts:
            rates = [r["cycles_per_s"] for r in results if r["layout"] == name]
            print(f"{name:<26} mean {sum(rates) / len(rates):.1f} cycles/s over {len(rates)} phase(s)")
        acknowledged = [i for r in results for i in r["acknowledged_ids"]]
        check = acknowledged_check(acknowledged)
        print(
            f"acknowledged submits {check['acknowledged']}: acknowledged twice {check['acknowledged_twice']}, "
            f"not stored exactly once {check['acknowledged_not_stored_once']}; ratings stored "
            f"{sum(r['ratings_created'] for r in results)}; k = {OVERLAP}"
        )
        failures = [
            f"{r['layout']}: {key} {r[key]}"
            for r in results
            for key in ("pairs_twice", "items_above_k", "counters_off")
            if r[key]
        ]
        failures += [f"{key} {value}" for key, value in check.items() if key != "acknowledged" and value]
        failures += [
            f"{r['layout']}: {r['ratings_created']} ratings stored for {len(r['acknowledged_ids'])} acknowledged"
            for r in results
            if r["ratings_created"] != len(r["acknowledged_ids"])
        ]
    finally:
        from django.db import connections

        connections.close_all()
        if not options.keep_db:
            _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
    if failures:
        print("FAILED:", "; ".join(failures))
        sys.exit(1)
    print("OK: every acknowledged rating stored exactly once, no pair twice, no item above k")


if __name__ == "__main__":
    main()
