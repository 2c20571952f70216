"""Reading existing labels from JSONL, CSV or Parquet files into validated ratings, one per (item, rater) and repeat.

Two layouts are understood:

* **long**: one row per label, with columns for the item id, the rater, the criterion
  key and the value (and optionally a comment). Every criterion a rater gave an item
  is merged into one rating.
* **wide**: one row per item: the item id column plus one column per rater, holding
  values of one criterion. An empty cell is a missing label.

The n-th label of an (item, rater, criterion) in file order belongs to the rater's n-th rating of that item.
What a second label means is the `repeats` choice: an error naming both rows (the default), the first or the
last label kept and the others dropped (and counted), or every further label kept as a test-retest repeat.

Cells are parsed by the criterion's type (text from CSV, native JSON or Parquet values
otherwise) and then checked with `annotate.criteria.values_validate`, so an imported
rating obeys exactly the rules of one submitted on the rating page, and comments
have the rating page's length cap. Nothing here writes to the database; every problem
is a ValidationError naming the line (JSONL, CSV) or row (Parquet), the field and the
value (its first MAX_SHOWN characters). File reading is `annotate.importers`.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from accord.limits import MAX_SHOWN, quoted_text
from annotate import importers
from annotate.criteria import Criterion, values_validate
from ratings.models import MAX_COMMENT_LENGTH

MAX_USERNAME_LENGTH = 150
MAX_ID_LENGTH = 255
# How many column names an error about a missing column lists.
MAX_SHOWN_COLUMNS = 20
WHITESPACE_RE = re.compile(r"\s+")
# What a second label of the same (item, rater, criterion) means: see the module's docstring.
REPEATS = ("error", "first", "last", "keep")


@dataclass(frozen=True)
class Layout:
    """Where the labels are in the file: the column names of the long or the wide layout."""

    wide: bool = False
    item_field: str = "item_id"
    rater_field: str = "rater"
    criterion_field: str = "criterion"
    value_field: str = "value"
    comment_field: str = "comment"
    # Required in the wide layout; in the long layout it names the criterion of every row.
    criterion: str | None = None


@dataclass
class ParsedRating:
    """The labels one rater gave one item, merged across criteria, and the file row that first named them.

    `number` is 0 for the rater's first rating of the item and n for its n-th repeat.
    """

    external_id: str
    rater: str
    where: str
    number: int = 0
    values: dict[str, Any] = field(default_factory=dict)
    # The comment of each criterion's label that has one: a comment goes with its label (repeats "last").
    comments: dict[str, str] = field(default_factory=dict)

    @property
    def comment(self) -> str:
        """The distinct comments of the merged rows, one per line."""
        return "\n".join(dict.fromkeys(self.comments.values()))


@dataclass
class ParsedFile:
    """Every rating of a file, keyed by (item external id, rater name), with the row each item first appeared in.

    `ratings` holds each rater's first rating of an item, `repeats` the further ones (repeats "keep").
    """

    ratings: dict[tuple[str, str], ParsedRating]
    item_rows: dict[str, str]
    n_labels: int
    # Each rater name in order of first appearance: (where, field, cell) of the row that first named it.
    rater_rows: dict[str, tuple[str, str, Any]] = field(default_factory=dict)
    repeats: list[ParsedRating] = field(default_factory=list)
    # Labels left out as repeats (repeats "first" or "last").
    n_dropped: int = 0


def shown(value: Any) -> str:
    """A cell as error messages quote it: repr of text, JSON of anything else, cut at MAX_SHOWN characters."""
    if isinstance(value, str):
        return quoted_text(value)
    # A value nested too deeply for JSON text comes back as "(a value nested too deeply to show)".
    text = "null" if value is None else importers.dumps(value)
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]}…"


def row_error(where: str, name: str, value: Any, problem: str) -> ValidationError:
    """An error naming the row, the field and the value."""
    # In the wide layout the field is a column of the file, as long as whoever wrote it liked.
    name = name if len(name) <= MAX_SHOWN else f"{name[:MAX_SHOWN]}…"
    return ValidationError(f"{where}, field '{name}', value {shown(value)}: {problem}.")


def _is_nested(value: Any) -> bool:
    """Whether a cell holds more than a label can be: an object, or a list holding lists or objects."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list | tuple) and any(isinstance(v, list | tuple | dict) for v in value)


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else importers.dumps(value)


