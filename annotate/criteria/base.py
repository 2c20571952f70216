"""The base of every criterion type: common fields, option parsing shared by the types, value reading defaults.

A subclass per type (one module each, listed in annotate.criteria) overrides what its type does differently.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from accord.limits import quoted
from annotate.importers import dumps

Err = Callable[[str], None]
# What a form post offers: a QueryDict, or any mapping with getlist.
Post = Any

MAX_LABEL_LENGTH = 500
MAX_OPTIONS = 500
MAX_SCALE_POINTS = 101
OPTION_FIELDS = ("value", "label", "key")
# The rating page's own single-key actions, by name. This is the one list: rubric files may not give an option
# one of these keys (in either case: the page matches option keys without regard to case), and the page hands
# it to rate.js and its legend, so a key the page adds here is refused in rubrics at once.
RATE_PAGE_KEYS: dict[str, str] = {"skip": "s", "flag": "f", "back": "u", "guidelines": "g"}
RESERVED_KEYS: dict[str, str] = {key: action for action, key in RATE_PAGE_KEYS.items()}
# At most 18 digits: Python refuses to turn text of more than 4,300 digits into an int, and no scale needs more.
POST_INT_RE = re.compile(r"^[+-]?[0-9]{1,18}$")
# An import cell holding a whole number, possibly written as a float ("3.0").
CELL_INT_RE = re.compile(r"^[+-]?\d+(\.0*)?$")
# Longest text a gold answer file may give where a number is read: int() refuses more than 4,300 digits.
MAX_NUMBER_TEXT = 100


@dataclass(frozen=True)
class Option:
    """One answer a criterion offers: its stored value, the label raters see and its keyboard key ("" for none).

    An exclusive option (multi-label criteria: "None of these") is chosen alone or not at all.
    """

    value: Any
    label: str
    key: str
    exclusive: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The option as stored in a rubric version (`exclusive` only when set, so other options store as before)."""
        stored = {"value": self.value, "label": self.label, "key": self.key}
        return {**stored, "exclusive": True} if self.exclusive else stored


def options_from(raw: Any) -> tuple[Option, ...]:
    """Stored option dicts as Options."""
    return tuple(
        Option(o["value"], o.get("label", str(o["value"])), o.get("key", ""), bool(o.get("exclusive", False)))
        for o in raw or ()
    )


