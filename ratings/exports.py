"""Exports of a campaign's labels: one row per rating or per item, as CSV, JSONL or Parquet, written in chunks.

Rows are read a chunk at a time (ratings by keyset pagination on their id, items as ratings.final_labels hands
them out) and each chunk is encoded and handed on before the next is read, so an export of a million ratings
never holds them all. The columns are fixed before the first row, from the campaign's rubric version and its
dataset's field names (`export_columns`); each column has a kind that says how every format writes it.

Formats:
- CSV: UTF-8, one header row, written by Arrow's CSV writer (text cells quoted). Lists and mappings are JSON
  text, times ISO 8601 in UTC to the microsecond, flags true/false, missing values empty. A text cell (headers
  included) that begins with =, +, -, @, a tab, a carriage return or a single quote gets a single quote in
  front, so that no spreadsheet runs it as a formula (OWASP's advice; the quote before a quote keeps the rule
  reversible: drop one leading quote from any text cell that has one). Numbers are written as numbers and left
  alone, a negative one included (a strength of -2): they hold only digits, a sign, a point and an exponent,
  which a spreadsheet reads as a number, never as a formula.
- JSONL: one JSON object per line; lists and mappings stay native, missing values are null.
- Parquet: one row group per chunk, under a schema fixed up front: whole-number scales as int64, flags as
  bool, numbers as float64, times as UTC timestamps, lists and mappings as JSON text, everything else as text;
  every column nullable.

Preference pairs for training (format "preference", one row per pairwise item) are ratings.preference_export's.

A mapping's keys that are not text (the values of a distribution: 4, true) are written as their JSON text.
Item content and metadata values that are not text are written as JSON text in CSV and Parquet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
from django.contrib.auth import get_user_model
from django.db.models import Count, Func, IntegerField, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from annotate.content import content_display_order
from annotate.criteria import Criterion
from annotate.criteria.base import is_int, is_number
from annotate.models import Campaign, CampaignItem, MachineRater, RubricVersion
from ratings.export_encoders import (
    ENCODERS,
    FORMATS,
    PAIR_SCOPE,
    PREFERENCE_FORMAT,
    SCOPES,
    Chunk,
    Column,
    ExportError,
    ExportSpec,
)
from ratings.final_labels import final_labels_chunks, plain_value
from ratings.models import Rating, RatingRevision
from ratings.preference_export import preference_chunks, preference_columns, preference_spec
from ratings.pseudonyms import rater_pseudonym

# Ratings read per query: a few thousand rows keep each query short and a chunk's memory small.
CHUNK_RATINGS = 5_000
# created_at and updated_at are stamped by two clock reads when a rating is stored: closer than this, the
# rating was never revised.
REVISED_AFTER = timedelta(seconds=1)
# Per final-label column of a criterion: its suffix and its kind ("value" takes the criterion's own kind).
FINAL_LABEL_COLUMNS = (
    ("final", "value"),
    ("method", "text"),
    ("aggregate", "value"),
    ("aggregate_method", "text"),
    ("distribution", "json"),
    ("n_raters", "int"),
    ("disagreement", "float"),
    ("confidence", "float"),
    ("adjudication", "text"),
    ("rationale", "text"),
    ("adjudicated_by", "text"),
    ("adjudicated_at", "time"),
)


def export_spec(
    campaign: Campaign,
    *,
    scope: str,
    fmt: str,
    criterion_key: str | None = None,
    names: bool = False,
    include_ties: bool = False,
    include_ambiguous: bool = False,
    prompt_field: str | None = None,
) -> ExportSpec:
    """Check an export's options against the campaign; ExportError says what is wrong and what would do."""
    if fmt == PREFERENCE_FORMAT or scope == PAIR_SCOPE:
        return preference_spec(
            campaign,
            criterion_key=criterion_key,
            include_ties=include_ties,
            include_ambiguous=include_ambiguous,
            prompt_field=prompt_field,
        )
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if scope not in SCOPES:
        raise ExportError(f"unknown scope {scope!r}: choose per {' or per '.join(SCOPES)}")
    if criterion_key:
        criteria = campaign.rubric_version.typed_criteria
        criterion = next((c for c in criteria if c.key == criterion_key), None)
        if criterion is None:
            known = ", ".join(c.key for c in criteria)
            raise ExportError(f"campaign {campaign.slug} has no criterion {criterion_key!r} (its criteria: {known})")
        if scope == "item" and not criterion.has_agreement:
            raise ExportError(
                f"criterion {criterion_key!r} is free text: it has no final label per item; export it per rating"
            )
    return ExportSpec(scope=scope, fmt=fmt, criterion_key=criterion_key or None, names=names)


