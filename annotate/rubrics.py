"""Rubric files: parse YAML or JSON, validate every criterion, normalise, and dump back to YAML.

Pure Python: nothing here touches the database. The normalised criterion dicts
produced by `validate_criteria` are what RubricVersion.criteria stores and what
the rating page, the agreement statistics and the exports read.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from annotate.limits import quoted

FORMATS = ("yaml", "json")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME_LENGTH = 200
MAX_KEY_LENGTH = 64
MAX_SCALE_POINTS = 101
MAX_PAIRWISE_STRENGTH = 3
# Limits on what a rubric file may hold. Real rubrics are far smaller (the examples: 3-4 criteria, at most
# 7 options, 4 KB); the limits keep a hostile file from costing the server time or memory.
MAX_RUBRIC_BYTES = 512 * 1024
MAX_CRITERIA = 100
MAX_OPTIONS = 500
MAX_DEPTH = 12
MAX_LABEL_LENGTH = 500
MAX_TEXT_LENGTH = 20_000
DEFAULT_PAIRWISE_FIELDS = ["response_a", "response_b"]

CRITERION_TYPES = ("likert", "categorical", "binary", "multi_label", "numeric", "pairwise", "free_text")
LEVELS = ("nominal", "ordinal", "interval", "ratio", "none")
DEFAULT_LEVELS = {
    "likert": "ordinal",
    "categorical": "nominal",
    "binary": "nominal",
    "multi_label": "nominal",
    "numeric": "interval",
    "pairwise": "nominal",
    "free_text": "none",
}
# Levels a type may declare; pairwise with strength is handled separately because its values are ordered ints.
ALLOWED_LEVELS = {
    "likert": ("ordinal", "interval", "nominal"),
    "categorical": ("nominal", "ordinal"),
    "binary": ("nominal",),
    "multi_label": ("nominal",),
    "numeric": ("interval", "ratio", "ordinal"),
    "pairwise": ("nominal",),
    "free_text": ("none",),
}
PAIRWISE_STRENGTH_LEVELS = ("ordinal", "interval", "nominal")

TOP_LEVEL_FIELDS = ("name", "description", "guidelines", "criteria")
COMMON_FIELDS = ("key", "type", "label", "help", "required", "level")
TYPE_FIELDS = {
    "likert": ("scale", "anchors", "options"),
    "categorical": ("options",),
    "binary": ("labels", "options"),
    "multi_label": ("options", "min_selected", "max_selected"),
    "numeric": ("min", "max", "step", "unit"),
    "pairwise": ("fields", "strength", "options"),
    "free_text": ("max_length", "placeholder"),
}
OPTION_FIELDS = ("value", "label", "key")

PAIRWISE_PLAIN_OPTIONS = [
    {"value": "A", "label": "A is better", "key": "a"},
    {"value": "tie", "label": "Tie", "key": "t"},
    {"value": "B", "label": "B is better", "key": "b"},
]
# Labels for |value| at each strength, weakest first.
PAIRWISE_STRENGTH_WORDS = {1: ["is better"], 2: ["slightly better", "much better"]}
PAIRWISE_STRENGTH_WORDS[3] = ["slightly better", "better", "much better"]

Err = Callable[[str], None]


@dataclass(frozen=True)
class RubricSpec:
    """A validated rubric: name, description, Markdown guidelines and normalised criteria."""

    name: str
    description: str = ""
    guidelines: str = ""
    criteria: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (what a JSON rubric file holds)."""
        return {
            "name": self.name,
            "description": self.description,
            "guidelines": self.guidelines,
            "criteria": self.criteria,
        }


# --------------------------------------------------------------------------- parsing


def guess_format(text: str, filename: str | None = None) -> str:
    """Pick "json" or "yaml" from a file name's extension, else from the first character."""
    if filename:
        lowered = filename.lower()
        if lowered.endswith(".json"):
            return "json"
        if lowered.endswith((".yaml", ".yml")):
            return "yaml"
    return "json" if text.lstrip().startswith(("{", "[")) else "yaml"


