"""The account's API tokens: list them, create one (its secret shown once), revoke one."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from annotate.forms.campaigns import apply_service_errors
from annotate.models import ApiToken
from annotate.services.api_tokens import NAME_MAX, api_token_create, api_token_revoke

PAGE = "accounts/api_tokens.html"


class ApiTokenForm(forms.Form):
    """A new token: its name, and how many days it lasts (empty: until revoked)."""

    name = forms.CharField(max_length=NAME_MAX, help_text="What uses it, e.g. “nightly export”.")
    expires_days = forms.IntegerField(
        label="Expires after (days)", required=False, min_value=1, max_value=365, help_text="1–365; empty: never."
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_token_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's tokens and a form to create one; a created token's secret is shown on this answer only."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, secret = api_token_create(user=request.user, name=form.cleaned_data["name"], expires_at=expires_at)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            response = render(request, "accounts/api_tokens_created.html", {"token": token, "secret": secret})
            # The secret is in this page alone: no cache, shared or the browser's, may keep it.
            add_never_cache_headers(response)
            return response
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    status = 400 if form.errors else 200
    return render(request, PAGE, {"form": form, "tokens": tokens, "now": timezone.now()}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then revoke one of the signed-in user's tokens; other users' tokens are not found."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if request.method == "POST":
        api_token_revoke(token=token)
        messages.success(request, f"Token “{token.name}” ({token.prefix}…) is revoked: requests with it are refused.")
        return redirect("annotate:api-tokens")
    return render(request, "accounts/api_tokens_revoke.html", {"token": token})
