"""What changed between two rubric versions: each criterion added, removed or changed, and the guidelines by line.

Pure Python on stored criterion dicts (RubricVersion.criteria) and guidelines text; nothing here touches the
database. Criteria are matched by key. A changed criterion lists each field that changed, in the words of a
rubric file (type, label, help, required, level, options, scale and anchors, and the type's own fields).
Criteria whose options are all whole numbers (scales) are described by their bounds and anchors rather than
point by point. The guidelines are compared line by line with difflib, with a few lines of context.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from annotate.criteria import criterion_from_dict

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
# Fields every criterion has, compared first and in this order; the type's own fields follow.
COMMON_FIELDS = ("type", "label", "help", "required", "level")
NAMED_FIELDS = ("type", "level")
CONTEXT_LINES = 3


@dataclass(frozen=True)
class Change:
    """One field that changed: what it is, and its text before and after ("" where it was absent)."""

    field: str
    before: str
    after: str

    @property
    def text(self) -> str:
        """The change as one plain sentence."""
        if not self.before:
            return f"{self.field}: added {self.after}"
        if not self.after:
            return f"{self.field}: removed {self.before}"
        return f"{self.field}: {self.before} → {self.after}"


@dataclass(frozen=True)
class CriterionChange:
    """One criterion key across the two versions: added, removed, changed (with its changes) or unchanged."""

    key: str
    label: str
    status: str
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class DiffLine:
    """One line of a text diff: "same", "added", "removed", or "gap" (unchanged lines left out)."""

    kind: str
    text: str
    old_number: int | None = None
    new_number: int | None = None


@dataclass(frozen=True)
class RubricDiff:
    """Criteria and guidelines of two versions compared."""

    criteria: tuple[CriterionChange, ...]
    guidelines: tuple[DiffLine, ...]
    order_before: tuple[str, ...] = ()
    order_after: tuple[str, ...] = ()

    def count(self, status: str) -> int:
        """How many criteria have this status."""
        return sum(1 for c in self.criteria if c.status == status)

    @property
    def guidelines_changed(self) -> bool:
        """Whether the guidelines differ."""
        return bool(self.guidelines)

    @property
    def order_changed(self) -> bool:
        """Whether criteria present in both versions come in another order."""
        return self.order_before != self.order_after

    @property
    def is_empty(self) -> bool:
        """Nothing differs: same criteria, same order, same guidelines."""
        return not self.guidelines and not self.order_changed and all(c.status == UNCHANGED for c in self.criteria)

    @property
    def summary(self) -> str:
        """What changed, in one sentence."""
        if self.is_empty:
            return "No differences: the same criteria in the same order, and the same guidelines."
        counts = [f"{n} {status}" for status in (CHANGED, ADDED, REMOVED, UNCHANGED) if (n := self.count(status))]
        parts = ["Criteria: " + ", ".join(counts)]
        if self.order_changed:
            parts.append("reordered")
        if self.guidelines:
            added, removed = (sum(1 for line in self.guidelines if line.kind == k) for k in ("added", "removed"))
            parts.append(f"guidelines: {_lines(added)} added, {_lines(removed)} removed")
        else:
            parts.append("guidelines unchanged")
        return "; ".join(parts) + "."


def rubric_diff(
    old_criteria: Iterable[Mapping[str, Any]],
    new_criteria: Iterable[Mapping[str, Any]],
    old_guidelines: str,
    new_guidelines: str,
) -> RubricDiff:
    """Compare two versions' stored criteria and guidelines."""
    old = {c["key"]: criterion_from_dict(c).to_dict() for c in old_criteria}
    new = {c["key"]: criterion_from_dict(c).to_dict() for c in new_criteria}
    changes = tuple(_criterion_change(key, old.get(key), new.get(key)) for key in _merged_order(list(old), list(new)))
    before = tuple(k for k in old if k in new)
    after = tuple(k for k in new if k in old)
    return RubricDiff(changes, text_diff(old_guidelines, new_guidelines), before, after)


def _merged_order(old_keys: list[str], new_keys: list[str]) -> list[str]:
    # The new version's order, each removed criterion placed after the criterion it followed in the old one.
    kept = set(new_keys)
    removed_after: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for key in old_keys:
        if key in kept:
            anchor = key
        else:
            removed_after.setdefault(anchor, []).append(key)
    order = list(removed_after.get(None, []))
    for key in new_keys:
        order.append(key)
        order.extend(removed_after.get(key, []))
    return order


