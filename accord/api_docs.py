"""The OpenAPI schema, readable in a browser as well as by tools."""

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