def item_id_from(value: Any, where: str, name: str) -> str:
    """The external id in a cell, as the dataset import stored it (numbers as their JSON text)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or _is_empty(value):
        raise row_error(where, name, value, "the item id must be a non-empty string or number")
    text = _text(value)
    if len(text) > MAX_ID_LENGTH:
        raise row_error(where, name, value, f"the item id is longer than {MAX_ID_LENGTH} characters")
    return text


def rater_name_from(value: Any, where: str, name: str) -> str:
    """A rater's username: the cell text with runs of whitespace turned into "_" ("Rater 1" -> "Rater_1")."""
    if isinstance(value, bool) or not isinstance(value, str | int) or _is_empty(value):
        raise row_error(where, name, value, "the rater must be a non-empty name")
    username = WHITESPACE_RE.sub("_", str(value).strip())
    if len(username) > MAX_USERNAME_LENGTH:
        raise row_error(where, name, value, f"a rater name has at most {MAX_USERNAME_LENGTH} characters")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        problem = "a rater name may contain only letters, digits, spaces and @/./+/-/_"
        raise row_error(where, name, value, problem) from None
    return username


def clean_value(criterion: Criterion, value: Any, where: str, name: str) -> Any:
    """Parse and validate one label, or raise a ValidationError naming the row, the field and the value."""
    parsed = criterion.from_cell(value)
    # Checked before validation: the validator's messages quote the value whole, which fails past ~1,000 levels.
    if _is_nested(parsed):
        raise row_error(where, name, value, "a label is one value or a list of values, not a nested structure")
    # Without a declared max_length the rating page takes what a form post holds; a file has no such bound.
    limit = criterion.import_limit(MAX_COMMENT_LENGTH)
    if limit is not None and isinstance(parsed, str) and len(parsed) > limit:
        problem = f"an answer to {criterion.key} has at most {limit:,} characters, got {len(parsed):,}"
        raise row_error(where, name, value, problem)
    try:
        return values_validate([criterion], {criterion.key: parsed})[criterion.key]
    except ValidationError as exc:
        problem = exc.message_dict.get(criterion.key, exc.messages)[0]
        raise row_error(where, name, value, problem) from None


