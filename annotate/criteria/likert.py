"""Likert criteria: an ordered scale of whole numbers (e.g. 1-5), with optional anchor labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from accord.limits import quoted
from annotate.criteria.base import (
    MAX_SCALE_POINTS,
    Criterion,
    Err,
    cell_int,
    check_number_text,
    check_option_keys,
    digit_key,
    is_int,
    kind,
    option_list,
    parse_post_int,
)


@dataclass(frozen=True)
class LikertCriterion(Criterion):
    """An ordinal scale of whole-number points; the answer is one point (int)."""

    type: ClassVar[str] = "likert"
    title: ClassVar[str] = "Likert scale"
    file_fields: ClassVar[tuple[str, ...]] = ("scale", "anchors", "options")
    levels: ClassVar[tuple[str, ...]] = ("ordinal", "interval", "nominal")
    disagreement_measure: ClassVar[str] = "standard deviation of the labels"

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """A scale (min, max, anchors) or an explicit list of integer options."""
        has_scale, has_options = raw.get("scale") is not None, raw.get("options") is not None
        if has_scale and has_options:
            err("give either scale or options, not both")
            return {}
        if not has_scale and not has_options:
            err("likert needs a scale (e.g. scale: {min: 1, max: 5}) or a list of options")
            return {}
        if raw.get("anchors") is not None and not has_scale:
            err("anchors: only used together with scale; put labels in options instead")
            return {}
        options = _scale(raw, err) if has_scale else _options(raw["options"], err)
        if options is None:
            return {}
        check_option_keys(options, err)
        return {"options": options}

    def fields_to_file(self) -> dict[str, Any]:
        """A contiguous scale with digit keys as scale + anchors, else the options."""
        values = [o.value for o in self.options]
        contiguous = values == list(range(values[0], values[-1] + 1)) if values else False
        if contiguous and all(o.key == digit_key(o.value) for o in self.options):
            result: dict[str, Any] = {"scale": {"min": values[0], "max": values[-1]}}
            anchors = {o.value: o.label for o in self.options if o.label != str(o.value)}
            if anchors:
                result["anchors"] = anchors
            return result
        return {"options": [o.to_dict() for o in self.options]}

    def from_text(self, raw: str) -> Any:
        """A scale point typed as a whole number."""
        return parse_post_int(raw)

    def from_cell(self, value: Any) -> Any:
        """A scale point: "4", "4.0" or 4.0 read as 4."""
        return cell_int(value)

    def from_gold_cell(self, cell: str) -> Any:
        """A scale point in a gold answer file."""
        check_number_text(cell)
        return self.from_text(cell)


def _scale(raw: dict, err: Err) -> list[dict[str, Any]] | None:
    scale = raw["scale"]
    if not isinstance(scale, dict):
        err(f"scale: must be a mapping like {{min: 1, max: 5}}, got {kind(scale)}")
        return None
    for unknown in [f for f in scale if f not in ("min", "max")]:
        err(f"scale: unknown field {quoted(unknown)} (expected min and max)")
        return None
    bounds = {}
    for bound in ("min", "max"):
        value = scale.get(bound)
        if value is None:
            err(f"scale: {bound} is required")
        elif not is_int(value):
            err(f"scale: {bound} {quoted(value)} is not an integer")
        else:
            bounds[bound] = value
    if len(bounds) < 2:
        return None
    low, high = bounds["min"], bounds["max"]
    if low >= high:
        err(f"scale: min ({low}) must be less than max ({high})")
        return None
    if high - low + 1 > MAX_SCALE_POINTS:
        err(f"scale: {high - low + 1} points is too many (at most {MAX_SCALE_POINTS})")
        return None
    anchors = _anchors(raw.get("anchors"), low, high, err)
    if anchors is None:
        return None
    return [{"value": v, "label": anchors.get(v, str(v)), "key": digit_key(v)} for v in range(low, high + 1)]


def _anchors(raw: Any, low: int, high: int, err: Err) -> dict[int, str] | None:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        err(f"anchors: must be a mapping from scale point to label, got {kind(raw)}")
        return None
    anchors: dict[int, str] = {}
    ok = True
    for point, label in raw.items():
        # JSON object keys are always strings, so "1" counts as the point 1.
        value = int(point) if isinstance(point, str) and re.fullmatch(r"-?\d+", point.strip()) else point
        if not is_int(value):
            err(f"anchors: point {quoted(point)} is not an integer")
            ok = False
        elif not low <= value <= high:
            err(f"anchors: point {value} is outside the scale {low}-{high}")
            ok = False
        elif value in anchors:
            err(f"anchors: point {value} is given twice")
            ok = False
        elif not isinstance(label, str) or not label.strip():
            err(f"anchors: label for point {value} must be a non-empty string, got {quoted(label)}")
            ok = False
        else:
            anchors[value] = label.strip()
    return anchors if ok else None


def _point(value: Any, position: int, err: Err) -> int | None:
    if not is_int(value):
        err(f"options: value {quoted(value)} is not an integer")
        return None
    return value


def _options(raw: Any, err: Err) -> list[dict[str, Any]] | None:
    options = option_list(
        raw,
        err,
        too_few="a likert scale needs at least 2 options",
        unit="points",
        limit=MAX_SCALE_POINTS,
        clean_value=_point,
        default_key=lambda value, position: digit_key(value),
    )
    if options is None:
        return None
    values = [o["value"] for o in options]
    if values != sorted(values):
        err(f"options: values must be in ascending order, got {quoted(values)}")
        return None
    return options
