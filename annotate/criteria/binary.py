"""Binary criteria: a yes/no flag, whose two labels a rubric may rename."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from accord.limits import quoted
from annotate.criteria.base import Criterion, Err, fixed_options, kind, quote_hint

DEFAULT_OPTIONS = ({"value": True, "label": "Yes", "key": "y"}, {"value": False, "label": "No", "key": "n"})
# Words an import cell may use for the flag, besides the rubric's own labels.
CELL_WORDS = {"true": True, "yes": True, "y": True, "1": True, "false": False, "no": False, "n": False, "0": False}


@dataclass(frozen=True)
class BinaryCriterion(Criterion):
    """A flag; the answer is true or false (bool)."""

    type: ClassVar[str] = "binary"
    title: ClassVar[str] = "Binary flag (yes / no)"
    file_fields: ClassVar[tuple[str, ...]] = ("labels", "options")

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """Either labels ({true: Safe, false: Unsafe}) or options relabelling true and false."""
        labels, given = raw.get("labels"), raw.get("options")
        if labels is not None and given is not None:
            err("give either labels or options, not both")
            return {}
        options = [dict(o) for o in DEFAULT_OPTIONS]
        if labels is not None:
            if not isinstance(labels, dict):
                err(f"labels: must be a mapping like {{true: Yes, false: No}}, got {kind(labels)}")
                return {}
            by_value = {True: options[0], False: options[1]}
            for name, label in labels.items():
                # YAML reads `true:` as a boolean; JSON keys are always strings.
                value = {"true": True, "false": False}.get(name.lower(), name) if isinstance(name, str) else name
                if not isinstance(value, bool):
                    err(f"labels: unknown field {quoted(name)} (expected true and false)")
                    return {}
                if not isinstance(label, str) or not label.strip():
                    hint = quote_hint(label)
                    err(f"labels: label for {str(value).lower()} must be a non-empty string, got {quoted(label)}{hint}")
                    return {}
                by_value[value]["label"] = label.strip()
        elif given is not None:
            options = fixed_options(given, options, err)
            if options is None:
                return {}
        return {"options": options}

    def fields_to_file(self) -> dict[str, Any]:
        """Nothing for Yes/No; labels when only the labels differ; options when keys differ."""
        defaults = {o["value"]: (o["label"], o["key"]) for o in DEFAULT_OPTIONS}
        if any(o.key != defaults[o.value][1] for o in self.options):
            return {"options": [o.to_dict() for o in self.options]}
        if any(o.label != defaults[o.value][0] for o in self.options):
            return {"labels": {o.value: o.label for o in self.options}}
        return {}

    @property
    def value_domain(self) -> list | None:
        """False, then True."""
        return [False, True]

    def check(self, value: Any) -> bool:
        """A boolean."""
        if not isinstance(value, bool):
            raise ValueError(f"{quoted(value)} is not yes or no (true or false)")
        return value

    def from_text(self, raw: str) -> Any:
        """The form's "true" or "false"."""
        return {"true": True, "false": False}.get(raw, raw)

    def from_cell(self, value: Any) -> Any:
        """true/false, yes/no, y/n, 1/0, or one of the rubric's labels for the flag."""
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if not isinstance(value, str):
            return value
        word = value.strip().lower()
        if word in CELL_WORDS:
            return CELL_WORDS[word]
        # A rubric may label the flag ("Safe" / "Unsafe"); its labels are accepted as well.
        for option in self.options:
            if word == str(option.label).lower():
                return option.value
        return value

    def from_gold_cell(self, cell: str) -> Any:
        """ "true" or "false" in any case."""
        return self.from_text(cell.lower())
