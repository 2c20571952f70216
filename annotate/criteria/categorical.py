"""Categorical criteria: one choice among named options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from annotate.criteria.base import Criterion, Err, cell_text, choices, choices_to_file


@dataclass(frozen=True)
class CategoricalCriterion(Criterion):
    """A single choice; the answer is the chosen option's value (str)."""

    type: ClassVar[str] = "categorical"
    title: ClassVar[str] = "Categorical (single choice)"
    file_fields: ClassVar[tuple[str, ...]] = ("options",)
    levels: ClassVar[tuple[str, ...]] = ("nominal", "ordinal")

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """At least two options: strings, or mappings with value, label and key."""
        options = choices(raw, err)
        return {"options": options} if options is not None else {}

    def fields_to_file(self) -> dict[str, Any]:
        """The options, as bare values where labels and keys are the defaults."""
        return {"options": choices_to_file(self.options)}

    def from_cell(self, value: Any) -> Any:
        """A choice; a number in a JSON or Parquet cell stands for its text."""
        return cell_text(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
