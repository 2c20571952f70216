"""Cursor pagination for every list the API returns: `{"next", "previous", "results"}`.

A list is read in key order (a unique key: a row id, or a tuple for lists built in memory) from the position a
`cursor` query parameter holds, `limit` rows at a time. The cursor is opaque to clients (they follow `next`), keeps
its place while rows are added, and a cursor that was not one this API gave answers 400 naming the parameter.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR_LENGTH = 1000

PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="Where the page starts: the `next` or `previous` link's cursor."
    ),
    OpenApiParameter(
        "limit", OpenApiTypes.INT, description=f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."
    ),
]

Key = int | str | tuple


def page_serializer(child: serializers.Serializer | type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The schema of one page of `child` rows, named `name` in the schema's components."""
    rows = child(many=True) if isinstance(child, type) else child
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last one."),
            "previous": serializers.URLField(allow_null=True, help_text="The page before, or null on the first."),
            "results": rows,
        },
    )


def page_limit(request: Request) -> int:
    """The `limit` query parameter, checked: 400 naming it if it is not a whole number from 1 to MAX_LIMIT."""
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}, got {raw[:40]!r}."]})
    return int(raw)


@dataclass(frozen=True)
class Cursor:
    forward: bool
    key: Key


def _encode(cursor: Cursor) -> str:
    key = list(cursor.key) if isinstance(cursor.key, tuple) else cursor.key
    raw = json.dumps(["n" if cursor.forward else "p", key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _scalar(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def cursor_refused() -> ValidationError:
    """The 400 for a cursor that is not one this API gave."""
    return ValidationError({"cursor": ["Not a cursor this API gave: follow the `next` or `previous` link."]})


def read_cursor(request: Request) -> Cursor | None:
    """The `cursor` query parameter as a position, or None for the first page; 400 if it is not one we gave."""
    raw = request.query_params.get("cursor")
    if not raw:
        return None
    refused = cursor_refused()
    if len(raw) > MAX_CURSOR_LENGTH:
        raise refused
    try:
        direction, key = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise refused from None
    if direction not in ("n", "p"):
        raise refused
    if isinstance(key, list) and key and all(_scalar(part) for part in key):
        key = tuple(key)
    elif not _scalar(key):
        raise refused
    return Cursor(forward=direction == "n", key=key)


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def _page(rows: list, cursor: Cursor | None, limit: int, key_of: Callable[[Any], Key]) -> Page:
    """Pick the page from rows read in the direction of travel, one more than the limit to see if more follow."""
    more = len(rows) > limit
    rows = rows[:limit]
    if cursor is not None and not cursor.forward:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    first, last = key_of(rows[0]), key_of(rows[-1])
    if cursor is None or cursor.forward:
        has_next, has_previous = more, cursor is not None
    else:
        has_next, has_previous = True, more
    return Page(
        rows,
        Cursor(True, last) if has_next else None,
        Cursor(False, first) if has_previous else None,
    )


def page_of_queryset(request: Request, queryset: QuerySet, *, key: str = "id", descending: bool = False) -> Page:
    """One page of a queryset in order of a unique integer field `key` (descending: newest first)."""
    limit, cursor = page_limit(request), read_cursor(request)
    if cursor is not None:
        if not isinstance(cursor.key, int):
            raise cursor_refused()
        beyond = cursor.forward != descending
        queryset = queryset.filter(**{f"{key}__{'gt' if beyond else 'lt'}": cursor.key})
    ascending = (cursor is None or cursor.forward) != descending
    ordered = queryset.order_by(key if ascending else f"-{key}")
    return _page(list(ordered[: limit + 1]), cursor, limit, lambda row: getattr(row, key))


def page_of_list(request: Request, rows: Sequence, *, key: Callable[[Any], Key]) -> Page:
    """One page of a list already sorted by `key` (unique per row), built in memory."""
    limit, cursor = page_limit(request), read_cursor(request)
    if cursor is None:
        return _page(list(rows[: limit + 1]), None, limit, key)
    try:
        if cursor.forward:
            picked = [row for row in rows if key(row) > cursor.key][: limit + 1]
        else:
            picked = [row for row in rows if key(row) < cursor.key][::-1][: limit + 1]
    except TypeError:
        # A cursor of another list: its key does not compare with this one's.
        raise cursor_refused() from None
    return _page(picked, cursor, limit, key)


def _link(request: Request, cursor: Cursor | None) -> str | None:
    if cursor is None:
        return None
    url = request.build_absolute_uri()
    return replace_query_param(url, "cursor", _encode(cursor))


def page_response(request: Request, page: Page, results: list) -> Response:
    """The page's serialized rows with the links to the pages beside it."""
    return Response(
        {"next": _link(request, page.next_cursor), "previous": _link(request, page.previous_cursor), "results": results}
    )
