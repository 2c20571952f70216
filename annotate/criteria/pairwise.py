"""Pairwise criteria: which of two outputs is better (A / tie / B), optionally graded by strength."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from accord.limits import quoted
from annotate.criteria.base import (
    Criterion,
    Err,
    cell_int,
    check_number_text,
    fixed_options,
    is_int,
    options_from,
    parse_post_int,
)

MAX_STRENGTH = 3
DEFAULT_FIELDS = ("response_a", "response_b")
PLAIN_OPTIONS = (
    {"value": "A", "label": "A is better", "key": "a"},
    {"value": "tie", "label": "Tie", "key": "t"},
    {"value": "B", "label": "B is better", "key": "b"},
)
# Labels for |value| at each strength, weakest first.
STRENGTH_WORDS = {
    1: ["is better"],
    2: ["slightly better", "much better"],
    3: ["slightly better", "better", "much better"],
}
STRENGTH_LEVELS = ("ordinal", "interval", "nominal")
CELL_WORDS = {"a": "A", "b": "B", "tie": "tie"}


def pairwise_options(strength: int) -> list[dict[str, Any]]:
    """The options of a pairwise criterion: A/tie/B, or ints -strength..strength when graded."""
    if not strength:
        return [dict(option) for option in PLAIN_OPTIONS]
    words = STRENGTH_WORDS[strength]
    options = []
    for index, value in enumerate(range(-strength, strength + 1), start=1):
        label = "Tie" if value == 0 else f"{'A' if value < 0 else 'B'} {words[abs(value) - 1]}"
        options.append({"value": value, "label": label, "key": str(index)})
    return options


def _strength(fields: dict[str, Any]) -> int:
    strength = fields.get("strength", 0)
    return strength if is_int(strength) else 0


@dataclass(frozen=True)
class PairwiseCriterion(Criterion):
    """A preference between two content fields; the answer is "A", "tie" or "B", or an int -strength..strength."""

    fields: tuple[str, str] = DEFAULT_FIELDS
    strength: int = 0

    type: ClassVar[str] = "pairwise"
    title: ClassVar[str] = "Pairwise preference (A / tie / B)"
    file_fields: ClassVar[tuple[str, ...]] = ("fields", "strength", "options")
    detail_template: ClassVar[str] = "annotate/criteria/_pairwise.html"

    @classmethod
    def fields_from_dict(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Compared fields, strength and options."""
        fields = data.get("fields") or DEFAULT_FIELDS
        return {
            "options": options_from(data.get("options")),
            "fields": (fields[0], fields[1]),
            "strength": data.get("strength") or 0,
        }

    def type_fields(self) -> dict[str, Any]:
        """Compared fields, strength and options as stored."""
        return {"fields": list(self.fields), "strength": self.strength, **super().type_fields()}

    @classmethod
    def level_choices(cls, fields: dict[str, Any]) -> tuple[str, ...]:
        """Nominal for A/tie/B; graded answers are ordered, so ordinal by default."""
        return STRENGTH_LEVELS if _strength(fields) else cls.levels

    @classmethod
    def level_kind(cls, fields: dict[str, Any]) -> str:
        """ "pairwise with strength" for graded criteria."""
        return f"{cls.type} with strength" if _strength(fields) else cls.type

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """Two different content fields, a strength from 0 to MAX_STRENGTH, options relabelling the fixed values."""
        fields = raw.get("fields")
        if fields is None:
            fields = list(DEFAULT_FIELDS)
        elif (
            not isinstance(fields, list)
            or len(fields) != 2
            or not all(isinstance(f, str) and f.strip() for f in fields)
            or fields[0].strip() == fields[1].strip()
        ):
            err(f"fields: must be a list of two different content field names, got {quoted(fields)}")
            return {}
        strength = raw.get("strength", 0)
        if strength is None:
            strength = 0
        if not is_int(strength) or not 0 <= strength <= MAX_STRENGTH:
            err(f"strength: must be 0 (A/tie/B) or a whole number from 1 to {MAX_STRENGTH}, got {quoted(strength)}")
            return {}
        options = pairwise_options(strength)
        if raw.get("options") is not None:
            options = fixed_options(raw["options"], options, err)
            if options is None:
                return {}
        return {"fields": [f.strip() for f in fields], "strength": strength, "options": options}

    def fields_to_file(self) -> dict[str, Any]:
        """Fields, strength and options where they differ from the defaults."""
        out: dict[str, Any] = {}
        if self.fields != DEFAULT_FIELDS:
            out["fields"] = list(self.fields)
        if self.strength:
            out["strength"] = self.strength
        if [o.to_dict() for o in self.options] != pairwise_options(self.strength):
            out["options"] = [o.to_dict() for o in self.options]
        return out

    @property
    def compared_fields(self) -> tuple[str, ...]:
        """The content fields shown as A and B."""
        return self.fields

    def from_text(self, raw: str) -> Any:
        """A graded answer as an int; A/tie/B as given."""
        return parse_post_int(raw) if self.strength else raw

    def from_cell(self, value: Any) -> Any:
        """A graded answer as an int; a, b, tie in any case."""
        if self.strength:
            return cell_int(value)
        if isinstance(value, str):
            return CELL_WORDS.get(value.strip().lower(), value)
        return value

    def from_gold_cell(self, cell: str) -> Any:
        """An answer in a gold answer file."""
        check_number_text(cell)
        return self.from_text(cell)

    def swapped(self, value: Any) -> Any:
        """A and B exchanged: graded answers change sign."""
        if is_int(value):
            return -value
        if value in ("A", "B"):
            return "B" if value == "A" else "A"
        return value
