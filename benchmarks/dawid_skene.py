"""Dawid-Skene and majority votes at scale: 1,000,000 labels (200,000 items x 5 raters x 5 classes).

    .venv/bin/python benchmarks/dawid_skene.py [--items 200000] [--raters 5] [--classes 5] [--repeats 3]
        [--raters-per-item N]

Simulates, with a fixed seed, items whose true class is drawn from uneven priors and raters of
different skill: rater r gives the true class with probability ACCURACY[r] and otherwise a wrong class
drawn from a rater-specific, uneven distribution (so the confusion matrices are not symmetric). Every
rater labels every item, or with --raters-per-item N each item gets N raters drawn at random (a sparse
design, where few items share a pattern of labels and Dawid-Skene's per-pattern shortcut saves
nothing; use it with more raters, e.g. --raters 50 --raters-per-item 5). Then it times, with
time.perf_counter, in this process and without a database:

(a) `ratings.aggregation.dawid_skene` on the tidy frame (item, rater, value), end to end: encoding,
    EM to its default tolerance, and building the result's Series and DataFrames;
(b) `ratings.aggregation.majority_votes` on the same frame.

It prints the best of --repeats runs, the EM iterations, whether EM converged, the accuracy of both
against the simulated truth (majority-vote ties count as wrong), and the largest error of the estimated
confusion matrices against the simulated ones. Simulation is setup and not measured.
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

from ratings.aggregation import dawid_skene, majority_votes  # noqa: E402

SEED = 20261206
# Probability that each rater gives the true class: one expert, three ordinary raters, one near-guesser.
ACCURACY = [0.9, 0.75, 0.7, 0.6, 0.4]


def simulate(
    n_items: int, n_raters: int, n_classes: int, per_item: int | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The tidy label frame, the true class of each item, and the raters' (true x given) confusion matrices."""
    rng = np.random.default_rng(SEED)
    priors = rng.dirichlet(np.full(n_classes, 4.0))
    truth = rng.choice(n_classes, size=n_items, p=priors)
    confusion = np.empty((n_raters, n_classes, n_classes))
    for r in range(n_raters):
        accuracy = ACCURACY[r % len(ACCURACY)]
        for c in range(n_classes):
            wrong = rng.dirichlet(np.ones(n_classes - 1)) * (1 - accuracy)
            confusion[r, c] = np.insert(wrong, c, accuracy)
    # Inverse-CDF sampling of every label at once: one uniform per (rater, item).
    cdf = np.cumsum(confusion[:, truth, :], axis=2)
    u = rng.random((n_raters, n_items, 1))
    given = np.minimum((u > cdf).sum(axis=2), n_classes - 1)
    frame = pd.DataFrame(
        {
            "item": np.tile(np.arange(n_items), n_raters),
            "rater": np.repeat([f"rater-{r}" for r in range(n_raters)], n_items),
            "value": given.ravel(),
        }
    )
    if per_item is not None:
        # Keep per_item random raters of each item: the first per_item of a random rater order.
        rank = np.argsort(rng.random((n_items, n_raters)), axis=1).argsort(axis=1)
        frame = frame[(rank.T.ravel() < per_item)].reset_index(drop=True)
    return frame, truth, confusion


def best_of(repeats: int, run):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--raters-per-item", type=int, default=None)
    args = parser.parse_args()

    frame, truth, confusion = simulate(args.items, args.raters, args.classes, args.raters_per_item)
    per_item = args.raters if args.raters_per_item is None else args.raters_per_item
    print(
        f"{len(frame):,} labels: {args.items:,} items x {per_item} of {args.raters} raters x {args.classes} classes "
        f"(rater accuracies {', '.join(map(str, ACCURACY))}, repeating)"
    )

    seconds, times, result = best_of(args.repeats, lambda: dawid_skene(frame, classes=range(args.classes)))
    ds_accuracy = float((result.labels.to_numpy() == truth[result.labels.index.to_numpy()]).mean())
    estimated = np.stack([result.confusion[f"rater-{r}"].to_numpy() for r in range(args.raters)])
    print(
        f"dawid_skene:    {seconds:.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}), "
        f"{result.n_iter} iterations, converged={result.converged}, accuracy {ds_accuracy:.4f}, "
        f"largest confusion-matrix error {np.abs(estimated - confusion).max():.4f}"
    )

    seconds, times, votes = best_of(args.repeats, lambda: majority_votes(frame))
    mv_accuracy = float((votes["value"].to_numpy() == truth[votes.index.to_numpy()]).mean())
    print(
        f"majority_votes: {seconds:.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}), "
        f"accuracy {mv_accuracy:.4f} (ties {float((votes['method'] == 'tie').mean()):.4f}, counted wrong)"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
