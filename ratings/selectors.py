"""Named reads about ratings."""

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connections
from django.db.models import BigIntegerField, Count, Func, Max, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Length

from annotate.criteria import Criterion
from annotate.models import Campaign, CampaignItem, MachineRater
from ratings.models import Rating

# Whose ratings a statistic reads: the pool (humans, and machine raters where the campaign's owner opted them
# in), humans only, machine raters only, or everyone.
WHO = ("pool", "humans", "machines", "all")


def campaign_ratings(campaign: Campaign, *, who: str = "pool") -> QuerySet[Rating]:
    """The campaign's ratings by `who` (see WHO): every statistic and final label reads its ratings here."""
    if who not in WHO:
        raise ValueError(f"who must be one of {', '.join(WHO)}, not {who!r}")
    qs = Rating.objects.filter(campaign=campaign)
    if who == "humans" or (who == "pool" and not campaign.machine_raters_in_pool):
        return qs.filter(by_machine=False)
    if who == "machines":
        return qs.filter(by_machine=True)
    return qs


def ratings_of_rater(*, campaign: Campaign, rater: AbstractBaseUser) -> QuerySet[Rating]:
    """The rater's own ratings in the campaign, most recently changed first, with their revision counts."""
    return (
        Rating.objects.filter(campaign=campaign, rater=rater)
        .select_related("campaign_item__item")
        .annotate(n_revisions=Count("revisions"))
        .order_by("-updated_at", "-pk")
    )


def rating_of_rater(*, campaign: Campaign, rater: AbstractBaseUser, pk: int) -> Rating | None:
    """One of the rater's own ratings in the campaign, or None (another rater's rating is never returned)."""
    return (
        Rating.objects.filter(campaign_item__campaign=campaign, rater=rater, pk=pk)
        .select_related("campaign_item__item", "rubric_version")
        .first()
    )


def latest_rating_of_rater(*, campaign: Campaign, rater: AbstractBaseUser) -> Rating | None:
    """The rating the rater submitted last in the campaign: what "back" opens for revision."""
    return Rating.objects.filter(campaign_item__campaign=campaign, rater=rater).order_by("-created_at", "-pk").first()


# --------------------------------------------------------------------------- agreement input

FRAME_COLUMNS = ["item", "rater", "value", "time", "item_external_id"]
# What alpha and its interval need: leave out the time and the per-item external id.
ALPHA_COLUMNS = ["item", "rater", "value"]


def _decode_values(raw: pd.Series, criterion: Criterion | None) -> pd.Series:
    """Turn label text from the database back into the criterion's value type; unknown labels become NaN.

    SQLite hands back JSON scalars as SQL values (true is 1) and PostgreSQL as text, so both spellings map.
    """
    # A million labels hold a handful of distinct spellings: decode each spelling once, then index.
    codes, spellings = pd.factorize(raw, use_na_sentinel=True)
    decoded = _decode_spellings(pd.Series(np.asarray(spellings, dtype=object), dtype=object), criterion)
    values = decoded.to_numpy(dtype=object)
    out = np.full(len(codes), np.nan, dtype=object)
    known = codes >= 0
    out[known] = values[codes[known]]
    series = pd.Series(out, index=raw.index, dtype=object)
    if criterion is not None and criterion.value_kind == "number":
        return pd.to_numeric(series, errors="coerce")
    return series


def _decode_spellings(raw: pd.Series, criterion: Criterion | None) -> pd.Series:
    """Decode distinct label spellings (see _decode_values); without a criterion every label is unknown."""
    kind = criterion.value_kind if criterion is not None else "choice"
    if kind == "labels":
        return raw.map(_label_tuple)
    if kind == "number":
        return pd.to_numeric(raw, errors="coerce").astype(object)
    lookup: dict[Any, Any] = {}
    for value in (criterion.value_domain if criterion is not None else None) or []:
        if isinstance(value, bool):
            lookup.update({str(value).lower(): value, str(int(value)): value, int(value): value})
        else:
            lookup.update({str(value): value, value: value})
    return raw.map(lookup).astype(object)


def _label_tuple(text: Any) -> tuple | float:
    """A multi-label value (JSON text of a list) as a sorted tuple of labels; NaN when unreadable."""
    try:
        value = orjson.loads(text) if isinstance(text, str | bytes) else text
    except orjson.JSONDecodeError:
        return (text,) if isinstance(text, str) and text else float("nan")
    if isinstance(value, list):
        return tuple(sorted({str(v) for v in value}))
    if isinstance(value, str) and value:
        return (value,)
    return float("nan")


