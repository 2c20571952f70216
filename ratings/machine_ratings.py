"""Writes and reads for machine raters' labels: a judge's labels posted in one batch, all or nothing."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accord.chunks import chunks
from accord.limits import quoted, quoted_text
from annotate.criteria import Criterion, values_validate
from annotate.models import Campaign, CampaignItem, MachineRater
from annotate.services.campaigns import campaign_lock_open
from annotate.services.machine_raters import Provenance, machine_rater_get_or_create, machine_rater_name_check
from ratings.models import MAX_COMMENT_LENGTH, Rating
from ratings.services import ratings_overwrite

# The most labels one call may carry: a request stays well under the upload limit and a second's work; a larger
# judge run is sent in several calls (or imported from a file).
MAX_RATINGS_PER_CALL = 5_000
# An error message lists at most this many problems, then says how many more there are.
MAX_ERRORS_SHOWN = 20
# Where the labels came from, as Rating.source records it.
SOURCE = "api"
BATCH = 1_000
PROVENANCE_FIELDS = ("model", "prompt", "version")


@dataclass(frozen=True)
class MachineLabel:
    """One checked label of a judge: the item's external id, the answers as stored, a comment."""

    index: int
    item_id: str
    values: dict[str, Any]
    comment: str


@dataclass(frozen=True)
class MachineRatingsResult:
    """What a call recorded: the machine rater (new or known), labels added and labels replaced."""

    machine: str
    machine_created: bool
    n_created: int
    n_replaced: int


@dataclass(frozen=True)
class MachineRaterSummary:
    """A machine rater as pages and the API list it: provenance and how many labels it gave."""

    name: str
    model: str
    prompt: str
    version: str
    created_at: datetime
    n_labels: int
    n_items: int
    last_label_at: datetime | None


def _refuse(problems: list[str]) -> None:
    """Raise one ValidationError listing the problems (the first MAX_ERRORS_SHOWN, and how many more)."""
    if not problems:
        return
    shown = problems[:MAX_ERRORS_SHOWN]
    if len(problems) > MAX_ERRORS_SHOWN:
        shown.append(f"… and {len(problems) - MAX_ERRORS_SHOWN:,} more problems.")
    raise ValidationError(shown)


def machine_spec_check(machine: Any) -> tuple[str, Provenance]:
    """The machine rater's name and provenance from {"name", "model"?, "prompt"?, "version"?}, or a ValidationError."""
    if not isinstance(machine, Mapping):
        raise ValidationError(f'machine: must be an object such as {{"name": "my-judge"}}, got {quoted(machine)}.')
    unknown = sorted(str(k) for k in machine if k not in ("name", *PROVENANCE_FIELDS))
    problems = [f"machine: unknown field {quoted_text(k)} (known: name, model, prompt, version)." for k in unknown]
    fields: dict[str, str] = {}
    for key in PROVENANCE_FIELDS:
        value = machine.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems.append(f"machine.{key}: must be text, got {quoted(value)}.")
        else:
            fields[key] = value.strip()
    name = ""
    try:
        name = machine_rater_name_check(machine.get("name"))
    except ValidationError as exc:
        problems.extend(f"machine.name: {m}" for m in exc.messages)
    _refuse(problems)
    return name, Provenance(**fields)


