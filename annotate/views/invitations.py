"""Invitation links: joining a campaign by a link an owner sent, after signing in or creating the account."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotate.forms.campaigns import InvitationAccountForm, apply_service_errors
from annotate.services import invitations as services
from annotate.services.campaigns import role_text
from annotate.services.invitations import Invitation

PAGE = "annotate/invitation.html"
SESSION_BACKEND = "accord.accounts.AccountBackend"


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return render(request, PAGE, {"problem": " ".join(error.messages)}, status=400)


def _joined(request: HttpRequest, invitation: Invitation, role: str, created: bool) -> HttpResponse:
    name = invitation.campaign.name
    messages.success(request, f"You are now {role} in {name}." if created else f"You are already {role} in {name}.")
    return redirect("ratings:campaign-detail", slug=invitation.campaign.slug)


@require_http_methods(["GET", "POST"])
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation; accept it when signed in as the invited user, else sign in or create the account."""
    try:
        invitation = services.invitation_read(token)
    except ValidationError as exc:
        return _refused(request, exc)
    context = {"invitation": invitation, "days": services.INVITATION_MAX_AGE.days}
    if not request.user.is_authenticated:
        if services.invitation_has_account(invitation):
            return render(request, PAGE, {**context, "step": "log-in"})
        return _create_account(request, invitation, context)
    if request.user.get_username() != invitation.username:
        return render(request, PAGE, {**context, "step": "wrong-user"}, status=403)
    if request.method == "POST":
        try:
            membership, created = services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            return _refused(request, exc)
        return _joined(request, invitation, role_text(membership.role, membership.rates), created)
    return render(request, PAGE, {**context, "step": "accept"})


def _create_account(request: HttpRequest, invitation: Invitation, context: dict) -> HttpResponse:
    """Create the invited account with the password chosen here, sign it in and make it a member."""
    form = InvitationAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept_new_account(invitation=invitation, password=form.cleaned_data["password"])
        except ValidationError as exc:
            if "password" in exc.message_dict:
                apply_service_errors(form, exc)
            elif services.invitation_has_account(invitation):
                # Someone created the account meanwhile: its holder signs in instead.
                return render(request, PAGE, {**context, "step": "log-in"})
            else:
                return _refused(request, exc)
        else:
            # The password was just chosen here: sign in without checking it again, by the backend that reads sessions.
            login(request, user, backend=SESSION_BACKEND)
            return _joined(request, invitation, invitation.role_text, created=True)
    return render(request, PAGE, {**context, "step": "create", "form": form})
