"""The API's one error shape: `{"error": {"code", "message", "field", "row", "details"}}`, for every failure.

`message` is the first problem in words; `field` and `row` say where it is when it has a place (a body field, a
query parameter, a line of an uploaded file, a record of a JSON body); `details` lists every problem found, each
with its own `message`, `field` and `row`. Views raise DRF's exceptions or let a service's Django
`ValidationError` through: `exception_handler` turns both into this shape, and the error pages under /api/ answer
in it too (accord/pages.py).
"""

import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

# Where a service's message names its place: "line 3, field 'id': …", "row 7: …", "record 2, field 'x': …".
_PLACE = re.compile(r"^(?:line|row|record) (?P<row>\d+)(?:, field '(?P<field>[^']*)')?:")
# "field: message", as the services write a problem with one named input ("file: too large").
_FIELD_PREFIX = re.compile(r"^(?P<field>[a-z_][a-z0-9_.\[\]]{0,60}): ")

# The code for a status whose exception names none.
STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}


def problem(message: str, *, field: str | None = None, row: int | None = None) -> dict[str, Any]:
    """One problem: its message and, when the message itself names them, its row and field."""
    place = _PLACE.match(message)
    if place is not None:
        row = row if row is not None else int(place["row"])
        field = field if field is not None else place["field"]
    elif field is None:
        named = _FIELD_PREFIX.match(message)
        field = named["field"] if named is not None else None
    return {"message": message, "field": field or None, "row": row}


def error_body(code: str, problems: list[dict[str, Any]]) -> dict[str, Any]:
    """The error shape for these problems (at least one)."""
    first = problems[0]
    return {"error": {"code": code, **first, "details": problems}}


def error_json(status_code: int, message: str, *, code: str | None = None, field: str | None = None) -> JsonResponse:
    """A plain Django JSON response in the error shape, for the error pages and middleware under /api/."""
    code = code or STATUS_CODES.get(status_code, "error")
    return JsonResponse(error_body(code, [problem(message, field=field)]), status=status_code)


def _flatten(detail: Any, path: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """DRF's nested validation detail as problems, each with the dotted path of its field."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = path if key in ("non_field_errors", "__all__") else (*path, str(key))
            yield from _flatten(value, inner)
    elif isinstance(detail, list):
        if all(isinstance(part, str) for part in detail):
            for part in detail:
                yield problem(str(part), field=".".join(path) or None)
        else:
            for index, value in enumerate(detail):
                if value:
                    yield from _flatten(value, (*path, str(index)))
    else:
        yield problem(str(detail), field=".".join(path) or None)


def _django_problems(error: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(error, "error_dict"):
        return list(_flatten(error.message_dict))
    return [problem(message) for message in error.messages]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, answering in the error shape; a service's Django ValidationError becomes a 400."""
    # Imported here: rest_framework.views reads the parser settings, and accord.input_checks (a parser) imports us.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        problems = _django_problems(exc) or [problem("The request is not valid.")]
        return Response(error_body("invalid", problems), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = _code(exc, response.status_code)
    if isinstance(exc, exceptions.ValidationError):
        problems = list(_flatten(exc.detail)) or [problem("The request is not valid.")]
    else:
        problems = [problem(str(getattr(exc, "detail", exc)))]
    response.data = error_body(code, problems)
    return response


def _code(exc: Exception, status_code: int) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    if isinstance(codes, str) and codes not in ("error", "invalid"):
        return codes
    return STATUS_CODES.get(status_code, "error")


# The error shape in OpenAPI terms, added to the schema's components by add_error_responses.
_NULLABLE_TEXT = {"type": "string", "nullable": True}
ERROR_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "description": "One problem and where it is.",
        "properties": {
            "message": {"type": "string"},
            "field": {
                **_NULLABLE_TEXT,
                "description": "The body field or query parameter at fault (dotted when nested), or null.",
            },
            "row": {
                "type": "integer",
                "nullable": True,
                "description": "The line of an uploaded file or the record of a JSON body at fault, or null.",
            },
        },
        "required": ["message", "field", "row"],
    },
    "Error": {
        "type": "object",
        "description": "Every error the API answers has this shape.",
        "properties": {
            "error": {
                "allOf": [{"$ref": "#/components/schemas/ErrorDetail"}],
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "What went wrong, for programs: invalid, not_authenticated, "
                        "authentication_failed, permission_denied, not_found, method_not_allowed, "
                        "unsupported_media_type, too_large, throttled, unavailable.",
                    },
                    "details": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/ErrorDetail"},
                        "description": "Every problem found; the first is repeated above.",
                    },
                },
                "required": ["code", "details"],
            }
        },
        "required": ["error"],
    },
}

# Statuses every operation may answer, documented on each by add_error_responses.
COMMON_ERRORS = {
    "400": "The request is not valid: `error.field` and `error.row` say where.",
    "401": "No credentials, or an API token that is wrong, revoked or expired.",
    "403": "Signed in, but not allowed to do this.",
    "404": "Not found, or not visible to you.",
    "405": "The method is not allowed here.",
    "406": "No representation in the asked-for media type.",
    "409": "The object's state does not allow this now: already submitted, or the campaign is not active.",
    "413": "The request body is larger than the server accepts.",
    "415": "The body's media type is not one this operation reads.",
    "429": "Too many requests: wait the seconds the `Retry-After` header gives.",
    "503": "The database could not be reached: try again after `Retry-After` seconds.",
}


def add_error_responses(result: dict[str, Any], generator: object, request: object, public: bool) -> dict[str, Any]:
    """drf-spectacular hook: the error schemas, and the error statuses on every operation that does not name them."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_ERRORS.items():
                responses.setdefault(code, {"description": description, "content": error})
            # An error an operation documents itself, without a body: the body is the error shape too.
            for code, response in responses.items():
                if code.startswith(("4", "5")) and "content" not in response:
                    response["content"] = error
    return result