def _item_id(value: Any) -> str | None:
    # External ids are text; a whole number is taken as its digits, as a JSON client may send one.
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _label_check(index: int, entry: Any, criteria: list[Criterion]) -> tuple[MachineLabel | None, list[str]]:
    where = f"ratings[{index}]"
    if not isinstance(entry, Mapping):
        return None, [f'{where}: must be an object with "item_id" and "values", got {quoted(entry)}.']
    problems = []
    unknown = sorted(str(k) for k in entry if k not in ("item_id", "values", "comment"))
    problems += [f"{where}: unknown field {quoted_text(k)} (known: item_id, values, comment)." for k in unknown]
    item_id = _item_id(entry.get("item_id"))
    if item_id is None:
        problems.append(
            f"{where}.item_id: the item's id in the dataset (text) is required, got {quoted(entry.get('item_id'))}."
        )
    where_item = f"{where} (item {quoted_text(item_id)})" if item_id else where
    comment = entry.get("comment") or ""
    if not isinstance(comment, str):
        problems.append(f"{where_item}.comment: must be text, got {quoted(comment)}.")
        comment = ""
    elif len(comment.strip()) > MAX_COMMENT_LENGTH:
        problems.append(
            f"{where_item}.comment: at most {MAX_COMMENT_LENGTH:,} characters, got {len(comment.strip()):,}."
        )
    values = entry.get("values")
    clean: dict[str, Any] = {}
    if not isinstance(values, Mapping) or not values:
        problems.append(
            f"{where_item}.values: an object of answers by criterion key, such as "
            f'{{"{criteria[0].key if criteria else "criterion"}": ...}}, is required; got {quoted(values)}.'
        )
    else:
        known = {c.key: c for c in criteria}
        for key in values:
            if key not in known:
                problems.append(
                    f"{where_item}.values.{key}: not a criterion of this rubric (expected {', '.join(known)})."
                )
        given = [c for c in criteria if c.key in values]
        # A judge may answer some criteria only: each answer it gives is checked as the rating page checks it.
        try:
            clean = values_validate(given, {c.key: values[c.key] for c in given})
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                problems += [f"{where_item}.values.{key}: {m}" for m in messages]
        if given and not clean and not problems:
            problems.append(f"{where_item}.values: every answer is empty; give at least one.")
    if problems:
        return None, problems
    return MachineLabel(index=index, item_id=item_id or "", values=clean, comment=comment.strip()), []


def machine_labels_check(ratings: Any, criteria: Sequence[Criterion]) -> list[MachineLabel]:
    """Check a judge's labels as the rating page checks answers; every problem names its index, field and value."""
    if not isinstance(ratings, list | tuple):
        raise ValidationError(f"ratings: must be a list of labels, got {quoted(ratings)}.")
    if not ratings:
        raise ValidationError("ratings: the list is empty; send at least one label.")
    if len(ratings) > MAX_RATINGS_PER_CALL:
        raise ValidationError(
            f"ratings: at most {MAX_RATINGS_PER_CALL:,} labels per call, got {len(ratings):,}; "
            "send them in several calls."
        )
    labels, problems, first_at = [], [], {}
    for index, entry in enumerate(ratings):
        label, found = _label_check(index, entry, list(criteria))
        problems += found
        if label is None:
            continue
        if label.item_id in first_at:
            problems.append(
                f"ratings[{index}] (item {quoted_text(label.item_id)}): the item is labelled again; "
                f"ratings[{first_at[label.item_id]}] labels it already. Send one label per item."
            )
            continue
        first_at[label.item_id] = index
        labels.append(label)
    _refuse(problems)
    return labels


def _campaign_items(campaign: Campaign, labels: list[MachineLabel]) -> dict[str, int]:
    """Campaign item ids by external id for the labels' items; an item outside the sample is an error naming it."""
    found: dict[str, int] = {}
    for batch in chunks([label.item_id for label in labels], BATCH):
        rows = CampaignItem.objects.filter(campaign=campaign, item__external_id__in=list(batch)).order_by()
        found.update(rows.values_list("item__external_id", "pk"))
    missing = [label for label in labels if label.item_id not in found]
    _refuse(
        [
            f"ratings[{label.index}].item_id: no item {quoted_text(label.item_id)} in this campaign's sample."
            for label in missing
        ]
    )
    return found


def _existing(machine: MachineRater, item_ids: list[int]) -> dict[int, int]:
    """The machine rater's first labels by campaign item id: rating id."""
    out: dict[int, int] = {}
    for batch in chunks(item_ids, BATCH):
        rows = Rating.objects.filter(rater_id=machine.user_id, campaign_item_id__in=list(batch), is_repeat=False)
        out.update(rows.values_list("campaign_item_id", "pk"))
    return out


