"""Faults under the rating load: a gunicorn worker killed, PostgreSQL restarted; nothing acknowledged is lost.

    python benchmarks/faults.py [--items 20000] [--seconds 15] [--fault-at 5] [--raters 8] [--workers 2]
                                [--faults kill,fast,immediate,idle] [--recover-within 10] [--no-health-checks]

Starts a throwaway PostgreSQL 15 cluster of its own (initdb into a temporary directory, as the postgres user
when run as root, on a free loopback port; removed at the end), builds rating_load.py's campaign in it (k = 3,
--items items, 32 raters), starts gunicorn with --workers sync workers and lets --raters raters rate flat out
over loopback (rating_load.py's next → submit cycle). Each fault gets a phase of --seconds, the fault coming
--fault-at seconds in:

- kill: SIGKILL to one gunicorn worker, whose master starts another;
- fast: `pg_ctl restart -m fast` (sessions terminated, clean shutdown);
- immediate: `pg_ctl restart -m immediate` (PostgreSQL killed, crash recovery on start);
- idle: `pg_ctl restart -m fast` while no request runs (the raters pause for it), so that every worker holds a
  connection that died: with CONN_HEALTH_CHECKS on none of them fails a request, off each fails one.

gunicorn is never restarted. Clients do not resend a request whose connection was reset, and wait 0.1 s
after a failure (a stand-in for Retry-After, so that recovery is timed closely). Per phase the script counts
the status codes and connection errors clients saw, and times recovery from the fault and from the moment
the server was back (PostgreSQL accepting connections, or the new worker started) to the last failed request.
It fails (exit 1) if a request got a 500, a 503 came without Retry-After, requests still failed --recover-within
seconds after the server was back, gunicorn's master died, a submit a client saw succeed is not stored exactly
once, an (item, rater) pair is stored twice, an item has more than k ratings, or a queue counter is off.
"""

import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rating_load import (
    N_RATERS,
    ROOT,
    Client,
    _env,
    _manage,
    _psql,
    _ratings_count,
    _start_gunicorn,
    run,
    setup_data,
    verify,
)
from scale_out import acknowledged_check, free_port

PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_DB = "accord_faults"
FAILURE_PAUSE = 0.1


