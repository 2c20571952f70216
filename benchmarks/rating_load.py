"""The rating queue under load: gunicorn on PostgreSQL, a 100,000-item campaign, simulated raters over loopback.

    python benchmarks/rating_load.py [--items 100000] [--seconds 30] [--workers 2] [--worker-class sync]
                                     [--modes realistic,flat] [--flat-raters 1,16,32] [--burst] [--keep-db]
                                     [--gold-rate 0.1] [--repeat-rate 0.05] [--gold-items 2000]
                                     [--history 10000] [--raters 32] [--sqlite]

Creates a fresh PostgreSQL database (bench_rating, or $BENCH_PG_DB; dropped at the end), migrates it, fills a
dataset, a campaign of --items items (k=3, likert rubric with guidelines) and 32 raters with COPY, collects static
files and starts gunicorn (DEBUG off, SECRET_KEY set, ALLOWED_HOSTS=127.0.0.1, no HTTPS redirect). The
campaign mixes in gold checks and test-retest repeats as a real one does: --gold-items of its items (spread over
its order) are gold, served at --gold-rate, and repeats come back at --repeat-rate (0 turns either off).
--history N first gives every rater N submitted ratings, written in bulk as the queue would have served them
(benchmarks/histories.py): a team deep into a long campaign. --sqlite runs on a SQLite file instead, the
embedded default, with --raters raters (a small team: 4). Each
simulated rater is a thread with its own keep-alive HTTP connection: it logs in through the login form (CSRF
cookie and token), then runs cycles of next (GET /c/<slug>/rate/, the full page) and submit (htmx POST
/c/<slug>/rate/next/, which stores the answer and returns the next item's panel).

Modes: realistic (all raters, each taking 1 s to read and answer an item between next and submit, as a fast
human would, and starting at a random moment within the first second: latency percentiles) and flat out
(1, 16 and 32 raters without pauses: cycles per second and latency). --burst runs the realistic mode the
harsher way: all 32 raters start at the same instant and pause 1 s after each submit, so their requests
arrive in lockstep pairs. After each run the database is checked: ratings
created == successful submits, no (item, rater) pair twice, no item above k, the queue counters
(CampaignItem.n_taken and n_rated, the campaign's complete items) equal to the ratings and leases they stand
for, and each rater's queue state (the counts on their membership) equal to a recount of their history; the
run's share of gold checks and of repeats among the items served is printed beside its latencies. Finally the
rating page's transfer size (HTML plus the CSS and JS it references, raw and as whitenoise serves them gzipped).

The load generator runs on the same machine as gunicorn and PostgreSQL and competes with them for CPU.
"""

import argparse
import gzip
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DB = os.environ.get("BENCH_PG_DB", "bench_rating")
SLUG = "load"
OVERLAP = 3
N_RATERS = 32
# Gold checks at one item in ten and repeats at one in twenty: a real campaign's settings.
GOLD_RATE, REPEAT_RATE, GOLD_ITEMS = 0.1, 0.05, 2000
PASSWORD = "bench-rating-password-1"
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8765"))
GUIDELINES = """# How to rate

Read the **prompt** first, then the response. Rate how *helpful* the response is to the person who asked:

1. Not helpful: wrong, off-topic or refuses without reason.
2. Slightly helpful: on topic, but misses most of what was asked.
3. Helpful: answers the question with minor gaps.
4. Very helpful: complete and correct.
5. Extremely helpful: complete, correct and well explained.

Ignore spelling mistakes unless they change the meaning. Use *Flag* for unsafe or broken items.
"""
CRITERIA = [
    {
        "key": "helpful",
        "type": "likert",
        "label": "Helpfulness",
        "required": True,
        "help": "How well does the response serve the person who asked?",
        "level": "ordinal",
        "options": [
            {"value": v, "label": label, "key": str(v)}
            for v, label in enumerate(
                ["Not helpful", "Slightly helpful", "Helpful", "Very helpful", "Extremely helpful"], start=1
            )
        ],
    }
]
ASSIGNMENT_RE = re.compile(rb'name="assignment" value="(\d+)"')
ASSET_RE = re.compile(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"')


def _env(server: str = PG_SERVER, db: str = PG_DB) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{server}/{db}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-rating-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": HOST,
        # Plain HTTP over loopback: no redirect to HTTPS.
        "SECURE_SSL_REDIRECT": "0",
        "ACCORD_TESTING": "0",
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "PYTHONPATH": str(ROOT),
    }