def _typed(values: pd.Series, criterion: Criterion | None) -> pd.Series:
    """After dropping unknown labels, give whole-number and boolean scales their natural dtype."""
    domain = criterion.value_domain if criterion is not None and criterion.value_kind == "choice" else None
    if domain and all(isinstance(v, bool) for v in domain):
        return values.astype(bool)
    if domain and all(isinstance(v, int) and not isinstance(v, bool) for v in domain):
        return values.astype("int64")
    return values


def criterion_of(campaign: Campaign, criterion_key: str) -> Criterion | None:
    """The criterion with this key in the campaign's rubric version, or None."""
    return next((c for c in campaign.rubric_version.typed_criteria if c.key == criterion_key), None)


class EpochMicroseconds(Func):
    """A timestamp as whole microseconds since 1970: a million of them travel as plain integers, not datetimes."""

    output_field = BigIntegerField()
    # date_part() gives double precision, exact to the microsecond until 2255 and several times
    # cheaper than EXTRACT's numeric arithmetic over a million rows.
    template = "CAST(ROUND(date_part('epoch', %(expressions)s) * 1000000) AS BIGINT)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        """SQLite keeps timestamps as text; julianday() reads them (to the millisecond)."""
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400000000) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


_INTEGER_FIELDS = frozenset({"id", "campaign_item_id", "rater_id", "micros"})


def _columns(qs: QuerySet, fields: list[str]) -> list[np.ndarray]:
    """The named columns of a queryset as arrays, read in one query.

    On PostgreSQL each column comes back as one array_agg array, which psycopg parses in C:
    building a million Python row tuples (values_list) costs seconds. COPY ... TO STDOUT was
    measured too and is slower here: psycopg handles each copied row as its own message in Python.
    """
    if connections[qs.db].vendor == "postgresql":
        from django.contrib.postgres.aggregates import ArrayAgg

        result = qs.order_by().aggregate(**{f"col_{i}": ArrayAgg(name) for i, name in enumerate(fields)})
        columns = [result[f"col_{i}"] or [] for i in range(len(fields))]
    else:
        rows = list(qs.order_by().values_list(*fields))
        columns = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in fields]
    # Integer columns go straight to int64: an object array first would box a million values.
    return [
        np.array(col, dtype=np.int64 if name in _INTEGER_FIELDS else object)
        for name, col in zip(fields, columns, strict=True)
    ]


def ratings_frame(
    campaign: Campaign,
    criterion_key: str,
    *,
    include_repeats: bool = False,
    criterion: Criterion | None = None,
    columns: Sequence[str] = FRAME_COLUMNS,
    who: str = "pool",
) -> pd.DataFrame:
    """One row per label on the criterion (item = campaign item id, rater = user id), read in bulk.

    The criterion's value and the timestamp are extracted in SQL so only scalar columns travel;
    ratings that lack the key (or hold a value the rubric does not know) are left out. ``columns``
    picks from FRAME_COLUMNS (item, rater and value always come back): alpha needs only
    ALPHA_COLUMNS, and leaving out ``time`` and ``item_external_id`` skips reading them. With
    include_repeats the test-retest repeats are kept and an ``is_repeat`` column tells them apart. ``who``
    picks whose ratings (see WHO): by default the pool, which leaves machine raters out unless the campaign
    opted them in. Item external ids come from a second, per-item query rather than a join repeated per label.
    """
    unknown = [c for c in columns if c not in FRAME_COLUMNS]
    if unknown:
        raise ValueError(f"ratings_frame has no column(s) {', '.join(unknown)}; choose from {', '.join(FRAME_COLUMNS)}")
    wanted = [c for c in FRAME_COLUMNS if c in ALPHA_COLUMNS or c in columns]
    qs = campaign_ratings(campaign, who=who)
    if not include_repeats:
        qs = qs.filter(is_repeat=False)
    frame = _label_frame(qs, campaign, criterion_key, criterion, wanted, include_repeats)
    return frame[[*wanted, "is_repeat"] if include_repeats else wanted]


def _label_frame(
    qs: QuerySet[Rating],
    campaign: Campaign,
    criterion_key: str,
    criterion: Criterion | None,
    columns: Sequence[str] = FRAME_COLUMNS,
    with_repeat: bool = True,
) -> pd.DataFrame:
    """The labels of the rating queryset on one criterion, as a typed frame (see ratings_frame)."""
    criterion = criterion or criterion_of(campaign, criterion_key)
    qs = qs.annotate(label=KeyTextTransform(criterion_key, "values"))
    fields = ["campaign_item_id", "rater_id", "label"]
    if "time" in columns:
        qs = qs.annotate(micros=EpochMicroseconds("updated_at"))
        fields.append("micros")
    if with_repeat:
        fields.append("is_repeat")
    # Ratings without the key come back as NULL and are dropped below: filtering in SQL would
    # extract the key from every JSON document twice.
    read = dict(zip(fields, _columns(qs, fields), strict=True))
    frame = pd.DataFrame(
        {
            "item": read["campaign_item_id"].astype(np.int64),
            "rater": read["rater_id"].astype(np.int64),
            "value": pd.Series(read["label"], dtype=object),
        }
    )
    if "time" in columns:
        frame["time"] = pd.to_datetime(read["micros"].astype(np.int64), unit="us", utc=True)
    if with_repeat:
        frame["is_repeat"] = read["is_repeat"].astype(bool)
    frame["value"] = _decode_values(frame["value"], criterion)
    frame = frame[frame["value"].notna()].reset_index(drop=True)
    frame["value"] = _typed(frame["value"], criterion)
    if "item_external_id" in columns:
        external = dict(
            CampaignItem.objects.filter(campaign=campaign).order_by().values_list("pk", "item__external_id")
        )
        frame["item_external_id"] = frame["item"].map(external).astype(object)
    return frame


def external_ids(campaign: Campaign, item_ids: Iterable[int]) -> dict[int, str]:
    """The items' external ids by campaign item id (for the few items a page names)."""
    rows = CampaignItem.objects.filter(campaign=campaign, pk__in=list(item_ids)).order_by()
    return dict(rows.values_list("pk", "item__external_id"))