def parse_rubric(text: str, fmt: str | None = None) -> RubricSpec:
    """Parse a YAML or JSON rubric file into a validated RubricSpec, or raise ValidationError listing every problem."""
    fmt = fmt or guess_format(text)
    if fmt not in FORMATS:
        raise ValidationError(f"format: {fmt!r} is not a rubric format (use yaml or json)")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_RUBRIC_BYTES:
        raise ValidationError(
            f"The rubric is {size // 1024:,} KB; a rubric file may take at most {MAX_RUBRIC_BYTES // 1024} KB."
        )
    if not text.strip():
        raise ValidationError("The rubric is empty: give at least a name and a list of criteria.")
    data = _load_json(text) if fmt == "json" else _load_yaml(text)
    return rubric_from_data(data)


def rubric_from_data(data: Any) -> RubricSpec:
    """Validate already-decoded rubric data (a dict) into a RubricSpec."""
    check_shape(data)
    if not isinstance(data, dict):
        raise ValidationError(f"A rubric must be a mapping with name and criteria at the top level, got {_kind(data)}.")
    errors: list[str] = []
    for unknown in [k for k in data if k not in TOP_LEVEL_FIELDS]:
        errors.append(f"unknown top-level field {quoted(unknown)} (expected one of {', '.join(TOP_LEVEL_FIELDS)})")
    name = data.get("name")
    if name is None:
        errors.append("name: required")
    elif not isinstance(name, str) or not name.strip():
        errors.append(f"name: must be a non-empty string, got {quoted(name)}")
    elif len(name.strip()) > MAX_NAME_LENGTH:
        errors.append(f"name: at most {MAX_NAME_LENGTH} characters, got {len(name.strip())}")
    description = _optional_text(data, "description", errors.append)
    guidelines = _optional_text(data, "guidelines", errors.append)
    criteria: list[dict[str, Any]] = []
    if "criteria" not in data:
        errors.append("criteria: required, a non-empty list of criteria")
    else:
        try:
            criteria = _validate_shaped_criteria(data["criteria"])
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return RubricSpec(
        name=name.strip(), description=description.strip(), guidelines=_clean_markdown(guidelines), criteria=criteria
    )


def validate_criteria(raw: list) -> list[dict[str, Any]]:
    """Validate and normalise a list of criteria; raise ValidationError naming every bad criterion and field."""
    check_shape(raw)
    return _validate_shaped_criteria(raw)


def _validate_shaped_criteria(raw: Any) -> list[dict[str, Any]]:
    # `raw` has passed check_shape (alone, or as part of the whole rubric): it is shallow and holds no NUL.
    if not isinstance(raw, list):
        raise ValidationError(f"criteria: must be a list of criteria, got {_kind(raw)}")
    if not raw:
        raise ValidationError("criteria: the list is empty; a rubric needs at least one criterion")
    if len(raw) > MAX_CRITERIA:
        raise ValidationError(f"criteria: {len(raw):,} criteria; a rubric may have at most {MAX_CRITERIA}")
    errors: list[str] = []
    normalised: list[dict[str, Any]] = []
    first_use: dict[str, int] = {}
    for position, item in enumerate(raw, start=1):
        key = item.get("key") if isinstance(item, dict) else None
        where = f"criterion {position} ({key})" if isinstance(key, str) and key else f"criterion {position}"

        def err(message: str, where: str = where) -> None:
            errors.append(f"{where}: {message}")

        criterion = _criterion(item, err)
        # Check duplicates even when the criterion has other problems, so every error shows at once.
        if isinstance(key, str) and KEY_RE.match(key):
            if key in first_use:
                err(f"key {quoted(key)} is already used by criterion {first_use[key]}")
                continue
            first_use[key] = position
        if criterion is not None:
            normalised.append(criterion)
    if errors:
        raise ValidationError(errors)
    return normalised


