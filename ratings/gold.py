"""Gold items: sampled items marked as checks with expected answers, one by one or from a file of answers.

Marking and unmarking changes which items count towards k, so both recount the queue's counters. How raters
score on gold items is part of their work in ratings/progress.py (`rater_stats`).
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from accord.chunks import chunks
from accord.limits import MAX_SHOWN, quoted_text
from annotate.criteria import Criterion, as_criteria, values_validate
from annotate.importers import Source, detect_format, dumps, open_binary, open_records
from annotate.models import Campaign, CampaignItem, Item
from annotate.services.campaigns import BATCH_SIZE, campaign_lock_open
from ratings.queue import campaign_items_recount, queue_gold_walks_restart

MAX_REPORTED_ERRORS = 20


def _shown(value: object) -> str:
    """A value as error messages quote it: text cut at MAX_SHOWN characters, lists and objects by their kind."""
    if isinstance(value, str):
        return quoted_text(value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return f"a {type(value).__name__}"


def _name(key: object) -> str:
    """A column or key as error messages name it: as it is, unless it is long or not text."""
    return key if isinstance(key, str) and len(key) <= MAX_SHOWN else _shown(key)


def _is_nested(value: object) -> bool:
    """Whether a value holds more than an answer can be: an object, or a list holding lists or objects."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(v, list | dict) for v in value)


def gold_criteria(criteria: Iterable[Criterion | Mapping[str, Any]]) -> list[Criterion]:
    """The criteria a gold item can have an expected answer for (all but free text)."""
    return [c for c in as_criteria(criteria) if c.has_gold]


def gold_answer_validate(*, criteria: Iterable[Criterion | Mapping[str, Any]], answer: object) -> dict[str, Any]:
    """Check expected values for the criteria given (only those), as a rating's answers are checked; return them clean.

    Raises ValidationError {criterion key: "key: message naming the value"}. Blank values mean "no expected value".
    """
    if not isinstance(answer, dict):
        raise ValidationError({"answer": [f"answer: must map criterion keys to expected values, got {_shown(answer)}"]})
    criteria = as_criteria(criteria)
    eligible = {c.key: c for c in gold_criteria(criteria)}
    errors: dict[str, list[str]] = {}
    for key in answer:
        if key in eligible:
            continue
        if any(c.key == key for c in criteria):
            errors[str(key)] = [f"{key}: a free-text criterion has no expected answer"]
        else:
            name = _name(key)
            errors[name] = [f"{name}: not a criterion of this rubric (expected one of {', '.join(eligible)})"]
    given = {key: value for key, value in answer.items() if key in eligible and value is not None and value != ""}
    for key, value in list(given.items()):
        # An expected value is one value or a flat list, as a rating's answer is; say so rather than quote it.
        if _is_nested(value):
            errors[key] = [f"{key}: an expected value is one value or a list of values, not a nested structure"]
            del given[key]
    # Label each criterion by its key and make none required: the messages then name the key, and a partial
    # answer is checked only where it says something.
    subset = [replace(c, label=key, required=False) for key, c in eligible.items() if key in given]
    try:
        clean = values_validate(subset, given)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        clean = {}
    if errors:
        raise ValidationError(errors)
    return clean


def _error_list(messages: list[str]) -> list[str]:
    if len(messages) <= MAX_REPORTED_ERRORS:
        return messages
    return [*messages[:MAX_REPORTED_ERRORS], f"… and {len(messages) - MAX_REPORTED_ERRORS} more errors"]


def _id_problem(external_id: object) -> str:
    """Why a value cannot be an item's external id; empty when it can."""
    if not isinstance(external_id, str) or not external_id:
        return "is not an item id"
    if "\x00" in external_id:
        # PostgreSQL stores no NUL character in text: no item has one, and a query naming one fails.
        return "contains a NUL character (\\x00), which no item id has"
    limit = Item._meta.get_field("external_id").max_length
    if len(external_id) > limit:
        return f"is longer than {limit} characters, which no item id is"
    return ""


