"""Writes for ratings: submit an answer to a leased item, revise or correct it (every version kept), import labels."""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Max, Q
from django.utils import timezone

from accord.chunks import chunks
from annotate import importers
from annotate.criteria import pairwise_swap, values_validate
from annotate.models import Assignment, Campaign, CampaignItem, Item, Membership
from annotate.services.campaign_counts import campaign_counts_add_complete, campaign_counts_recount
from annotate.services.campaigns import campaign_lock_open
from annotate.services.machine_raters import Provenance, machine_rater_get_or_create
from ratings import importers as rating_files
from ratings.models import MAX_COMMENT_LENGTH, Rating, RatingRevision
from ratings.queue import (
    campaign_item_take_slot,
    campaign_items_recount,
    queue_state_count_submit,
    queue_states_invalidate,
)
from ratings.queue_selectors import db_time, row_lock

# Campaign states in which a rater may still change what they said.
REVISABLE = frozenset({Campaign.Status.ACTIVE, Campaign.Status.PAUSED})


def _check_extras(comment: str, seconds_spent: float | None) -> None:
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError({"comment": f"comment: at most {MAX_COMMENT_LENGTH} characters, got {len(comment)}"})
    if seconds_spent is not None and (not math.isfinite(seconds_spent) or seconds_spent < 0):
        raise ValidationError({"seconds_spent": f"seconds_spent: {seconds_spent!r} is not a duration"})


def _take_slot(assignment: Assignment, campaign: Campaign, now: datetime, lapsed: bool) -> int:
    """Take the item's slot for this rating under its lock, or refuse when others hold all k; its ratings after."""
    n_rated = campaign_item_take_slot(
        campaign=campaign,
        campaign_item_id=assignment.campaign_item_id,
        rater_id=assignment.rater_id,
        now=now,
        rated=True,
    )
    if n_rated is None:
        why = "Your lease on this item expired and it" if lapsed else "This item"
        raise ValidationError(
            f"{why} has meanwhile been rated by as many other raters as it needs, so this answer was not stored. "
            "Carry on with the next item."
        )
    return n_rated


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
    campaign = assignment.campaign_item.campaign
    seq, key = queue_state_count_submit(campaign=campaign, assignment=assignment)
    # Lock the assignment so a double submit cannot create two ratings or two status changes, and the item
    # whose slot it fills, for the recount below.
    lock = row_lock("a", "ci") if holds_slot else row_lock("a")
    with connection.cursor() as cursor:
        cursor.execute(_LOCKED_ASSIGNMENT_SQL + lock, {"assignment": assignment.pk, "now": db_time(now)})
        status, campaign_status, lapsed = cursor.fetchone()
    if campaign_status != Campaign.Status.ACTIVE:
        raise ValidationError(
            f"This campaign is {Campaign.Status(campaign_status).label.lower()}: ratings are not accepted."
        )
    if status != Assignment.Status.LEASED:
        raise ValidationError(f"This item is already {Assignment.Status(status).label.lower()}.")
    criteria = campaign.rubric_version.typed_criteria
    clean = values_validate(criteria, pairwise_swap(criteria, values, assignment.presentation))
    comment = comment.strip()
    _check_extras(comment, seconds_spent)
    # Recount under the item lock on every submit, not only late ones: a lease that expired a moment
    # ago (or an imported rating) may have let someone else take the slot, and k is never exceeded.
    n_rated = _take_slot(assignment, campaign, now, bool(lapsed)) if holds_slot else 0
    rating = Rating.in_campaign(
        campaign,
        campaign_item_id=assignment.campaign_item_id,
        rater_id=assignment.rater_id,
        values=clean,
        comment=comment,
        seconds_spent=seconds_spent,
        is_repeat=assignment.is_repeat,
        presentation=assignment.presentation,
    )
    rating.save(force_insert=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE annotate_assignment SET status = %(status)s, submitted_at = %(now)s, submitted_seq = %(seq)s,"
            " repeat_key = %(key)s WHERE id = %(assignment)s",
            {
                "status": Assignment.Status.SUBMITTED,
                "now": db_time(now),
                "seq": seq,
                "key": key,
                "assignment": assignment.pk,
            },
        )
    assignment.status, assignment.submitted_at = Assignment.Status.SUBMITTED, now
    assignment.submitted_seq, assignment.repeat_key = seq, key
    if holds_slot and n_rated == campaign.overlap:
        # Last: completing the item locks the campaign's count row until the commit.
        campaign_counts_add_complete(campaign=campaign)
    return rating


