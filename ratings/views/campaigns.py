"""Campaign pages: create, the campaign overview, settings, status, members, gold checks and repeat rates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.limits import quoted_text
from annotate.forms.campaigns import (
    CampaignCreateForm,
    CampaignRatesForm,
    CampaignSettingsForm,
    CampaignStatusForm,
    DatasetPickForm,
    MemberInviteForm,
    MemberUpdateForm,
    apply_service_errors,
)
from annotate.models import Campaign, Membership
from annotate.permissions import can_curate, datasets_visible_to, get_campaign_for, rubrics_visible_to
from annotate.sampling import describe_sample_spec
from annotate.selectors.campaigns import campaign_members
from annotate.services import campaigns as services
from annotate.services import invitations
from ratings import gold, machine_ratings
from ratings.forms import GoldItemForm
from ratings.gold import gold_items
from ratings.leaderboard_report import system_field_guess
from ratings.progress import campaign_progress, rater_rating_count, rater_stats
from ratings.queue_selectors import rate_unavailable_reason, rater_finished, rater_progress

OWNER_ONLY = frozenset({Membership.Role.OWNER})
Status = Campaign.Status
# Buttons an owner sees for each status: (target status, label, button class).
STATUS_ACTIONS = {
    Status.DRAFT: [("active", "Start", "")],
    Status.ACTIVE: [("paused", "Pause", "secondary"), ("closed", "Close", "danger")],
    Status.PAUSED: [("active", "Resume", ""), ("closed", "Close", "danger")],
    # Archiving from the page comes after closing; staff may archive any campaign from the admin.
    Status.CLOSED: [("active", "Reopen", ""), ("archived", "Archive", "secondary")],
    Status.ARCHIVED: [("closed", "Unarchive", "secondary")],
}
# Closing stops raters mid-work, so the button asks first; unarchiving also makes a campaign closed, but it ends
# nobody's work.
ASK_BEFORE_CLOSING = frozenset({Status.ACTIVE, Status.PAUSED})
CONFIRM_PAGE = "ratings/campaign_confirm.html"


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    """Pick a dataset, then set rubric version, sample, overlap, lease and visible fields."""
    if not can_curate(request.user):
        # As the dataset and rubric pages answer: the page exists, the user lacks the permission.
        raise PermissionDenied("You may not create campaigns: ask an administrator for the permission.")
    params = request.POST if request.method == "POST" else request.GET
    picker = DatasetPickForm(params if "dataset" in params else None, user=request.user)
    context = {"picker": picker, "has_datasets": picker.fields["dataset"].queryset.exists()}
    context["has_rubrics"] = rubrics_visible_to(request.user).filter(versions__isnull=False).exists()
    if not picker.is_valid():
        return render(request, "ratings/campaign_create.html", context)
    dataset = picker.cleaned_data["dataset"]
    form = CampaignCreateForm(request.POST or None, user=request.user, dataset=dataset)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(**form.service_kwargs(), user=request.user)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Campaign created with {campaign.n_items} items. {campaign.sample_note}")
            return redirect("ratings:campaign-detail", slug=campaign.slug)
    return render(request, "ratings/campaign_create.html", {**context, "dataset": dataset, "form": form})


@login_required
@require_GET
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign overview; raters see only the guidelines and their own count (owners and adjudicators who
    also rate see the whole page, with their own count and the way to rate)."""
    campaign = get_campaign_for(request, slug)
    if campaign.caller_role == Membership.Role.RATER:
        finished = rater_finished(campaign=campaign, rater=request.user)
        mine = rater_progress(campaign=campaign, rater=request.user, finished=finished)
        context = {
            "campaign": campaign,
            "role": campaign.caller_role,
            "my_count": mine.done,
            "my_progress": mine,
            "reason": rate_unavailable_reason(campaign),
            "spec_text": describe_sample_spec(campaign.sample_spec),
        }
        return render(request, "ratings/campaign_detail_rater.html", context)
    return _campaign_page(request, campaign)