@transaction.atomic
def machine_ratings_record(
    *, campaign: Campaign, machine: Any, ratings: Any, replace: bool = False, source: str = SOURCE
) -> MachineRatingsResult:
    """Record a judge's labels on the campaign's items as its machine rater's ratings, all or nothing.

    `machine` is {"name", "model"?, "prompt"?, "version"?}; the machine rater is created on first use. Each
    label is {"item_id": external id, "values": {criterion key: answer}, "comment"?}. A second label by the
    same machine rater on an item is refused unless `replace`, which keeps the earlier one as a revision.
    `source` is where the labels came from, as Rating.source records it.
    Machine raters take no slot of the queue: an item's k human raters are served as before.
    """
    campaign_lock_open(campaign=campaign, change="machine raters' labels can no longer be added")
    name, provenance = machine_spec_check(machine)
    labels = machine_labels_check(ratings, campaign.rubric_version.typed_criteria)
    items = _campaign_items(campaign, labels)
    rater, created = machine_rater_get_or_create(campaign=campaign, name=name, provenance=provenance)
    existing = _existing(rater, list(items.values()))
    if existing and not replace:
        again = [label for label in labels if items[label.item_id] in existing]
        _refuse(
            [
                f"ratings[{label.index}] (item {quoted_text(label.item_id)}): machine rater {quoted_text(name)} "
                'labelled this item already; send "replace": true to replace its labels (the earlier ones are kept '
                "as revisions)."
                for label in again
            ]
        )
    now = timezone.now()
    fresh = [
        Rating.in_campaign(
            campaign,
            campaign_item_id=items[label.item_id],
            rater_id=rater.user_id,
            values=label.values,
            comment=label.comment,
            by_machine=True,
            source=source,
        )
        for label in labels
        if items[label.item_id] not in existing
    ]
    Rating.objects.bulk_create(fresh, batch_size=BATCH)
    replaced = {existing[items[label.item_id]]: label for label in labels if items[label.item_id] in existing}
    ratings_overwrite(replaced=replaced, source=source, now=now)
    return MachineRatingsResult(
        machine=rater.name, machine_created=created, n_created=len(fresh), n_replaced=len(labels) - len(fresh)
    )


def machine_raters_summary(campaign: Campaign) -> list[MachineRaterSummary]:
    """The campaign's machine raters with their provenance and label counts, by name (two queries)."""
    machines = list(MachineRater.objects.filter(campaign=campaign).order_by("name"))
    counts = {
        row["rater_id"]: row
        for row in Rating.objects.filter(campaign=campaign, rater_id__in=[m.user_id for m in machines])
        .order_by()
        .values("rater_id")
        .annotate(
            n=Count("id"),
            n_items=Count("campaign_item_id", filter=Q(is_repeat=False)),
            last=Max("updated_at"),
        )
    }
    return [
        MachineRaterSummary(
            name=m.name,
            model=m.model,
            prompt=m.prompt,
            version=m.version,
            created_at=m.created_at,
            n_labels=counts.get(m.user_id, {}).get("n", 0),
            n_items=counts.get(m.user_id, {}).get("n_items", 0),
            last_label_at=counts.get(m.user_id, {}).get("last"),
        )
        for m in machines
    ]


# --------------------------------------------------------------------------- the owner's settings


def campaign_is_pairwise(campaign: Campaign) -> bool:
    """Whether the campaign's rubric compares two outputs per item (a pairwise criterion)."""
    return any(c.compared_fields for c in campaign.rubric_version.typed_criteria)


def system_field_options(campaign: Campaign) -> list[str]:
    """The fields a campaign may name as its system field: the dataset's metadata fields or, for pairwise items,
    each base name F whose F_a and F_b both exist."""
    fields = [str(f) for f in campaign.dataset.metadata_fields or []]
    if not campaign_is_pairwise(campaign):
        return fields
    present = set(fields)
    return [f[:-2] for f in fields if f.endswith("_a") and f"{f[:-2]}_b" in present]


@transaction.atomic
def campaign_evaluation_update(*, campaign: Campaign, system_field: str, machine_raters_in_pool: bool) -> Campaign:
    """Set which metadata field names the system behind an output ("" guesses) and whether machine raters count."""
    system_field = system_field.strip() if isinstance(system_field, str) else ""
    options = system_field_options(campaign)
    if system_field and system_field not in options:
        known = ", ".join(options) if options else "none"
        raise ValidationError(
            {
                "system_field": f"system field: {quoted_text(system_field)} is not a field of this campaign's "
                f"dataset that names a system (its fields: {known}); leave it empty to guess."
            }
        )
    campaign.system_field, campaign.machine_raters_in_pool = system_field, bool(machine_raters_in_pool)
    campaign.save(update_fields=["system_field", "machine_raters_in_pool"])
    return campaign