def _rating_locked(rating: Rating) -> Rating:
    """The rating read again under its row lock, so that two edits at once cannot take one revision number."""
    return (
        Rating.objects.select_for_update(of=("self",), no_key=True)
        .select_related("campaign_item__campaign", "rubric_version")
        .get(pk=rating.pk)
    )


def _rating_replace(rating: Rating, values: dict[str, Any], comment: str, seconds_spent: float | None) -> Rating:
    """Keep the locked rating's current version as its next revision, then store the new answers."""
    last = rating.revisions.aggregate(n=Max("number"))["n"] or 0
    RatingRevision.objects.create(
        rating=rating,
        number=last + 1,
        values=rating.values,
        comment=rating.comment,
        seconds_spent=rating.seconds_spent,
        recorded_at=rating.updated_at if last else rating.created_at,
    )
    rating.values, rating.comment, rating.seconds_spent = values, comment, seconds_spent
    rating.save(update_fields=["values", "comment", "seconds_spent", "updated_at"])
    return rating


@transaction.atomic
def rating_revise(
    *, rating: Rating, values: dict[str, Any], comment: str = "", seconds_spent: float | None = None
) -> Rating:
    """Replace a rating's answers (given as shown on screen), keeping the previous version as a revision."""
    rating = _rating_locked(rating)
    campaign = rating.campaign_item.campaign
    if campaign.status not in REVISABLE:
        raise ValidationError(
            f"This campaign is {campaign.get_status_display().lower()}: ratings can no longer change."
        )
    criteria = rating.rubric_version.typed_criteria
    clean = values_validate(criteria, pairwise_swap(criteria, values, rating.presentation))
    comment = comment.strip()
    _check_extras(comment, seconds_spent)
    return _rating_replace(rating, clean, comment, seconds_spent)


def rating_answers_check(*, rating: Rating, values: Any, comment: str) -> tuple[dict[str, Any], str]:
    """Check answers (as stored, not as shown on screen) and a comment as rating and revising do; return them clean."""
    clean = values_validate(rating.rubric_version.typed_criteria, values)
    comment = comment.strip()
    _check_extras(comment, None)
    return clean, comment


@transaction.atomic
def rating_correct(*, rating: Rating, values: Any, comment: str) -> Rating:
    """Correct a rating as an administrator: answers as stored, the previous version kept as a revision."""
    rating = _rating_locked(rating)
    # Unlike rating_revise, a closed or archived campaign's ratings may be corrected: closing stops raters from
    # changing their minds, but a wrong label found afterwards (a mis-keyed import, say) must stay fixable, and
    # the earlier version is kept as a revision while the admin logs who changed it.
    clean, comment = rating_answers_check(rating=rating, values=values, comment=comment)
    if _as_json(clean) == _as_json(rating.values) and comment == rating.comment:
        return rating
    # The rater's time stays with the answer: a correction is not another act of rating.
    return _rating_replace(rating, clean, comment, rating.seconds_spent)


def _as_json(values: dict[str, Any]) -> str:
    # Compared as JSON, not as dicts: True == 1 in Python, but not as an answer.
    return json.dumps(values, sort_keys=True)


class NewAnswers(Protocol):
    """Answers that overwrite a rating: its values on some criteria, and a comment (empty keeps the old one)."""

    @property
    def values(self) -> dict[str, Any]: ...

    @property
    def comment(self) -> str: ...