def repeat_pairs_frame(campaign: Campaign, criterion_key: str, *, criterion: Criterion | None = None) -> pd.DataFrame:
    """Test-retest pairs: per (item, rater) rated twice, columns item, rater, first and repeat.

    Repeats are read first; the first labels are read only for the items that have a repeat. Raters of the pool only.
    """
    ratings = campaign_ratings(campaign)
    repeat = _label_frame(ratings.filter(is_repeat=True), campaign, criterion_key, criterion, ALPHA_COLUMNS, False)
    if repeat.empty:
        return repeat_pairs(repeat, repeat)
    repeated_items = ratings.filter(is_repeat=True).values("campaign_item_id")
    first = _label_frame(
        ratings.filter(is_repeat=False, campaign_item_id__in=repeated_items),
        campaign,
        criterion_key,
        criterion,
        ALPHA_COLUMNS,
        False,
    )
    return repeat_pairs(first, repeat)


def repeat_pairs(first: pd.DataFrame, repeat: pd.DataFrame) -> pd.DataFrame:
    """Pair first labels with repeat labels of the same (item, rater): columns item, rater, first, repeat."""
    if repeat.empty:
        return pd.DataFrame({"item": [], "rater": [], "first": [], "repeat": []})
    pairs = first[["item", "rater", "value"]].merge(
        repeat[["item", "rater", "value"]], on=["item", "rater"], suffixes=("_first", "_repeat")
    )
    return pairs.rename(columns={"value_first": "first", "value_repeat": "repeat"}).reset_index(drop=True)


def rating_seconds_frame(campaign: Campaign) -> pd.DataFrame:
    """Seconds each first-time rating by the pool took, per rater (nan where not timed): columns rater, seconds."""
    qs = campaign_ratings(campaign).filter(is_repeat=False)
    raters, seconds = _columns(qs, ["rater_id", "seconds_spent"])
    return pd.DataFrame(
        {"rater": raters.astype(np.int64), "seconds": pd.to_numeric(pd.Series(seconds, dtype=object), errors="coerce")}
    )


def presentation_frame(campaign: Campaign) -> pd.DataFrame:
    """Which original response each rater saw on the left, per (item, rater): columns item, rater, shown_left."""
    rows = (
        campaign_ratings(campaign)
        .filter(is_repeat=False)
        .annotate(left=KeyTextTransform("left", "presentation"))
        .filter(left__isnull=False)
        .order_by()
        .values_list("campaign_item_id", "rater_id", "left")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["item", "rater", "shown_left"])
    frame["shown_left"] = frame["shown_left"].astype(str).str.strip().str.lower()
    return frame[frame["shown_left"].isin(["a", "b"])].reset_index(drop=True)


