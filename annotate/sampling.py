"""Drawing a campaign's sample from a dataset: pure functions, no Django.

A sample is a function of (spec, seed, dataset) only: the input is sorted before any
random draw, so the order the database returns rows in never changes the result.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

METHODS = ("all", "random", "stratified")
MISSING = "(missing)"


class SampleSpecError(ValueError):
    """A sample spec that cannot be drawn; `field` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SampleSpec:
    """How to draw a sample: every item, N random items, or N items per metadata stratum."""

    method: str = "all"
    n: int | None = None
    seed: int = 0
    field: str | None = None

    def as_dict(self) -> dict:
        """The canonical JSON form stored on the campaign."""
        if self.method == "random":
            return {"method": "random", "n": self.n, "seed": self.seed}
        if self.method == "stratified":
            return {"method": "stratified", "field": self.field, "per_stratum": self.n, "seed": self.seed}
        return {"method": "all", "seed": self.seed}


def _as_int(data: Mapping, key: str, default: int | None) -> int | None:
    raw = data.get(key)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise SampleSpecError(key, f"must be a whole number (got {raw!r})")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise SampleSpecError(key, f"must be a whole number (got {raw!r})") from None
    if isinstance(raw, float) and raw != value:
        raise SampleSpecError(key, f"must be a whole number (got {raw!r})")
    return value


def parse_sample_spec(data: Mapping, metadata_fields: Sequence[str] | None = None) -> SampleSpec:
    """Validate a spec dict against a dataset's metadata fields and return a SampleSpec."""
    method = data.get("method") or "all"
    if method not in METHODS:
        raise SampleSpecError("method", f"unknown sampling method {method!r} (use one of {', '.join(METHODS)})")
    seed = _as_int(data, "seed", 0)
    if seed < 0:
        raise SampleSpecError("seed", f"must be 0 or more (got {seed})")
    if method == "all":
        return SampleSpec(method="all", seed=seed)
    if method == "random":
        n = _as_int(data, "n", None)
        if n is None:
            raise SampleSpecError("n", "a random sample needs the number of items n")
        if n < 1:
            raise SampleSpecError("n", f"must be at least 1 (got {n})")
        return SampleSpec(method="random", n=n, seed=seed)
    # Stratified: "per_stratum" is the stored name; "n" is accepted from forms and the command line.
    key = "per_stratum" if data.get("per_stratum") not in (None, "") else "n"
    n = _as_int(data, key, None)
    if n is None:
        raise SampleSpecError("n", "a stratified sample needs the number of items per stratum n")
    if n < 1:
        raise SampleSpecError("n", f"must be at least 1 per stratum (got {n})")
    field = data.get("field")
    if not field:
        raise SampleSpecError("field", "a stratified sample needs a metadata field to stratify by")
    if metadata_fields is not None and field not in metadata_fields:
        known = ", ".join(metadata_fields) or "none"
        raise SampleSpecError("field", f"{field!r} is not a metadata field of the dataset (known: {known})")
    return SampleSpec(method="stratified", n=n, seed=seed, field=str(field))


def stratum_label(value: object) -> str:
    """The stratum a metadata value falls in; absent or empty values share one stratum."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def draw_sample(items: Sequence[tuple[int, str | None]], spec: SampleSpec) -> list[int]:
    """Choose item ids from (id, stratum) pairs, in sample order, reproducibly from the spec's seed."""
    rng = np.random.default_rng(spec.seed)
    if spec.method == "stratified":
        strata: dict[str, list[int]] = defaultdict(list)
        for item_id, value in items:
            strata[stratum_label(value)].append(item_id)
        chosen: list[int] = []
        for name in sorted(strata):
            members = np.array(sorted(strata[name]), dtype=np.int64)
            take = min(spec.n or 0, len(members))
            chosen.extend(rng.choice(members, size=take, replace=False).tolist())
        # Interleave the strata so the serving order does not walk through one topic at a time.
        ids = np.array(sorted(chosen), dtype=np.int64)
        return rng.permutation(ids).tolist()
    ids = np.fromiter(sorted(item_id for item_id, _ in items), dtype=np.int64, count=len(items))
    if spec.method == "random" and spec.n is not None and spec.n < len(ids):
        return rng.choice(ids, size=spec.n, replace=False).tolist()
    return rng.permutation(ids).tolist()


def describe_sample_spec(spec: Mapping) -> str:
    """The spec in words, e.g. 'random sample of 100 items (seed 7)'."""
    method = spec.get("method", "all")
    seed = spec.get("seed", 0)
    if method == "random":
        return f"random sample of {spec.get('n')} items (seed {seed})"
    if method == "stratified":
        per = spec.get("per_stratum", spec.get("n"))
        return f"{per} items per value of “{spec.get('field')}” (seed {seed})"
    return f"all items, in shuffled order (seed {seed})"
