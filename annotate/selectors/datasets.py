"""Named reads for the dataset browser, built to stay fast on datasets of millions of items.

Pages are keyset-paginated by item id (ids grow with import position), metadata filters
read the ItemMetadata index by MetadataValue id, text search uses FTS5 on SQLite and a GIN-indexed
tsvector table on PostgreSQL, both filled by the search indexer after an import commits (annotate.search), so a search
covers the items indexed so far. Totals come from Dataset.item_count or the import summary's value
counts; any other count (a search, several filters) is capped and made only on request, because
counting up to the cap can take longer than showing the page.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from annotate import importers
from annotate.content import content_display_order, fields_in_order
from annotate.models import Campaign, Dataset, Item, MetadataValue
from annotate.permissions import datasets_visible_to

PAGE_SIZE = 50
MATCH_CAP = 1000
PREVIEW_CHARS = 160
HISTOGRAM_BINS = 12
# On PostgreSQL, a search word expected in at least this share of items is matched by walking ids.
COMMON_WORD_SHARE = 0.01
# Letters and digits: underscores and every other character separate words, as in FTS5's unicode61 tokenizer.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_SEARCH_WORDS = 16
# A search word this long or longer also finds the words it begins ("Lisb" finds "Lisbon"); shorter ones match
# whole words only, since the start of a word of one or two letters matches most of a large dataset.
MIN_PREFIX_CHARS = 3


@dataclass(frozen=True)
class ItemPage:
    """One page of a dataset's items and how to reach its neighbours."""

    items: list[Item]
    has_next: bool
    has_previous: bool
    matches: int | None  # exact when not capped; None when not counted (ask with count=True)
    capped: bool  # True: there are more than `matches` matching items

    @property
    def first_pk(self) -> int | None:
        return self.items[0].pk if self.items else None

    @property
    def last_pk(self) -> int | None:
        return self.items[-1].pk if self.items else None


@dataclass(frozen=True)
class ValueCount:
    value: str
    count: int
    percent: float
    width: int  # bar width in 5% steps, for a CSS class


@dataclass(frozen=True)
class MetadataSummary:
    field: str
    values: list[ValueCount]
    other: int
    missing: int
    distinct: int


@dataclass(frozen=True)
class LengthBin:
    low: int
    high: int
    count: int
    width: int


@dataclass(frozen=True)
class ContentSummary:
    field: str
    n: int
    minimum: int
    median: int
    p90: int
    maximum: int
    bins: list[LengthBin] = field(default_factory=list)


@dataclass(frozen=True)
class DatasetSummary:
    metadata: list[MetadataSummary]
    content: list[ContentSummary]


def datasets_for_list(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Dataset]:
    """Datasets the user may see, without their (large) precomputed summaries."""
    return datasets_visible_to(user).defer("summary").order_by("name")


def search_words(query: str) -> list[str]:
    """The words of a search box entry, as both search backends tokenise them (letters and digits)."""
    return _WORD.findall(query.lower())[:MAX_SEARCH_WORDS]


def _is_prefix(word: str) -> bool:
    return len(word) >= MIN_PREFIX_CHARS


def _fts_match(words: list[str]) -> str:
    # Quoting every word keeps user input from being read as FTS5 query syntax; a * after the quotes makes it a
    # prefix. A word holds letters and digits only, so each quoted string is one token (FTS5 refuses phrases here).
    return " ".join('"' + w + '"' + ("*" if _is_prefix(w) else "") for w in words)


def _tsquery(words: list[str]) -> str:
    """The words as a to_tsquery expression: every word, each long enough one also as the start of a longer word."""
    # Letters and digits only: no quote, backslash or operator can reach the tsquery syntax.
    return " & ".join(f"'{w}'" + (":*" if _is_prefix(w) else "") for w in words)


