"""Multi-label criteria: any number of choices among named options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from accord.limits import quoted
from annotate.criteria.base import (
    OPTION_FIELDS,
    Criterion,
    Err,
    Post,
    cell_text,
    choices,
    choices_to_file,
    is_int,
    options_from,
)

# Separates the labels of a multi-label answer in one CSV cell of a gold answer file.
GOLD_LABEL_SEPARATOR = "|"


@dataclass(frozen=True)
class MultiLabelCriterion(Criterion):
    """Several choices; the answer is the list of chosen values in option order (list[str]), possibly empty."""

    min_selected: int = 0
    max_selected: int | None = None

    type: ClassVar[str] = "multi_label"
    title: ClassVar[str] = "Multi-label (several choices)"
    file_fields: ClassVar[tuple[str, ...]] = ("options", "min_selected", "max_selected")
    value_kind: ClassVar[str] = "labels"
    template: ClassVar[str] = "ratings/criteria/_multi_label.html"
    detail_template: ClassVar[str] = "annotate/criteria/_multi_label.html"

    @classmethod
    def fields_from_dict(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Options and the bounds on how many may be chosen."""
        return {
            "options": options_from(data.get("options")),
            "min_selected": data.get("min_selected") or 0,
            "max_selected": data.get("max_selected"),
        }

    def type_fields(self) -> dict[str, Any]:
        """Options and bounds as stored."""
        return {**super().type_fields(), "min_selected": self.min_selected, "max_selected": self.max_selected}

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """At least two options (any may be exclusive), and optional bounds min_selected <= max_selected <= options."""
        options = choices(raw, err, allowed=(*OPTION_FIELDS, "exclusive"))
        if options is None:
            return {}
        bounds = {}
        for bound in ("min_selected", "max_selected"):
            value = raw.get(bound)
            if value is None:
                bounds[bound] = None
            elif not is_int(value) or value < 0:
                err(f"{bound}: must be a whole number of 0 or more, got {quoted(value)}")
                return {}
            elif value > len(options):
                err(f"{bound}: {value} is more than the {len(options)} options")
                return {}
            else:
                bounds[bound] = value
        low, high = bounds["min_selected"] or 0, bounds["max_selected"]
        if high is not None and high < 1:
            err("max_selected: must be at least 1")
            return {}
        if high is not None and low > high:
            err(f"min_selected ({low}) must not exceed max_selected ({high})")
            return {}
        alone = [o["value"] for o in options if o.get("exclusive")]
        if alone and low > 1:
            only = quoted(alone[0])
            err(f"min_selected: at most 1 when an option is exclusive ({only} is chosen on its own), got {low}")
            return {}
        return {"options": options, "min_selected": low, "max_selected": high}

    def fields_to_file(self) -> dict[str, Any]:
        """The options, and the bounds that differ from the defaults."""
        out: dict[str, Any] = {"options": choices_to_file(self.options)}
        if self.min_selected:
            out["min_selected"] = self.min_selected
        if self.max_selected is not None:
            out["max_selected"] = self.max_selected
        return out

    @property
    def value_domain(self) -> list | None:
        """The labels, in option order."""
        return [o.value for o in self.options] or None

    def check(self, value: Any) -> list[str]:
        """A list of distinct known labels within the bounds, put in option order."""
        if not isinstance(value, list):
            raise ValueError(f"{quoted(value)} is not a list of labels")
        for label in value:
            super().check(label)
        if len(set(value)) != len(value):
            raise ValueError(f"{quoted(value)} lists a label more than once")
        alone = [o for o in self.options if o.exclusive and o.value in value]
        if alone and len(value) > 1:
            others = ", ".join(o.label for o in self.options if o.value in value and o is not alone[0])
            raise ValueError(f"choose {alone[0].label!r} on its own, not together with {others}")
        if len(value) < self.min_selected:
            raise ValueError(f"choose at least {self.min_selected} labels, got {len(value)}")
        if self.max_selected is not None and len(value) > self.max_selected:
            raise ValueError(f"choose at most {self.max_selected} labels, got {len(value)}")
        order = [o.value for o in self.options]
        return sorted(value, key=order.index)

    def from_post(self, post: Post) -> Any:
        """The ticked labels; none ticked is an answer ("none of these"): min_selected demands labels."""
        return post.getlist(f"c-{self.key}")

    def from_cell(self, value: Any) -> Any:
        """A list of labels: a JSON or Parquet list, JSON text of one, or text separated by "|" or ";"."""
        if isinstance(value, list | tuple):
            if any(isinstance(v, list | tuple | dict) for v in value):
                return value
            return [cell_text(v) for v in value]
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                decoded = orjson.loads(text)
            except orjson.JSONDecodeError:
                return value
            return self.from_cell(decoded) if isinstance(decoded, list) else value
        separator = "|" if "|" in text else ";"
        return [part.strip() for part in text.split(separator) if part.strip()]

    def from_gold_cell(self, cell: str) -> Any:
        """Labels separated by "|"."""
        return [label.strip() for label in cell.split(GOLD_LABEL_SEPARATOR) if label.strip()]

    def matches(self, expected: Any, given: Any) -> bool:
        """The same set of labels."""
        return isinstance(given, list) and isinstance(expected, list) and set(given) == set(expected)
