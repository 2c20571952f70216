"""How many pairable items a slice needs before its alpha interval can be read: coverage and width by size.

The agreement dashboard gives each metadata value, each period so far and each rater's repeats its own alpha
with a 95% bootstrap interval (500 resamples per slice, as ratings.reports does). Small slices make intervals
that look precise and are not. This script draws small campaigns from three known models and reports, per
number of items, how often the interval covers the true alpha, its median half-width and how often it shrinks
to a single point (such as [1.000, 1.000]):

- ordinal, moderate agreement: benchmarks/bootstrap_coverage.py's latent model (1-5 scale, rater noise 0.9);
- ordinal, high agreement: the same model with rater noise 0.3;
- binary, a 20% minority label, each rater right 92% of the time.

Every item gets 3 of 6 raters and 10% of labels are lost, so nearly every item is pairable. ratings.reports
takes its MIN_PAIRABLE_ITEMS from this table.

Run: .venv/bin/python benchmarks/slice_minimum.py [--runs 600]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratings.agreement import AgreementError, alpha, alpha_with_ci  # noqa: E402

SCALE = [1, 2, 3, 4, 5]
SIZES = [4, 6, 8, 10, 12, 15, 20, 30, 50]
SLICE_BOOT = 500


def _frame(values: np.ndarray, rng: np.random.Generator, pool: int = 6) -> pd.DataFrame:
    n_items, k = values.shape
    raters = np.argsort(rng.random((n_items, pool)), axis=1)[:, :k]
    frame = pd.DataFrame({"item": np.repeat(np.arange(n_items), k), "rater": raters.ravel(), "value": values.ravel()})
    return frame[rng.random(len(frame)) >= 0.10]


def ordinal(noise: float) -> Callable[[int, np.random.Generator], pd.DataFrame]:
    """Labels round(3 + 1.2 z + noise) on a 1-5 scale, z ~ N(0, 1) per item."""

    def draw(n_items: int, rng: np.random.Generator) -> pd.DataFrame:
        z = rng.normal(size=n_items)
        values = np.clip(np.rint(3 + 1.2 * z[:, None] + rng.normal(scale=noise, size=(n_items, 3))), 1, 5)
        return _frame(values.astype(int), rng)

    return draw


def binary(draw_items: int, rng: np.random.Generator) -> pd.DataFrame:
    """A yes/no label true for 20% of items; each rater gives the true answer 92% of the time."""
    truth = rng.random(draw_items) < 0.2
    flip = rng.random((draw_items, 3)) > 0.92
    return _frame(np.where(flip, ~truth[:, None], truth[:, None]).astype(int), rng)


MODELS = [
    ("ordinal, moderate agreement", ordinal(0.9), "ordinal", SCALE),
    ("ordinal, high agreement", ordinal(0.3), "ordinal", SCALE),
    ("binary, 20% minority label", binary, "nominal", [0, 1]),
]


def run(runs: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for name, draw, level, domain in MODELS:
        true_alpha = alpha(draw(200_000, rng), level, value_domain=domain)
        print(f"{name}: true alpha {true_alpha:.3f}")
        for n_items in SIZES:
            covered, widths, points, undefined = 0, [], 0, 0
            for run_index in range(runs):
                try:
                    result = alpha_with_ci(draw(n_items, rng), level, domain, n_boot=SLICE_BOOT, seed=run_index)
                except AgreementError:
                    undefined += 1
                    continue
                if np.isnan(result.ci_low):
                    undefined += 1
                    continue
                widths.append(result.ci_high - result.ci_low)
                points += widths[-1] < 1e-9
                covered += result.ci_low <= true_alpha <= result.ci_high
            defined = max(runs - undefined, 1)
            print(
                f"  {n_items:3d} items: coverage {covered / defined:6.1%}, median half-width "
                f"{np.median(widths) / 2:.3f}, single-point intervals {points / defined:5.1%}, "
                f"undefined {undefined / runs:5.1%}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    run(args.runs, args.seed)


if __name__ == "__main__":
    main()
