"""Slices of a long list, for statements that name each value (IN lists, batched writes)."""

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` values; keep size × parameters per value under 65,535 on PostgreSQL."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