def _psql(sql: str, server: str = PG_SERVER) -> None:
    subprocess.run(["psql", f"{server}/postgres", "-q", "-c", sql], check=True)


def _manage(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env or _env(), cwd=ROOT)


def _sentences(rng: random.Random, n: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "de", "pa", "zu", "ri", "mo", "te", "la", "gi"]
    words = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(3000)]
    common = ["the", "a", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "on", "model"]
    pool = words + common * 40
    return [" ".join(rng.choices(pool, k=rng.randint(8, 18))).capitalize() + "." for _ in range(n)]


def setup_data(
    n_items: int,
    *,
    gold_rate: float = 0.0,
    repeat_rate: float = 0.0,
    gold_items: int = 0,
    history: int = 0,
    n_raters: int = N_RATERS,
) -> float:
    """Fill dataset, items, campaign, raters and memberships (COPY on PostgreSQL); return the seconds it took."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from annotate.models import Campaign, Dataset, Membership, Rubric, RubricVersion

    started = time.perf_counter()
    rng = random.Random(20261126)
    sentences = _sentences(rng, 5000)
    dataset = Dataset.objects.create(name="load", content_fields=["prompt", "response"], metadata_fields=["model"])
    rubric = Rubric.objects.create(name="helpfulness")
    version = RubricVersion.objects.create(rubric=rubric, number=1, guidelines=GUIDELINES, criteria=CRITERIA)

    def item_rows():
        for i in range(n_items):
            content = {
                "prompt": " ".join(rng.choices(sentences, k=rng.randint(2, 5)))[:600],
                "response": " ".join(rng.choices(sentences, k=rng.randint(4, 9)))[:900],
            }
            yield (dataset.pk, f"item-{i:07d}", i, json.dumps(content), '{"model": "atlas-7b"}')

    password = make_password(PASSWORD)
    joined = "2026-11-26T00:00:00Z"
    users = [(f"rater{i:02d}", password, False, False, True, "", "", "", joined) for i in range(n_raters)]
    item_sql = "annotate_item (dataset_id, external_id, position, content, metadata)"
    user_sql = (
        "auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email, date_joined)"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            for table, rows in ((item_sql, item_rows()), (user_sql, users)):
                with raw.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {item_sql} VALUES (%s, %s, %s, %s, %s)", list(item_rows()))
            cursor.executemany(f"INSERT INTO {user_sql} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", users)
        Dataset.objects.filter(pk=dataset.pk).update(item_count=n_items)
        campaign = Campaign.objects.create(
            slug=SLUG,
            name="Load test",
            dataset=dataset,
            rubric_version=version,
            sample_spec={"method": "all"},
            overlap=OVERLAP,
            gold_rate=gold_rate,
            repeat_rate=repeat_rate,
            status=Campaign.Status.ACTIVE,
        )
        # order_key is a seeded shuffle of positions, as the sampling service makes it (0, 1, …).
        cursor.execute(
            "INSERT INTO annotate_campaignitem (campaign_id, item_id, order_key, is_gold, n_taken) "
            "SELECT %s, id, row_number() OVER (ORDER BY id * 2654435761 %% 4294967296) - 1, false, 0 "
            "FROM annotate_item WHERE dataset_id = %s",
            [campaign.pk, dataset.pk],
        )
        if gold_items:
            # Spread over the campaign's order, as gold items picked from anywhere in a sample are.
            cursor.execute(
                "UPDATE annotate_campaignitem SET is_gold = true WHERE campaign_id = %s AND order_key %% %s = 0",
                [campaign.pk, max(1, n_items // gold_items)],
            )
        cursor.execute(
            "INSERT INTO annotate_membership (user_id, campaign_id, role, rates, created_at) "
            "SELECT id, %s, %s, true, CURRENT_TIMESTAMP FROM auth_user WHERE username LIKE 'rater%%'",
            [campaign.pk, Membership.Role.RATER],
        )
    from annotate.services.campaign_counts import campaign_counts_recount

    # As campaign_create and gold marking do: the rating page reads the campaign's kept counts.
    campaign_counts_recount(campaign=campaign)
    if history:
        from django.contrib.auth.models import User
        from histories import write_histories

        raters = list(User.objects.filter(username__startswith="rater").order_by("username"))
        write_histories(campaign=campaign, raters=raters, per_rater=history, values={"helpful": 3})
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As after any bulk load: otherwise autovacuum's first pass over the fresh tables (set off by the
            # inserts alone) runs during the first measured mode and competes with it for the two cores, and
            # the checkpoint that writes the loaded pages out competes with the raters' commits for the disk.
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


@dataclass
class Stats:
    """What the raters of one run measured."""

    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    cycles: int = 0
    submits_ok: int = 0
    errors: list[str] = field(default_factory=list)
    # Ids of the assignments whose submit the client saw succeed, and every response's status.
    acknowledged: list[int] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One rater's browser: a keep-alive connection, the session and CSRF cookies."""

    def __init__(self, port: int = PORT, retry_reset: bool = True) -> None:
        self.port = port
        # Whether a request whose connection was reset is sent once more, as a browser does on a stale keep-alive
        # connection; off, the reset reaches the caller (a fault test counts it).
        self.retry_reset = retry_reset
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple:
        """Send one request (reconnecting if the server closed the connection); return (status, headers, body)."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        attempts = 2 if self.retry_reset else 1
        for attempt in range(attempts):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A sync worker closes the connection after each response; a fresh one is part of the cost.
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == attempts - 1:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        return response.status, response.getheaders(), payload

    def login(self, username: str) -> None:
        """Log in through the form, as a browser does: GET for the CSRF cookie and token, then POST."""
        status, _, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        status, headers, _ = self.request("POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed with {status}")


def _rater(client: Client, stats: Stats, stop_at: float, think: float, rng: random.Random, burst: bool) -> None:
    rate_url, submit_url = f"/c/{SLUG}/rate/", f"/c/{SLUG}/rate/next/"
    if think and not burst:
        # A team does not press Enter in the same millisecond: each rater starts somewhere in the first think time.
        time.sleep(rng.uniform(0, think))
    while time.perf_counter() < stop_at:
        try:
            # A rater reads and answers between seeing an item and submitting it; --burst pauses after the submit.
            _cycle(client, stats, rng, rate_url, submit_url, think=0.0 if burst else think)
        except (OSError, http.client.HTTPException) as exc:
            with stats.lock:
                stats.errors.append(f"{type(exc).__name__}: {exc}")
            client.conn.close()
        if think and burst:
            time.sleep(think)


def _cycle(
    client: Client, stats: Stats, rng: random.Random, rate_url: str, submit_url: str, think: float = 0.0
) -> None:
    """One next → (think) → submit cycle, each request timed."""
    started = time.perf_counter()
    status, _, page = client.request("GET", rate_url)
    next_ms = (time.perf_counter() - started) * 1000
    match = ASSIGNMENT_RE.search(page)
    if status != 200 or match is None:
        with stats.lock:
            stats.statuses[status] += 1
            stats.errors.append(f"next: {status} {page[:120]!r}")
        return
    if think:
        time.sleep(think)
    form = {"assignment": match.group(1).decode(), "c-helpful": str(rng.randint(1, 5)), "comment": ""}
    headers = {"HX-Request": "true", "X-CSRFToken": client.cookies["csrftoken"]}
    started = time.perf_counter()
    status, _, panel = client.request("POST", submit_url, form, headers)
    submit_ms = (time.perf_counter() - started) * 1000
    ok = status == 200 and b"Saved." in panel and ASSIGNMENT_RE.search(panel) is not None
    with stats.lock:
        stats.next_ms.append(next_ms)
        stats.submit_ms.append(submit_ms)
        stats.cycles += 1
        stats.submits_ok += ok
        stats.statuses[200] += 1  # the next, which succeeded
        stats.statuses[status] += 1
        if ok:
            stats.acknowledged.append(int(form["assignment"]))
        if not ok:
            stats.errors.append(f"submit: {status} {panel[:200]!r}")


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


def run(clients: list[Client], seconds: float, think: float, burst: bool = False) -> tuple[Stats, float]:
    """Let the clients rate for `seconds`; return their stats and the wall time."""
    stats = Stats()
    stop_at = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=_rater, args=(client, stats, stop_at, think, random.Random(i), burst))
        for i, client in enumerate(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.perf_counter() - started


def verify(n_ratings_before: int, n_assignments_before: int = 0) -> dict[str, int]:
    """Check the database after a run: counts, no pair twice, nothing above k, counters equal to reality."""
    from django.db import connection

    from annotate.models import Membership
    from ratings.progress import rater_rating_count
    from ratings.queue_selectors import rater_queue_counts

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ratings_rating")
        n_ratings = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM ratings_rating GROUP BY campaign_item_id, rater_id, is_repeat "
            "HAVING count(*) > 1) AS t"
        )
        pairs_twice = cursor.fetchone()[0]
        cursor.execute(
            # Gold checks go to every rater: only data items have k slots.
            "SELECT count(*) FROM (SELECT 1 FROM ratings_rating r JOIN annotate_campaignitem ci "
            "ON ci.id = r.campaign_item_id WHERE NOT r.is_repeat AND NOT ci.is_gold GROUP BY r.campaign_item_id "
            "HAVING count(*) > %s) AS t",
            [OVERLAP],
        )
        above_k = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM annotate_campaignitem ci WHERE NOT ci.is_gold AND (ci.n_taken <> "
            "(SELECT count(*) FROM ratings_rating r WHERE r.campaign_item_id = ci.id AND NOT r.is_repeat) + "
            "(SELECT count(*) FROM annotate_assignment a WHERE a.campaign_item_id = ci.id AND NOT a.is_repeat "
            "AND a.status = 'leased' AND a.expires_at > CURRENT_TIMESTAMP) OR ci.n_rated <> "
            "(SELECT count(*) FROM ratings_rating r WHERE r.campaign_item_id = ci.id AND NOT r.is_repeat))"
        )
        counters_off = cursor.fetchone()[0]
        # The campaign's kept count of complete items against a recount.
        cursor.execute(
            "SELECT n.n_complete - (SELECT count(*) FROM (SELECT 1 FROM ratings_rating r JOIN annotate_campaignitem ci "
            "ON ci.id = r.campaign_item_id WHERE r.campaign_id = n.campaign_id AND NOT r.is_repeat AND NOT ci.is_gold "
            "GROUP BY r.campaign_item_id HAVING count(*) >= %s) AS t) FROM annotate_campaigncounts n",
            [OVERLAP],
        )
        counters_off += sum(abs(row[0]) for row in cursor.fetchall())
        cursor.execute(
            "SELECT count(*), sum(CASE WHEN ci.is_gold AND NOT a.is_repeat THEN 1 ELSE 0 END), "
            "sum(CASE WHEN a.is_repeat THEN 1 ELSE 0 END) FROM annotate_assignment a "
            "JOIN annotate_campaignitem ci ON ci.id = a.campaign_item_id WHERE a.id > %s",
            [n_assignments_before],
        )
        served, gold, repeats = (value or 0 for value in cursor.fetchone())
    states_off = 0
    for membership in Membership.objects.filter(campaign__slug=SLUG, queue_counted=True).select_related("campaign"):
        counts = rater_queue_counts(campaign=membership.campaign, rater=membership.user)
        kept = (membership.queue_first, membership.queue_gold, membership.queue_repeats, membership.queue_submitted)
        recounted = (counts.n_first, counts.n_gold, counts.n_repeats, counts.n_submitted)
        ratings = rater_rating_count(membership.campaign, membership.user)
        states_off += kept != recounted or membership.rating_count != ratings
    return {
        "ratings_created": n_ratings - n_ratings_before,
        "pairs_twice": pairs_twice,
        "items_above_k": above_k,
        "counters_off": counters_off,
        "queue_states_off": states_off,
        "served": served,
        "gold_served": gold,
        "repeats_served": repeats,
    }


def _assignments_max() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM annotate_assignment")
        return cursor.fetchone()[0] or 0


def _ratings_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ratings_rating")
        return cursor.fetchone()[0]


def transfer_size(client: Client) -> dict[str, int]:
    """Bytes of the rating page as a browser loads it: HTML, then each CSS and JS file it references."""
    status, _, html = client.request("GET", f"/c/{SLUG}/rate/")
    sizes = {"html_raw": len(html), "html_gzip": len(gzip.compress(html)), "assets_raw": 0, "assets_gzip": 0}
    for path in dict.fromkeys(ASSET_RE.findall(html)):
        _, _, raw = client.request("GET", path.decode())
        _, headers, zipped = client.request("GET", path.decode(), headers={"Accept-Encoding": "gzip"})
        encoded = dict((k.lower(), v) for k, v in headers).get("content-encoding") == "gzip"
        sizes["assets_raw"] += len(raw)
        sizes["assets_gzip"] += len(zipped) if encoded else len(gzip.compress(raw))
    sizes["total_raw"] = sizes["html_raw"] + sizes["assets_raw"]
    sizes["total_gzip"] = sizes["html_gzip"] + sizes["assets_gzip"]
    return sizes


def _start_gunicorn(
    workers: int,
    worker_class: str,
    threads: int,
    port: int = PORT,
    env: dict[str, str] | None = None,
    log: IO | None = None,
) -> subprocess.Popen:
    args = [
        str(Path(sys.executable).parent / "gunicorn"),
        "accord.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--backlog",
        "256",
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        args += ["--threads", str(threads)]
    server = subprocess.Popen(args, env=env or _env(), cwd=ROOT, stderr=log)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def _report(name: str, stats: Stats, wall: float, check: dict[str, int]) -> dict:
    result = {
        "mode": name,
        "cycles": stats.cycles,
        "cycles_per_s": stats.cycles / wall,
        "next_ms": _percentiles(stats.next_ms),
        "submit_ms": _percentiles(stats.submit_ms),
        "errors": len(stats.errors),
        "submits_ok": stats.submits_ok,
        **check,
        "lost_or_extra": check["ratings_created"] - stats.submits_ok,
    }
    n, s = result["next_ms"], result["submit_ms"]
    print(
        f"{name:<22} {result['cycles']:>6} cycles {result['cycles_per_s']:7.1f}/s | next p50 {n['p50']:6.1f} "
        f"p95 {n['p95']:6.1f} p99 {n['p99']:6.1f} ms | submit p50 {s['p50']:6.1f} p95 {s['p95']:6.1f} "
        f"p99 {s['p99']:6.1f} ms | errors {result['errors']} | ratings {check['ratings_created']} "
        f"(submits ok {stats.submits_ok}) pairs twice {check['pairs_twice']} above k {check['items_above_k']} "
        f"counters off {check['counters_off']} queue states off {check.get('queue_states_off', 0)} | "
        f"gold {100 * check.get('gold_served', 0) / max(1, check.get('served', 0)):.1f} % "
        f"repeats {100 * check.get('repeats_served', 0) / max(1, check.get('served', 0)):.1f} % of "
        f"{check.get('served', 0)} served",
        flush=True,
    )
    for error in stats.errors[:5]:
        print("   ", error[:300])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--modes", default="realistic,flat")
    parser.add_argument("--flat-raters", default="1,16,32")
    parser.add_argument("--keep-db", action="store_true", help="leave bench_rating in place afterwards")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--burst", action="store_true", help="realistic mode as all raters starting at once and pausing after submit"
    )
    parser.add_argument("--gold-rate", type=float, default=GOLD_RATE)
    parser.add_argument("--repeat-rate", type=float, default=REPEAT_RATE)
    parser.add_argument("--gold-items", type=int, default=GOLD_ITEMS, help="items of the campaign marked gold")
    parser.add_argument("--history", type=int, default=0, help="ratings each rater already holds")
    parser.add_argument("--raters", type=int, default=N_RATERS)
    parser.add_argument("--sqlite", action="store_true", help="run on a SQLite file instead of PostgreSQL")
    options = parser.parse_args()
    sqlite_dir = tempfile.TemporaryDirectory() if options.sqlite else None
    env = _env()
    if sqlite_dir:
        env["DATABASE_URL"] = f"sqlite:///{sqlite_dir.name}/load.sqlite3"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    if not sqlite_dir:
        _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        _psql(f"CREATE DATABASE {PG_DB}")
    server = None
    try:
        _manage("migrate", "--noinput", "-v", "0", env=env)
        _manage("collectstatic", "--noinput", "-v", "0", env=env)
        seconds = setup_data(
            options.items,
            gold_rate=options.gold_rate,
            repeat_rate=options.repeat_rate,
            gold_items=options.gold_items if options.gold_rate else 0,
            history=options.history,
            n_raters=options.raters,
        )
        print(
            f"setup ({'SQLite' if sqlite_dir else 'PostgreSQL'}): {options.items} items ({options.gold_items} gold, "
            f"gold rate {options.gold_rate:g}, repeat rate {options.repeat_rate:g}), {options.raters} raters with "
            f"{options.history} ratings each, in {seconds:.1f} s",
            flush=True,
        )
        server = _start_gunicorn(options.workers, options.worker_class, options.threads, env=env)
        print(f"gunicorn: {options.workers} {options.worker_class} workers", flush=True)
        clients = []
        for i in range(options.raters):
            client = Client()
            client.login(f"rater{i:02d}")
            clients.append(client)
        results = []
        modes = options.modes.split(",")
        if "realistic" in modes:
            before, served_before = _ratings_count(), _assignments_max()
            stats, wall = run(clients, options.seconds, think=1.0, burst=options.burst)
            name = f"realistic, {options.raters} raters" + (", burst" if options.burst else "")
            results.append(_report(name, stats, wall, verify(before, served_before)))
        if "flat" in modes:
            for n in (int(v) for v in options.flat_raters.split(",")):
                before, served_before = _ratings_count(), _assignments_max()
                stats, wall = run(clients[:n], options.seconds, think=0.0)
                results.append(_report(f"flat out, {n} raters", stats, wall, verify(before, served_before)))
        sizes = transfer_size(clients[0])
        print(
            f"rating page transfer: HTML {sizes['html_raw'] / 1024:.1f} KB + CSS/JS {sizes['assets_raw'] / 1024:.1f} KB"
            f" = {sizes['total_raw'] / 1024:.1f} KB raw; gzip {sizes['total_gzip'] / 1024:.1f} KB "
            f"(HTML {sizes['html_gzip'] / 1024:.1f} KB, CSS/JS {sizes['assets_gzip'] / 1024:.1f} KB)"
        )
        if options.json:
            options.json.write_text(json.dumps({"runs": results, "transfer": sizes}, indent=2))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        if not sqlite_dir and not options.keep_db:
            _psql(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