@dataclass(frozen=True)
class ExternalRater:
    """A rater an import created: the name in the file, and the account without a login that holds its labels."""

    name: str
    username: str


@dataclass(frozen=True)
class ImportRatingsResult:
    """What a ratings import did: ratings written, labels read, items rated, raters created, members credited."""

    n_ratings: int
    n_labels: int
    n_items: int
    raters_created: list[ExternalRater]
    n_replaced: int = 0
    n_items_added: int = 0
    # The file's rater names that are the usernames of the campaign's raters, credited to them (match_members).
    members_matched: tuple[str, ...] = ()
    # What a repeated label meant (importers.REPEATS), the ratings stored as test-retest repeats, and the
    # repeated labels left out (repeats "first" or "last").
    repeats: str = "error"
    n_repeats: int = 0
    n_dropped: int = 0
    # The machine rater whose labels these are ("" for people's), and whether this import created it.
    machine: str = ""
    machine_created: bool = False


IMPORT_BATCH_SIZE = 2000
# The most external raters one import may create. A wide file's header is its list of raters: a file of
# thousands of columns is a mistake (or a flood of accounts), not a rating team.
MAX_NEW_RATERS = 1_000


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


def external_rater_username(*, name: str, campaign: Campaign) -> str:
    """The username of a campaign's external rater: the name in the file, "@", the campaign's slug.

    A slug holds no "@", so no two campaigns (or names) give the same username, and it says nothing about
    whether an account called `name` exists.
    """
    return f"{name}@{campaign.slug}"


@dataclass(frozen=True)
class _Member:
    user_id: int
    rates: bool
    # Inactive and without a usable password: a rater an import created, who cannot log in.
    external: bool


@dataclass
class _RaterPlan:
    """Whose labels each rater name of a file becomes: accounts that exist, and external raters to create."""

    user_ids: dict[str, int] = field(default_factory=dict)
    to_create: dict[str, str] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)


def _campaign_members(*, campaign: Campaign, usernames: list[str]) -> dict[str, _Member]:
    """The members of the campaign among these usernames."""
    external = ExpressionWrapper(
        Q(user__is_active=False, user__password__startswith=UNUSABLE_PASSWORD_PREFIX), output_field=BooleanField()
    )
    found: dict[str, _Member] = {}
    for chunk in chunks(usernames, IMPORT_BATCH_SIZE):
        # A machine rater's account never receives a file's labels as a person's, even if made a member.
        rows = Membership.objects.filter(
            campaign=campaign, user__username__in=chunk, user__machine_rater__isnull=True
        ).annotate(external=external)
        for username, user_id, rates, is_external in rows.values_list("user__username", "user_id", "rates", "external"):
            found[username] = _Member(user_id, rates, bool(is_external))
    return found


def _taken_usernames(usernames: list[str]) -> set[str]:
    """Which of these usernames an account already has."""
    taken: set[str] = set()
    for chunk in chunks(usernames, IMPORT_BATCH_SIZE):
        taken.update(get_user_model().objects.filter(username__in=chunk).values_list("username", flat=True))
    return taken


