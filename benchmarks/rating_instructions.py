"""Instructions per rating cycle in the Django process, counted by valgrind: a figure that does not drift.

    python benchmarks/rating_instructions.py [--items 100000] [--cycles 10,50] [--keep-db]

Wall and CPU times on a shared VM move by a factor of two between runs of the same code, so a change to the
rating path is compared here by the instructions it executes. The script builds the same database as
rating_load.py (bench_rating: --items items, k = 3, 32 raters; dropped at the end), then runs two child
processes under `valgrind --tool=callgrind`. Each signs in one rater with Django's test client, runs the same
30 warm-up cycles (GET the rating page, htmx POST an answer: the cycle of rating_load.py, in-process, without
gunicorn), then the given number of cycles. --gold-rate, --repeat-rate, --gold-items and --history set up the
campaign as rating_load.py does. The difference of the two totals divided by the difference of
the cycle counts is the count per cycle: start-up and warm-up cancel out. PostgreSQL's own work is not in it.

Needs valgrind (apt-get install valgrind). A child takes one to three minutes; the two run side by side.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rating_load import GOLD_ITEMS, PG_DB, ROOT, SLUG, _env, _manage, _psql, setup_data

WARMUP_CYCLES = 30
ASSIGNMENT_RE = re.compile(rb'name="assignment" value="(\d+)"')


def child(username: str, n_cycles: int) -> None:
    """Runs under valgrind: warm up, then rate n_cycles items as `username`."""
    os.environ.update(_env(), ALLOWED_HOSTS="testserver")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))

    def cycle() -> None:
        page = client.get(f"/c/{SLUG}/rate/")
        assignment = ASSIGNMENT_RE.search(page.content).group(1).decode()
        answer = {"assignment": assignment, "c-helpful": "3"}
        response = client.post(f"/c/{SLUG}/rate/next/", answer, HTTP_HX_REQUEST="true")
        if response.status_code != 200 or b"Saved." not in response.content:
            raise RuntimeError(f"submit failed: {response.status_code}")

    for _ in range(WARMUP_CYCLES + n_cycles):
        cycle()


def _counted(username: str, n_cycles: int, out_dir: Path) -> subprocess.Popen:
    out = out_dir / f"callgrind.{n_cycles}"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        "--child",
        username,
        str(n_cycles),
    ]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _total(out: Path) -> int:
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {out}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--cycles", default="10,50", help="the two cycle counts to difference")
    parser.add_argument("--keep-db", action="store_true", help="leave bench_rating in place afterwards")
    parser.add_argument("--gold-rate", type=float, default=0.0)
    parser.add_argument("--repeat-rate", type=float, default=0.0)
    parser.add_argument("--gold-items", type=int, default=GOLD_ITEMS)
    parser.add_argument("--history", type=int, default=0, help="ratings each rater already holds")
    options = parser.parse_args()
    few, many = sorted(int(n) for n in options.cycles.split(","))
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is required: apt-get install valgrind")
    os.environ.update(_env())
    sys.path.insert(0, str(ROOT))
    from django.db import connections

    _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
    _psql(f"CREATE DATABASE {PG_DB}")
    try:
        _manage("migrate", "--noinput", "-v", "0")
        # The pages link their static files through the manifest, which a fresh checkout has not built yet.
        _manage("collectstatic", "--noinput", "-v", "0")
        seconds = setup_data(
            options.items,
            gold_rate=options.gold_rate,
            repeat_rate=options.repeat_rate,
            gold_items=options.gold_items if options.gold_rate else 0,
            history=options.history,
        )
        print(f"setup: {options.items} items, {options.history} ratings per rater, in {seconds:.1f} s", flush=True)
        # The children open their own connections; this one would only hold the database open.
        connections.close_all()
        with tempfile.TemporaryDirectory() as tmp:
            runs = {n: _counted(f"rater{i:02d}", n, Path(tmp)) for i, n in enumerate((few, many))}
            for n, run in runs.items():
                # communicate(), not wait(): a child that fills the stderr pipe would otherwise never finish.
                _, errors = run.communicate()
                if run.returncode != 0:
                    sys.exit(f"the {n}-cycle child failed:\n{errors.decode()[-2000:]}")
            totals = {n: _total(Path(tmp) / f"callgrind.{n}") for n in runs}
        per_cycle = (totals[many] - totals[few]) / (many - few)
        print(f"instructions: {totals[few]:,} for {few} cycles, {totals[many]:,} for {many} cycles")
        print(f"per rating cycle (page + submit) in the Django process: {per_cycle / 1e6:.1f} million")
    finally:
        connections.close_all()
        if not options.keep_db:
            _psql(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