def _value_ids(dataset: Dataset, filters: list[tuple[str, str]]) -> list[int] | None:
    """The MetadataValue id of each (field, value) filter, in order; None when some value occurs in no item."""
    if not filters:
        return []
    wanted = Q()
    for name, value in filters:
        wanted |= Q(field=name, value=value)
    rows = MetadataValue.objects.filter(wanted, dataset=dataset).values_list("field", "value", "id")
    found = {(name, value): pk for name, value, pk in rows}
    ids = [found.get(pair) for pair in filters]
    return None if None in ids else ids


def _id_query(dataset: Dataset, value_ids: list[int], words: list[str]) -> tuple[str, str, list[Any]]:
    """SQL selecting matching item ids (without order or limit), the id column, and its parameters.

    An item matches when it has every metadata value in `value_ids` and contains every word.
    """
    params: list[Any] = []
    if words and connection.vendor == "sqlite":
        key = "annotate_item_fts.rowid"
        # CROSS JOIN keeps FTS5 as the outer loop, so matches stream in rowid order.
        sql = (
            "SELECT annotate_item_fts.rowid FROM annotate_item_fts CROSS JOIN annotate_item i"
            " ON i.id = annotate_item_fts.rowid WHERE annotate_item_fts MATCH %s AND i.dataset_id = %s"
        )
        params += [_fts_match(words), dataset.pk]
    elif words:
        key = "s.item_id"
        sql = (
            "SELECT s.item_id FROM annotate_itemsearch s WHERE s.dataset_id = %s"
            " AND s.document @@ to_tsquery('simple'::regconfig, %s)"
        )
        params += [dataset.pk, _tsquery(words)]
    elif value_ids:
        key = "m0.item_id"
        sql = "SELECT m0.item_id FROM annotate_itemmetadata m0 WHERE m0.value_id = %s"
        params.append(value_ids[0])
        value_ids = value_ids[1:]
    else:
        key = "i.id"
        sql = "SELECT i.id FROM annotate_item i WHERE i.dataset_id = %s"
        params.append(dataset.pk)
    for number, value_id in enumerate(value_ids, start=1):
        sql += (
            f" AND EXISTS (SELECT 1 FROM annotate_itemmetadata m{number}"
            f" WHERE m{number}.value_id = %s AND m{number}.item_id = {key})"
        )
        params.append(value_id)
    return sql, key, params