def export_filename(campaign: Campaign, spec: ExportSpec) -> str:
    """The file's name, e.g. "my-campaign-rating.parquet"."""
    rows = PREFERENCE_FORMAT if spec.scope == PAIR_SCOPE else spec.scope
    return f"{campaign.slug}-{rows}.{spec.format.extension}"


def value_kind(criterion: Criterion) -> str:
    """The column kind of the criterion's answers: its value kind, and for choices the type of its options."""
    if criterion.value_kind == "labels":
        return "json"
    if criterion.value_kind == "number":
        return "float"
    if criterion.value_kind == "text":
        return "text"
    domain = criterion.value_domain or []
    if domain and all(isinstance(v, bool) for v in domain):
        return "bool"
    if domain and all(is_int(v) for v in domain):
        return "int"
    if domain and all(is_number(v) for v in domain):
        return "float"
    return "text"


def _criteria(campaign: Campaign, spec: ExportSpec) -> list[Criterion]:
    criteria = list(campaign.rubric_version.typed_criteria)
    if spec.scope == "item":
        criteria = [c for c in criteria if c.has_agreement]
    if spec.criterion_key:
        criteria = [c for c in criteria if c.key == spec.criterion_key]
    return criteria


def export_columns(campaign: Campaign, spec: ExportSpec) -> list[Column]:
    """The export's columns in order, fixed before any row is read."""
    if spec.scope == PAIR_SCOPE:
        return preference_columns()
    criteria = _criteria(campaign, spec)
    if spec.scope == "rating":
        return [
            Column("item_id", "text"),
            Column("campaign_item", "int"),
            Column("rater", "text"),
            *([Column("rater_name", "text")] if spec.names else []),
            *[Column(c.key, value_kind(c)) for c in criteria],
            Column("comment", "text"),
            Column("rubric_version", "int"),
            Column("seconds_spent", "float"),
            Column("created_at", "time"),
            Column("revised_at", "time"),
            Column("n_revisions", "int"),
            Column("is_gold", "bool"),
            Column("is_repeat", "bool"),
            Column("source", "text"),
            Column("shown_left", "text"),
            Column("machine", "text"),
        ]
    dataset = campaign.dataset
    columns = [Column("item_id", "text"), Column("campaign_item", "int")]
    content_fields = content_display_order(dataset.content_fields, campaign.visible_fields or [])
    columns += [Column(f"content.{name}", "any") for name in content_fields]
    columns += [Column(f"meta.{name}", "any") for name in dataset.metadata_fields]
    columns += [Column("is_gold", "bool"), Column("gold_answer", "json")]
    for criterion in criteria:
        for suffix, kind in FINAL_LABEL_COLUMNS:
            columns.append(Column(f"{criterion.key}.{suffix}", value_kind(criterion) if kind == "value" else kind))
    return columns


# --------------------------------------------------------------------------- rows
#
# A chunk is a list of columns (each a list of cells, in export_columns' order), not of rows: Parquet takes
# columns as they are, and the per-rating reader builds each column in one pass over the chunk.


class _Names:
    """Rater (and adjudicator) names as the export shows them: pseudonyms, and usernames when asked for."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self._pseudonyms: dict[int, str] = {}
        self._usernames: dict[int, str] = {}

    def pseudonyms(self, user_ids: list[int]) -> list[str]:
        """The users' pseudonyms in this campaign (each computed once)."""
        known = self._pseudonyms
        for user_id in set(user_ids).difference(known):
            known[user_id] = rater_pseudonym(self.campaign, user_id)
        return [known[user_id] for user_id in user_ids]

    def usernames(self, user_ids: list[int]) -> list[str]:
        """The users' usernames (each read once)."""
        known = self._usernames
        missing = set(user_ids).difference(known)
        if missing:
            user_model = get_user_model()
            rows = user_model.objects.filter(pk__in=missing).values_list("pk", user_model.USERNAME_FIELD)
            known.update({pk: "" for pk in missing} | dict(rows))
        return [known[user_id] for user_id in user_ids]

    def names(self, user_ids: list[int], *, real: bool) -> list[str]:
        """Usernames when `real`, else pseudonyms."""
        return self.usernames(user_ids) if real else self.pseudonyms(user_ids)