class _Collector:
    """Accumulates labels into ratings; a second label of the same (item, rater, criterion) follows `repeats`."""

    def __init__(self, repeats: str = "error", one_rater: str | None = None) -> None:
        self.repeats = repeats
        self.one_rater = one_rater
        self.ratings: dict[tuple[str, str, int], ParsedRating] = {}
        self.item_rows: dict[str, str] = {}
        # Per label, the row of its first occurrence; per repeated label, how many times it occurred (kept
        # apart: most labels occur once, and a file may hold millions).
        self.label_rows: dict[tuple[str, str, str], str] = {}
        self.label_counts: dict[tuple[str, str, str], int] = {}
        self.rater_rows: dict[str, tuple[str, str, Any]] = {}
        self.named: tuple[str, str] | None = None
        self.n_labels = 0
        self.n_dropped = 0

    def note_rater(self, rater: str, where: str, name: str, raw: Any) -> None:
        """Remember the row that first named a rater, for errors about the rater's account."""
        self.rater_rows.setdefault(rater, (where, name, raw))

    def note_one_rater(self, where: str, name: str, raw: Any) -> None:
        """In a file of one rater's labels, refuse a row that names another rater than the first row did."""
        text = _text(raw)
        if self.named is None:
            self.named = (text, where)
        elif self.named[0] != text:
            problem = (
                f"every label of this file is {self.one_rater}'s, but {self.named[1]} named the rater "
                f"{shown(self.named[0])}: split the file by rater, or leave the rater out"
            )
            raise row_error(where, name, raw, problem)

    def _number(self, where: str, name: str, raw: Any, label: tuple[str, str, str]) -> int | None:
        """Which of the rater's ratings of the item a label belongs to; None when it is dropped."""
        first_row = self.label_rows.get(label)
        if first_row is None:
            self.label_rows[label] = where
            return 0
        external_id, rater, key = label
        if self.repeats == "error":
            problem = (
                f"rater '{rater}' already labelled item '{external_id}' on {key} at {first_row}; to import "
                "repeated labels, set repeats to first, last or keep (--repeats first|last|keep)"
            )
            raise row_error(where, name, raw, problem)
        seen = self.label_counts.get(label, 1)
        self.label_counts[label] = seen + 1
        if self.repeats == "keep":
            return seen
        self.n_dropped += 1
        return 0 if self.repeats == "last" else None

    def add(
        self,
        where: str,
        name: str,
        raw: Any,
        label: tuple[str, str, str],
        value: Any,
        comment: str = "",
        comment_field: str = "comment",
    ) -> None:
        number = self._number(where, name, raw, label)
        if number is None:
            return
        external_id, rater, key = label
        self.item_rows.setdefault(external_id, where)
        rating = self.ratings.get((external_id, rater, number))
        if rating is None:
            rating = self.ratings[(external_id, rater, number)] = ParsedRating(external_id, rater, where, number)
        if key not in rating.values:
            self.n_labels += 1
        rating.values[key] = value
        if comment:
            rating.comments[key] = comment
        else:
            rating.comments.pop(key, None)
        # The merged comment is what is stored: it has the rating page's cap, like each of its parts.
        if comment and len(rating.comment) > MAX_COMMENT_LENGTH:
            problem = (
                f"the comments of rater '{rater}' on item '{external_id}' add up to more than "
                f"{MAX_COMMENT_LENGTH:,} characters (the cap of one rating's comment)"
            )
            raise row_error(where, comment_field, comment, problem)

    def parsed(self) -> "ParsedFile":
        """The ratings read: first ratings by (item, rater), repeats in the order the file began them."""
        return ParsedFile(
            ratings={(i, r): rating for (i, r, n), rating in self.ratings.items() if n == 0},
            item_rows=self.item_rows,
            n_labels=self.n_labels,
            rater_rows=self.rater_rows,
            repeats=[rating for rating in self.ratings.values() if rating.number > 0],
            n_dropped=self.n_dropped,
        )


def _criteria_by_key(criteria: tuple[Criterion, ...]) -> dict[str, Criterion]:
    return {c.key: c for c in criteria}


def _require_columns(columns: list[str] | None, names: list[tuple[str, str]]) -> None:
    if columns is None:
        return
    for role, name in names:
        if name not in columns:
            listed = ", ".join(c if len(c) <= MAX_SHOWN else f"{c[:MAX_SHOWN]}…" for c in columns[:MAX_SHOWN_COLUMNS])
            more = f" and {len(columns) - MAX_SHOWN_COLUMNS:,} more" if len(columns) > MAX_SHOWN_COLUMNS else ""
            raise ValidationError(f"The {role} column '{name}' is not in the file (columns: {listed}{more}).")


def _field(record: dict[str, Any], name: str, role: str, where: str) -> Any:
    if name not in record:
        raise ValidationError(f"{where}, field '{name}': the {role} is missing.")
    return record[name]


def _criterion_for(known: dict[str, Criterion], key: Any, where: str, name: str) -> Criterion:
    # Criterion keys are text; a JSON list or object in the cell is not one (and cannot be looked up).
    criterion = known.get(key.strip()) if isinstance(key, str) else None
    if criterion is None:
        raise row_error(where, name, key, f"not a criterion of this rubric (expected {', '.join(known)})")
    return criterion


def _comment_from(cell: Any, where: str, name: str) -> str:
    """A comment cell's text, with the rating page's cap; a cell that is not text holds no comment."""
    if not isinstance(cell, str):
        return ""
    comment = cell.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        problem = f"a comment has at most {MAX_COMMENT_LENGTH:,} characters, got {len(comment):,}"
        raise row_error(where, name, cell, problem)
    return comment