def _criterion_change(key: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> CriterionChange:
    if old is None:
        return CriterionChange(key, new["label"], ADDED)
    if new is None:
        return CriterionChange(key, old["label"], REMOVED)
    changes = criterion_changes(old, new)
    return CriterionChange(key, new["label"], CHANGED if changes else UNCHANGED, changes)


def criterion_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[Change, ...]:
    """Every field that differs between two stored forms of one criterion."""
    changes = [_field_change(f, old.get(f), new.get(f)) for f in COMMON_FIELDS if old.get(f) != new.get(f)]
    changes.extend(option_changes(old.get("options") or [], new.get("options") or []))
    own = [f for f in dict.fromkeys([*old, *new]) if f not in (*COMMON_FIELDS, "key", "options")]
    changes.extend(Change(f, show(old.get(f)), show(new.get(f))) for f in own if old.get(f) != new.get(f))
    return tuple(changes)


def _field_change(field: str, before: Any, after: Any) -> Change:
    # Type and level are names from a fixed list, not the author's words: shown without quotes.
    if field in NAMED_FIELDS:
        return Change(field, str(before or ""), str(after or ""))
    return Change(field, show(before), show(after))


# --------------------------------------------------------------------------- options


def _is_scale(options: list[Mapping[str, Any]]) -> bool:
    return bool(options) and all(type(o["value"]) is int for o in options)


def _identity(value: Any) -> tuple[type, Any]:
    # True == 1 in Python, but an option value only matches a value of its own type.
    return (type(value), value)


def option_changes(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> list[Change]:
    """Options added, removed, renamed (value changed in place), relabelled, rekeyed or reordered."""
    if _is_scale(old) and _is_scale(new):
        return scale_changes(old, new)
    old_by = {_identity(o["value"]): o for o in old}
    new_by = {_identity(o["value"]): o for o in new}
    changes: list[Change] = []
    renamed: set[tuple[type, Any]] = set()
    for position, option in enumerate(old):
        if _identity(option["value"]) in new_by:
            continue
        # A value gone from a position that a new value now holds reads as a rename.
        twin = new[position] if position < len(new) else None
        if twin is not None and _identity(twin["value"]) not in old_by:
            renamed.add(_identity(twin["value"]))
            changes.append(Change("option renamed", show(option["value"]), show(twin["value"])))
            if _label_says_more(option) or _label_says_more(twin):
                changes.extend(_option_detail(twin["value"], option, twin))
        else:
            changes.append(Change("options", _option_text(option), ""))
    for option in new:
        ident = _identity(option["value"])
        if ident not in old_by and ident not in renamed:
            changes.append(Change("options", "", _option_text(option)))
        elif ident in old_by:
            changes.extend(_option_detail(option["value"], old_by[ident], option))
    kept_old = [show(o["value"]) for o in old if _identity(o["value"]) in new_by]
    kept_new = [show(o["value"]) for o in new if _identity(o["value"]) in old_by]
    if kept_old != kept_new:
        changes.append(Change("order of options", ", ".join(kept_old), ", ".join(kept_new)))
    return changes


def _option_detail(value: Any, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    # Every field of an option but its value: the label, the keyboard key, and any flag the type adds.
    changes = []
    for field in dict.fromkeys([*old, *new]):
        before, after = old.get(field), new.get(field)
        if field == "value" or before == after or (not before and not after):
            continue
        if field == "key":
            changes.append(Change(f"key of option {show(value)}", before or "none", after or "none"))
        elif isinstance(before, bool) or isinstance(after, bool):
            changes.append(Change(f"{field} of option {show(value)}", show(bool(before)), show(bool(after))))
        else:
            changes.append(Change(f"{field} of option {show(value)}", show(before), show(after)))
    return changes


def _label_says_more(option: Mapping[str, Any]) -> bool:
    return option.get("label") not in (None, "", str(option["value"]))


def _option_text(option: Mapping[str, Any]) -> str:
    label = option.get("label")
    text = show(option["value"])
    if isinstance(label, str) and label != str(option["value"]):
        text += f" ({show(label)})"
    return text + (f", key {option['key']}" if option.get("key") else "")


def scale_changes(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> list[Change]:
    """Whole-number points: the bounds (or the points, when not a plain range), anchors and keys."""
    old_points, new_points = [o["value"] for o in old], [o["value"] for o in new]
    changes: list[Change] = []
    if (min(old_points), max(old_points)) != (min(new_points), max(new_points)):
        changes.append(Change("scale", _bounds(old_points), _bounds(new_points)))
    elif old_points != new_points:
        changes.append(Change("points", _listing(old_points), _listing(new_points)))
    old_by, new_by = {o["value"]: o for o in old}, {o["value"]: o for o in new}
    for point in sorted(set(old_points) | set(new_points)):
        before, after = _anchor(old_by.get(point)), _anchor(new_by.get(point))
        if before != after:
            changes.append(Change(f"anchor {point}", show(before) if before else "", show(after) if after else ""))
        if point in old_by and point in new_by and (old_by[point].get("key") or "") != (new_by[point].get("key") or ""):
            changes.append(
                Change(f"key of point {point}", old_by[point].get("key") or "none", new_by[point].get("key") or "none")
            )
    return changes


def _anchor(option: Mapping[str, Any] | None) -> str:
    # A scale point's label is an anchor only when it says more than the number itself.
    return option["label"] if option is not None and _label_says_more(option) else ""


def _bounds(points: list[int]) -> str:
    return f"{min(points)}–{max(points)}"


def _listing(points: list[int]) -> str:
    return ", ".join(str(p) for p in points)


# --------------------------------------------------------------------------- values and text


def show(value: Any) -> str:
    """A field's value as the diff shows it: text in quotes, yes/no for flags, lists joined, "" for absent."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def text_diff(old: str, new: str, context: int = CONTEXT_LINES) -> tuple[DiffLine, ...]:
    """Lines added and removed between two texts, with `context` unchanged lines around each change; () if equal."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    last = 0
    for group in difflib.SequenceMatcher(None, a, b).get_grouped_opcodes(context):
        if group[0][1] > last:
            lines.append(_gap(group[0][1] - last))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("same", a[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2))
                continue
            lines.extend(DiffLine("removed", a[i], old_number=i + 1) for i in range(i1, i2))
            lines.extend(DiffLine("added", b[j], new_number=j + 1) for j in range(j1, j2))
        last = group[-1][2]
    if lines and last < len(a):
        lines.append(_gap(len(a) - last))
    return tuple(lines)


def _lines(n: int) -> str:
    return f"{n:,} line{'s' if n != 1 else ''}"


def _gap(n: int) -> DiffLine:
    return DiffLine("gap", f"{_lines(n)} unchanged")
