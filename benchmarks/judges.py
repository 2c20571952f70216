"""A machine judge against five humans at scale: judge_report on 200,000 items, end to end.

    .venv/bin/python benchmarks/judges.py [--items 200000] [--humans 5] [--raters-per-item N] [--level ordinal]
        [--n-boot 1000] [--repeats 3]

Simulates, with a fixed seed, a likert 1-5 criterion: each item has a latent score, each human labels it as
the latent score plus their own bias and noise cut into five ordered categories (ordinal alpha about 0.6, as
benchmarks/agreement.py), and the judge labels it the same way with a little less noise. By default every
human labels every item (1,000,000 human labels plus 200,000 of the judge); with --raters-per-item N each
item gets N humans drawn at random. With --level interval the labels are the latent values on a 0-100
scale rounded to whole points (a slider), so most items' rows of labels are distinct.

It then times, with time.perf_counter, in this process and without a database, `ratings.judges.judge_report`
on the tidy frame (item, rater, value): validation, encoding, every agreement figure with its bootstrap
interval (n_boot resamples of the items), the final labels (the humans' majority) and the alternative
annotator test. It prints the best of --repeats runs and what the report says. Simulation is setup and is
not measured.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratings.judges import judge_report  # noqa: E402

SEED = 20261206
# Noise of each human and of the judge around the latent score (variance 1), and the 1-5 scale's cut points.
HUMAN_NOISE = 0.72
JUDGE_NOISE = 0.6
CUTS = [-1.2, -0.4, 0.4, 1.2]


def simulate(n_items: int, n_humans: int, per_item: int | None, level: str) -> pd.DataFrame:
    """The humans' and the judge's labels as one tidy frame."""
    rng = np.random.default_rng(SEED)
    truth = rng.normal(0.0, 1.0, n_items)
    bias = rng.normal(0.0, 0.1, n_humans)[:, None]
    humans = truth[None, :] + bias + rng.normal(0.0, HUMAN_NOISE, (n_humans, n_items))
    judge = truth + rng.normal(0.0, JUDGE_NOISE, n_items)

    def scale(latent: np.ndarray) -> np.ndarray:
        if level == "interval":
            return np.clip(np.rint(50 + 15 * latent), 0, 100)
        return (np.searchsorted(CUTS, latent) + 1).astype(np.int64)

    labels = scale(humans)
    keep = np.ones((n_humans, n_items), dtype=bool)
    if per_item is not None:
        chosen = np.argsort(rng.random((n_items, n_humans)), axis=1)[:, :per_item]
        keep[:] = False
        keep[chosen.T, np.arange(n_items)[None, :]] = True
    rater, item = np.nonzero(keep)
    frame = pd.DataFrame(
        {"item": item, "rater": np.array([f"human-{r}" for r in range(n_humans)])[rater], "value": labels[keep]}
    )
    judged = pd.DataFrame({"item": np.arange(n_items), "rater": "judge", "value": scale(judge)})
    return pd.concat([frame, judged], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--humans", type=int, default=5)
    parser.add_argument("--raters-per-item", type=int, default=None)
    parser.add_argument("--level", choices=["ordinal", "interval"], default="ordinal")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    frame = simulate(args.items, args.humans, args.raters_per_item, args.level)
    per_item = args.humans if args.raters_per_item is None else args.raters_per_item
    domain = [1, 2, 3, 4, 5] if args.level == "ordinal" else None
    print(
        f"{len(frame):,} labels: {args.items:,} items x {per_item} of {args.humans} humans + the judge on every item, "
        f"{args.level} {'1-5' if args.level == 'ordinal' else '0-100 in whole points'}"
    )
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        report = judge_report(frame, "judge", args.level, value_domain=domain, n_boot=args.n_boot, seed=0)
        times.append(time.perf_counter() - start)
    print(
        f"judge_report (n_boot={args.n_boot}): {min(times):.2f} s best of {args.repeats} "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)})"
    )

    def show(iv) -> str:
        return f"{iv.value:.4f} [{iv.ci_low:.4f}, {iv.ci_high:.4f}] on {iv.n_items:,} items"

    print(f"pool alpha {show(report.pool_alpha)}; with the judge standing in {show(report.pool_alpha_with_judge)}")
    first = report.with_each_human[0]
    print(
        f"judge with {first.human}: {show(first.judge_agreement)}; "
        f"{first.human} with the other humans: {show(first.human_agreement)}"
    )
    if report.with_final is not None:
        print(f"judge with the humans' majority: {show(report.with_final)}")
    test = report.alt_test
    if test is None:
        print(f"alternative annotator test: none ({report.alt_test_note})")
    else:
        p_values = ", ".join(f"{h.p_value:.3g}" for h in test.per_human)
        print(
            f"alternative annotator test (epsilon {test.epsilon}): winning rate {test.winning_rate:.2f}, "
            f"rho {test.advantage_probability:.4f}, p-values {p_values}"
        )
        print(test.verdict)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
