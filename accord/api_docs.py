"""The OpenAPI schema, readable in a browser as well as by tools."""

import re
from typing import Any

from drf_spectacular.renderers import OpenApiJsonRenderer2, OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class SchemaTextRenderer(OpenApiYamlRenderer):
    """The schema's YAML as plain text, which a browser shows instead of saving as a file."""

    media_type = "text/plain"


# What a browser gets for each format: types it shows as a page. OpenAPI's own types make it save a file.
PAGE_RENDERERS: dict[str, type[BaseRenderer]] = {"yaml": SchemaTextRenderer, "json": OpenApiJsonRenderer2}


def from_browser(request: Request) -> bool:
    """Whether a browser opened the schema as a page: it asks for HTML first of all."""
    return "text/html" in request.headers.get("Accept", "")


class SchemaView(SpectacularAPIView):
    """The schema as YAML, or JSON by `?format=json` or Accept, in OpenAPI's types; a browser gets it as a page."""

    renderer_classes = [*SpectacularAPIView.renderer_classes, SchemaTextRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        renderer = PAGE_RENDERERS.get(request.query_params.get("format", "yaml"))
        if renderer is not None and from_browser(request):
            return renderer(), renderer.media_type
        return super().perform_content_negotiation(request, force)


# The schema's sections, in reading order: the first whose pattern the path matches names an operation's section.
SECTIONS = [
    (
        "Datasets and items",
        "Datasets, their items and summaries; imports from files or JSON records.",
        r"/(datasets|imports)/",
    ),
    ("Rubrics", "Rubrics, their versions, and agreement compared across versions.", r"/rubrics/"),
    (
        "Rating",
        "A rater's own queue for a custom front end: the next item, submit, skip, flag, and own ratings.",
        r"/campaigns/[^/]+/(assignments|my-ratings)/",
    ),
    (
        "Ratings and judges",
        "Every rating of a campaign; a machine judge's labels.",
        r"/campaigns/[^/]+/(ratings|machine-)",
    ),
    (
        "Adjudication",
        "The queue of disputed items, their labels side by side, and decisions.",
        r"/campaigns/[^/]+/adjudication/",
    ),
    ("Measures", "Agreement and leaderboards, with their intervals.", r"/campaigns/[^/]+/(agreement|leaderboard)/"),
    (
        "Exports",
        "Labels as files, large ones written by a task; the data card.",
        r"/(campaigns/[^/]+/(export|data-card)|exports)/",
    ),
    ("Campaigns", "Campaigns, their members and roles, status and progress.", r"/campaigns/"),
]


def _summary(description: str) -> str:
    """An operation's one-line summary: the first sentence of its description."""
    paragraph = " ".join(description.strip().split("\n\n")[0].split())
    depth = 0
    for index, char in enumerate(paragraph):
        depth += {"(": 1, ")": -1}.get(char, 0)
        # The first clause outside parentheses: up to a colon, a semicolon or a sentence's end.
        if depth == 0 and (char in ":;" or paragraph.startswith(". ", index)):
            return paragraph[:index]
    return paragraph.rstrip(".")


def arrange_operations(result: dict[str, Any], generator: object, request: object, public: bool) -> dict[str, Any]:
    """drf-spectacular hook: each operation under its section, sections in reading order, each with a summary line."""
    for path, operations in result.get("paths", {}).items():
        name = next((name for name, _about, pattern in SECTIONS if re.search(pattern, path)), None)
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            if name is not None:
                operation["tags"] = [name]
            if operation.get("description") and "summary" not in operation:
                operation["summary"] = _summary(operation["description"])
    result["tags"] = [{"name": name, "description": about} for name, about, _pattern in SECTIONS]
    return result