@transaction.atomic
def campaign_items_mark_gold(
    *,
    campaign: Campaign,
    external_ids: list[str],
    answers: Mapping[str, dict | None] | None = None,
    row_labels: Mapping[str, str] | None = None,
) -> int:
    """Mark sampled items of an open campaign as gold, with their expected answers; all or nothing; returns how many.

    An item already gold gets the new expected answer. `row_labels` says how errors name each item
    (e.g. "row 3 (id 'x')" for a file); by default "item 'x'".
    """
    campaign_lock_open(campaign=campaign, change="its gold items can no longer change")
    # Before any item is locked (leasing's order): new gold items may lie behind where raters' walks have got to.
    queue_gold_walks_restart(campaign=campaign)
    answers, labels = answers or {}, row_labels or {}

    def where(external_id: str) -> str:
        return labels.get(external_id) or f"item {_shown(external_id)}"

    stray = sorted(set(answers) - set(external_ids))
    if stray:
        shown = ", ".join(_shown(e) for e in stray[:MAX_REPORTED_ERRORS])
        raise ValidationError({"answers": [f"answers: {shown} not among the gold external ids"]})
    invalid = [f"{where(e)}: {_id_problem(e)}" for e in external_ids if _id_problem(e)]
    if invalid:
        raise ValidationError({"external_ids": _error_list(invalid)})
    criteria = campaign.rubric_version.typed_criteria
    cleaned: dict[str, dict | None] = {}
    answer_errors: list[str] = []
    for external_id in external_ids:
        answer = answers.get(external_id)
        try:
            cleaned[external_id] = None if answer is None else gold_answer_validate(criteria=criteria, answer=answer)
        except ValidationError as exc:
            answer_errors.extend(f"{where(external_id)}: {message}" for message in exc.messages)
    found: dict[str, int] = {}
    for chunk in chunks(external_ids, BATCH_SIZE):
        found.update(
            CampaignItem.objects.filter(campaign=campaign, item__external_id__in=chunk).values_list(
                "item__external_id", "pk"
            )
        )
    missing = [f"{where(e)}: not in the sample of {campaign.slug!r}" for e in external_ids if e not in found]
    errors = {"external_ids": _error_list(missing), "answers": _error_list(answer_errors)}
    if missing or answer_errors:
        raise ValidationError({field: messages for field, messages in errors.items() if messages})
    changed = []
    for chunk in chunks(list(found.values()), BATCH_SIZE):
        for campaign_item in CampaignItem.objects.filter(pk__in=chunk).select_related("item"):
            campaign_item.is_gold = True
            # An answer with no values says nothing to check against; store it as no answer.
            campaign_item.gold_answer = cleaned.get(campaign_item.item.external_id) or None
            changed.append(campaign_item)
    CampaignItem.objects.bulk_update(changed, ["is_gold", "gold_answer"], batch_size=BATCH_SIZE)
    campaign_items_recount(campaign=campaign, item_ids=[campaign_item.pk for campaign_item in changed])
    return len(changed)


@transaction.atomic
def campaign_items_unmark_gold(*, campaign: Campaign, external_ids: list[str]) -> int:
    """Turn gold items of an open campaign back into ordinary items (their ratings then count). Returns how many."""
    campaign_lock_open(campaign=campaign, change="its gold items can no longer change")
    gold = CampaignItem.objects.filter(campaign=campaign, is_gold=True)
    found: set[str] = set()
    # An id no item can have is not looked up: it is not a gold item either.
    for chunk in chunks([e for e in external_ids if not _id_problem(e)], BATCH_SIZE):
        found.update(gold.filter(item__external_id__in=chunk).values_list("item__external_id", flat=True))
    missing = [external_id for external_id in external_ids if external_id not in found]
    if missing:
        shown = ", ".join(_shown(e) for e in missing[:MAX_REPORTED_ERRORS])
        raise ValidationError({"external_ids": [f"external_ids: {shown} not a gold item of {campaign.slug!r}"]})
    unmarked: list[int] = []
    for chunk in chunks(external_ids, BATCH_SIZE):
        unmarked.extend(gold.filter(item__external_id__in=chunk).values_list("pk", flat=True))
    CampaignItem.objects.filter(pk__in=unmarked).update(is_gold=False, gold_answer=None)
    # Their first-time ratings now count towards k.
    campaign_items_recount(campaign=campaign, item_ids=unmarked)
    return len(unmarked)


def _csv_answer(criteria: tuple[Criterion, ...], record: dict[str, Any]) -> dict[str, Any]:
    """Type a CSV row's cells the way the rating form's inputs are typed; blank cells say nothing.

    Raises ValidationError naming the column of a cell that cannot be typed.
    """
    by_key = {c.key: c for c in criteria}
    answer: dict[str, Any] = {}
    for key, cell in record.items():
        cell = cell.strip() if isinstance(cell, str) else cell
        if cell in (None, ""):
            continue
        try:
            answer[key] = by_key[key].from_gold_cell(cell)
        except ValueError:
            raise ValidationError(f"{key}: {_shown(cell)} is not a value of this criterion") from None
    return answer


