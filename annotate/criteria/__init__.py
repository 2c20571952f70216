"""Criterion types: each type is a frozen dataclass (one module per type) and TYPES below is their one list.

A type owns its part of a rubric file (parsing, validation, the shortest file form), its levels of
measurement, its value domain, reading an answer from a form post and from an import cell, checking an
answer, its options and their keys, showing an answer, gold answers and agreement, and the partials that
draw it. Stored criteria (RubricVersion.criteria, a list of dicts) become typed criteria at once
(`criteria_from_dicts`, cached per stored JSON by `stored_criteria`); nothing else branches on type names.
No models, settings or database: the only Django name used is ValidationError, the error every caller reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson
from django.core.exceptions import ValidationError

from accord.limits import quoted
from annotate.criteria.base import (
    MAX_LABEL_LENGTH,
    RATE_PAGE_KEYS,
    RESERVED_KEYS,
    Criterion,
    Err,
    Option,
    Post,
    default_label,
    kind,
)
from annotate.criteria.binary import BinaryCriterion
from annotate.criteria.categorical import CategoricalCriterion
from annotate.criteria.free_text import FreeTextCriterion
from annotate.criteria.likert import LikertCriterion
from annotate.criteria.multi_label import MultiLabelCriterion
from annotate.criteria.numeric import NumericCriterion
from annotate.criteria.pairwise import PairwiseCriterion

# Every criterion type, in the order the rubric builder and error messages list them.
TYPES: dict[str, type[Criterion]] = {
    cls.type: cls
    for cls in (
        LikertCriterion,
        CategoricalCriterion,
        BinaryCriterion,
        MultiLabelCriterion,
        NumericCriterion,
        PairwiseCriterion,
        FreeTextCriterion,
    )
}
LEVELS = ("nominal", "ordinal", "interval", "ratio", "none")
COMMON_FIELDS = ("key", "type", "label", "help", "required", "level")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_KEY_LENGTH = 64
# Distinct stored rubrics kept converted; a server sees a handful of rubric versions at a time.
STORED_CACHE_SIZE = 256

__all__ = [
    "TYPES",
    "BinaryCriterion",
    "CategoricalCriterion",
    "Criterion",
    "FreeTextCriterion",
    "LikertCriterion",
    "MultiLabelCriterion",
    "NumericCriterion",
    "Option",
    "PairwiseCriterion",
    "RATE_PAGE_KEYS",
    "RESERVED_KEYS",
    "as_criteria",
    "criteria_from_dicts",
    "criteria_to_dicts",
    "criterion_from_dict",
    "criterion_parse",
    "pairwise_swap",
    "stored_criteria",
    "values_from_post",
    "values_validate",
]


# --------------------------------------------------------------------------- stored criteria


def criterion_from_dict(data: Mapping[str, Any]) -> Criterion:
    """A stored criterion dict as its typed criterion."""
    return TYPES[data["type"]].from_dict(data)


def criteria_from_dicts(dicts: Iterable[Mapping[str, Any]]) -> tuple[Criterion, ...]:
    """Stored criterion dicts as typed criteria."""
    return tuple(criterion_from_dict(d) for d in dicts)


def criteria_to_dicts(criteria: Iterable[Criterion]) -> list[dict[str, Any]]:
    """Typed criteria as RubricVersion.criteria stores them."""
    return [c.to_dict() for c in criteria]


def stored_criteria(dicts: list[dict[str, Any]]) -> tuple[Criterion, ...]:
    """Stored criterion dicts as typed criteria, converted once per distinct JSON (the rating pages' hot path)."""
    # Serialising a rubric takes about a microsecond; building its dataclasses takes tens.
    return _from_json(orjson.dumps(dicts, option=orjson.OPT_NON_STR_KEYS))


@lru_cache(maxsize=STORED_CACHE_SIZE)
def _from_json(text: bytes) -> tuple[Criterion, ...]:
    return criteria_from_dicts(orjson.loads(text))


def as_criteria(criteria: Iterable[Criterion | Mapping[str, Any]]) -> tuple[Criterion, ...]:
    """Typed criteria from typed criteria or stored dicts (what crosses an API or a test boundary)."""
    return tuple(c if isinstance(c, Criterion) else criterion_from_dict(c) for c in criteria)


# --------------------------------------------------------------------------- rubric files


def criterion_parse(raw: Any, err: Err) -> Criterion | None:
    """Validate one criterion of a rubric file into a typed criterion, or report every problem through err."""
    if not isinstance(raw, dict):
        err(f"must be a mapping with at least key and type, got {kind(raw)}")
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
    name = raw.get("type")
    if name is None:
        err(f"type: required (one of {', '.join(TYPES)})")
        return None
    if not isinstance(name, str) or name not in TYPES:
        err(f"type: unknown type {quoted(name)} (expected one of {', '.join(TYPES)})")
        return None
    cls = TYPES[name]
    allowed = COMMON_FIELDS + cls.file_fields
    for unknown in [f for f in raw if f not in allowed]:
        err(f"unknown field {quoted(unknown)} for type {name} (allowed: {', '.join(allowed)})")
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
    required = raw.get("required", cls.required_by_default)
    if not isinstance(required, bool):
        err(f"required: must be true or false, got {quoted(required)}")
        ok = False
    type_errors: list[str] = []

    def type_err(message: str) -> None:
        type_errors.append(message)
        err(message)

    specific = cls.parse_fields(raw, type_err)
    level = _level(raw, cls, specific, err)
    if not ok or type_errors or level is None:
        return None
    common = {"key": key, "type": name, "label": label.strip(), "help": help_text.strip(), "required": required}
    return cls.from_dict({**common, "level": level, **specific})


def _level(raw: dict, cls: type[Criterion], specific: dict[str, Any], err: Err) -> str | None:
    allowed = cls.level_choices(specific)
    if "level" not in raw or raw["level"] is None:
        return allowed[0]
    level = raw["level"]
    if level not in LEVELS:
        err(f"level: unknown level {quoted(level)} (expected one of {', '.join(LEVELS)})")
        return None
    if level not in allowed:
        kind = cls.level_kind(specific)
        err(f"level: {quoted(level)} is not valid for a {kind} criterion (allowed: {', '.join(allowed)})")
        return None
    return level


# --------------------------------------------------------------------------- answers


def values_validate(criteria: Iterable[Criterion | Mapping[str, Any]], values: Any) -> dict[str, Any]:
    """Check answers against the criteria; return them cleaned or raise ValidationError {criterion key: message}."""
    criteria = as_criteria(criteria)
    if not isinstance(values, dict):
        got = quoted(values)
        raise ValidationError({"values": f"values: must be a mapping from criterion key to answer, got {got}"})
    known = [c.key for c in criteria]
    errors: dict[str, str] = {}
    for key in values:
        if key not in known:
            errors[str(key)] = f"{key}: not a criterion of this rubric (expected {', '.join(known)})"
    clean: dict[str, Any] = {}
    for criterion in criteria:
        key = criterion.key
        value = values.get(key)
        if value is None or value == "":
            if criterion.required:
                errors[key] = f"{criterion.label}: an answer is required"
            continue
        try:
            clean[key] = criterion.check(value)
        except ValueError as exc:
            errors[key] = f"{criterion.label}: {exc}"
    if errors:
        raise ValidationError(errors)
    return clean


def values_from_post(criteria: Iterable[Criterion | Mapping[str, Any]], post: Post) -> dict[str, Any]:
    """Read answers from form fields named c-<key>; unparsable input is kept as text for the validator to name."""
    values: dict[str, Any] = {}
    for criterion in as_criteria(criteria):
        value = criterion.from_post(post)
        if value is not None:
            values[criterion.key] = value
    return values


def pairwise_swap(
    criteria: Iterable[Criterion | Mapping[str, Any]], values: dict[str, Any], presentation: dict[str, Any]
) -> dict[str, Any]:
    """Translate answers between screen and original labelling when B was shown on the left (its own inverse)."""
    if presentation.get("left") != "b":
        return dict(values)
    swapped = dict(values)
    for criterion in as_criteria(criteria):
        value = values.get(criterion.key)
        if value is not None:
            swapped[criterion.key] = criterion.swapped(value)
    return swapped
