"""Import speed and browser latency on a large dataset, on SQLite and PostgreSQL.

    python benchmarks/import_items.py [--items 1000000] [--db sqlite|postgres|both]

Generates a JSONL file of realistic prompt/response items into a temporary directory
(flushed to disk before any import starts, as a user's file would be), imports it into
a fresh SQLite file and a fresh PostgreSQL database (bench_import, created and dropped
here), and reports the import's items/s up to its commit and the peak RSS of the
importing process (a child process, so generating the file doesn't count). On SQLite the import's commit
leaves copying the write-ahead log into the database file to a background thread; the benchmark waits for it
and reports when it finished, before it goes on.
It then builds the search index as the search index task does after an import (time and
items/s, first half, page timings while it is half built, then the rest), and times the
dataset browser through Django's test Client: first page, one and two metadata filters,
text searches for a common word and for a word in no item, the match counts made on
request, and the summary (median of several requests after one warm-up).
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_import"
MODELS = ["atlas-7b", "atlas-70b", "borealis-13b", "cirrus-8x7b", "delta-3b"]
TOPICS = [
    "math", "coding", "history", "biology", "cooking", "travel", "law", "finance", "music", "sports",
    "chemistry", "physics", "poetry", "medicine", "gardening", "astronomy", "economics", "philosophy",
    "geography", "linguistics", "film", "games", "parenting", "fitness", "careers",
]  # fmt: skip
LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl", "sv", "pl", "ja"]
REQUESTS = 7


def _sentences(rng: random.Random, n: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "de", "pa", "zu", "ri", "mo", "te", "la", "gi"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(6000)})
    common = ["the", "a", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "on", "model"]
    pool = words + common * 40
    return [" ".join(rng.choices(pool, k=rng.randint(8, 18))).capitalize() + "." for _ in range(n)]


def generate(path: Path, n_items: int) -> None:
    """Write n_items JSONL records of ~300–800 character prompt and response text."""
    rng = random.Random(20261126)
    sentences = _sentences(rng, 20000)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n_items):
            prompt = " ".join(rng.choices(sentences, k=rng.randint(3, 8)))[:800]
            response = " ".join(rng.choices(sentences, k=rng.randint(4, 9)))[:800]
            record = {
                "id": f"item-{i:07d}",
                "prompt": prompt,
                "response": response,
                "model": rng.choice(MODELS),
                "topic": rng.choice(TOPICS),
                "language": rng.choice(LANGUAGES),
            }
            handle.write(json.dumps(record) + "\n")


def _median_ms(client: object, url: str) -> float:
    client.get(url)
    timings = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    return statistics.median(timings)


def child(db: str, file: Path, workdir: Path) -> None:
    """Runs in a fresh process: migrate, import, report RSS, then time the browser."""
    sys.path.insert(0, str(ROOT))
    os.environ["ACCORD_TESTING"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    # Tasks are queued for a worker (none runs here): the index is built in this process, timed.
    os.environ["TASKS_BACKEND"] = "database"
    os.environ["ACCORD_DATA_DIR"] = str(workdir / "data")
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from annotate import search
    from annotate.search import search_index_build
    from annotate.services.datasets import dataset_import
    from annotate.services.item_writers import CHECKPOINT_THREAD

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    result = dataset_import(source=file, name="bench", metadata_fields=["model", "topic", "language"])
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    checkpoint_seconds = None
    for thread in threading.enumerate():
        if thread.name == CHECKPOINT_THREAD:
            thread.join()
            checkpoint_seconds = round(time.perf_counter() - start - seconds, 1)
    if db == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    else:
        number = connection.cursor().connection.info.server_version  # e.g. 150020 for 15.20
        version = f"{number // 10000}.{number % 10000}"
    # Report the import before timing pages, so a failure there doesn't lose it.
    print(
        json.dumps(
            {
                "load_average": round(os.getloadavg()[0], 2),
                "db": db,
                "version": version,
                "items": result.n_items,
                "seconds": round(seconds, 1),
                "items_per_s": round(result.n_items / seconds),
                "peak_rss_mb": round(peak_mb),
                "checkpoint_seconds": checkpoint_seconds,
            }
        ),
        flush=True,
    )
    user = User.objects.create_superuser("bench", "bench@example.com", "bench-password-123")
    client = Client()
    client.force_login(user)
    base = f"/datasets/{result.dataset.pk}/"
    half = -(-result.n_items // 2 // search.BATCH_SIZE[connection.vendor])
    first = search_index_build(dataset=result.dataset, max_batches=half)
    partial_pages = {
        "first page": base,
        "text search, common word (model)": f"{base}?q=model",
        "text search, word in no item (kalomira)": f"{base}?q=kalomira",
    }
    # The first page view queues a build task (no worker runs here); the timed views find it waiting.
    partial = {name: round(_median_ms(client, url), 1) for name, url in partial_pages.items()}
    rest = search_index_build(dataset=result.dataset)
    indexed, index_seconds = first.n_items + rest.n_items, first.seconds + rest.seconds
    print(
        json.dumps(
            {
                "index_items": indexed,
                "index_seconds": round(index_seconds, 1),
                "index_items_per_s": round(indexed / index_seconds),
                "index_complete": rest.complete,
                "peak_rss_after_index_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "half_indexed_pages_ms": partial,
            }
        ),
        flush=True,
    )
    two_filters = f"{base}?field=topic&value=poetry&field=language&value=sv"
    pages = {
        "first page": base,
        "one filter (topic=poetry)": f"{base}?field=topic&value=poetry",
        "two filters (topic=poetry, language=sv)": two_filters,
        "two filters, counted on request": f"{two_filters}&count=1",
        "text search, common word (model)": f"{base}?q=model",
        "text search, common word, counted on request": f"{base}?q=model&count=1",
        "text search, word in no item (kalomira)": f"{base}?q=kalomira",
        "summary": f"{base}summary/",
    }
    timings = {name: round(_median_ms(client, url), 1) for name, url in pages.items()}
    print(json.dumps({"pages_ms": timings}), flush=True)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run(db: str, file: Path, tmp: Path) -> dict:
    workdir = tmp / db
    workdir.mkdir()
    if db == "postgres":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}")
        _pg_admin(f"CREATE DATABASE {PG_DB}")
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", db, "--file", str(file), "--workdir", str(workdir)],
            capture_output=True,
            text=True,
        )
    finally:
        if db == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}")
    result: dict = {"pages_ms": {}}
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            result.update(json.loads(line))
    if out.returncode != 0:
        result["error"] = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.workdir)
        return
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp_name:
        tmp = Path(tmp_name)
        file = tmp / "items.jsonl"
        start = time.perf_counter()
        generate(file, args.items)
        # Write the generated file out now: the kernel would otherwise flush its 1.2 GB during the first import.
        os.sync()
        size_mb = file.stat().st_size / 1024 / 1024
        print(f"Generated {args.items:,} items ({size_mb:,.0f} MB) in {time.perf_counter() - start:.0f} s")
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            result = run(db, file, tmp)
            if "items" not in result:
                print(f"\n{db}: import failed: {result.get('error')}")
                continue
            print(
                f"\n{db} {result['version']}: imported {result['items']:,} items in {result['seconds']} s "
                f"= {result['items_per_s']:,} items/s, peak RSS {result['peak_rss_mb']} MB "
                f"(1-minute load average {result['load_average']} at the end of the import)"
            )
            if result.get("checkpoint_seconds") is not None:
                print(
                    f"  write-ahead log copied into the database file {result['checkpoint_seconds']} s after the commit"
                )
            if "index_items" in result:
                print(
                    f"  search index built after the commit: {result['index_items']:,} items in "
                    f"{result['index_seconds']} s = {result['index_items_per_s']:,} items/s "
                    f"(peak RSS {result['peak_rss_after_index_mb']} MB)"
                )
                print("  pages while the search index was half built:")
                for name, ms in result["half_indexed_pages_ms"].items():
                    print(f"    {name:<46} {ms:>8.1f} ms")
                print("  pages with the search index complete:")
            for name, ms in result["pages_ms"].items():
                print(f"  {name:<48} {ms:>8.1f} ms")
            if "error" in result:
                print(f"  page timing failed: {result['error']}")


if __name__ == "__main__":
    main()
