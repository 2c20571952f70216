"""Writes for ratings: submit an answer to a leased item, revise it later (keeping every version), import labels."""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.http import QueryDict
from django.utils import timezone

from accord.chunks import chunks
from accord.inserts import insert_one
from annotate import importers
from annotate.models import Assignment, Campaign, CampaignItem, Item, Membership
from annotate.selectors.assignments import db_time, row_lock, taken_count
from annotate.services.assignments import campaign_item_set_taken, campaign_items_recount
from ratings import importers as rating_files
from ratings.models import Rating, RatingRevision

MAX_COMMENT_LENGTH = 10_000
INT_RE = re.compile(r"^[+-]?\d+$")
# Campaign states in which a rater may still change what they said.
REVISABLE = frozenset({Campaign.Status.ACTIVE, Campaign.Status.PAUSED})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _same_value(a: Any, b: Any) -> bool:
    # True == 1 in Python; an option value only matches a value of the same type.
    return type(a) is type(b) and a == b


def _listing(options: list[dict[str, Any]]) -> str:
    return ", ".join(repr(o["value"]) if isinstance(o["value"], str) else str(o["value"]) for o in options)


def _check_choice(criterion: dict[str, Any], value: Any) -> Any:
    if not any(_same_value(value, o["value"]) for o in criterion["options"]):
        raise ValueError(f"{value!r} is not one of {_listing(criterion['options'])}")
    return value


