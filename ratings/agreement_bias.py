"""Rater bias and consistency: position and length bias in pairwise choices, intransitive triads, test-retest.

Tidy tables in, DataFrames out, as in ratings.agreement; nothing here imports Django.
"""

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ratings.agreement import (
    alpha,
    check_level,
    encode_values,
    label_frame,
    nan_if_undefined,
)


def _binomial_row(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    return successes / n, float(stats.binomtest(successes, n, 0.5, alternative="two-sided").pvalue)


def _choices(choices: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    df = label_frame(choices, columns)
    df = df.assign(value=df["value"].astype(str).str.strip().str.lower())
    bad = sorted(set(df["value"]) - {"a", "b", "tie"})
    if bad:
        raise ValueError(f"pairwise values must be 'A', 'B' or 'tie'; got {', '.join(map(repr, bad))}")
    return df


def position_bias(choices: pd.DataFrame) -> pd.DataFrame:
    """Per rater share of non-tie choices for the LEFT position, with an exact two-sided binomial p-value.

    Columns in: rater, item, shown_left ("a"/"b": which original response was on the
    left), value ("A"/"B"/"tie" in the original labelling).
    """
    df = _choices(choices, ("item", "rater", "shown_left", "value"))
    left = df["shown_left"].astype(str).str.strip().str.lower()
    bad = sorted(set(left) - {"a", "b"})
    if bad:
        raise ValueError(f"shown_left must be 'a' or 'b'; got {', '.join(map(repr, bad))}")
    decided = df["value"] != "tie"
    chose_left = decided & (df["value"] == left)
    rows = []
    for rater in pd.unique(df["rater"]):
        mine = df["rater"] == rater
        n, k = int((mine & decided).sum()), int((mine & chose_left).sum())
        share, p = _binomial_row(k, n)
        rows.append(
            {
                "rater": rater,
                "n": n,
                "n_ties": int((mine & ~decided).sum()),
                "left": k,
                "left_share": share,
                "p_value": p,
            }
        )
    return pd.DataFrame(rows).set_index("rater")


def length_bias(
    choices: pd.DataFrame, len_a: Mapping[Hashable, float], len_b: Mapping[Hashable, float]
) -> pd.DataFrame:
    """Per rater share of non-tie choices for the longer response, with an exact binomial p-value.

    Items whose responses have equal length are counted in ``n_equal_length`` and left out.
    """
    df = _choices(choices, ("item", "rater", "value"))
    a = df["item"].map(lambda i: len_a[i]).astype(float)
    b = df["item"].map(lambda i: len_b[i]).astype(float)
    longer = np.where(a > b, "a", np.where(b > a, "b", ""))
    decided = (df["value"] != "tie").to_numpy()
    differ = longer != ""
    chose_longer = decided & differ & (df["value"].to_numpy() == longer)
    rows = []
    for rater in pd.unique(df["rater"]):
        mine = (df["rater"] == rater).to_numpy()
        n, k = int((mine & decided & differ).sum()), int((mine & chose_longer).sum())
        share, p = _binomial_row(k, n)
        rows.append(
            {
                "rater": rater,
                "n": n,
                "n_equal_length": int((mine & decided & ~differ).sum()),
                "longer": k,
                "longer_share": share,
                "p_value": p,
            }
        )
    return pd.DataFrame(rows).set_index("rater")


def intransitive_triads(preferences: pd.DataFrame) -> pd.DataFrame:
    """Per rater: cyclic triads (x>y, y>z, z>x) among their pairwise judgements and triads checked.

    Columns in: rater, option_x, option_y, winner. A winner that is neither option (e.g.
    "tie") records no preference; repeated judgements of a pair are settled by majority.
    A triad is checked when the rater has a strict preference on all three of its pairs.
    """
    df = label_frame(preferences, ("rater", "option_x", "option_y", "winner"))
    rows = []
    for rater, group in df.groupby("rater", sort=False):
        options = pd.Index(pd.unique(pd.concat([group["option_x"], group["option_y"]])))
        k = len(options)
        x = options.get_indexer(group["option_x"])
        y = options.get_indexer(group["option_y"])
        votes = np.zeros((k, k))
        wx = (group["winner"] == group["option_x"]).to_numpy()
        wy = (group["winner"] == group["option_y"]).to_numpy() & ~wx
        np.add.at(votes, (x[wx], y[wx]), 1)
        np.add.at(votes, (y[wy], x[wy]), 1)
        beats = (votes > votes.T).astype(np.int64)
        np.fill_diagonal(beats, 0)
        edges = beats + beats.T
        checked = int(np.trace(edges @ edges @ edges) // 6)
        cyclic = int(np.trace(beats @ beats @ beats) // 3)
        rows.append(
            {
                "rater": rater,
                "n_judgements": len(group),
                "n_options": k,
                "triads_checked": checked,
                "intransitive": cyclic,
                "intransitive_share": cyclic / checked if checked else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("rater")


def _repeat_labels(repeat: pd.DataFrame) -> pd.DataFrame:
    """Repeat labels, any number per (item, rater), each numbered within its (item, rater): item, rater, value, n."""
    if not isinstance(repeat, pd.DataFrame) or not {"item", "rater", "value"} <= set(repeat.columns):
        raise ValueError("repeat must be a pandas DataFrame with columns item, rater, value")
    df = repeat.loc[~repeat["value"].isna(), ["item", "rater", "value"]].reset_index(drop=True)
    return df.assign(n=df.groupby(["item", "rater"], sort=False).cumcount())


def test_retest(
    first: pd.DataFrame, repeat: pd.DataFrame, level: str, value_domain: Sequence | None = None
) -> pd.DataFrame:
    """Per rater: items rated again, first-vs-repeat pairs, their exact agreement share, and alpha over the pairs.

    A rater may have rated an item again several times: each repeat is paired with the first label, one pair
    per repeat, and each pair is one unit of alpha (coders "first" and "repeat"). `first` holds one label per
    (item, rater); a row given again once per repeat (as repeat_pairs gives it) counts once.
    """
    check_level(level)
    if isinstance(first, pd.DataFrame) and {"item", "rater"} <= set(first.columns):
        first = first.drop_duplicates(["item", "rater"])
    a, b = label_frame(first), _repeat_labels(repeat)
    if value_domain is None:
        _, value_domain = encode_values(pd.concat([a["value"], b["value"]], ignore_index=True), level, None)
    both = a.merge(b, on=["item", "rater"], suffixes=("_first", "_repeat"))
    rows = []
    for rater in pd.unique(a["rater"]):
        mine = both[both["rater"] == rater]
        unit = np.arange(len(mine))
        pairs = pd.concat(
            [
                pd.DataFrame({"item": unit, "rater": "first", "value": mine["value_first"].to_numpy()}),
                pd.DataFrame({"item": unit, "rater": "repeat", "value": mine["value_repeat"].to_numpy()}),
            ],
            ignore_index=True,
        )
        exact = (mine["value_first"].to_numpy() == mine["value_repeat"].to_numpy()).mean() if len(mine) else np.nan
        rows.append(
            {
                "rater": rater,
                "n_repeated": int(mine["item"].nunique()),
                "n_pairs": len(mine),
                "exact_agreement": float(exact),
                "alpha": nan_if_undefined(lambda p=pairs: alpha(p, level, value_domain)) if len(mine) else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("rater")


test_retest.__test__ = False  # a statistic, not a pytest test