def _campaign_page(
    request: HttpRequest,
    campaign: Campaign,
    rates_form: CampaignRatesForm | None = None,
    *,
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    """The campaign page of owners, adjudicators and viewers.

    A refused change shows the page again with what was wrong beside the form that sent it: `rates_form` as
    posted, or `errors` keyed by the form ("status", "members").
    """
    role = campaign.caller_role
    context = {"campaign": campaign, "role": role, "spec_text": describe_sample_spec(campaign.sample_spec)}
    if campaign.caller_rates:
        # An owner or adjudicator who also rates: their own progress, as the raters' page shows it.
        finished = rater_finished(campaign=campaign, rater=request.user)
        context["my_progress"] = rater_progress(campaign=campaign, rater=request.user, finished=finished)
    context.update(
        caller_rates=campaign.caller_rates,
        overlap_warning=services.overlap_shortfall(campaign),
        progress=campaign_progress(campaign),
        # Gold accuracy is the owner's alone; readers get the counts and times.
        rater_counts=rater_stats(campaign, include_gold=role == Membership.Role.OWNER),
        members=campaign_members(campaign),
        machine_raters=machine_ratings.machine_raters_summary(campaign),
        machine_ratings_per_call=f"{machine_ratings.MAX_RATINGS_PER_CALL:,}",
        dataset_visible=datasets_visible_to(request.user).filter(pk=campaign.dataset_id).exists(),
        rubric_visible=rubrics_visible_to(request.user).filter(pk=campaign.rubric_version.rubric_id).exists(),
        errors=errors or {},
    )
    if role == Membership.Role.OWNER:
        context.update(
            status_actions=STATUS_ACTIONS[campaign.status],
            invite_form=MemberInviteForm(),
            roles=Membership.Role.choices,
            **_checks_context(campaign, rates_form),
        )
    return render(request, "ratings/campaign_detail.html", context)


def _checks_context(campaign: Campaign, rates_form: CampaignRatesForm | None) -> dict:
    """What the owner's gold-and-repeats card needs."""
    initial = {"gold_rate": campaign.gold_rate, "repeat_rate": campaign.repeat_rate}
    return {
        "rates_form": rates_form or CampaignRatesForm(initial=initial),
        "rates_editable": campaign.status in services.RATES_EDITABLE,
        "n_gold_items": gold_items(campaign).count(),
    }


def _warn_of_overlap(request: HttpRequest, campaign: Campaign) -> None:
    """Say, on starting (or reopening) the campaign, when no item can be completed with the members who rate.

    The campaign page says it too, for as long as it holds; after other changes that page alone says it.
    """
    warning = services.overlap_shortfall(campaign)
    if warning:
        messages.warning(request, warning)


def _confirm_page(request: HttpRequest, campaign: Campaign, **context: object) -> HttpResponse:
    """Ask before a change that cannot simply be taken back: what it does, and a button that does it."""
    return render(request, CONFIRM_PAGE, {"campaign": campaign, **context})


def _confirm_close(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    return _confirm_page(
        request,
        campaign,
        title=f"Close {campaign.name}?",
        consequences=[
            "Raters can no longer get items, and an item open on a rater's screen now cannot be submitted.",
            "Every rating so far is kept: agreement, adjudication and export go on working.",
            "Members who rate see that the campaign is closed. You can reopen it from the campaign page.",
        ],
        action=reverse("ratings:campaign-status", args=[campaign.slug]),
        fields=[("status", Status.CLOSED)],
        button="Close the campaign",
    )


@login_required
@require_POST
def campaign_status(request: HttpRequest, slug: str) -> HttpResponse:
    """Start, pause, resume, close (after asking), reopen, archive or unarchive the campaign (owners)."""
    campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
    form = CampaignStatusForm(request.POST)
    if not form.is_valid():
        choices = ", ".join(Status.values)
        return _campaign_page(request, campaign, errors={"status": f"Status: choose one of {choices}."})
    target = form.cleaned_data["status"]
    if target == Status.CLOSED and campaign.status in ASK_BEFORE_CLOSING and not form.cleaned_data["confirm"]:
        return _confirm_close(request, campaign)
    try:
        campaign = services.campaign_set_status(campaign=campaign, status=target)
    except ValidationError as exc:
        return _campaign_page(request, campaign, errors={"status": _error_text(exc)})
    messages.success(request, f"The campaign is now {campaign.get_status_display().lower()}.")
    if campaign.status == Status.ACTIVE:
        _warn_of_overlap(request, campaign)
    return redirect("ratings:campaign-detail", slug=campaign.slug)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit the campaign's settings (owners); each locked setting is shown with the reason it is locked."""
    campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
    locks = services.campaign_settings_locks(campaign)
    form = CampaignSettingsForm(
        request.POST or None,
        user=request.user,
        campaign=campaign,
        locks=locks,
        system_fields=machine_ratings.system_field_options(campaign),
        system_guess=system_field_guess(campaign),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                updated = services.campaign_update(campaign=campaign, **form.service_kwargs())
                machine_ratings.campaign_evaluation_update(campaign=updated, **form.evaluation_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Settings saved. {updated.sample_note}".strip())
            return redirect("ratings:campaign-detail", slug=updated.slug)
    context = {
        "campaign": campaign,
        "form": form,
        "locks": locks,
        "spec_text": describe_sample_spec(campaign.sample_spec),
    }
    return render(request, "ratings/campaign_settings.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_member_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a member the owner already knows, or make an invitation link for any other username (owners)."""
    campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
    form = MemberInviteForm(request.POST or None)
    context: dict = {"campaign": campaign, "form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.member_add_known(campaign=campaign, inviter=request.user, **data)
            token = None if user else invitations.invitation_make(campaign=campaign, inviter=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            role_text = services.role_text(data["role"], data["rates"])
            if user is not None:
                messages.success(request, f"{user.get_username()} is now {role_text} in this campaign.")
                return redirect("ratings:campaign-detail", slug=campaign.slug)
            # The same page whether or not the name has an account: the owner must not learn which names exist.
            link = request.build_absolute_uri(reverse("annotate:invitation", args=[token]))
            invitation = {"username": data["username"], "role": role_text, "link": link}
            context.update(form=MemberInviteForm(), invitation=invitation, days=invitations.INVITATION_MAX_AGE.days)
    return render(request, "ratings/campaign_member_add.html", context)


def _confirm_remove(request: HttpRequest, campaign: Campaign, membership: Membership) -> HttpResponse:
    name = membership.user.get_username()
    n_ratings = rater_rating_count(campaign, membership.user)
    consequences = [f"{name} can no longer open this campaign{' or rate in it' if membership.rates else ''}."]
    if n_ratings:
        consequences.append(
            f"Their {n_ratings} rating{'s stay' if n_ratings != 1 else ' stays'}, in agreement and exports, "
            "marked as by someone no longer a rater."
        )
    if membership.user_id == request.user.pk:
        consequences.append("That is you: you will no longer see this campaign.")
    consequences.append("To undo it, add them again from the members section.")
    return _confirm_page(
        request,
        campaign,
        title=f"Remove {name} from {campaign.name}?",
        consequences=consequences,
        action=reverse("ratings:campaign-member-update", args=[campaign.slug, membership.pk]),
        fields=[("action", "remove")],
        button=f"Remove {name}",
        back="#campaign-members",
    )


def _member_change(campaign: Campaign, membership: Membership, data: dict) -> str:
    """Make the change the members form asked for; what happened, in words."""
    name = membership.user.get_username()
    if data["action"] == "remove":
        services.membership_remove(campaign=campaign, membership=membership)
        return f"Removed {name} from the campaign."
    if data["action"] == "rates":
        changed = services.membership_set_rates(campaign=campaign, membership=membership, rates=data["rates"])
    else:
        changed = services.membership_set(campaign=campaign, user=membership.user, role=data["role"])
    return f"{name} is now {services.role_text(changed.role, changed.rates)}."


@login_required
@require_POST
def campaign_member_update(request: HttpRequest, slug: str, membership_pk: int) -> HttpResponse:
    """Change a member's role or whether they rate, or remove them after asking (owners); the last owner stays."""
    campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_pk, campaign=campaign)
    form = MemberUpdateForm(request.POST)
    if not form.is_valid():
        problems = " ".join(f"{field.capitalize()}: {' '.join(e)}" for field, e in form.errors.items())
        return _campaign_page(request, campaign, errors={"members": problems})
    data = form.cleaned_data
    try:
        if data["action"] == "remove" and not data["confirm"]:
            services.membership_remove_check(campaign=campaign, membership=membership)
            return _confirm_remove(request, campaign, membership)
        done = _member_change(campaign, membership, data)
    except ValidationError as exc:
        return _campaign_page(request, campaign, errors={"members": _error_text(exc)})
    messages.success(request, done)
    if data["action"] == "remove" and membership.user_id == request.user.pk and not request.user.is_staff:
        return redirect("home")
    return redirect("ratings:campaign-detail", slug=campaign.slug)


@login_required
@require_POST
def campaign_rates(request: HttpRequest, slug: str) -> HttpResponse:
    """Change the gold rate and the repeat rate (owners; not once closed)."""
    campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
    form = CampaignRatesForm(request.POST)
    if form.is_valid():
        try:
            updated = services.campaign_set_rates(campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Gold rate {updated.gold_rate:g}, repeat rate {updated.repeat_rate:g}.")
            return redirect("ratings:campaign-detail", slug=campaign.slug)
    # The page again, with the rates as typed and what is wrong with them beside the fields.
    return _campaign_page(request, campaign, rates_form=form)


def _gold_answer_rows(campaign: Campaign) -> list[tuple[object, list[tuple[str, str]]]]:
    """Each gold item with its expected values as the owner reads them: (criterion label, option label)."""
    criteria = {c.key: c for c in campaign.rubric_version.typed_criteria}
    rows = []
    for campaign_item in gold_items(campaign):
        shown = []
        for key, value in (campaign_item.gold_answer or {}).items():
            criterion = criteria.get(key)
            labels = {repr(o.value): o.label for o in criterion.options} if criterion else {}
            values = value if isinstance(value, list) else [value]
            text = ", ".join(labels.get(repr(v), str(v)) for v in values) if values else "none"
            shown.append((criterion.label if criterion else key, text))
        rows.append((campaign_item, shown))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def campaign_gold(request: HttpRequest, slug: str) -> HttpResponse:
    """The gold items and their expected values; POST adds one, or updates its expected values (owners)."""
    campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
    form = GoldItemForm(request.POST or None, criteria=campaign.rubric_version.typed_criteria)
    if request.method == "POST" and form.is_valid():
        external_id = form.cleaned_data["external_id"].strip()
        try:
            gold.campaign_items_mark_gold(
                campaign=campaign, external_ids=[external_id], answers={external_id: form.answer}
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Item {external_id!r} is a gold item.")
            return redirect("ratings:campaign-gold", slug=campaign.slug)
    return _gold_page(request, campaign, form)


def _gold_page(request: HttpRequest, campaign: Campaign, form: GoldItemForm, remove_error: str = "") -> HttpResponse:
    """The gold page; a refused form shows what was wrong beside it."""
    context = {"campaign": campaign, "form": form, "rows": _gold_answer_rows(campaign), "remove_error": remove_error}
    context["is_open"] = services.campaign_is_open(campaign)
    return render(request, "ratings/campaign_gold.html", context)


def _confirm_gold_remove(request: HttpRequest, campaign: Campaign, external_id: str) -> HttpResponse:
    """Ask before turning a gold item back into an ordinary one; refuse at once what could not be done."""
    if not services.campaign_is_open(campaign):
        raise ValidationError(
            f"This campaign is {campaign.get_status_display().lower()}: its gold items can no longer change."
        )
    # Gold items are few: look the id up among them rather than send any text the form carried to the database.
    if external_id not in set(gold_items(campaign).values_list("item__external_id", flat=True)):
        raise ValidationError(f"Item {quoted_text(external_id)} is not a gold item of {campaign.slug!r}.")
    return _confirm_page(
        request,
        campaign,
        title=f"Make item {quoted_text(external_id)} an ordinary item?",
        consequences=[
            "Its expected values are deleted: to make it a gold item again, enter them again.",
            "Its ratings then count as ordinary ratings, towards overlap, progress and agreement, and no longer "
            "towards the raters' gold accuracy.",
        ],
        action=reverse("ratings:campaign-gold-remove", args=[campaign.slug]),
        fields=[("external_id", external_id)],
        button="Make it an ordinary item",
        back_url=reverse("ratings:campaign-gold", args=[campaign.slug]),
    )


@login_required
@require_POST
def campaign_gold_remove(request: HttpRequest, slug: str) -> HttpResponse:
    """Turn a gold item back into an ordinary item (owners)."""
    campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
    external_id = request.POST.get("external_id", "")
    try:
        if request.POST.get("confirm") != "on":
            return _confirm_gold_remove(request, campaign, external_id)
        gold.campaign_items_unmark_gold(campaign=campaign, external_ids=[external_id])
    except ValidationError as exc:
        return _gold_page(
            request,
            campaign,
            GoldItemForm(criteria=campaign.rubric_version.typed_criteria),
            remove_error=_error_text(exc),
        )
    messages.success(request, f"Item {external_id!r} is no longer a gold item.")
    return redirect("ratings:campaign-gold", slug=campaign.slug)