def _check_binary(criterion: dict[str, Any], value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not yes or no (true or false)")
    return value


def _check_multi_label(criterion: dict[str, Any], value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"{value!r} is not a list of labels")
    for label in value:
        _check_choice(criterion, label)
    if len(set(value)) != len(value):
        raise ValueError(f"{value!r} lists a label more than once")
    low, high = criterion.get("min_selected") or 0, criterion.get("max_selected")
    if len(value) < low:
        raise ValueError(f"choose at least {low} labels, got {len(value)}")
    if high is not None and len(value) > high:
        raise ValueError(f"choose at most {high} labels, got {len(value)}")
    order = [o["value"] for o in criterion["options"]]
    return sorted(value, key=order.index)


def _check_numeric(criterion: dict[str, Any], value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a number")
    low, high, step = criterion["min"], criterion["max"], criterion.get("step", 1)
    if not low <= value <= high:
        raise ValueError(f"{value} is outside {low}–{high}")
    steps = (value - low) / step
    if abs(steps - round(steps)) > 1e-9:
        raise ValueError(f"{value} is not on a step of {step} from {low}")
    return value


def _check_free_text(criterion: dict[str, Any], value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    limit = criterion.get("max_length")
    if limit is not None and len(value) > limit:
        raise ValueError(f"at most {limit} characters, got {len(value)}")
    return value


CHECKS: dict[str, Callable[[dict[str, Any], Any], Any]] = {
    "likert": _check_choice,
    "categorical": _check_choice,
    "binary": _check_binary,
    "multi_label": _check_multi_label,
    "numeric": _check_numeric,
    "pairwise": _check_choice,
    "free_text": _check_free_text,
}


def values_validate(criteria: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """Check answers against the criteria; return them cleaned or raise ValidationError {criterion key: message}."""
    if not isinstance(values, dict):
        raise ValidationError({"values": f"values: must be a mapping from criterion key to answer, got {values!r}"})
    known = [c["key"] for c in criteria]
    errors: dict[str, str] = {}
    for key in values:
        if key not in known:
            errors[str(key)] = f"{key}: not a criterion of this rubric (expected {', '.join(known)})"
    clean: dict[str, Any] = {}
    for criterion in criteria:
        key, label = criterion["key"], criterion.get("label") or criterion["key"]
        value = values.get(key)
        if value is None or value == "":
            if criterion.get("required"):
                errors[key] = f"{label}: an answer is required"
            continue
        try:
            clean[key] = CHECKS[criterion["type"]](criterion, value)
        except ValueError as exc:
            errors[key] = f"{label}: {exc}"
    if errors:
        raise ValidationError(errors)
    return clean


def _parse_int(raw: str) -> int | str:
    return int(raw) if INT_RE.match(raw.strip()) else raw


def _parse_number(raw: str) -> int | float | str:
    text = raw.strip()
    if INT_RE.match(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return raw
    return number if math.isfinite(number) else raw


def values_from_post(criteria: list[dict[str, Any]], post: QueryDict) -> dict[str, Any]:
    """Read answers from form fields named c-<key>; unparsable input is kept as text for the validator to name."""
    values: dict[str, Any] = {}
    for criterion in criteria:
        name, ctype = f"c-{criterion['key']}", criterion["type"]
        if ctype == "multi_label":
            # An empty selection is an answer ("none of these"); min_selected is how a rubric demands labels.
            values[criterion["key"]] = post.getlist(name)
            continue
        raw = post.get(name, "")
        if ctype == "free_text":
            raw = raw.strip()
        if raw == "":
            continue
        if ctype == "likert" or (ctype == "pairwise" and criterion.get("strength")):
            values[criterion["key"]] = _parse_int(raw)
        elif ctype == "numeric":
            values[criterion["key"]] = _parse_number(raw)
        elif ctype == "binary":
            values[criterion["key"]] = {"true": True, "false": False}.get(raw, raw)
        else:
            values[criterion["key"]] = raw
    return values


def pairwise_swap(criteria: list[dict[str, Any]], values: dict[str, Any], presentation: dict[str, Any]) -> dict:
    """Translate pairwise answers between screen and original labelling (its own inverse)."""
    if presentation.get("left") != "b":
        return dict(values)
    swapped = dict(values)
    for criterion in criteria:
        value = values.get(criterion["key"])
        if criterion["type"] != "pairwise" or value is None:
            continue
        if _is_int(value):
            swapped[criterion["key"]] = -value
        elif value in ("A", "B"):
            swapped[criterion["key"]] = "B" if value == "A" else "A"
    return swapped


def _check_extras(comment: str, seconds_spent: float | None) -> None:
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError({"comment": f"comment: at most {MAX_COMMENT_LENGTH} characters, got {len(comment)}"})
    if seconds_spent is not None and (not math.isfinite(seconds_spent) or seconds_spent < 0):
        raise ValidationError({"seconds_spent": f"seconds_spent: {seconds_spent!r} is not a duration"})


def _check_slot_free(assignment: Assignment, campaign: Campaign, now: datetime, lapsed: bool) -> int:
    """Recount the item's slots held by others under its lock; refuse when none is left, else return the count."""
    taken = taken_count(campaign_item_id=assignment.campaign_item_id, now=now, exclude_rater_id=assignment.rater_id)
    if taken >= campaign.overlap:
        why = "Your lease on this item expired and it" if lapsed else "This item"
        raise ValidationError(
            f"{why} has meanwhile been rated by {campaign.overlap} other raters, so this answer was not stored. "
            "Carry on with the next item."
        )
    return taken


# The assignment's status, its campaign's status and whether the lease has lapsed, read under the
# assignment's row lock (fixed SQL: submit is the hottest write there is).
_LOCKED_ASSIGNMENT_SQL = """
SELECT a.status, c.status, a.expires_at <= %(now)s
FROM annotate_assignment a
JOIN annotate_campaignitem ci ON ci.id = a.campaign_item_id
JOIN annotate_campaign c ON c.id = ci.campaign_id
WHERE a.id = %(assignment)s"""


def rating_submit(
    *,
    assignment: Assignment,
    values: dict[str, Any],
    comment: str = "",
    seconds_spent: float | None = None,
    now: datetime | None = None,
) -> Rating:
    """Store the rater's answers (given as shown on screen) for a leased item and close the assignment."""
    try:
        return _rating_store(assignment, values, comment, seconds_spent, now or timezone.now())
    except IntegrityError:
        # Only a rating of this item by this rater written meanwhile (an import) can collide; the whole
        # transaction is rolled back, so the assignment stays leased.
        raise ValidationError("You have already rated this item; revise it from My ratings instead.") from None


@transaction.atomic
def _rating_store(
    assignment: Assignment, values: dict[str, Any], comment: str, seconds_spent: float | None, now: datetime
) -> Rating:
    # Gold checks (served to every rater) and repeats (the rater's second look) take none of the item's slots.
    holds_slot = not assignment.is_repeat and not assignment.campaign_item.is_gold
    # Lock the assignment so a double submit cannot create two ratings or two status changes, and the item
    # whose slot it fills, for the recount below.
    lock = row_lock("a", "ci") if holds_slot else row_lock("a")
    with connection.cursor() as cursor:
        cursor.execute(_LOCKED_ASSIGNMENT_SQL + lock, {"assignment": assignment.pk, "now": db_time(now)})
        status, campaign_status, lapsed = cursor.fetchone()
    campaign = assignment.campaign_item.campaign
    if campaign_status != Campaign.Status.ACTIVE:
        raise ValidationError(
            f"This campaign is {Campaign.Status(campaign_status).label.lower()}: ratings are not accepted."
        )
    if status != Assignment.Status.LEASED:
        raise ValidationError(f"This item is already {Assignment.Status(status).label.lower()}.")
    criteria = campaign.rubric_version.criteria
    clean = values_validate(criteria, pairwise_swap(criteria, values, assignment.presentation))
    comment = comment.strip()
    _check_extras(comment, seconds_spent)
    # Recount under the item lock on every submit, not only late ones: a lease that expired a moment
    # ago (or an imported rating) may have let someone else take the slot, and k is never exceeded.
    taken = _check_slot_free(assignment, campaign, now, bool(lapsed)) if holds_slot else 0
    rating = Rating(
        campaign_item_id=assignment.campaign_item_id,
        campaign_id=campaign.pk,
        rater_id=assignment.rater_id,
        rubric_version_id=campaign.rubric_version_id,
        values=clean,
        comment=comment,
        seconds_spent=seconds_spent,
        is_repeat=assignment.is_repeat,
        presentation=assignment.presentation,
    )
    # Fixed SQL: submit is the hottest write there is. Rating.save() would only have filled the campaign.
    insert_one(rating)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE annotate_assignment SET status = %(status)s, submitted_at = %(now)s WHERE id = %(assignment)s",
            {"status": Assignment.Status.SUBMITTED, "now": db_time(now), "assignment": assignment.pk},
        )
    assignment.status, assignment.submitted_at = Assignment.Status.SUBMITTED, now
    if holds_slot:
        # Still under the item lock: the others' slots plus this rating, whether or not the lease had lapsed.
        campaign_item_set_taken(assignment.campaign_item_id, taken + 1)
    return rating


@transaction.atomic
def rating_revise(
    *, rating: Rating, values: dict[str, Any], comment: str = "", seconds_spent: float | None = None
) -> Rating:
    """Replace a rating's answers (given as shown on screen), keeping the previous version as a revision."""
    rating = (
        Rating.objects.select_for_update(of=("self",), no_key=True)
        .select_related("campaign_item__campaign", "rubric_version")
        .get(pk=rating.pk)
    )
    campaign = rating.campaign_item.campaign
    if campaign.status not in REVISABLE:
        raise ValidationError(
            f"This campaign is {campaign.get_status_display().lower()}: ratings can no longer change."
        )
    criteria = rating.rubric_version.criteria
    clean = values_validate(criteria, pairwise_swap(criteria, values, rating.presentation))
    comment = comment.strip()
    _check_extras(comment, seconds_spent)
    last = rating.revisions.aggregate(n=Max("number"))["n"] or 0
    RatingRevision.objects.create(
        rating=rating,
        number=last + 1,
        values=rating.values,
        comment=rating.comment,
        seconds_spent=rating.seconds_spent,
        recorded_at=rating.updated_at if last else rating.created_at,
    )
    rating.values, rating.comment, rating.seconds_spent = clean, comment, seconds_spent
    rating.save(update_fields=["values", "comment", "seconds_spent", "updated_at"])
    return rating


@dataclass(frozen=True)
class ImportRatingsResult:
    """What a ratings import did: ratings written, labels read, items rated, raters created (their usernames)."""

    n_ratings: int
    n_labels: int
    n_items: int
    raters_created: list[str]
    n_replaced: int = 0
    n_items_added: int = 0


IMPORT_BATCH_SIZE = 2000


def _import_items(
    *, campaign: Campaign, item_rows: dict[str, str], item_field: str, add_missing: bool
) -> tuple[dict[str, int], int]:
    """Map the file's external ids to campaign item ids, sampling dataset items not yet drawn when asked to."""
    found: dict[str, int] = {}
    for chunk in chunks(list(item_rows), IMPORT_BATCH_SIZE):
        rows = CampaignItem.objects.filter(campaign=campaign, item__external_id__in=chunk)
        found.update(rows.values_list("item__external_id", "pk"))
    missing = [external_id for external_id in item_rows if external_id not in found]
    if not missing:
        return found, 0
    if not add_missing:
        first = missing[0]
        raise ValidationError(
            f"{item_rows[first]}, field '{item_field}', value '{first}': no item with this id is in the sample "
            f"of campaign '{campaign.slug}' ({len(missing)} such id(s); add-missing-items samples them)."
        )
    in_dataset: dict[str, int] = {}
    for chunk in chunks(missing, IMPORT_BATCH_SIZE):
        in_dataset.update(
            Item.objects.filter(dataset_id=campaign.dataset_id, external_id__in=chunk).values_list("external_id", "pk")
        )
    for external_id in missing:
        if external_id not in in_dataset:
            raise ValidationError(
                f"{item_rows[external_id]}, field '{item_field}', value '{external_id}': "
                f"dataset '{campaign.dataset.name}' has no item with this id."
            )
    # Lock the campaign so two imports sampling items at once cannot take the same order keys.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True).get()
    next_key = (CampaignItem.objects.filter(campaign=campaign).aggregate(m=Max("order_key"))["m"] or 0) + 1
    added = [
        CampaignItem(campaign=campaign, item_id=in_dataset[external_id], order_key=next_key + offset)
        for offset, external_id in enumerate(missing)
    ]
    CampaignItem.objects.bulk_create(added, batch_size=IMPORT_BATCH_SIZE)
    found.update((external_id, row.pk) for external_id, row in zip(missing, added, strict=True))
    return found, len(added)


def _known_raters(names: list[str]) -> dict[str, int]:
    """User ids of the rater names that are existing usernames."""
    found: dict[str, int] = {}
    for chunk in chunks(names, IMPORT_BATCH_SIZE):
        found.update(get_user_model().objects.filter(username__in=chunk).values_list("username", "pk"))
    return found


def _import_raters(names: list[str], known: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """User ids by rater name: an existing username is that user; the rest become external raters without a login."""
    user_model = get_user_model()
    found = dict(known)
    created = []
    for name in names:
        if name in found:
            continue
        # An external rater exists to own imported labels: inactive, and no password can ever match.
        user = user_model(username=name, is_active=False)
        user.set_unusable_password()
        created.append(user)
    user_model.objects.bulk_create(created, batch_size=IMPORT_BATCH_SIZE)
    found.update((user.username, user.pk) for user in created)
    return found, [user.username for user in created]


def _import_memberships(*, campaign: Campaign, user_ids: list[int]) -> None:
    """Make every importing rater a member; someone who already holds a role keeps it."""
    members: set[int] = set()
    for chunk in chunks(user_ids, IMPORT_BATCH_SIZE):
        members.update(
            Membership.objects.filter(campaign=campaign, user_id__in=chunk).values_list("user_id", flat=True)
        )
    new = [
        Membership(campaign=campaign, user_id=pk, role=Membership.Role.RATER) for pk in user_ids if pk not in members
    ]
    Membership.objects.bulk_create(new, batch_size=IMPORT_BATCH_SIZE)


def _existing_ratings(*, campaign: Campaign, user_ids: list[int]) -> dict[tuple[int, int], int]:
    """Rating ids by (campaign item id, rater id) for the given raters' first (non-repeat) ratings in the campaign."""
    existing: dict[tuple[int, int], int] = {}
    for chunk in chunks(user_ids, IMPORT_BATCH_SIZE):
        rows = Rating.objects.filter(campaign_item__campaign=campaign, rater_id__in=chunk, is_repeat=False)
        existing.update(
            ((item_id, rater_id), pk)
            for item_id, rater_id, pk in rows.values_list("campaign_item_id", "rater_id", "pk")
        )
    return existing


def _replace_ratings(*, replaced: dict[int, Any], source: str, now: datetime) -> None:
    """Overwrite existing ratings with the file's labels, keeping each previous version as a revision."""
    revisions, changed = [], []
    for chunk in chunks(list(replaced), IMPORT_BATCH_SIZE):
        # PostgreSQL refuses FOR UPDATE together with GROUP BY: lock first, then count revisions.
        ratings = list(Rating.objects.select_for_update(of=("self",)).filter(pk__in=chunk))
        numbers = dict(
            RatingRevision.objects.filter(rating_id__in=chunk)
            .values("rating_id")
            .annotate(last=Max("number"))
            .values_list("rating_id", "last")
        )
        for rating in ratings:
            parsed = replaced[rating.pk]
            last = numbers.get(rating.pk, 0)
            revisions.append(
                RatingRevision(
                    rating=rating,
                    number=last + 1,
                    values=rating.values,
                    comment=rating.comment,
                    seconds_spent=rating.seconds_spent,
                    recorded_at=rating.updated_at if last else rating.created_at,
                )
            )
            # The file's criteria replace the rating's answers to them; answers to other criteria stay.
            rating.values = {**rating.values, **parsed.values}
            rating.comment = parsed.comment or rating.comment
            rating.source, rating.updated_at, rating.seconds_spent = source, now, None
            changed.append(rating)
    RatingRevision.objects.bulk_create(revisions, batch_size=IMPORT_BATCH_SIZE)
    Rating.objects.bulk_update(
        changed, ["values", "comment", "source", "updated_at", "seconds_spent"], batch_size=IMPORT_BATCH_SIZE
    )


@transaction.atomic
def ratings_import(
    *,
    campaign: Campaign,
    source: str | Path | BinaryIO,
    layout: "rating_files.Layout | None" = None,
    fmt: str | None = None,
    add_missing_items: bool = False,
    replace: bool = False,
    source_name: str | None = None,
) -> ImportRatingsResult:
    """Import existing labels (long or wide layout) as ratings of the campaign, all or nothing."""
    layout = layout or rating_files.Layout()
    parsed = rating_files.read_ratings(source, criteria=campaign.rubric_version.criteria, layout=layout, fmt=fmt)
    limit = Rating._meta.get_field("source").max_length
    name = Path(source_name or importers.source_name(source) or "import").name[:limit]
    items, n_added = _import_items(
        campaign=campaign, item_rows=parsed.item_rows, item_field=layout.item_field, add_missing=add_missing_items
    )
    names = list(dict.fromkeys(rater for _, rater in parsed.ratings))
    known = _known_raters(names)
    existing = _existing_ratings(campaign=campaign, user_ids=list(known.values()))
    replaced: dict[int, rating_files.ParsedRating] = {}
    for (external_id, rater), rating in parsed.ratings.items():
        pk = existing.get((items[external_id], known.get(rater)))
        if pk is None:
            continue
        if not replace:
            raise ValidationError(
                f"{rating.where}, field '{layout.item_field}', value '{external_id}': rater '{rater}' already rated "
                "this item in the campaign (replace overwrites it and keeps the old version as a revision)."
            )
        replaced[pk] = rating
    raters, created = _import_raters(names, known)
    _import_memberships(campaign=campaign, user_ids=list(raters.values()))
    now = timezone.now()
    _replace_ratings(replaced=replaced, source=name, now=now)
    fresh = [
        Rating(
            campaign_item_id=items[external_id],
            campaign_id=campaign.pk,
            rater_id=raters[rater],
            rubric_version_id=campaign.rubric_version_id,
            values=rating.values,
            comment=rating.comment,
            source=name,
        )
        for (external_id, rater), rating in parsed.ratings.items()
        if (items[external_id], raters[rater]) not in existing
    ]
    try:
        with transaction.atomic():
            Rating.objects.bulk_create(fresh, batch_size=IMPORT_BATCH_SIZE)
    except IntegrityError:
        raise ValidationError(
            "A rater submitted a rating for one of these items while the file was imported; nothing was imported. "
            "Import the file again (with replace to overwrite)."
        ) from None
    # Imported ratings take slots too: the queue's counters must see them.
    campaign_items_recount(campaign=campaign, item_ids={rating.campaign_item_id for rating in fresh})
    return ImportRatingsResult(
        n_ratings=len(parsed.ratings),
        n_labels=parsed.n_labels,
        n_items=len(parsed.item_rows),
        raters_created=created,
        n_replaced=len(replaced),
        n_items_added=n_added,
    )
