"""An htmx request whose session has expired goes to the login page as a whole page, not into a fragment.

`login_required` answers with a redirect to the login page; htmx would follow it and swap the login form
into the rating panel, under the old page's header. The browser is sent there instead, and after signing in
the rater comes back to the page they were on (not to the fragment's POST-only address).
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirect:
    """Turn a redirect to the login page, answering an htmx request, into a full-page redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 302 or not getattr(request, "htmx", False):
            return response
        login = resolve_url(settings.LOGIN_URL)
        if not response["Location"].startswith(login):
            return response
        back = request.htmx.current_url_abs_path
        target = f"{login}?{urlencode({'next': back})}" if back and back.startswith("/") else login
        return HttpResponseClientRedirect(target)