def check_shape(data: Any) -> None:
    """Refuse decoded data nested deeper than MAX_DEPTH or holding a NUL character, before anything reads it.

    Iterative, so a hostile file cannot exhaust the stack here; the validators below recurse at most
    MAX_DEPTH levels once this has passed.
    """
    pending: list[tuple[Any, int, str]] = [(data, 1, "the rubric")]
    while pending:
        value, depth, where = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise ValidationError(f"{where}: nested more than {MAX_DEPTH} levels deep; a rubric is a few levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                inner = f"field {quoted(key)}" if depth == 1 else f"{where} > {quoted(key)}"
                if isinstance(key, str) and "\x00" in key:
                    raise ValidationError(f"{inner}: contains a NUL character")
                pending.append((item, depth + 1, inner))
        elif isinstance(value, list):
            pending.extend((item, depth + 1, f"{where} item {n}") for n, item in enumerate(value, start=1))
        elif isinstance(value, str):
            if "\x00" in value:
                raise ValidationError(f"{where}: contains a NUL character")
            # Guidelines are long Markdown, bounded by the file's size; every other text is a name or a sentence.
            if len(value) > MAX_TEXT_LENGTH and where != "field 'guidelines'":
                raise ValidationError(f"{where}: {len(value):,} characters; at most {MAX_TEXT_LENGTH:,}")


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ValidationError(f"YAML syntax error{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"YAML syntax error: {exc}") from None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_object)
    except RecursionError:
        raise ValidationError(f"JSON error: nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except _DuplicateField as exc:
        raise ValidationError(f"JSON error: duplicate field {quoted(exc.args[0])}") from None


class _DuplicateField(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated field would silently keep the last value; in a rubric that hides a mistake.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateField(key)
        result[key] = value
    return result


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a field given twice in one mapping, anchors and aliases, and deep nesting.

    An alias repeats a value without repeating its text: nine nested aliases in 400 bytes expand to billions
    of values. A rubric has no use for them, so they are refused before any value is built.
    """

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, f"an alias (*{event.anchor}) repeats another value; write the value out", event.start_mark
            )
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, f"an anchor (&{event.anchor}) is not allowed in a rubric", event.start_mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_strict_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # unhashable keys are reported by construct_mapping below
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate field {quoted(key)}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_strict_mapping)


# --------------------------------------------------------------------------- criteria


def default_label(key: str) -> str:
    """The label a criterion gets when the file gives none."""
    return key.replace("_", " ").title()


def default_required(criterion_type: str) -> bool:
    """Free text is optional by default; every other criterion must be answered."""
    return criterion_type != "free_text"


def default_level(criterion_type: str, strength: int = 0) -> str:
    """The agreement level a criterion gets when the file declares none."""
    if criterion_type == "pairwise" and strength:
        return "ordinal"
    return DEFAULT_LEVELS[criterion_type]


def pairwise_options(strength: int) -> list[dict[str, Any]]:
    """The options of a pairwise criterion: A/tie/B, or ints -strength..strength when graded."""
    if not strength:
        return [dict(option) for option in PAIRWISE_PLAIN_OPTIONS]
    words = PAIRWISE_STRENGTH_WORDS[strength]
    options = []
    for index, value in enumerate(range(-strength, strength + 1), start=1):
        label = "Tie" if value == 0 else f"{'A' if value < 0 else 'B'} {words[abs(value) - 1]}"
        options.append({"value": value, "label": label, "key": str(index)})
    return options


def _criterion(raw: Any, err: Err) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        err(f"must be a mapping with at least key and type, got {_kind(raw)}")
        return None
    ok = True
    key = raw.get("key")
    if key is None:
        err("key: required")
        ok = False
    elif not isinstance(key, str) or not KEY_RE.match(key):
        err(f"key: {quoted(key)} is not a valid key (use lowercase letters, digits and _, starting with a letter)")
        ok = False
    elif len(key) > MAX_KEY_LENGTH:
        err(f"key: at most {MAX_KEY_LENGTH} characters, got {len(key)}")
        ok = False
    ctype = raw.get("type")
    if ctype is None:
        err(f"type: required (one of {', '.join(CRITERION_TYPES)})")
        return None
    if ctype not in CRITERION_TYPES:
        err(f"type: unknown type {quoted(ctype)} (expected one of {', '.join(CRITERION_TYPES)})")
        return None
    allowed = COMMON_FIELDS + TYPE_FIELDS[ctype]
    for unknown in [f for f in raw if f not in allowed]:
        err(f"unknown field {quoted(unknown)} for type {ctype} (allowed: {', '.join(allowed)})")
        ok = False
    label = raw.get("label")
    if label is None:
        label = default_label(key) if isinstance(key, str) else ""
    elif not isinstance(label, str) or not label.strip():
        err(f"label: must be a non-empty string, got {quoted(label)}")
        ok = False
    elif len(label.strip()) > MAX_LABEL_LENGTH:
        err(f"label: at most {MAX_LABEL_LENGTH} characters, got {len(label.strip()):,}")
        ok = False
    help_text = raw.get("help")
    if help_text is None:
        help_text = ""
    elif not isinstance(help_text, str):
        err(f"help: must be a string, got {quoted(help_text)}")
        ok = False
    required = raw.get("required", default_required(ctype))
    if not isinstance(required, bool):
        err(f"required: must be true or false, got {quoted(required)}")
        ok = False
    errors_before: list[str] = []

    def type_err(message: str) -> None:
        errors_before.append(message)
        err(message)

    specific = _TYPE_NORMALISERS[ctype](raw, type_err)
    level = _level(raw, ctype, specific.get("strength", 0), err)
    if not ok or errors_before or level is None:
        return None
    criterion = {
        "key": key,
        "type": ctype,
        "label": label.strip(),
        "help": help_text.strip(),
        "required": required,
        "level": level,
    }
    criterion.update(specific)
    return criterion


def _level(raw: dict, ctype: str, strength: Any, err: Err) -> str | None:
    strength = strength if isinstance(strength, int) and not isinstance(strength, bool) else 0
    if "level" not in raw or raw["level"] is None:
        return default_level(ctype, strength)
    level = raw["level"]
    if level not in LEVELS:
        err(f"level: unknown level {quoted(level)} (expected one of {', '.join(LEVELS)})")
        return None
    allowed = PAIRWISE_STRENGTH_LEVELS if ctype == "pairwise" and strength else ALLOWED_LEVELS[ctype]
    if level not in allowed:
        kind = f"{ctype} with strength" if ctype == "pairwise" and strength else ctype
        err(f"level: {quoted(level)} is not valid for a {kind} criterion (allowed: {', '.join(allowed)})")
        return None
    return level


def _likert(raw: dict, err: Err) -> dict[str, Any]:
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
    options = _likert_scale(raw, err) if has_scale else _likert_options(raw["options"], err)
    if options is None:
        return {}
    _check_option_keys(options, err)
    return {"options": options}


def _likert_scale(raw: dict, err: Err) -> list[dict[str, Any]] | None:
    scale = raw["scale"]
    if not isinstance(scale, dict):
        err(f"scale: must be a mapping like {{min: 1, max: 5}}, got {_kind(scale)}")
        return None
    for unknown in [f for f in scale if f not in ("min", "max")]:
        err(f"scale: unknown field {quoted(unknown)} (expected min and max)")
        return None
    bounds = {}
    for bound in ("min", "max"):
        value = scale.get(bound)
        if value is None:
            err(f"scale: {bound} is required")
        elif not _is_int(value):
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
    return [{"value": v, "label": anchors.get(v, str(v)), "key": _digit_key(v)} for v in range(low, high + 1)]


def _anchors(raw: Any, low: int, high: int, err: Err) -> dict[int, str] | None:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        err(f"anchors: must be a mapping from scale point to label, got {_kind(raw)}")
        return None
    anchors: dict[int, str] = {}
    ok = True
    for point, label in raw.items():
        # JSON object keys are always strings, so "1" counts as the point 1.
        value = int(point) if isinstance(point, str) and re.fullmatch(r"-?\d+", point.strip()) else point
        if not _is_int(value):
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


def _likert_options(raw: Any, err: Err) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list):
        err(f"options: must be a list, got {_kind(raw)}")
        return None
    if len(raw) < 2:
        err(f"options: a likert scale needs at least 2 options, got {len(raw)}")
        return None
    if len(raw) > MAX_SCALE_POINTS:
        err(f"options: {len(raw):,} points is too many (at most {MAX_SCALE_POINTS})")
        return None
    options, ok = [], True
    for position, item in enumerate(raw, start=1):
        fields = _option_fields(item, position, err)
        if fields is None:
            ok = False
            continue
        value, label, key = fields
        if not _is_int(value):
            err(f"options: value {quoted(value)} is not an integer")
            ok = False
            continue
        label = _option_label(label, str(value), value, err)
        key = _option_key(key, _digit_key(value), value, err)
        if label is None or key is None:
            ok = False
            continue
        options.append({"value": value, "label": label, "key": key})
    if not ok:
        return None
    values = [o["value"] for o in options]
    for value in _repeated(values):
        err(f"options: value {quoted(value)} appears more than once")
        ok = False
    if ok and values != sorted(values):
        err(f"options: values must be in ascending order, got {quoted(values)}")
        ok = False
    return options if ok else None


def _choices(raw: dict, err: Err) -> list[dict[str, Any]] | None:
    """Options of a categorical or multi_label criterion: strings, or mappings with value, label and key."""
    items = raw.get("options")
    if items is None:
        err("options: required, a list of at least 2 choices")
        return None
    if not isinstance(items, list):
        err(f"options: must be a list, got {_kind(items)}")
        return None
    if len(items) < 2:
        err(f"options: needs at least 2 options, got {len(items)}")
        return None
    if len(items) > MAX_OPTIONS:
        err(f"options: {len(items):,} options is too many (at most {MAX_OPTIONS})")
        return None
    options, ok = [], True
    for position, item in enumerate(items, start=1):
        fields = _option_fields(item, position, err)
        if fields is None:
            ok = False
            continue
        value, label, key = fields
        if not isinstance(value, str):
            err(f"options: value {quoted(value)} is not a string{_quote_hint(value) or ' (quote it)'}")
            ok = False
            continue
        if not value.strip():
            err(f"options: option {position} has an empty value")
            ok = False
            continue
        if len(value.strip()) > MAX_LABEL_LENGTH:
            err(f"options: option {position} is {len(value.strip()):,} characters long (at most {MAX_LABEL_LENGTH})")
            ok = False
            continue
        label = _option_label(label, value.strip(), value, err)
        key = _option_key(key, str(position) if position <= 9 else "", value, err)
        if label is None or key is None:
            ok = False
            continue
        options.append({"value": value.strip(), "label": label, "key": key})
    if not ok:
        return None
    values = [o["value"] for o in options]
    for value in _repeated(values):
        err(f"options: value {quoted(value)} appears more than once")
        ok = False
    if ok and not _check_option_keys(options, err):
        ok = False
    return options if ok else None


def _categorical(raw: dict, err: Err) -> dict[str, Any]:
    options = _choices(raw, err)
    return {"options": options} if options is not None else {}


def _multi_label(raw: dict, err: Err) -> dict[str, Any]:
    options = _choices(raw, err)
    if options is None:
        return {}
    bounds = {}
    for bound in ("min_selected", "max_selected"):
        value = raw.get(bound)
        if value is None:
            bounds[bound] = None
        elif not _is_int(value) or value < 0:
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
    return {"options": options, "min_selected": low, "max_selected": high}


def _binary(raw: dict, err: Err) -> dict[str, Any]:
    labels, given = raw.get("labels"), raw.get("options")
    if labels is not None and given is not None:
        err("give either labels or options, not both")
        return {}
    options = [{"value": True, "label": "Yes", "key": "y"}, {"value": False, "label": "No", "key": "n"}]
    if labels is not None:
        if not isinstance(labels, dict):
            err(f"labels: must be a mapping like {{true: Yes, false: No}}, got {_kind(labels)}")
            return {}
        by_value = {True: options[0], False: options[1]}
        for name, label in labels.items():
            # YAML reads `true:` as a boolean; JSON keys are always strings.
            value = {"true": True, "false": False}.get(name.lower(), name) if isinstance(name, str) else name
            if not isinstance(value, bool):
                err(f"labels: unknown field {quoted(name)} (expected true and false)")
                return {}
            if not isinstance(label, str) or not label.strip():
                hint = _quote_hint(label)
                err(f"labels: label for {str(value).lower()} must be a non-empty string, got {quoted(label)}{hint}")
                return {}
            by_value[value]["label"] = label.strip()
    elif given is not None:
        options = _fixed_options(given, options, err)
        if options is None:
            return {}
    return {"options": options}


def _numeric(raw: dict, err: Err) -> dict[str, Any]:
    values, ok = {}, True
    for name in ("min", "max"):
        value = raw.get(name)
        if value is None:
            err(f"{name}: required for a numeric criterion")
            ok = False
        elif not _is_number(value):
            err(f"{name}: {quoted(value)} is not a number")
            ok = False
        else:
            values[name] = value
    step = raw.get("step", 1)
    if step is None:
        step = 1
    if not _is_number(step) or step <= 0:
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


def _pairwise(raw: dict, err: Err) -> dict[str, Any]:
    fields = raw.get("fields")
    if fields is None:
        fields = list(DEFAULT_PAIRWISE_FIELDS)
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
    if not _is_int(strength) or not 0 <= strength <= MAX_PAIRWISE_STRENGTH:
        err(
            f"strength: must be 0 (A/tie/B) or a whole number from 1 to {MAX_PAIRWISE_STRENGTH}, got {quoted(strength)}"
        )
        return {}
    options = pairwise_options(strength)
    if raw.get("options") is not None:
        options = _fixed_options(raw["options"], options, err)
        if options is None:
            return {}
    return {"fields": [f.strip() for f in fields], "strength": strength, "options": options}


def _free_text(raw: dict, err: Err) -> dict[str, Any]:
    max_length = raw.get("max_length")
    if max_length is not None and (not _is_int(max_length) or max_length < 1):
        err(f"max_length: must be a whole number of 1 or more, got {quoted(max_length)}")
        return {}
    placeholder = raw.get("placeholder")
    if placeholder is None:
        placeholder = ""
    elif not isinstance(placeholder, str):
        err(f"placeholder: must be a string, got {quoted(placeholder)}")
        return {}
    return {"max_length": max_length, "placeholder": placeholder}


_TYPE_NORMALISERS: dict[str, Callable[[dict, Err], dict[str, Any]]] = {
    "likert": _likert,
    "categorical": _categorical,
    "binary": _binary,
    "multi_label": _multi_label,
    "numeric": _numeric,
    "pairwise": _pairwise,
    "free_text": _free_text,
}


# --------------------------------------------------------------------------- options


def _option_fields(item: Any, position: int, err: Err) -> tuple[Any, Any, Any] | None:
    if not isinstance(item, dict):
        return item, None, None
    for unknown in [f for f in item if f not in OPTION_FIELDS]:
        err(f"options: option {position} has unknown field {quoted(unknown)} (allowed: value, label, key)")
        return None
    if "value" not in item:
        err(f"options: option {position} has no value")
        return None
    return item["value"], item.get("label"), item.get("key")


def _option_label(label: Any, default: str, value: Any, err: Err) -> str | None:
    if label is None:
        return default
    if not isinstance(label, str) or not label.strip():
        hint = _quote_hint(label)
        err(f"options: label for value {quoted(value)} must be a non-empty string, got {quoted(label)}{hint}")
        return None
    if len(label.strip()) > MAX_LABEL_LENGTH:
        err(
            f"options: label for {quoted(value)} is {len(label.strip()):,} characters long (at most {MAX_LABEL_LENGTH})"
        )
        return None
    return label.strip()


def _option_key(key: Any, default: str, value: Any, err: Err) -> str | None:
    if key is None:
        return default
    if key == "":
        return ""  # an empty key means "no keyboard shortcut", e.g. for the point 10 of a 0-10 scale
    # YAML reads `key: 1` as a number; a single digit is what the author meant.
    if _is_int(key) and 0 <= key <= 9:
        key = str(key)
    if not isinstance(key, str) or len(key) != 1 or key.isspace():
        err(f"options: keyboard key {quoted(key)} for value {quoted(value)} must be a single character")
        return None
    return key


def _check_option_keys(options: list[dict[str, Any]], err: Err) -> bool:
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


def _fixed_options(raw: Any, defaults: list[dict[str, Any]], err: Err) -> list[dict[str, Any]] | None:
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
        label = _option_label(item.get("label"), default["label"], default["value"], err)
        key = _option_key(item.get("key"), default["key"], default["value"], err)
        if label is None or key is None:
            return None
        options.append({"value": default["value"], "label": label, "key": key})
    return options if _check_option_keys(options, err) else None


def _value_id(value: Any) -> tuple[str, Any]:
    # True == 1 in Python, so keep the type in the identity of a fixed option value.
    return (type(value).__name__, value)


# --------------------------------------------------------------------------- dumping


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (guidelines) as literal blocks so they stay editable."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def rubric_to_yaml(spec: RubricSpec) -> str:
    """Dump a spec as a compact, editable YAML file that parses back to the same spec."""
    data: dict[str, Any] = {"name": spec.name}
    if spec.description:
        data["description"] = spec.description
    if spec.guidelines:
        data["guidelines"] = spec.guidelines + "\n"
    data["criteria"] = [criterion_to_file(c) for c in spec.criteria]
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def criterion_to_file(criterion: dict[str, Any]) -> dict[str, Any]:
    """The shortest file form of a normalised criterion: defaults left out, likert scales as scale + anchors."""
    ctype, key = criterion["type"], criterion["key"]
    out: dict[str, Any] = {"key": key, "type": ctype}
    if criterion.get("label") and criterion["label"] != default_label(key):
        out["label"] = criterion["label"]
    if criterion.get("help"):
        out["help"] = criterion["help"]
    if criterion.get("required", default_required(ctype)) != default_required(ctype):
        out["required"] = criterion["required"]
    if criterion.get("level") and criterion["level"] != default_level(ctype, criterion.get("strength", 0)):
        out["level"] = criterion["level"]
    options = criterion.get("options", [])
    if ctype == "likert":
        out.update(_likert_to_file(options))
    elif ctype in ("categorical", "multi_label"):
        plain = all(
            o["label"] == o["value"] and o["key"] == (str(i) if i <= 9 else "") for i, o in enumerate(options, 1)
        )
        out["options"] = [o["value"] for o in options] if plain else [dict(o) for o in options]
        if ctype == "multi_label":
            if criterion.get("min_selected"):
                out["min_selected"] = criterion["min_selected"]
            if criterion.get("max_selected") is not None:
                out["max_selected"] = criterion["max_selected"]
    elif ctype == "binary":
        defaults = {True: ("Yes", "y"), False: ("No", "n")}
        if any(o["key"] != defaults[o["value"]][1] for o in options):
            out["options"] = [dict(o) for o in options]
        elif any(o["label"] != defaults[o["value"]][0] for o in options):
            out["labels"] = {o["value"]: o["label"] for o in options}
    elif ctype == "numeric":
        out.update({"min": criterion["min"], "max": criterion["max"]})
        if criterion.get("step", 1) != 1:
            out["step"] = criterion["step"]
        if criterion.get("unit"):
            out["unit"] = criterion["unit"]
    elif ctype == "pairwise":
        if criterion.get("fields") != DEFAULT_PAIRWISE_FIELDS:
            out["fields"] = criterion["fields"]
        if criterion.get("strength"):
            out["strength"] = criterion["strength"]
        if options != pairwise_options(criterion.get("strength", 0)):
            out["options"] = [dict(o) for o in options]
    elif ctype == "free_text":
        if criterion.get("max_length") is not None:
            out["max_length"] = criterion["max_length"]
        if criterion.get("placeholder"):
            out["placeholder"] = criterion["placeholder"]
    return out


def _likert_to_file(options: list[dict[str, Any]]) -> dict[str, Any]:
    values = [o["value"] for o in options]
    contiguous = values == list(range(values[0], values[-1] + 1)) if values else False
    if contiguous and all(o["key"] == _digit_key(o["value"]) for o in options):
        result: dict[str, Any] = {"scale": {"min": values[0], "max": values[-1]}}
        anchors = {o["value"]: o["label"] for o in options if o["label"] != str(o["value"])}
        if anchors:
            result["anchors"] = anchors
        return result
    return {"options": [dict(o) for o in options]}


# --------------------------------------------------------------------------- helpers


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _repeated(values: list[Any]) -> list[Any]:
    """The values that occur more than once, in order of first occurrence (linear time)."""
    return [value for value, n in Counter(values).items() if n > 1]


def _is_number(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value)
    )


def _digit_key(value: int) -> str:
    # Values that print as one character make natural shortcuts; others (10, -1) get none.
    text = str(value)
    return text if len(text) == 1 else ""


def _quote_hint(value: Any) -> str:
    # YAML 1.1 reads unquoted yes/no/on/off as booleans and 1 as a number.
    if isinstance(value, bool | int | float):
        return " (in YAML, put words like Yes, No and numbers in quotes)"
    return ""


def _optional_text(data: dict, name: str, err: Err) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        err(f"{name}: must be a string, got {_kind(value)}")
        return ""
    return value


def _clean_markdown(text: str) -> str:
    # Trailing blanks would stop YAML dumping the guidelines as an editable literal block.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _kind(value: Any) -> str:
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