def _plan_raters(*, campaign: Campaign, rater_rows: dict[str, tuple[str, str, Any]], match_members: bool) -> _RaterPlan:
    """Map every rater name to its account or to an external rater to create; refuse before anything is written.

    A name is the campaign's external rater of that name, never another account: an import must not put
    labels under a real user. Only with `match_members` is a name that is the username of one of the
    campaign's raters that rater.
    """
    limit = rating_files.MAX_USERNAME_LENGTH
    usernames = {name: external_rater_username(name=name, campaign=campaign) for name in rater_rows}
    # Plain names are looked up among the campaign's members only: nothing here depends on, or tells,
    # whether an account of that name exists elsewhere.
    members = _campaign_members(
        campaign=campaign, usernames=[*rater_rows, *(u for u in usernames.values() if len(u) <= limit)]
    )
    taken = _taken_usernames([u for u in usernames.values() if len(u) <= limit and u not in members])
    plan = _RaterPlan()
    for name, (where, column, cell) in rater_rows.items():
        username = usernames[name]
        member = members.get(name)
        if match_members and member is not None and member.rates:
            plan.user_ids[name] = member.user_id
            plan.matched.append(name)
            continue
        # The campaign's external rater of this name; the plain name is how earlier versions named one.
        known = next((members[u] for u in (username, name) if u in members and members[u].external), None)
        if known is not None:
            plan.user_ids[name] = known.user_id
            continue
        if len(username) > limit:
            problem = (
                f"this campaign's external rater would be {rating_files.shown(username)}, longer than the "
                f"{limit} characters of a username: shorten the name to at most {limit - len(username) + len(name)}"
            )
            raise rating_files.row_error(where, column, cell, problem)
        if username in taken or username in members:
            problem = (
                f"the username '{username}' of this campaign's external rater belongs to an account that is not "
                "one; rename the rater in the file"
            )
            raise rating_files.row_error(where, column, cell, problem)
        plan.to_create[name] = username
        if len(plan.to_create) > MAX_NEW_RATERS:
            problem = (
                f"this is new rater {len(plan.to_create):,}, and one import may create at most {MAX_NEW_RATERS:,} "
                "(split the file, or check that its rater names are raters)"
            )
            raise rating_files.row_error(where, column, cell, problem)
    return plan


def _create_raters(*, campaign: Campaign, to_create: dict[str, str]) -> dict[str, int]:
    """Create the campaign's new external raters, members with the rater role; return their user ids by name."""
    user_model = get_user_model()
    users = []
    for username in to_create.values():
        # An external rater exists to own imported labels: inactive, and no password can ever match.
        user = user_model(username=username, is_active=False)
        user.set_unusable_password()
        users.append(user)
    try:
        with transaction.atomic():
            user_model.objects.bulk_create(users, batch_size=IMPORT_BATCH_SIZE)
    except IntegrityError:
        raise ValidationError(
            "An account took the username of one of the new raters while the file was imported; nothing was "
            "imported. Import the file again."
        ) from None
    memberships = [
        Membership(campaign=campaign, user_id=user.pk, role=Membership.Role.RATER, rates=True) for user in users
    ]
    Membership.objects.bulk_create(memberships, batch_size=IMPORT_BATCH_SIZE)
    return {name: user.pk for name, user in zip(to_create, users, strict=True)}


def _existing_ratings(*, campaign: Campaign, user_ids: list[int], by_machine: bool) -> dict[tuple[int, int], int]:
    """Rating ids by (campaign item id, rater id) for the given raters' first (non-repeat) ratings in the campaign.

    People's ratings for a file of people's labels, a machine rater's for a machine judge's.
    """
    existing: dict[tuple[int, int], int] = {}
    for chunk in chunks(user_ids, IMPORT_BATCH_SIZE):
        rows = Rating.objects.filter(
            campaign_item__campaign=campaign, rater_id__in=chunk, is_repeat=False, by_machine=by_machine
        )
        existing.update(
            ((item_id, rater_id), pk)
            for item_id, rater_id, pk in rows.values_list("campaign_item_id", "rater_id", "pk")
        )
    return existing


def ratings_overwrite(*, replaced: Mapping[int, NewAnswers], source: str, now: datetime) -> None:
    """Overwrite existing ratings (by id) with new answers, keeping each previous version as a revision.

    The new answers replace the earlier ones to the same criteria; answers to other criteria stay. An imported
    file or a machine judge's labels carry no timing, so the time spent is cleared.
    """
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
            rating.values = {**rating.values, **parsed.values}
            rating.comment = parsed.comment or rating.comment
            rating.source, rating.updated_at, rating.seconds_spent = source, now, None
            changed.append(rating)
    RatingRevision.objects.bulk_create(revisions, batch_size=IMPORT_BATCH_SIZE)
    Rating.objects.bulk_update(
        changed, ["values", "comment", "source", "updated_at", "seconds_spent"], batch_size=IMPORT_BATCH_SIZE
    )


