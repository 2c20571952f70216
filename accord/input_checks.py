"""Checks on what crosses the boundary, made once per request before any view, form or serializer reads it.

Text with a NUL character is refused here for every path at once: no text Accord stores may hold one
(PostgreSQL refuses it in a text column, so it surfaced as a server error in a dozen places), and no
form, query string or file name has a reason to carry one.
"""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from accord.api_errors import error_json
from accord.limits import quoted

NUL = "\x00"
# An escaped NUL in JSON text: \u0000 preceded by an even number of backslashes (\\u0000 is a backslash and "u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_ROW_ID = re.compile(r"[0-9]{1,18}")


def parse_row_id(raw: str | None) -> int | None:
    """A database id sent as text, or None: ASCII digits only (str.isdigit also takes "²") and at most 18 of them.

    Any such number fits a 64-bit key, so a lookup by it can find nothing but never overflows the column.
    """
    return int(raw) if raw is not None and _ROW_ID.fullmatch(raw) else None


def _is_json(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


def nul_problem(request: HttpRequest) -> tuple[str, str | None] | None:
    """What in the request holds a NUL character, in words, with the parameter or field it is in; or None."""
    if NUL in request.path:
        return "The address contains a NUL character.", None
    for where, values in (("query parameter", request.GET), ("form field", request.POST)):
        for name, items in values.lists():
            if NUL in name:
                return f"The {where} name {quoted(name)} contains a NUL character.", None
            if any(NUL in item for item in items):
                return f"The {where} {quoted(name)} contains a NUL character.", name[:100]
    if request.method in ("POST", "PUT", "PATCH") and _is_json(request) and _JSON_NUL.search(request.body):
        return "The JSON body contains a NUL character (\\u0000).", None
    return None


def _refuse(request: HttpRequest, status: int, message: str, field: str | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_json(status, message, field=field)
    return render(request, "request_refused.html", {"message": message}, status=status)


class RejectNulCharacters:
    """Answer 400 with a clear message to a request whose text holds a NUL character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            problem = nul_problem(request)
        except RequestDataTooBig:
            limit = _data_limit_mb()
            return _refuse(request, 413, f"The request body is larger than the {limit} MB a request may send.")
        if problem is not None:
            message, field = problem
            return _refuse(request, 400, f"{message} Remove it and send again.", field)
        return self.get_response(request)


def _data_limit_mb() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, with nesting deep enough to exhaust the stack reported as bad JSON, not a crash."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