class Cluster:
    """A PostgreSQL cluster in a temporary directory, listening on a free loopback port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="accord-faults-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"
        # initdb refuses to run as root.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(PG_BIN / program), *args], check=True, stdout=subprocess.DEVNULL)

    def pg_ctl(self, *args: str) -> None:
        """Run pg_ctl on this cluster, waiting for it to finish."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args)

    def start(self) -> None:
        """Create the cluster and start it."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n")
        self.pg_ctl("start")

    def remove(self) -> None:
        """Stop the cluster if it runs, and delete its directory."""
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Timeline:
    """Every response (or connection error) the raters saw in one phase, with when it arrived."""

    events: list[tuple[float, int | str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: int | str, retry_after: str | None) -> None:
        """Note a status code (or a connection error's name) and the response's Retry-After."""
        with self.lock:
            self.events.append((time.monotonic(), outcome, retry_after))


class RecordingClient(Client):
    """A rater's browser that notes each response in the current phase's timeline."""

    def __init__(self, port: int) -> None:
        super().__init__(port, retry_reset=False)
        self.timeline: Timeline | None = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple:
        """Send one request as Client does, noting its outcome; pause after a failure."""
        try:
            status, response_headers, payload = super().request(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            if self.timeline is not None:
                self.timeline.add(type(exc).__name__, None)
            time.sleep(FAILURE_PAUSE)
            raise
        if self.timeline is not None:
            self.timeline.add(status, dict((k.lower(), v) for k, v in response_headers).get("retry-after"))
            if status != 200:
                time.sleep(FAILURE_PAUSE)
        return status, response_headers, payload


def _workers(master: subprocess.Popen) -> set[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return {int(pid) for pid in children}


def kill_worker(master: subprocess.Popen) -> tuple[str, float]:
    """SIGKILL one of the master's workers; return a label and when its replacement was running."""
    before = _workers(master)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    give_up = time.monotonic() + 30
    while not (_workers(master) - before) and time.monotonic() < give_up:
        time.sleep(0.01)
    return f"kill -9 worker {victim}", time.monotonic()


def restart_postgresql(cluster: Cluster, mode: str) -> tuple[str, float]:
    """Restart PostgreSQL; return a label and when it accepted connections again."""
    cluster.pg_ctl("restart", "-m", mode)
    return f"pg_ctl restart -m {mode}", time.monotonic()


def phase(
    fault: str, clients: list[RecordingClient], master: subprocess.Popen, cluster: Cluster, options: argparse.Namespace
) -> dict:
    """Rate for --seconds with `fault` injected --fault-at seconds in; return what the raters saw."""
    timeline = Timeline()
    for client in clients:
        client.timeline = timeline
    outcome: dict = {}

    def inject() -> None:
        outcome["fault_at"] = time.monotonic()
        if fault == "kill":
            outcome["label"], outcome["back_at"] = kill_worker(master)
        elif fault == "idle":
            label, outcome["back_at"] = restart_postgresql(cluster, "fast")
            outcome["label"] = label + ", idle"
        else:
            outcome["label"], outcome["back_at"] = restart_postgresql(cluster, fault)

    before = _ratings_count()
    started = time.monotonic()
    if fault == "idle":
        # No request runs while PostgreSQL restarts: every worker keeps a connection that died with it.
        first, _ = run(clients, options.fault_at, think=0.0)
        inject()
        second, _ = run(clients, options.seconds - options.fault_at, think=0.0)
        acknowledged = first.acknowledged + second.acknowledged
    else:
        timer = threading.Timer(options.fault_at, inject)
        timer.start()
        stats, _ = run(clients, options.seconds, think=0.0)
        timer.join()
        acknowledged = stats.acknowledged
    ended = time.monotonic()
    from django.db import connections

    # This process's own connection did not survive a restart either.
    connections.close_all()
    check = verify(before)
    fault_at, back_at = outcome["fault_at"], outcome["back_at"]
    failures = [t for t, status, _ in timeline.events if status != 200]
    last_failure = max(failures, default=None)
    statuses = Counter(status for _, status, _ in timeline.events)
    return {
        "fault": outcome["label"],
        "fault_s": fault_at - started,
        "back_s": back_at - fault_at,
        "failures_before_fault": sum(t < fault_at for t in failures),
        "failed_after_back": sum(t > back_at for t in failures),
        "last_failure_s": None if last_failure is None else last_failure - fault_at,
        "failing_after_back_s": 0.0 if last_failure is None else max(0.0, last_failure - back_at),
        "successes_after_last_failure": sum(
            1 for t, status, _ in timeline.events if status == 200 and (last_failure is None or t > last_failure)
        ),
        "tail_s": ended - (last_failure or fault_at),
        "statuses": dict(statuses),
        "status_503_without_retry_after": sum(1 for _, s, retry in timeline.events if s == 503 and not retry),
        "acknowledged_ids": acknowledged,
        "master_alive": master.poll() is None,
        **check,
    }


def _summary(result: dict) -> str:
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items(), key=lambda kv: str(kv[0])))
    last = "none" if result["last_failure_s"] is None else f"+{result['last_failure_s']:.2f} s"
    return (
        f"{result['fault']:<34} at {result['fault_s']:4.1f} s | back after {result['back_s']:5.2f} s | last failed "
        f"request {last} after the fault, {result['failing_after_back_s']:.2f} s after back "
        f"({result['failed_after_back']} failed after back) | responses {statuses} | "
        f"503 without Retry-After {result['status_503_without_retry_after']} | acknowledged "
        f"{len(result['acknowledged_ids'])}, ratings stored {result['ratings_created']}, pairs twice "
        f"{result['pairs_twice']}, above k {result['items_above_k']}, counters off {result['counters_off']}"
    )


