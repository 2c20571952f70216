"""Rubric files: parse YAML or JSON, validate every criterion, normalise, and dump back to YAML.

Pure Python: nothing here touches the database. This module reads the file (strictly: no duplicate
fields, aliases or deep nesting) and its top-level fields; each criterion is parsed by its type in
annotate.criteria. The normalised criterion dicts produced by `validate_criteria` are what
RubricVersion.criteria stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from accord.limits import quoted
from annotate.criteria import KEY_RE, criterion_from_dict, criterion_parse
from annotate.criteria.base import MAX_OPTIONS as MAX_OPTIONS  # the limit on options, with the others
from annotate.criteria.base import kind

FORMATS = ("yaml", "json")
MAX_NAME_LENGTH = 200
# Limits on what a rubric file may hold. Real rubrics are far smaller (the examples: 3-4 criteria, at most
# 7 options, 4 KB); the limits keep a hostile file from costing the server time or memory.
MAX_RUBRIC_BYTES = 512 * 1024
MAX_CRITERIA = 100
MAX_DEPTH = 12
MAX_TEXT_LENGTH = 20_000
TOP_LEVEL_FIELDS = ("name", "description", "guidelines", "criteria")

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
        raise ValidationError(f"A rubric must be a mapping with name and criteria at the top level, got {kind(data)}.")
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
        raise ValidationError(f"criteria: must be a list of criteria, got {kind(raw)}")
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

        criterion = criterion_parse(item, err)
        # Check duplicates even when the criterion has other problems, so every error shows at once.
        if isinstance(key, str) and KEY_RE.match(key):
            if key in first_use:
                err(f"key {quoted(key)} is already used by criterion {first_use[key]}")
                continue
            first_use[key] = position
        if criterion is not None:
            normalised.append(criterion.to_dict())
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
    return criterion_from_dict(criterion).to_file()


# --------------------------------------------------------------------------- helpers


def _optional_text(data: dict, name: str, err: Err) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        err(f"{name}: must be a string, got {kind(value)}")
        return ""
    return value


def _clean_markdown(text: str) -> str:
    # Trailing blanks would stop YAML dumping the guidelines as an editable literal block.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")