class _ItemIndex:
    """Each campaign item's external id and gold flag, looked up a chunk of ratings at a time.

    Read once, before the ratings, into arrays of a few bytes per item (a million items take about 25 MB): the
    same lookup joined into each chunk's query cost PostgreSQL 3 s of a million-rating export's 9 s.
    """

    BATCH = 50_000

    def __init__(self, campaign: Campaign) -> None:
        ids, external, gold = [], [], []
        rows = CampaignItem.objects.filter(campaign=campaign).order_by("pk")
        after = 0
        while True:
            batch = list(rows.filter(pk__gt=after).values_list("pk", "item__external_id", "is_gold")[: self.BATCH])
            if not batch:
                break
            pks, names, flags = zip(*batch, strict=True)
            ids.append(np.array(pks, dtype=np.int64))
            external.append(pa.array(names, type=pa.string()))
            gold.append(np.array(flags, dtype=bool))
            after = pks[-1]
        self.ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        self.external = pa.chunked_array(external, type=pa.string()).combine_chunks()
        self.gold = np.concatenate(gold) if gold else np.zeros(0, dtype=bool)

    def lookup(self, item_ids: list[int]) -> tuple[list[str | None], list[bool | None]]:
        """The external ids and gold flags of these campaign items (None for an item not in the campaign)."""
        wanted = np.array(item_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, wanted), max(len(self.ids) - 1, 0))
        found = self.ids[at] == wanted if len(self.ids) else np.zeros(len(wanted), dtype=bool)
        external = self.external.take(pa.array(at)).to_pylist() if len(self.ids) else [None] * len(wanted)
        gold = self.gold[at].tolist() if len(self.ids) else [None] * len(wanted)
        if not found.all():
            missing = np.flatnonzero(~found).tolist()
            for i in missing:
                external[i] = gold[i] = None
        return external, gold


class UtcText(Func):
    """A timestamp as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]": a million of them travel as plain strings."""

    output_field = TextField()
    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        """SQLite keeps timestamps as this text already (in UTC); the cast stops sqlite3 parsing it."""
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS text)", **extra)


class Flag(Func):
    """A boolean column as 0 or 1, read without Django's per-row conversion (SQLite's, or int() of a cast)."""

    output_field = IntegerField()
    template = "CAST(%(expressions)s AS integer)"
    convert_value = staticmethod(Func._convert_value_noop)


def utc_text(value: datetime) -> str:
    """An aware datetime as the UTC text UtcText reads from the database."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _revised_at(created: str, updated: str, n_revisions: int) -> str | None:
    """When a rating was last revised (its updated_at), or None when it never was."""
    if n_revisions:
        return updated
    # Stamps within one second are the insert's two clock reads; only stamps a second apart are parsed.
    if updated[:19] == created[:19]:
        return None
    later = datetime.fromisoformat(updated) - datetime.fromisoformat(created)
    return updated if later >= REVISED_AFTER else None


# The per-rating read: every field as the database gives it, with no per-row conversion by Django (JSON as
# text for orjson, times as text, flags as integers). Django's JSON, datetime and SQLite boolean conversions
# took two thirds of a million-rating export.
RATING_FIELDS = (
    "pk", "campaign_item_id", "rater_id", "values_text", "comment", "rubric_version_id", "seconds_spent",
    "created", "updated", "repeat", "source", "left",
)  # fmt: skip


def rating_rows(campaign: Campaign) -> QuerySet:
    """The campaign's ratings with RATING_FIELDS annotated (read with values_list)."""
    return Rating.objects.filter(campaign=campaign).annotate(
        values_text=Cast("values", TextField()),
        created=UtcText("created_at"),
        updated=UtcText("updated_at"),
        repeat=Flag("is_repeat"),
        left=KeyTextTransform("left", "presentation"),
    )


def rating_chunks(campaign: Campaign, spec: ExportSpec) -> Iterator[Chunk]:
    """The campaign's ratings as export columns (see export_columns), a chunk at a time in rating id order."""
    size = CHUNK_RATINGS
    keys = [c.key for c in _criteria(campaign, spec)]
    names = _Names(campaign)
    items = _ItemIndex(campaign)
    versions = dict(RubricVersion.objects.filter(rubric=campaign.rubric_version.rubric_id).values_list("pk", "number"))
    ratings = rating_rows(campaign).order_by("pk")
    # Machine raters' labels are exported with the people's, each marked with the machine rater's name.
    machines = dict(MachineRater.objects.filter(campaign=campaign).values_list("user_id", "name"))
    after = 0
    while True:
        rows = list(ratings.filter(pk__gt=after).values_list(*RATING_FIELDS)[:size])
        if not rows:
            return
        pks, item_ids, rater_ids, values, comments, version_ids, seconds, created, updated, repeats, sources, left = (
            list(column) for column in zip(*rows, strict=True)
        )
        n_revisions = _revision_counts(pks)
        answers = [orjson.loads(v) if v else {} for v in values]
        external, gold = items.lookup(item_ids)
        yield [
            external,
            item_ids,
            names.pseudonyms(rater_ids),
            *([names.usernames(rater_ids)] if spec.names else []),
            *[[a.get(key) for a in answers] for key in keys],
            comments,
            [versions.get(v) for v in version_ids],
            seconds,
            created,
            [_revised_at(c, u, n) for c, u, n in zip(created, updated, n_revisions, strict=True)],
            n_revisions,
            gold,
            [bool(r) for r in repeats],
            sources,
            left,
            [machines.get(r, "") for r in rater_ids],
        ]
        after = pks[-1]


