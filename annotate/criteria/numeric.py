"""Numeric criteria: a number in a range, on a step (e.g. a 0-100 slider)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from accord.limits import quoted
from annotate.criteria.base import CELL_INT_RE, POST_INT_RE, Criterion, Err, check_number_text, is_number


@dataclass(frozen=True)
class NumericCriterion(Criterion):
    """A number from min to max on a step from min; the answer is an int or a float."""

    min: float = 0
    max: float = 1
    step: float = 1
    unit: str = ""

    type: ClassVar[str] = "numeric"
    title: ClassVar[str] = "Numeric (a number in a range)"
    file_fields: ClassVar[tuple[str, ...]] = ("min", "max", "step", "unit")
    levels: ClassVar[tuple[str, ...]] = ("interval", "ratio", "ordinal")
    value_kind: ClassVar[str] = "number"
    disagreement_measure: ClassVar[str] = "standard deviation of the labels"
    template: ClassVar[str] = "ratings/criteria/_numeric.html"
    detail_template: ClassVar[str] = "annotate/criteria/_numeric.html"

    @property
    def span(self) -> float | None:
        """The range from min to max."""
        return float(self.max - self.min)

    @classmethod
    def fields_from_dict(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Range, step and unit."""
        return {"min": data["min"], "max": data["max"], "step": data.get("step", 1), "unit": data.get("unit") or ""}

    def type_fields(self) -> dict[str, Any]:
        """Range, step and unit as stored."""
        return {"min": self.min, "max": self.max, "step": self.step, "unit": self.unit}

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """min < max, a positive step no larger than the range, an optional unit."""
        values, ok = {}, True
        for name in ("min", "max"):
            value = raw.get(name)
            if value is None:
                err(f"{name}: required for a numeric criterion")
                ok = False
            elif not is_number(value):
                err(f"{name}: {quoted(value)} is not a number")
                ok = False
            else:
                values[name] = value
        step = raw.get("step", 1)
        if step is None:
            step = 1
        if not is_number(step) or step <= 0:
            err(f"step: must be a number greater than 0, got {quoted(step)}")
            ok = False
        unit = raw.get("unit")
        if unit is None:
            unit = ""
        elif not isinstance(unit, str):
            err(f"unit: must be a string, got {quoted(unit)}")
            ok = False
        if not ok:
            return {}
        if values["min"] >= values["max"]:
            err(f"min ({values['min']}) must be less than max ({values['max']})")
            return {}
        if step > values["max"] - values["min"]:
            err(f"step: {step} is larger than the range {values['min']}-{values['max']}")
            return {}
        return {"min": values["min"], "max": values["max"], "step": step, "unit": unit.strip()}

    def fields_to_file(self) -> dict[str, Any]:
        """The range, and step and unit where given."""
        out: dict[str, Any] = {"min": self.min, "max": self.max}
        if self.step != 1:
            out["step"] = self.step
        if self.unit:
            out["unit"] = self.unit
        return out

    @property
    def value_domain(self) -> list | None:
        """None: any number in the range."""
        return None

    @property
    def midpoint(self) -> float | None:
        """The middle of the range."""
        return (self.min + self.max) / 2

    def check(self, value: Any) -> int | float:
        """A finite number in the range, on a step from min."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{quoted(value)} is not a number")
        low, high, step = self.min, self.max, self.step
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}–{high}")
        steps = (value - low) / step
        if abs(steps - round(steps)) > 1e-9:
            raise ValueError(f"{value} is not on a step of {step} from {low}")
        return value

    def from_text(self, raw: str) -> Any:
        """A whole number as an int, else a finite float; other text as given."""
        text = raw.strip()
        if POST_INT_RE.match(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return raw
        return number if math.isfinite(number) else raw

    def from_cell(self, value: Any) -> Any:
        """A number; whole numbers written as text become ints."""
        if not isinstance(value, str):
            return value
        try:
            number = float(value.strip())
        except ValueError:
            return value
        if not math.isfinite(number):
            return value
        return int(number) if CELL_INT_RE.match(value.strip()) else number

    def from_gold_cell(self, cell: str) -> Any:
        """A number in a gold answer file."""
        check_number_text(cell)
        return self.from_text(cell)

    def matches(self, expected: Any, given: Any) -> bool:
        """Within half a step either way."""
        if isinstance(given, bool) or not isinstance(given, int | float):
            return False
        # A tiny slack so that 0.1 + 0.2 against 0.3 (float rounding) is not a miss.
        return abs(given - expected) <= self.step / 2 + 1e-9