def _long_rater(record: dict[str, Any], layout: Layout, where: str, collector: _Collector) -> str:
    """The row's rater; in a file of one rater's labels the rater cell may be missing, or must name one rater."""
    if collector.one_rater is None:
        rater = rater_name_from(_field(record, layout.rater_field, "rater", where), where, layout.rater_field)
        collector.note_rater(rater, where, layout.rater_field, record[layout.rater_field])
        return rater
    cell = record.get(layout.rater_field)
    if not _is_empty(cell):
        collector.note_one_rater(where, layout.rater_field, cell)
    collector.note_rater(collector.one_rater, where, layout.rater_field, cell)
    return collector.one_rater


def _read_long(records: importers.RecordStream, layout: Layout, known: dict, collector: _Collector) -> None:
    wanted = [("item id", layout.item_field), ("value", layout.value_field)]
    if collector.one_rater is None:
        wanted.insert(1, ("rater", layout.rater_field))
    fixed = _criterion_for(known, layout.criterion, "option", "criterion") if layout.criterion else None
    if fixed is None:
        wanted.insert(-1, ("criterion", layout.criterion_field))
    _require_columns(records.columns, wanted)
    for number, record in records.rows:
        where = f"{records.unit} {number}"
        external_id = item_id_from(_field(record, layout.item_field, "item id", where), where, layout.item_field)
        rater = _long_rater(record, layout, where, collector)
        if fixed is None:
            key = _field(record, layout.criterion_field, "criterion", where)
            criterion = _criterion_for(known, key, where, layout.criterion_field)
        else:
            criterion = fixed
        raw = _field(record, layout.value_field, "value", where)
        if _is_empty(raw):
            raise row_error(where, layout.value_field, raw, "the value is empty")
        value = clean_value(criterion, raw, where, layout.value_field)
        comment = _comment_from(record.get(layout.comment_field), where, layout.comment_field)
        label = (external_id, rater, criterion.key)
        collector.add(where, layout.value_field, raw, label, value, comment, layout.comment_field)


def _read_wide(records: importers.RecordStream, layout: Layout, known: dict, collector: _Collector) -> None:
    if not layout.criterion:
        raise ValidationError("The wide layout holds one criterion: name it (criterion key).")
    criterion = _criterion_for(known, layout.criterion, "option", "criterion")
    _require_columns(records.columns, [("item id", layout.item_field)])
    if records.columns is not None and len(records.columns) < 2:
        raise ValidationError(f"The file has no rater columns besides '{layout.item_field}'.")
    raters: dict[str, str] = {}
    for number, record in records.rows:
        where = f"{records.unit} {number}"
        external_id = item_id_from(_field(record, layout.item_field, "item id", where), where, layout.item_field)
        for column, raw in record.items():
            if column == layout.item_field or _is_empty(raw):
                continue
            if column not in raters:
                if collector.one_rater is None:
                    raters[column] = rater_name_from(column, where, column)
                else:
                    # Each column is a rater: a file of one rater's labels has one column of them.
                    collector.note_one_rater(where, column, column)
                    raters[column] = collector.one_rater
                collector.note_rater(raters[column], where, column, column)
            value = clean_value(criterion, raw, where, column)
            collector.add(where, column, raw, (external_id, raters[column], criterion.key), value)


def read_ratings(
    source: importers.Source,
    *,
    criteria: tuple[Criterion, ...],
    layout: Layout,
    fmt: str | None = None,
    repeats: str = "error",
    one_rater: str | None = None,
) -> ParsedFile:
    """Read and validate every label of a file, merged into one rating per (item, rater) and repeat.

    `repeats` is one of REPEATS. With `one_rater` every label is that rater's: the long layout's rater column
    may be left out, and a file naming two raters (two rater columns, in the wide layout) is refused.
    """
    if repeats not in REPEATS:
        raise ValidationError(f"repeats: {shown(repeats)} is not one of {', '.join(REPEATS)}.")
    fmt = importers.detect_format(source, fmt)
    known = _criteria_by_key(criteria)
    collector = _Collector(repeats, one_rater)
    stream: BinaryIO
    with importers.open_binary(source) as stream:
        records = importers.open_records(stream, fmt)
        if layout.wide:
            _read_wide(records, layout, known, collector)
        else:
            _read_long(records, layout, known, collector)
    if not collector.ratings:
        raise ValidationError("The file is empty: it contains no labels.")
    return collector.parsed()