def _new_rating(
    rating: "rating_files.ParsedRating",
    *,
    campaign: Campaign,
    items: dict[str, int],
    user_ids: dict[str, int],
    source: str,
    by_machine: bool,
    is_repeat: bool,
) -> Rating:
    """An imported rating, not yet saved."""
    return Rating.in_campaign(
        campaign,
        campaign_item_id=items[rating.external_id],
        rater_id=user_ids[rating.rater],
        values=rating.values,
        comment=rating.comment,
        source=source,
        is_repeat=is_repeat,
        by_machine=by_machine,
    )


def _number_repeats(*, campaign: Campaign, repeats: list[Rating]) -> None:
    """Number imported repeats per (item, rater) after the rater's repeats already stored, in file order.

    Number 0 is the repeat the queue serves; an imported one takes the next number above any stored one.
    """
    if not repeats:
        return
    last: dict[tuple[int, int], int] = {}
    for chunk in chunks(sorted({r.rater_id for r in repeats}), IMPORT_BATCH_SIZE):
        stored = (
            Rating.objects.filter(campaign=campaign, rater_id__in=chunk, is_repeat=True)
            .values("campaign_item_id", "rater_id")
            .annotate(last=Max("repeat_number"))
            .values_list("campaign_item_id", "rater_id", "last")
        )
        last.update(((item_id, rater_id), number) for item_id, rater_id, number in stored)
    for rating in repeats:
        key = (rating.campaign_item_id, rating.rater_id)
        rating.repeat_number = last[key] = last.get(key, 0) + 1