def _columns_shown(columns: list[str]) -> str:
    listed = ", ".join(_name(c) for c in columns[:MAX_REPORTED_ERRORS])
    return listed + (f" and {len(columns) - MAX_REPORTED_ERRORS:,} more" if len(columns) > MAX_REPORTED_ERRORS else "")


def _gold_file_id(raw_id: object) -> str:
    """An id cell's text as the dataset import stored it: strings stripped, numbers as their JSON text."""
    if isinstance(raw_id, str):
        return raw_id.strip()
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool) and math.isfinite(raw_id):
        return dumps(raw_id)
    return ""


@transaction.atomic
def campaign_gold_import(*, campaign: Campaign, source: Source, fmt: str | None = None, id_field: str = "id") -> int:
    """Mark gold items from a CSV, JSONL or Parquet file: an id column plus one column per criterion; all or nothing.

    A CSV cell holds a value as typed in the rating form (a multi-label value lists its labels separated by |);
    JSONL holds typed values. Blank cells and nulls mean "no expected value". Errors name the line, column and value.
    """
    # Before the file is read: a closed campaign is refused at once, however long the file.
    campaign_lock_open(campaign=campaign, change="its gold items can no longer change")
    criteria = campaign.rubric_version.typed_criteria
    keys = {c.key for c in criteria}
    external_ids: list[str] = []
    answers: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}
    errors: list[str] = []
    with open_binary(source) as stream:
        records = open_records(stream, detect_format(source, fmt))
        if records.columns is not None:
            if id_field not in records.columns:
                raise ValidationError(f"header: no {id_field!r} column (columns: {_columns_shown(records.columns)})")
            unknown = [c for c in records.columns if c != id_field and c not in keys]
            if unknown:
                raise ValidationError(
                    f"header: column {_shown(unknown[0])} is not a criterion of this rubric "
                    f"(expected {', '.join(keys)})"
                )
        for number, record in records.rows:
            # Past the errors that will be shown, the rest of the file is not worth reading.
            if len(errors) > MAX_REPORTED_ERRORS:
                break
            where = f"{records.unit} {number}"
            raw_id = record.pop(id_field, None)
            external_id = _gold_file_id(raw_id)
            if not external_id:
                problem = "is empty" if raw_id is None or isinstance(raw_id, str) else f"{_shown(raw_id)} is not an id"
                errors.append(f"{where}: {id_field}: {problem}")
                continue
            if _id_problem(external_id):
                errors.append(f"{where}: {id_field}: {_shown(external_id)} {_id_problem(external_id)}")
                continue
            if external_id in labels:
                errors.append(f"{where}: {id_field}: {_shown(external_id)} is already on {labels[external_id]}")
                continue
            labels[external_id] = f"{where} ({id_field} {_shown(external_id)})"
            unknown = [key for key in record if key not in keys]
            if unknown:
                errors.append(f"{labels[external_id]}: {_name(unknown[0])}: not a criterion of this rubric")
                continue
            try:
                answer = _csv_answer(criteria, record) if records.fmt == "csv" else record
            except ValidationError as exc:
                errors.extend(f"{labels[external_id]}: {message}" for message in exc.messages)
                continue
            if all(value is None or value == "" for value in answer.values()):
                errors.append(f"{labels[external_id]}: no expected value in any criterion column")
                continue
            external_ids.append(external_id)
            answers[external_id] = answer
    if errors:
        raise ValidationError({"file": _error_list(errors)})
    if not external_ids:
        raise ValidationError({"file": ["file: no gold items in it"]})
    return campaign_items_mark_gold(campaign=campaign, external_ids=external_ids, answers=answers, row_labels=labels)


def gold_items(campaign: Campaign) -> QuerySet[CampaignItem]:
    """The campaign's gold items with their external ids and how many raters (not machine raters) have rated each."""
    return (
        CampaignItem.objects.filter(campaign=campaign, is_gold=True)
        .select_related("item")
        .annotate(n_ratings=Count("ratings", filter=Q(ratings__is_repeat=False, ratings__by_machine=False)))
        .order_by("item__external_id")
    )