@dataclass(frozen=True)
class Criterion:
    """One question of a rubric. Subclasses say what their type stores, accepts, shows and measures."""

    key: str
    label: str = ""
    help: str = ""
    required: bool = True
    level: str = ""
    options: tuple[Option, ...] = ()

    # The name in rubric files and stored criteria, and how the rubric builder names the type.
    type: ClassVar[str] = ""
    title: ClassVar[str] = ""
    # Fields a rubric file may give for this type, besides the common ones.
    file_fields: ClassVar[tuple[str, ...]] = ()
    # Levels of measurement the type may declare; the first is its default.
    levels: ClassVar[tuple[str, ...]] = ("nominal",)
    required_by_default: ClassVar[bool] = True
    # "choice" (one option), "labels" (a set of options), "number" or "text": how stored values are decoded.
    value_kind: ClassVar[str] = "choice"
    has_gold: ClassVar[bool] = True
    has_agreement: ClassVar[bool] = True
    # How the items page scores one item's disagreement on this criterion.
    disagreement_measure: ClassVar[str] = "entropy of the labels in bits"
    # The partials drawing the criterion's input on the rating page and its summary on the rubric page.
    template: ClassVar[str] = "ratings/criteria/_choice.html"
    detail_template: ClassVar[str] = "annotate/criteria/_options.html"

    # ------------------------------------------------------------------ stored form

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        """A stored criterion dict as a typed criterion; missing fields get what the readers always assumed."""
        key = data["key"]
        fields = cls.fields_from_dict(data)
        return cls(
            key=key,
            label=data.get("label") or key,
            help=data.get("help") or "",
            required=bool(data.get("required", False)),
            level=data.get("level") or cls.level_choices(fields)[0],
            **fields,
        )

    @classmethod
    def fields_from_dict(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The type's own fields of a stored dict, as constructor arguments."""
        return {"options": options_from(data.get("options"))}

    def type_fields(self) -> dict[str, Any]:
        """The type's own fields as stored."""
        return {"options": [o.to_dict() for o in self.options]}

    def to_dict(self) -> dict[str, Any]:
        """The criterion as RubricVersion.criteria stores it."""
        common = {"key": self.key, "type": self.type, "label": self.label, "help": self.help}
        return {**common, "required": self.required, "level": self.level, **self.type_fields()}

    # ------------------------------------------------------------------ rubric files

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """Validate the type's own fields of a rubric file; their stored form, or {} after reporting errors."""
        raise NotImplementedError

    @classmethod
    def level_choices(cls, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """Levels the criterion may declare given its own fields (stored form); the first is the default."""
        return cls.levels

    @classmethod
    def level_kind(cls, fields: Mapping[str, Any]) -> str:
        """How a level error names the kind of criterion."""
        return cls.type

    def to_file(self) -> dict[str, Any]:
        """The shortest file form: defaults left out."""
        out: dict[str, Any] = {"key": self.key, "type": self.type}
        if self.label and self.label != default_label(self.key):
            out["label"] = self.label
        if self.help:
            out["help"] = self.help
        if self.required != self.required_by_default:
            out["required"] = self.required
        if self.level and self.level != self.default_level:
            out["level"] = self.level
        out.update(self.fields_to_file())
        return out

    def fields_to_file(self) -> dict[str, Any]:
        """The type's own fields in their shortest file form."""
        return {}

    @property
    def default_level(self) -> str:
        """The level the criterion has when its file declares none."""
        return self.level_choices(self.type_fields())[0]

    # ------------------------------------------------------------------ values

    @property
    def value_domain(self) -> list | None:
        """The ordered values an answer can take, or None for an open range."""
        return [o.value for o in self.options] or None

    @property
    def is_multi_label(self) -> bool:
        """Whether an answer is a set of labels (agreement by MASI and per label)."""
        return self.value_kind == "labels"

    @property
    def agreement_level(self) -> str:
        """The level statistics on exact answers use: label sets compare as nominal values."""
        return "nominal" if self.is_multi_label else self.level

    @property
    def agreement_domain(self) -> list | None:
        """The value domain statistics on exact answers use (none for label sets)."""
        return None if self.is_multi_label else self.value_domain

    @property
    def compared_fields(self) -> tuple[str, ...]:
        """The two content fields the criterion compares (pairwise preference), else ()."""
        return ()

    @property
    def span(self) -> float | None:
        """The width of the scale in the answer's own units (numeric options' range), or None with no numbers."""
        numbers = [o.value for o in self.options if is_number(o.value)]
        return float(max(numbers) - min(numbers)) if len(numbers) > 1 else None

    @property
    def midpoint(self) -> float | None:
        """Where a slider starts before the rater moves it (numeric criteria)."""
        return None

    def check(self, value: Any) -> Any:
        """The answer cleaned, or ValueError saying what is wrong with it (the message leaves out the label)."""
        if not any(same_value(value, o.value) for o in self.options):
            raise ValueError(f"{quoted(value)} is not one of {listing(self.options)}")
        return value

    def from_text(self, raw: str) -> Any:
        """An answer typed into the rating form's input; unparsable text is kept for check() to name."""
        return raw

    def from_post(self, post: Post) -> Any:
        """The answer in a form post (field c-<key>), or None when none was given."""
        raw = post.get(f"c-{self.key}", "")
        return None if raw == "" else self.from_text(raw)

    def from_cell(self, value: Any) -> Any:
        """An import cell (CSV text, or a JSON or Parquet value) as an answer; unparsable cells are kept as is."""
        return value.strip() if isinstance(value, str) else value

    def from_gold_cell(self, cell: str) -> Any:
        """A gold answer file's CSV cell (stripped, non-empty) as the rating form would read it."""
        return self.from_text(cell)

    def swapped(self, value: Any) -> Any:
        """The answer with A and B exchanged (what a swapped pairwise screen means); others unchanged."""
        return value

    def matches(self, expected: Any, given: Any) -> bool:
        """Whether a rater's answer counts as the gold answer."""
        return same_value(given, expected)

    def import_limit(self, default: int) -> int | None:
        """The longest text answer an import accepts, or None where answers are not text."""
        return None

    def display(self, value: Any) -> str:
        """A stored answer as pages show it: the value, with the option's label when it differs."""
        if value is None or value == "":
            return "—"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) if value else "(none)"
        text = value_text(value)
        for option in self.options:
            if same_value(option.value, value) and option.label not in (None, text):
                return f"{text} · {option.label}"
        return text


# --------------------------------------------------------------------------- helpers shared by the types


def default_label(key: str) -> str:
    """The label a criterion gets when the file gives none."""
    return key.replace("_", " ").title()


def same_value(a: Any, b: Any) -> bool:
    """Equal and of one type: True == 1 in Python, but an option value only matches a value of its type."""
    return type(a) is type(b) and a == b


def listing(options: tuple[Option, ...]) -> str:
    """Option values as an error message lists them."""
    return ", ".join(repr(o.value) if isinstance(o.value, str) else str(o.value) for o in options)


def value_text(value: Any) -> str:
    """A scalar answer as text: yes/no for flags, whole floats without ".0"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_text(value: Any) -> str:
    """An import cell as text: strings stripped, other values as their JSON text (as the dataset import stores them)."""
    return value.strip() if isinstance(value, str) else dumps(value)


def is_int(value: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite int or float that is not a bool."""
    return is_int(value) or (isinstance(value, float) and math.isfinite(value))


def parse_post_int(raw: str) -> int | str:
    """A form's whole number, or the text as given."""
    return int(raw) if POST_INT_RE.match(raw.strip()) else raw


def cell_int(value: Any) -> Any:
    """An import cell as a whole number where it holds one ("3", "3.0", 3.0), else as given."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and CELL_INT_RE.match(value.strip()):
        number = float(value.strip())
        # Some 310 digits make an infinite float: no scale has such a point, and the validator names the text.
        return int(number) if math.isfinite(number) else value
    return value


def check_number_text(cell: str) -> None:
    """Refuse text too long to be read as a number (int() raises on more than 4,300 digits)."""
    if len(cell) > MAX_NUMBER_TEXT:
        raise ValueError("not a value of this criterion")


def repeated(values: list[Any]) -> list[Any]:
    """The values that occur more than once, in order of first occurrence (linear time)."""
    return [value for value, n in Counter(values).items() if n > 1]


def digit_key(value: int) -> str:
    """A scale point's keyboard key: values that print as one character make natural shortcuts; 10 or -1 get none."""
    text = str(value)
    return text if len(text) == 1 else ""


def quote_hint(value: Any) -> str:
    """A hint for values YAML 1.1 typed behind the author's back (yes/no/on/off as booleans, 1 as a number)."""
    if isinstance(value, bool | int | float):
        return " (in YAML, put words like Yes, No and numbers in quotes)"
    return ""


def kind(value: Any) -> str:
    """What a value is, for error messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return type(value).__name__


# --------------------------------------------------------------------------- options in rubric files


def option_fields(
    item: Any, position: int, err: Err, allowed: tuple[str, ...] = OPTION_FIELDS
) -> tuple[Any, Any, Any] | None:
    """An option's value, label and key: a bare value, or a mapping with those fields (and any other `allowed`)."""
    if not isinstance(item, dict):
        return item, None, None
    for unknown in [f for f in item if f not in allowed]:
        err(f"options: option {position} has unknown field {quoted(unknown)} (allowed: {', '.join(allowed)})")
        return None
    if "value" not in item:
        err(f"options: option {position} has no value")
        return None
    return item["value"], item.get("label"), item.get("key")


def option_label(label: Any, default: str, value: Any, err: Err) -> str | None:
    """An option's label, or its default when none is given."""
    if label is None:
        return default
    if not isinstance(label, str) or not label.strip():
        hint = quote_hint(label)
        err(f"options: label for value {quoted(value)} must be a non-empty string, got {quoted(label)}{hint}")
        return None
    if len(label.strip()) > MAX_LABEL_LENGTH:
        err(
            f"options: label for {quoted(value)} is {len(label.strip()):,} characters long (at most {MAX_LABEL_LENGTH})"
        )
        return None
    return label.strip()


def option_key(key: Any, default: str, value: Any, err: Err) -> str | None:
    """An option's keyboard key, or its default when none is given."""
    if key is None:
        return default
    if key == "":
        return ""  # an empty key means "no keyboard shortcut", e.g. for the point 10 of a 0-10 scale
    # YAML reads `key: 1` as a number; a single digit is what the author meant.
    if is_int(key) and 0 <= key <= 9:
        key = str(key)
    if not isinstance(key, str) or len(key) != 1 or key.isspace():
        err(f"options: keyboard key {quoted(key)} for value {quoted(value)} must be a single character")
        return None
    action = RESERVED_KEYS.get(key.lower())
    if action is not None:
        reserved = ", ".join(RESERVED_KEYS)
        err(
            f"options: keyboard key {quoted(key)} for value {quoted(value)} is the rating page's key for {action}; "
            f"choose another (the page keeps {reserved})"
        )
        return None
    return key


def option_exclusive(item: Any, value: Any, err: Err) -> bool | None:
    """Whether an option is exclusive (chosen alone): its `exclusive` field, false when not given."""
    flag = item.get("exclusive", False) if isinstance(item, dict) else False
    if flag is None:
        return False
    if not isinstance(flag, bool):
        err(f"options: exclusive for value {quoted(value)} must be true or false, got {quoted(flag)}")
        return None
    return flag


def check_option_keys(options: list[dict[str, Any]], err: Err) -> bool:
    """Report keyboard keys that two options share."""
    seen: dict[str, Any] = {}
    ok = True
    for option in options:
        key = option["key"]
        if not key:
            continue
        if key in seen:
            err(
                f"options: keyboard key {quoted(key)} is used by both {quoted(seen[key])} and {quoted(option['value'])}"
            )
            ok = False
        else:
            seen[key] = option["value"]
    return ok


def fixed_options(raw: Any, defaults: list[dict[str, Any]], err: Err) -> list[dict[str, Any]] | None:
    """Relabel options whose values are fixed by the type (binary, pairwise); the values must match exactly."""
    expected = [o["value"] for o in defaults]
    if not isinstance(raw, list) or not all(isinstance(o, dict) and "value" in o for o in raw):
        err(f"options: must be a list of mappings with value, label and key for the values {expected}")
        return None
    given = [o["value"] for o in raw]
    given_ids, expected_ids = [_value_id(v) for v in given], [_value_id(v) for v in expected]
    if sorted(map(repr, given_ids)) != sorted(map(repr, expected_ids)):
        err(f"options: values must be exactly {expected}, got {quoted(given)}")
        return None
    by_value = {_value_id(o["value"]): o for o in raw}
    options = []
    for default in defaults:
        item = by_value[_value_id(default["value"])]
        for unknown in [f for f in item if f not in OPTION_FIELDS]:
            err(f"options: unknown field {quoted(unknown)} (allowed: value, label, key)")
            return None
        label = option_label(item.get("label"), default["label"], default["value"], err)
        key = option_key(item.get("key"), default["key"], default["value"], err)
        if label is None or key is None:
            return None
        options.append({"value": default["value"], "label": label, "key": key})
    return options if check_option_keys(options, err) else None


def _value_id(value: Any) -> tuple[str, Any]:
    # True == 1 in Python, so keep the type in the identity of a fixed option value.
    return (type(value).__name__, value)


def option_list(
    items: Any,
    err: Err,
    *,
    too_few: str,
    unit: str,
    limit: int,
    clean_value: Callable[[Any, int, Err], Any],
    default_key: Callable[[Any, int], str],
    allowed: tuple[str, ...] = OPTION_FIELDS,
) -> list[dict[str, Any]] | None:
    """A list of at least 2 options (bare values, or mappings with value, label and key), none repeated.

    `clean_value(value, position, err)` returns the value as stored, or None after naming what is wrong with it;
    `default_key(value, position)` is an option's key when the file gives none. `allowed` adds "exclusive" for
    the types whose options may be chosen alone.
    """
    if not isinstance(items, list):
        err(f"options: must be a list, got {kind(items)}")
        return None
    if len(items) < 2:
        err(f"options: {too_few}, got {len(items)}")
        return None
    if len(items) > limit:
        err(f"options: {len(items):,} {unit} is too many (at most {limit})")
        return None
    options, ok = [], True
    for position, item in enumerate(items, start=1):
        fields = option_fields(item, position, err, allowed)
        value = None if fields is None else clean_value(fields[0], position, err)
        if value is None:
            ok = False
            continue
        raw_value, label, key = fields
        label = option_label(label, str(value), raw_value, err)
        key = option_key(key, default_key(value, position), raw_value, err)
        exclusive = option_exclusive(item, raw_value, err)
        if label is None or key is None or exclusive is None:
            ok = False
            continue
        options.append({"value": value, "label": label, "key": key, **({"exclusive": True} if exclusive else {})})
    if not ok:
        return None
    for value in repeated([o["value"] for o in options]):
        err(f"options: value {quoted(value)} appears more than once")
        ok = False
    return options if ok else None


def _choice_value(value: Any, position: int, err: Err) -> str | None:
    """A choice's value: non-empty text of at most MAX_LABEL_LENGTH characters, stripped."""
    if not isinstance(value, str):
        err(f"options: value {quoted(value)} is not a string{quote_hint(value) or ' (quote it)'}")
        return None
    if not value.strip():
        err(f"options: option {position} has an empty value")
        return None
    if len(value.strip()) > MAX_LABEL_LENGTH:
        err(f"options: option {position} is {len(value.strip()):,} characters long (at most {MAX_LABEL_LENGTH})")
        return None
    return value.strip()


def choices(raw: dict, err: Err, allowed: tuple[str, ...] = OPTION_FIELDS) -> list[dict[str, Any]] | None:
    """Options of a single or multiple choice: strings, or mappings with value, label and key (and `allowed`)."""
    if raw.get("options") is None:
        err("options: required, a list of at least 2 choices")
        return None
    options = option_list(
        raw["options"],
        err,
        too_few="needs at least 2 options",
        unit="options",
        limit=MAX_OPTIONS,
        clean_value=_choice_value,
        default_key=lambda value, position: str(position) if position <= 9 else "",
        allowed=allowed,
    )
    if options is None or not check_option_keys(options, err):
        return None
    return options


def choices_to_file(options: tuple[Option, ...]) -> list[Any]:
    """Choice options in their shortest file form: bare values when labels and keys are the defaults."""
    plain = all(
        o.label == o.value and o.key == (str(i) if i <= 9 else "") and not o.exclusive for i, o in enumerate(options, 1)
    )
    return [o.value for o in options] if plain else [o.to_dict() for o in options]
