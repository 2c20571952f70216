"""Coverage of the bootstrap interval for alpha, and the speed of alpha_with_ci at scale.

Raters label items from a known latent model: each item has a latent score z ~ N(0, 1);
a rater's label is round(3 + 1.2 z + noise), clipped to the 1-5 scale, with rater noise
N(0, 0.9). Each item gets 3 of 6 raters, and 10% of labels are then lost. The true
(population) ordinal alpha is computed on a very large simulated population of items;
each run draws a small campaign, computes the 95% interval, and checks whether it
covers the true value. Coverage should land in 93-97%.

Run: .venv/bin/python benchmarks/bootstrap_coverage.py [--runs 2000] [--items 150]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratings.agreement import alpha, alpha_with_ci  # noqa: E402

SCALE = [1, 2, 3, 4, 5]


def simulate(n_items: int, rng: np.random.Generator, raters_per_item: int = 3, pool: int = 6) -> pd.DataFrame:
    """A campaign drawn from the latent model, as a tidy item/rater/value frame."""
    z = rng.normal(size=n_items)
    raters = np.argsort(rng.random((n_items, pool)), axis=1)[:, :raters_per_item]
    noise = rng.normal(scale=0.9, size=(n_items, raters_per_item))
    values = np.clip(np.rint(3 + 1.2 * z[:, None] + noise), 1, 5).astype(int)
    frame = pd.DataFrame(
        {"item": np.repeat(np.arange(n_items), raters_per_item), "rater": raters.ravel(), "value": values.ravel()}
    )
    return frame[rng.random(len(frame)) >= 0.10]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def coverage(runs: int, n_items: int, population: int, n_boot: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    true_alpha = alpha(simulate(population, rng), "ordinal", value_domain=SCALE)
    print(f"true ordinal alpha (population of {population:,} items): {true_alpha:.4f}")
    covered, widths, below, above = 0, [], 0, 0
    start = time.perf_counter()
    for run in range(runs):
        result = alpha_with_ci(simulate(n_items, rng), "ordinal", value_domain=SCALE, n_boot=n_boot, seed=run)
        widths.append(result.ci_high - result.ci_low)
        if result.ci_low <= true_alpha <= result.ci_high:
            covered += 1
        elif true_alpha < result.ci_low:
            below += 1
        else:
            above += 1
    share = covered / runs
    se = (share * (1 - share) / runs) ** 0.5
    verdict = "OK" if 0.93 <= share <= 0.97 else "OUT OF RANGE"
    print(
        f"coverage of the 95% interval: {share:.1%} ± {se:.1%} over {runs} runs of {n_items} items "
        f"({below} missed low, {above} missed high; mean width {np.mean(widths):.3f}) [{verdict}] "
        f"in {time.perf_counter() - start:.1f} s"
    )


def speed(n_items: int, raters: int, n_boot: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n_items)
    values = np.clip(np.rint(3 + 1.2 * z[:, None] + rng.normal(scale=0.9, size=(n_items, raters))), 1, 5)
    frame = pd.DataFrame(
        {
            "item": np.repeat(np.arange(n_items), raters),
            "rater": np.tile([f"rater-{r}" for r in range(raters)], n_items),
            "value": values.astype(int).ravel(),
        }
    )
    before = peak_rss_mb()
    start = time.perf_counter()
    result = alpha_with_ci(frame, "ordinal", value_domain=SCALE, n_boot=n_boot)
    elapsed = time.perf_counter() - start
    # A second, traced call measures the memory the computation itself allocates.
    tracemalloc.start()
    alpha_with_ci(frame, "ordinal", value_domain=SCALE, n_boot=n_boot)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        f"alpha_with_ci on {len(frame):,} labels ({n_items:,} items x {raters} raters, ordinal 1-5, "
        f"{n_boot} resamples): {elapsed:.2f} s; alpha {result.value:.4f} "
        f"[{result.ci_low:.4f}, {result.ci_high:.4f}]; peak allocated by the call {traced_peak:.0f} MB; "
        f"process peak RSS {peak_rss_mb():.0f} MB (before the call: {before:.0f} MB)"
    )
    start = time.perf_counter()
    alpha(frame, "ordinal", value_domain=SCALE)
    print(f"alpha alone (krippendorff package) on the same labels: {time.perf_counter() - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--items", type=int, default=150)
    parser.add_argument("--population", type=int, default=200_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    speed(200_000, 5, 1000, args.seed)
    coverage(args.runs, args.items, args.population, args.n_boot, args.seed)


if __name__ == "__main__":
    main()