def _most_selective_first(dataset: Dataset, filters: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Order filters so the rarest value drives the query (counts from the import summary)."""
    metadata = dataset.summary.get("metadata", {})

    def known_count(pair: tuple[str, str]) -> int:
        top = dict((v, n) for v, n in metadata.get(pair[0], {}).get("top", []))
        # A value outside the top 20 is rarer than every listed one.
        return top.get(pair[1], 0)

    return sorted(filters, key=known_count)


def items_page(
    *,
    dataset: Dataset,
    filters: list[tuple[str, str]] | None = None,
    query: str = "",
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
    count: bool = False,
) -> ItemPage:
    """A page of items matching every metadata filter and all words of the query, in import order.

    A query word of MIN_PREFIX_CHARS or more also matches the longer words it begins.

    The number of matches is exact when known without counting rows (no filter, a single filter's value
    count from the import summary, a first page holding every match); a single filter on a rarer value
    is counted up to MATCH_CAP; searches and several filters are counted (up to MATCH_CAP) only with
    `count=True`, else `matches` is None.
    """
    filters = _most_selective_first(dataset, list(dict.fromkeys(filters or [])))
    words = search_words(query)
    value_ids = _value_ids(dataset, filters)
    if value_ids is None:
        return ItemPage(items=[], has_next=False, has_previous=False, matches=0, capped=False)
    sql, key, params = _id_query(dataset, value_ids, words)
    if before is not None:
        page_sql, page_params = f"{sql} AND {key} < %s ORDER BY {key} DESC LIMIT %s", [*params, before, size + 1]
    elif after is not None:
        page_sql, page_params = f"{sql} AND {key} > %s ORDER BY {key} LIMIT %s", [*params, after, size + 1]
    else:
        page_sql, page_params = f"{sql} ORDER BY {key} LIMIT %s", [*params, size + 1]
    pg_search = bool(words) and connection.vendor == "postgresql"
    matches = _known_count(dataset, filters, words)
    # One filter is counted through the index it is looked up by, reading at most MATCH_CAP + 1 entries.
    count = matches is None and (count or (len(filters) == 1 and not words))
    with transaction.atomic(), connection.cursor() as cursor:
        if pg_search:
            common = _expected_share(cursor, words, dataset) >= COMMON_WORD_SHARE
            # The capped count stops after MATCH_CAP rows, so the index is always the cheap way to it.
            _plan_postgresql_search(cursor, walk_ids=False)
        if count:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT %s) capped", [*params, MATCH_CAP + 1])
            matches = cursor.fetchone()[0]
        if pg_search and common:
            _plan_postgresql_search(cursor, walk_ids=True)
        cursor.execute(page_sql, page_params)
        ids = [row[0] for row in cursor.fetchall()]
        more = len(ids) > size
        ids = sorted(ids[:size])
    if matches is None and after is None and before is None and not more:
        matches = len(ids)
    by_id = Item.objects.only("id", "dataset_id", "external_id", "position", "content", "metadata").in_bulk(ids)
    items = [by_id[pk] for pk in ids if pk in by_id]
    order = content_display_order(dataset.content_fields)
    for item in items:
        item.preview = content_preview(item.content, order)
        item.metadata_pairs = fields_in_order(item.metadata or {}, dataset.metadata_fields)
    return ItemPage(
        items=items,
        has_next=more if before is None else True,
        has_previous=(after is not None) if before is None else more,
        matches=min(matches, MATCH_CAP) if count else matches,
        capped=count and matches > MATCH_CAP,
    )


def _known_count(dataset: Dataset, filters: list[tuple[str, str]], words: list[str]) -> int | None:
    """The number of matches when it is known without counting rows, else None."""
    if words:
        return None
    if not filters:
        return dataset.item_count
    if len(filters) == 1:
        field_name, value = filters[0]
        info = (dataset.summary or {}).get("metadata", {}).get(field_name)
        if info is None:
            return 0
        top = dict((v, n) for v, n in info.get("top", []))
        if value in top:
            return top[value]
        if info.get("other", 0) == 0:
            return 0
    return None


def _expected_share(cursor: Any, words: list[str], dataset: Dataset) -> float:
    """The planner's estimate of the share of searchable items containing every word (from ANALYZE statistics)."""
    cursor.execute(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM annotate_itemsearch WHERE dataset_id = %s"
        " AND document @@ to_tsquery('simple'::regconfig, %s)",
        [dataset.pk, _tsquery(words)],
    )
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"] / max(dataset.search_indexed_count, 1)


def _plan_postgresql_search(cursor: Any, *, walk_ids: bool) -> None:
    """Choose the text-search plan for the rest of this transaction.

    A common word is found fastest by walking items in id order and testing each; a rare one only
    through the GIN index. Left alone, the planner can walk a million rows for a word that occurs nowhere.
    """
    if walk_ids:
        cursor.execute("SET LOCAL enable_indexscan = on")
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    else:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_seqscan = off")


def content_preview(content: Any, order: list[str], limit: int = PREVIEW_CHARS) -> str:
    """The start of an item's content on one line, fields in display order, for tables."""
    parts = []
    total = 0
    for _name, value in fields_in_order(content, order):
        text = value if isinstance(value, str) else importers.dumps(value)
        parts.append(" ".join(text[: limit + 1].split()))
        total += len(parts[-1])
        if total > limit:
            break
    text = " · ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def item_for(dataset: Dataset, item_pk: int) -> Item:
    """An item of the dataset, else 404."""
    item = Item.objects.filter(dataset=dataset, pk=item_pk).first()
    if item is None:
        raise Http404("No such item.")
    return item


def item_fields(values: dict[str, Any], order: list[str]) -> list[tuple[str, str, bool]]:
    """(name, text, is_json) per field in `order`: strings as they are, everything else as indented JSON."""
    rows = []
    for name, value in fields_in_order(values, order):
        if isinstance(value, str):
            rows.append((name, value, False))
        else:
            rows.append((name, importers.orjson.dumps(value, option=importers.orjson.OPT_INDENT_2).decode(), True))
    return rows


def item_content(item: Item, dataset: Dataset) -> list[tuple[str, Any]]:
    """An item's content fields as (name, value) pairs in the dataset's display order."""
    return fields_in_order(item.content, content_display_order(dataset.content_fields))


def item_metadata(item: Item, dataset: Dataset) -> list[tuple[str, Any]]:
    """An item's metadata fields as (name, value) pairs in the dataset's field order."""
    return fields_in_order(item.metadata or {}, dataset.metadata_fields)


def campaign_content_fields(campaign: Campaign) -> list[str]:
    """The content fields of a campaign's dataset in file order, from what was read with the campaign if it can."""
    if Campaign.dataset.is_cached(campaign):
        return list(campaign.dataset.content_fields)
    # The rating pages read the campaign in fixed SQL, with its dataset's fields as a column (JSON text on SQLite).
    fields = getattr(campaign, "dataset_content_fields", None)
    if fields is None:
        fields = Dataset.objects.filter(pk=campaign.dataset_id).values_list("content_fields", flat=True).first()
    elif isinstance(fields, str | bytes):
        fields = json.loads(fields)
    return [str(name) for name in fields or []]


def _width(count: int, largest: int) -> int:
    return 0 if largest <= 0 else int(round(count / largest * 20)) * 5


def _percentile(sorted_counts: list[tuple[int, int]], total: int, fraction: float) -> int:
    target = max(1, int(round(total * fraction + 0.4999)))
    running = 0
    for length, count in sorted_counts:
        running += count
        if running >= target:
            return length
    return sorted_counts[-1][0] if sorted_counts else 0


def _content_summary(name: str, info: dict[str, Any]) -> ContentSummary:
    counts = sorted((int(k), v) for k, v in info.get("lengths", {}).items())
    total = sum(v for _k, v in counts)
    low, high = info.get("min", 0), info.get("max", 0)
    step = max(1, -(-(high - low + 1) // HISTOGRAM_BINS))
    tallies = [0] * HISTOGRAM_BINS
    for length, count in counts:
        tallies[min(HISTOGRAM_BINS - 1, max(0, (length - low) // step))] += count
    largest = max(tallies) if tallies else 0
    bins = [
        LengthBin(low + i * step, low + (i + 1) * step - 1, n, _width(n, largest))
        for i, n in enumerate(tallies)
        if low + i * step <= high
    ]
    return ContentSummary(
        field=name,
        n=total,
        minimum=low,
        median=_percentile(counts, total, 0.5),
        p90=_percentile(counts, total, 0.9),
        maximum=high,
        bins=bins,
    )


def dataset_summary(dataset: Dataset) -> DatasetSummary:
    """Value counts per metadata field and text-length distributions per content field, from the import summary."""
    stored = dataset.summary or {}
    metadata = []
    # In the dataset's field order: PostgreSQL does not keep the stored JSON's key order.
    for name, info in fields_in_order(stored.get("metadata", {}), dataset.metadata_fields):
        top = info.get("top", [])
        largest = max([n for _v, n in top] + [info.get("other", 0)], default=0)
        total = max(dataset.item_count, 1)
        values = [ValueCount(v, n, 100 * n / total, _width(n, largest)) for v, n in top]
        metadata.append(MetadataSummary(name, values, info.get("other", 0), info.get("missing", 0), info["distinct"]))
    by_field = fields_in_order(stored.get("content", {}), content_display_order(dataset.content_fields))
    content = [_content_summary(name, info) for name, info in by_field]
    return DatasetSummary(metadata=metadata, content=content)


def filter_choices(dataset: Dataset) -> dict[str, list[str]]:
    """The most common values per metadata field, offered as suggestions in the filter form."""
    metadata = (dataset.summary or {}).get("metadata", {})
    return {name: [v for v, _n in metadata.get(name, {}).get("top", [])] for name in dataset.metadata_fields}
