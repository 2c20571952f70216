"""Rendering shared by every page: a whole page, or the fragment of it that htmx asked for."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page_or_fragment(request: HttpRequest, page: str, fragment: str, context: dict[str, Any]) -> HttpResponse:
    """`fragment` for an htmx request, else the whole `page` (which includes that fragment).

    The response varies on HX-Request, so that a cache (the browser's back button) never serves one for the other.
    """
    response = render(request, fragment if request.htmx else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