def content_lengths(campaign: Campaign, fields: list[str]) -> dict[str, dict[int, int]]:
    """Characters in each named content field, per campaign item id (measured in SQL)."""
    annotations = {f"len_{i}": Length(KeyTextTransform(name, "item__content")) for i, name in enumerate(fields)}
    rows = CampaignItem.objects.filter(campaign=campaign).annotate(**annotations).order_by()
    out: dict[str, dict[int, int]] = {name: {} for name in fields}
    for pk, *lengths in rows.values_list("pk", *annotations):
        for name, length in zip(fields, lengths, strict=True):
            out[name][pk] = length or 0
    return out


def item_metadata(campaign: Campaign) -> dict[int, dict[str, Any]]:
    """Each campaign item's metadata, by campaign item id (items with identical metadata share one dict: read only)."""
    # The JSON travels as text and orjson parses it: JSONField's per-row json.loads costs seconds at 100k items.
    qs = CampaignItem.objects.filter(campaign=campaign).annotate(metadata_text=Cast("item__metadata", TextField()))
    ids, texts = _columns(qs, ["id", "metadata_text"])
    # Items of a dataset often share their metadata exactly: parse each distinct document once.
    codes, documents = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=False)
    parsed = [orjson.loads(t) if isinstance(t, str | bytes) else t for t in documents]
    parsed = [meta if isinstance(meta, dict) else {} for meta in parsed]
    return {pk: parsed[code] for pk, code in zip(ids.tolist(), codes.tolist(), strict=True)}


def gold_answers(campaign: Campaign) -> dict[int, dict[str, Any]]:
    """The gold answers of the campaign's gold items, by campaign item id."""
    rows = CampaignItem.objects.filter(campaign=campaign, is_gold=True, gold_answer__isnull=False).order_by()
    return {pk: answer for pk, answer in rows.values_list("pk", "gold_answer") if isinstance(answer, dict)}


def usernames(user_ids: Iterable[int]) -> dict[int, str]:
    """Usernames by user id; a machine rater (counted in its campaign's pool) by its name, marked as a machine."""
    names = dict(get_user_model().objects.filter(pk__in=list(user_ids)).values_list("pk", "username"))
    # Machine raters' accounts are named "<name>+machine@<campaign>" (annotate.services.machine_raters): only
    # then is a second query needed.
    machines = [pk for pk, name in names.items() if "+machine@" in name]
    if machines:
        for pk, name in MachineRater.objects.filter(user_id__in=machines).values_list("user_id", "name"):
            names[pk] = f"{name} (machine)"
    return names


# Ends the fingerprint of a campaign whose pool holds its machine raters: the same ratings, another pool.
_POOL_MARK = "-m"


def ratings_fingerprint(campaign: Campaign) -> str:
    """Changes whenever a rating of the campaign is added, revised or deleted, a machine rater's included, and
    when the owner counts machine raters in the pool or stops (one aggregate query)."""
    agg = Rating.objects.filter(campaign=campaign).aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    last = agg["last"].timestamp() if agg["last"] else 0
    return f"{agg['n']}-{last:.6f}-{agg['top'] or 0}{_POOL_MARK if campaign.machine_raters_in_pool else ''}"


def ratings_fingerprints(campaign_ids: Iterable[int]) -> dict[int, str]:
    """ratings_fingerprint for several campaigns in one grouped query (and one for whose pools hold machines)."""
    campaign_ids = list(campaign_ids)
    rows = (
        Rating.objects.filter(campaign_item__campaign__in=campaign_ids)
        .order_by()
        .values("campaign_item__campaign")
        .annotate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    )
    pooled = set(Campaign.objects.filter(pk__in=campaign_ids, machine_raters_in_pool=True).values_list("pk", flat=True))
    out = {pk: "0-0.000000-0" for pk in campaign_ids}
    for row in rows:
        out[row["campaign_item__campaign"]] = f"{row['n']}-{row['last'].timestamp():.6f}-{row['top']}"
    return {pk: text + (_POOL_MARK if pk in pooled else "") for pk, text in out.items()}


def campaign_item_ratings(campaign_item: CampaignItem) -> QuerySet[Rating]:
    """Every rating of one campaign item by the pool (repeats included) with its rater, for the side-by-side view."""
    return (
        campaign_ratings(campaign_item.campaign)
        .filter(campaign_item=campaign_item)
        .select_related("rater")
        .order_by("rater__username", "is_repeat")
    )
