"""Rendering shared by every page: a whole page or the fragment of it that htmx asked for, error pages, the icon."""

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.http import require_safe

from accord.api_errors import error_json


def render_page_or_fragment(request: HttpRequest, page: str, fragment: str, context: dict[str, Any]) -> HttpResponse:
    """`fragment` for an htmx request, else the whole `page` (which includes that fragment).

    The response varies on HX-Request, so that a cache (the browser's back button) never serves one for the other.
    """
    response = render(request, fragment if request.htmx else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# Error pages. Django's own handlers render the templates 400/403/404/500.html in the site's layout (the 403 and
# 404 with the request, so the menus show; the 500 without it, so that a failing database or session cannot
# break the page that reports the failure). Under /api/ the answer is JSON, as DRF's own errors are.


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the API, whose errors are JSON."""
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400: JSON under /api/, else the site's page."""
    if is_api(request):
        return error_json(400, "The request could not be read.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403: JSON under /api/, else the site's page, which says what was refused."""
    if is_api(request):
        return error_json(403, str(exception) or "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: JSON under /api/, else the site's page."""
    if is_api(request):
        return error_json(404, "No such address in the API: see /api/docs/.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, rendered without the request: JSON under /api/, else the site's page."""
    if is_api(request):
        return error_json(500, "Something went wrong on our side; the error has been logged.")
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: JSON under /api/, else the site's page with a way back to the form."""
    if is_api(request):
        return error_json(403, f"CSRF check failed: {reason}", code="csrf_failed")
    if not hasattr(request, "user"):
        # The check runs before authentication: sign the user in lazily, as the middleware would, for the menus.
        request.user = SimpleLazyObject(lambda: auth.get_user(request))
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE, "back": _back_url(request)}
    return render(request, "403_csrf.html", context, status=403)


def _back_url(request: HttpRequest) -> str | None:
    """The page the refused form was sent from, when it is one of this site's."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return None


FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """The site's icon at /favicon.ico, where browsers look for it on pages that name none (admin, API, JSON)."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response