def _revision_counts(pks: list[int]) -> list[int]:
    """Each rating's earlier versions, counted over the chunk's id range in one query."""
    counts = dict(
        RatingRevision.objects.filter(rating_id__gte=pks[0], rating_id__lte=pks[-1])
        .order_by()
        .values("rating_id")
        .annotate(n=Count("id"))
        .values_list("rating_id", "n")
    )
    return [counts.get(pk, 0) for pk in pks] if counts else [0] * len(pks)


def item_chunks(campaign: Campaign, spec: ExportSpec) -> Iterator[Chunk]:
    """The campaign's items with their final labels as export columns (see export_columns), a chunk at a time."""
    criteria = _criteria(campaign, spec)
    content_fields = content_display_order(campaign.dataset.content_fields, campaign.visible_fields or [])
    metadata_fields = list(campaign.dataset.metadata_fields)
    names = _Names(campaign)
    for chunk in final_labels_chunks(campaign):
        decided_by = [
            label.adjudication.decided_by_id
            for _, labels in chunk
            for label in labels.values()
            if label.adjudication is not None
        ]
        by_name = dict(zip(decided_by, names.names(decided_by, real=spec.names), strict=True))
        rows = []
        for campaign_item, labels in chunk:
            item = campaign_item.item
            content, metadata = item.content or {}, item.metadata or {}
            row: list[Any] = [item.external_id, campaign_item.pk]
            row += [content.get(name) for name in content_fields]
            row += [metadata.get(name) for name in metadata_fields]
            row += [campaign_item.is_gold, campaign_item.gold_answer]
            for criterion in criteria:
                row += _final_label_cells(labels.get(criterion.key), by_name)
            rows.append(row)
        if rows:
            yield [list(column) for column in zip(*rows, strict=True)]


def _final_label_cells(label: Any, by_name: dict[int, str]) -> list[Any]:
    if label is None:
        return [None] * len(FINAL_LABEL_COLUMNS)
    decision = label.adjudication
    return [
        plain_value(label.value),
        label.method,
        plain_value(label.aggregate),
        label.aggregate_method,
        {plain_value(k): int(n) for k, n in label.distribution.items()},
        label.n_raters,
        label.disagreement,
        label.confidence,
        decision.outcome if decision is not None else None,
        decision.rationale if decision is not None else None,
        by_name[decision.decided_by_id] if decision is not None else None,
        utc_text(decision.decided_at) if decision is not None else None,
    ]


def export_chunks(campaign: Campaign, spec: ExportSpec) -> Iterator[Chunk]:
    """The export's columns, a chunk of rows at a time."""
    if spec.scope == PAIR_SCOPE:
        return preference_chunks(campaign, spec)
    if spec.scope == "rating":
        return rating_chunks(campaign, spec)
    return item_chunks(campaign, spec)


# --------------------------------------------------------------------------- encoders


def export_stream(
    campaign: Campaign, spec: ExportSpec, *, progress: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The export file's bytes, a chunk of rows at a time; `progress` hears the rows written so far."""
    encoder = ENCODERS[spec.fmt](export_columns(campaign, spec))
    head = encoder.begin()
    if head:
        yield head
    written = 0
    for chunk in export_chunks(campaign, spec):
        yield encoder.chunk(chunk)
        written += len(chunk[0])
        if progress is not None:
            progress(written)
    tail = encoder.end()
    if tail:
        yield tail


def export_write(
    campaign: Campaign, spec: ExportSpec, handle: Any, *, progress: Callable[[int], None] | None = None
) -> int:
    """Write the export to a binary file; return the rows written."""
    written = 0

    def count(n: int) -> None:
        nonlocal written
        written = n
        if progress is not None:
            progress(n)

    for data in export_stream(campaign, spec, progress=count):
        handle.write(data)
    return written