def _problems(result: dict, recover_within: float) -> list[str]:
    name = result["fault"]
    problems = [f"{name}: {n} requests got 500" for n in [result["statuses"].get(500, 0)] if n]
    if result["status_503_without_retry_after"]:
        problems.append(f"{name}: {result['status_503_without_retry_after']} 503s without Retry-After")
    if result["failures_before_fault"]:
        problems.append(f"{name}: {result['failures_before_fault']} failed requests before the fault")
    if result["failing_after_back_s"] > recover_within or result["successes_after_last_failure"] == 0:
        problems.append(f"{name}: requests still failed {result['failing_after_back_s']:.1f} s after it was back")
    if not result["master_alive"]:
        problems.append(f"{name}: gunicorn's master died")
    if len(result["acknowledged_ids"]) > result["ratings_created"]:
        problems.append(f"{name}: {result['ratings_created']} ratings for {len(result['acknowledged_ids'])} acks")
    problems += [
        f"{name}: {key} {result[key]}" for key in ("pairs_twice", "items_above_k", "counters_off") if result[key]
    ]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each fault's phase")
    parser.add_argument("--fault-at", type=float, default=5.0, help="seconds into a phase")
    parser.add_argument("--raters", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--faults", default="kill,fast,immediate,idle")
    parser.add_argument("--recover-within", type=float, default=10.0, help="seconds after the server is back")
    parser.add_argument(
        "--no-health-checks", action="store_true", help="run gunicorn with CONN_HEALTH_CHECKS=0, to compare"
    )
    options = parser.parse_args()
    faults = options.faults.split(",")
    if not set(faults) <= {"kill", "fast", "immediate", "idle"} or not 0 < options.raters <= N_RATERS:
        parser.error(f"--faults takes kill, fast, immediate, idle; --raters is between 1 and {N_RATERS}")

    sys.path.insert(0, str(ROOT))
    cluster = Cluster()
    server = None
    results: list[dict] = []
    try:
        cluster.start()
        env = {
            **_env(server=cluster.url, db=PG_DB),
            "CONN_HEALTH_CHECKS": "0" if options.no_health_checks else "1",
        }
        os.environ.update(env)
        _psql(f"CREATE DATABASE {PG_DB}", server=cluster.url)
        _manage("migrate", "--noinput", "-v", "0", env=env)
        _manage("collectstatic", "--noinput", "-v", "0", env=env)
        print(f"PostgreSQL cluster {cluster.dir} on port {cluster.port}")
        print(f"setup: {options.items} items, campaign and {N_RATERS} raters in {setup_data(options.items):.1f} s")
        port = free_port()
        server_log = (cluster.dir / "gunicorn.log").open("w")
        server = _start_gunicorn(options.workers, "sync", 1, port=port, env=env, log=server_log)
        clients = [RecordingClient(port) for _ in range(options.raters)]
        for i, client in enumerate(clients):
            client.login(f"rater{i:02d}")
        print(
            f"gunicorn: {options.workers} sync workers, CONN_HEALTH_CHECKS={env['CONN_HEALTH_CHECKS']}; "
            f"{options.raters} raters flat out; {options.seconds:.0f} s per fault, the fault at "
            f"{options.fault_at:.0f} s",
            flush=True,
        )
        for fault in faults:
            result = phase(fault, clients, server, cluster, options)
            results.append(result)
            print(_summary(result), flush=True)
        check = acknowledged_check([i for r in results for i in r["acknowledged_ids"]])
        print(
            f"acknowledged submits {check['acknowledged']}: acknowledged twice {check['acknowledged_twice']}, not "
            f"stored exactly once {check['acknowledged_not_stored_once']}; ratings stored "
            f"{sum(r['ratings_created'] for r in results)} (a rating committed as its connection broke is stored "
            "but was not acknowledged)"
        )
        server_log.flush()
        logged = (cluster.dir / "gunicorn.log").read_text().splitlines()
        answered_503 = [line for line in logged if "Database unavailable, answered 503" in line]
        print(
            f"gunicorn log: {len(answered_503)} lines 'Database unavailable, answered 503', {len(logged)} lines in all"
        )
        for line in answered_503[:1] + answered_503[-1:]:
            print("   ", line[:240])
        # Where a restart's time went, from PostgreSQL's own log.
        milestones = ("shutdown request", "starting PostgreSQL", "redo done", "ready to accept")
        for line in cluster.log.read_text().splitlines()[1:]:
            if any(word in line for word in milestones):
                print("    postgres:", line[:200])
        problems = [p for r in results for p in _problems(r, options.recover_within)]
        problems += [f"{key} {value}" for key, value in check.items() if key != "acknowledged" and value]
    finally:
        from django.db import connections

        connections.close_all()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        cluster.remove()
    if problems:
        print("FAILED:", "; ".join(problems))
        raise SystemExit(1)
    print(
        "OK: no 500s, every 503 with Retry-After, recovered without restarting gunicorn, every acknowledged rating "
        "stored exactly once, no pair twice, no item above k"
    )


if __name__ == "__main__":
    main()
