"""Adjudication at scale: opening an item's adjudication page and recording a decision, in a 100,000-item campaign.

    python benchmarks/adjudication.py [--items 100000] [--raters 3] [--decisions 300]

Creates the PostgreSQL database bench_adjudication (dropped first, and again at the end), migrates it and
loads one campaign of `items` items, each rated by `raters` raters on a 1-5 criterion (the simulated raters
of benchmarks/agreement.py), with COPY (setup, not measured); one rater in fifty also flagged an item. Then,
through Django's test Client as a logged-in adjudicator, for `decisions` items of the adjudication queue:

(a) GET the item's adjudication page (it leases the item, reads its ratings, decisions and reasons);
(b) POST a decision on it (validation, the superseding write, the lease released; the redirect not followed);

then (c) GET the queue's next item a few times, which reads the whole campaign's reasons, and (d) POST
decisions as the page sends them with htmx, whose answer is the next item's panel (decision, next item, its
lease and its page in one request). It prints the median and 95th percentile of each in milliseconds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement import _copy, simulate  # noqa: E402  (the same simulated raters and loader)

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_adjudication"
SLUG = "bench-adjudication"
KEY = "quality"
ADJUDICATOR = "bench-adjudicator"
NEXT_RUNS = 5


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["ACCORD_TESTING"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()


def setup(n_items: int, n_raters: int) -> None:
    """Runs in a child: migrate, then COPY the campaign's items, sample, labels and a few flags."""
    _django()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from annotate.models import Assignment, Campaign, CampaignItem, Dataset, Item, Membership, Rubric, RubricVersion
    from annotate.rubrics import validate_criteria
    from ratings.models import Rating

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    criteria = validate_criteria([{"key": KEY, "type": "likert", "scale": {"min": 1, "max": 5}}])
    dataset = Dataset.objects.create(name="bench", content_fields=["prompt"], item_count=n_items)
    version = RubricVersion.objects.create(rubric=Rubric.objects.create(name="bench"), number=1, criteria=criteria)
    campaign = Campaign.objects.create(
        slug=SLUG, name="Bench", dataset=dataset, rubric_version=version, overlap=n_raters, status="active"
    )
    raters = [User.objects.create(username=f"rater{r}", is_active=False) for r in range(n_raters)]
    Membership.objects.bulk_create(Membership(campaign=campaign, user=u, role="rater", rates=True) for u in raters)
    adjudicator = User.objects.create(username=ADJUDICATOR)
    Membership.objects.create(campaign=campaign, user=adjudicator, role="adjudicator")
    labels = simulate(n_items, n_raters)
    now = datetime.now(UTC)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        item_rows = ((dataset.pk, f"item-{i:07d}", i + 1, '{"prompt": "p"}', "{}") for i in range(n_items))
        _copy(cursor, Item, item_rows, ["dataset_id", "external_id", "position", "content", "metadata"])
        item_ids = [pk for (pk,) in Item.objects.filter(dataset=dataset).order_by("position").values_list("pk")]
        _copy(
            cursor,
            CampaignItem,
            ((campaign.pk, pk, order, n_raters, n_raters) for order, pk in enumerate(item_ids)),
            ["campaign_id", "item_id", "order_key", "n_rated", "n_taken"],
        )
        sample = dict(CampaignItem.objects.filter(campaign=campaign).values_list("item_id", "pk"))
        sampled = [sample[pk] for pk in item_ids]
        rating_rows = (
            (sampled[i], campaign.pk, raters[r].pk, version.pk, f'{{"{KEY}": {labels[r, i]}}}', False, now, now)
            for i in range(n_items)
            for r in range(n_raters)
        )
        given = ["campaign_item_id", "campaign_id", "rater_id", "rubric_version_id", "values", "is_repeat"]
        _copy(cursor, Rating, rating_rows, [*given, "created_at", "updated_at"])
        flag_rows = (
            (sampled[i], campaign.pk, raters[0].pk, "skipped", "broken", now, now, now, True)
            for i in range(0, n_items, 50)
        )
        fields = ["campaign_item_id", "campaign_id", "rater_id", "status", "flag", "leased_at", "expires_at"]
        _copy(cursor, Assignment, flag_rows, [*fields, "submitted_at", "is_repeat"])
        cursor.execute("ANALYZE")
    print(
        json.dumps(
            {
                "ratings": Rating.objects.filter(campaign=campaign).count(),
                "load_s": round(time.perf_counter() - start, 1),
            }
        )
    )


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def measure(n_decisions: int) -> None:
    """Runs in a child: (a) open and (b) decide `n_decisions` queued items, then (c) the queue's next item."""
    _django()
    from django.contrib.auth.models import User
    from django.test import Client

    from annotate.models import Campaign
    from ratings.adjudication_queue import adjudication_queue
    from ratings.models import Adjudication

    campaign = Campaign.objects.get(slug=SLUG)
    start = time.perf_counter()
    entries = adjudication_queue(campaign)
    queue_s = time.perf_counter() - start
    client = Client()
    client.force_login(User.objects.get(username=ADJUDICATOR))
    opened, decided = [], []
    rng = np.random.default_rng(7)
    for entry in entries[:n_decisions]:
        url = f"/c/{SLUG}/adjudicate/{entry.campaign_item_id}/"
        start = time.perf_counter()
        page = client.get(url)
        opened.append(time.perf_counter() - start)
        assert page.status_code == 200, page.status_code
        value = int(rng.integers(1, 6))
        start = time.perf_counter()
        response = client.post(
            url, {"outcome-quality": "final", f"c-{KEY}": str(value), "rationale-quality": "read it"}
        )
        decided.append(time.perf_counter() - start)
        assert response.status_code == 302, response.content[:500]
    nexts = []
    for _ in range(NEXT_RUNS):
        start = time.perf_counter()
        response = client.get(f"/c/{SLUG}/adjudicate/next/")
        nexts.append(time.perf_counter() - start)
    in_place = []
    url = response.url
    for _ in range(NEXT_RUNS * 4):
        start = time.perf_counter()
        response = client.post(
            url, {"outcome-quality": "ambiguous", "rationale-quality": "two readings"}, HTTP_HX_REQUEST="true"
        )
        in_place.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        url = response["HX-Push-Url"]
    report = {
        "queue_items": len(entries),
        "queue_build_s": round(queue_s, 2),
        "decisions_recorded": Adjudication.objects.filter(campaign=campaign).count(),
        "open_page": _ms(opened),
        "record_decision": _ms(decided),
        "next_item": _ms(nexts),
        "decide_and_next_htmx": _ms(in_place),
    }
    print(json.dumps(report))


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG_SERVER}/postgres", "-q", "-c", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--raters", type=int, default=3)
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--child", choices=["setup", "measure"])
    args = parser.parse_args()
    if args.child == "setup":
        setup(args.items, args.raters)
        return
    if args.child == "measure":
        measure(args.decisions)
        return
    _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
    _psql(f"CREATE DATABASE {PG_DB}")
    try:
        script = [sys.executable, __file__, "--items", str(args.items), "--raters", str(args.raters)]
        subprocess.run([*script, "--child", "setup"], check=True)
        subprocess.run([*script, "--decisions", str(args.decisions), "--child", "measure"], check=True)
    finally:
        _psql(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