def _import_options_check(*, repeats: str, replace: bool, machine: str | None, match_members: bool) -> None:
    """Refuse options that contradict each other before anything is read."""
    if repeats not in rating_files.REPEATS:
        choices = ", ".join(rating_files.REPEATS)
        raise ValidationError(f"repeats: {rating_files.shown(repeats)} is not one of {choices}.")
    if repeats == "keep" and replace:
        raise ValidationError(
            "repeats 'keep' stores the labels of an item a rater already rated as test-retest repeats, and replace "
            "overwrites that rating: choose one of them."
        )
    if machine is not None and match_members:
        raise ValidationError(
            f"Machine rater {rating_files.shown(machine)}: a machine judge's labels belong to its machine rater, "
            "so they cannot be credited to the campaign's raters (leave match members / --as-members off)."
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
    match_members: bool = False,
    source_name: str | None = None,
    repeats: str = "error",
    machine: str | None = None,
    provenance: Provenance | None = None,
) -> ImportRatingsResult:
    """Import existing labels (long or wide layout) as ratings of an open campaign, all or nothing.

    Each rater name becomes the campaign's external rater of that name (`external_rater_username`), an
    account without a login; with `match_members`, a name that is the username of one of the campaign's
    raters is that rater. With `machine`, every label is that machine rater's (created with `provenance` if
    new): its ratings are marked by_machine, it is no member, and they take no slot in the queue.
    `repeats` (importers.REPEATS) says what a second label of an (item, rater, criterion) means; with "keep",
    a file's label of an item its rater already rated in the campaign is stored as a repeat too.
    """
    campaign_lock_open(campaign=campaign, change="ratings can no longer be imported")
    _import_options_check(repeats=repeats, replace=replace, machine=machine, match_members=match_members)
    judge, judge_created = (None, False)
    if machine is not None:
        # Before the file is read: a provenance conflict is an error about the options, not about a row.
        judge, judge_created = machine_rater_get_or_create(campaign=campaign, name=machine, provenance=provenance)
    layout = layout or rating_files.Layout()
    parsed = rating_files.read_ratings(
        source,
        criteria=campaign.rubric_version.typed_criteria,
        layout=layout,
        fmt=fmt,
        repeats=repeats,
        one_rater=judge.name if judge else None,
    )
    limit = Rating._meta.get_field("source").max_length
    name = Path(source_name or importers.source_name(source) or "import").name[:limit]
    # Every refusal about raters (and the cap on new ones) comes before the first write.
    if judge is None:
        raters = _plan_raters(campaign=campaign, rater_rows=parsed.rater_rows, match_members=match_members)
    else:
        raters = _RaterPlan(user_ids={judge.name: judge.user_id})
    items, n_added = _import_items(
        campaign=campaign, item_rows=parsed.item_rows, item_field=layout.item_field, add_missing=add_missing_items
    )
    existing = _existing_ratings(campaign=campaign, user_ids=list(raters.user_ids.values()), by_machine=bool(judge))
    if judge is None:
        # Members' queue state is recounted with these ratings in it (locked now, before any item: leasing's
        # order). A machine rater has no queue.
        queue_states_invalidate(campaign=campaign, user_ids=raters.user_ids.values())
    replaced: dict[int, rating_files.ParsedRating] = {}
    # First ratings in the file of items their raters already rated here: repeats (repeats "keep").
    again: list[rating_files.ParsedRating] = []
    who = "machine rater" if judge else "rater"
    for (external_id, rater), rating in parsed.ratings.items():
        pk = existing.get((items[external_id], raters.user_ids.get(rater)))
        if pk is None:
            continue
        if repeats == "keep":
            again.append(rating)
        elif not replace:
            raise ValidationError(
                f"{rating.where}, field '{layout.item_field}', value '{external_id}': {who} '{rater}' already rated "
                "this item in the campaign (replace overwrites it and keeps the old version as a revision; "
                "repeats 'keep' stores the file's label as a test-retest repeat)."
            )
        else:
            replaced[pk] = rating
    user_ids = {**raters.user_ids, **_create_raters(campaign=campaign, to_create=raters.to_create)}
    now = timezone.now()
    ratings_overwrite(replaced=replaced, source=name, now=now)
    new = partial(_new_rating, campaign=campaign, items=items, user_ids=user_ids, source=name, by_machine=bool(judge))
    fresh = [
        new(rating, is_repeat=False)
        for (external_id, rater), rating in parsed.ratings.items()
        if (items[external_id], user_ids[rater]) not in existing
    ]
    repeated = [new(rating, is_repeat=True) for rating in [*again, *parsed.repeats]]
    _number_repeats(campaign=campaign, repeats=repeated)
    try:
        with transaction.atomic():
            Rating.objects.bulk_create([*fresh, *repeated], batch_size=IMPORT_BATCH_SIZE)
    except IntegrityError:
        raise ValidationError(
            "A rater submitted a rating for one of these items while the file was imported; nothing was imported. "
            "Import the file again (with replace to overwrite)."
        ) from None
    if judge is None:
        # Imported ratings take slots too: the queue's counters must see them. Repeats take none.
        campaign_items_recount(campaign=campaign, item_ids={rating.campaign_item_id for rating in fresh})
    elif n_added:
        # A machine rater's ratings take no slot; only the items sampled for them change the campaign's counts.
        campaign_counts_recount(campaign=campaign)
    return ImportRatingsResult(
        n_ratings=len(parsed.ratings) + len(parsed.repeats),
        n_labels=parsed.n_labels,
        n_items=len(parsed.item_rows),
        raters_created=[ExternalRater(name, username) for name, username in raters.to_create.items()],
        n_replaced=len(replaced),
        n_items_added=n_added,
        members_matched=tuple(raters.matched),
        repeats=repeats,
        n_repeats=len(repeated),
        n_dropped=parsed.n_dropped,
        machine=judge.name if judge else "",
        machine_created=judge_created,
    )
