"""REST API for campaigns: list and create them, read one, start and close it, follow its progress, manage members."""

import dataclasses
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.api_input import BodySerializer
from accord.api_pages import PAGE_PARAMETERS, page_of_list, page_of_queryset, page_response, page_serializer
from annotate.api_auth import require_curator
from annotate.models import Campaign, Membership, RubricVersion
from annotate.permissions import READERS, datasets_visible_to, get_campaign_for, rubrics_visible_to
from annotate.sampling import METHODS, SampleSpecError, describe_sample_spec, parse_sample_spec
from annotate.selectors.campaigns import campaigns_for_user
from annotate.services import campaigns as services
from ratings.gold import gold_items
from ratings.progress import campaign_progress, rater_stats
from ratings.queue_selectors import rate_unavailable_reason, rater_finished, rater_progress

Role = Membership.Role
Status = Campaign.Status
OWNER_ONLY = frozenset({Role.OWNER})
# Ids sent in a body: at most 18 digits, as accord.input_checks.parse_row_id takes them from a form, so a lookup
# finds nothing rather than overflowing the column.
MAX_ID_IN_BODY = 10**18 - 1
MAX_VERSION_NUMBER = 2**31 - 1
MAX_FIELD_NAME = 255
MAX_VISIBLE_FIELDS = 1000
# The sample's keys in the API, by the name the sampling module gives a problem with one of them.
SAMPLE_KEYS = {"method": "kind", "n": "n", "seed": "seed", "field": "field", "per_stratum": "n"}


# --------------------------------------------------------------------------- what a campaign looks like


class ByRoleSerializer(serializers.Serializer):
    """Serializes a dict holding only what the caller's role may see: a key left out stays out of the answer."""

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        data = super().to_representation(instance)
        # A left-out field that may be null would otherwise come out as null rather than not at all.
        return {key: value for key, value in data.items() if key in instance}


class SampleSerializer(BodySerializer):
    """How the campaign's items are drawn from the dataset."""

    class Meta:
        ref_name = "CampaignSample"

    kind = serializers.ChoiceField(
        choices=list(METHODS),
        default="all",
        help_text="all: every item, shuffled by the seed; random: n items; stratified: n items per value of `field`.",
    )
    n = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Items in a random sample, or items per stratum."
    )
    seed = serializers.IntegerField(min_value=0, default=0, help_text="The same seed always draws the same sample.")
    field = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=MAX_FIELD_NAME,
        help_text="The metadata field a stratified sample is stratified by.",
    )


class NamedRefSerializer(serializers.Serializer):
    """A dataset by name, with its id when you may open it."""

    class Meta:
        ref_name = "CampaignDatasetRef"

    id = serializers.IntegerField(allow_null=True, help_text="Null when the dataset is not one you can see.")
    name = serializers.CharField()


class RubricRefSerializer(serializers.Serializer):
    """The rubric version the campaign rates under."""

    class Meta:
        ref_name = "CampaignRubricRef"

    id = serializers.IntegerField(allow_null=True, help_text="Null when the rubric is not one you can see.")
    name = serializers.CharField()
    version = serializers.IntegerField()


class MyProgressSerializer(serializers.Serializer):
    """Your ratings against your share, as the rating page shows them."""

    class Meta:
        ref_name = "CampaignMyProgress"

    done = serializers.IntegerField(help_text="Every rating you submitted here, gold checks and repeats included.")
    share = serializers.IntegerField(help_text="An even split of items × k among the raters, plus the checks.")
    share_done = serializers.BooleanField()
    finished = serializers.BooleanField(help_text="The queue has nothing more for you.")
    n_items = serializers.IntegerField()
    complete = serializers.IntegerField(help_text="Items with k ratings.")


class ProgressCountsSerializer(serializers.Serializer):
    """Items by number of ratings against the overlap k; gold items and machine raters' labels are left out."""

    class Meta:
        ref_name = "CampaignProgressCounts"

    n_items = serializers.IntegerField()
    n_complete = serializers.IntegerField(help_text="Items with at least k ratings.")
    n_in_progress = serializers.IntegerField(help_text="Items with 1 to k-1 ratings.")
    n_pending = serializers.IntegerField(help_text="Items without a rating.")
    n_ratings = serializers.IntegerField(help_text="Ratings of these items by people, repeats included.")
    percent_complete = serializers.IntegerField()


def _progress_counts(campaign: Campaign) -> dict[str, int]:
    progress = campaign_progress(campaign)
    return {
        "n_items": progress.n_items,
        "n_complete": progress.complete,
        "n_in_progress": progress.in_progress,
        "n_pending": progress.pending,
        "n_ratings": progress.n_ratings,
        "percent_complete": progress.percent_complete,
    }


class CampaignDetailOutputSerializer(ByRoleSerializer):
    """A campaign as you may see it: raters get what their campaign page shows (guidelines, criteria, their own
    progress); owners, adjudicators and viewers the settings and progress too; owners what they may change."""

    class Meta:
        ref_name = "CampaignDetailOutput"

    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField(help_text=f"One of {', '.join(Status.values)}.")
    role = serializers.ChoiceField(choices=Role.choices, help_text="Your role in the campaign.")
    rates = serializers.BooleanField(help_text="Whether you rate items in this campaign.")
    overlap = serializers.IntegerField(help_text="Raters per item (k).")
    rubric = RubricRefSerializer()
    guidelines = serializers.CharField(help_text="The rubric version's guidelines, in Markdown.")
    criteria = serializers.ListField(child=serializers.DictField(), help_text="The rubric version's criteria.")
    my_progress = MyProgressSerializer(required=False, help_text="Members who rate only.")
    unavailable_reason = serializers.CharField(
        required=False, help_text="Members who rate only: why the queue serves nothing now; empty while active."
    )
    # Owners, adjudicators and viewers.
    dataset = NamedRefSerializer(required=False)
    sample = SampleSerializer(required=False)
    sample_text = serializers.CharField(required=False, help_text="The sample in words.")
    lease_minutes = serializers.IntegerField(required=False)
    visible_fields = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The fields raters see, in order; empty: every content field.",
    )
    gold_rate = serializers.FloatField(required=False)
    repeat_rate = serializers.FloatField(required=False)
    progress = ProgressCountsSerializer(required=False)
    overlap_warning = serializers.CharField(
        required=False, help_text="Said while fewer members rate than k, so that no item can be completed."
    )
    created_at = serializers.DateTimeField(required=False)
    created_by = serializers.CharField(required=False, allow_null=True)
    # Owners.
    next_statuses = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Owners only: the statuses the campaign may move to now (activate: active; close: closed).",
    )
    settings_locks = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Owners only: why each setting that cannot change now is locked, by setting.",
    )
    rates_editable = serializers.BooleanField(
        required=False, help_text="Owners only: whether the gold and repeat rates may still change."
    )
    n_gold_items = serializers.IntegerField(required=False, help_text="Owners only.")
    system_field = serializers.CharField(required=False, help_text="Owners only; empty: guessed from the metadata.")
    machine_raters_in_pool = serializers.BooleanField(required=False, help_text="Owners only.")
    sample_note = serializers.CharField(
        required=False, help_text="On creation: says when the sample came out smaller than asked for."
    )


def _sample_out(spec: dict) -> dict[str, Any]:
    return {
        "kind": spec.get("method", "all"),
        "n": spec.get("per_stratum", spec.get("n")),
        "seed": spec.get("seed", 0),
        "field": spec.get("field"),
    }


def campaign_detail_body(request: Request, campaign: Campaign) -> dict[str, Any]:
    """What the caller may see of a campaign fetched with get_campaign_for, by their role, as the pages show it."""
    role, version = campaign.caller_role, campaign.rubric_version
    user = request.user
    rubric_visible = rubrics_visible_to(user).filter(pk=version.rubric_id).exists()
    body: dict[str, Any] = {
        "slug": campaign.slug,
        "name": campaign.name,
        "description": campaign.description,
        "status": campaign.status,
        "role": role,
        "rates": campaign.caller_rates,
        "overlap": campaign.overlap,
        "rubric": {
            "id": version.rubric_id if rubric_visible else None,
            "name": version.rubric.name,
            "version": version.number,
        },
        "guidelines": version.guidelines,
        "criteria": version.criteria,
    }
    if campaign.caller_rates:
        mine = rater_progress(campaign=campaign, rater=user, finished=rater_finished(campaign=campaign, rater=user))
        body["my_progress"] = {
            **dataclasses.asdict(mine),
            "share_done": mine.share_done,
        }
        body["unavailable_reason"] = "" if campaign.status == Status.ACTIVE else rate_unavailable_reason(campaign)
    if role in READERS:
        body.update(_reader_fields(request, campaign))
    if role == Role.OWNER:
        body.update(_owner_fields(campaign))
    return body


def _reader_fields(request: Request, campaign: Campaign) -> dict[str, Any]:
    """The campaign page's settings summary and progress, which owners, adjudicators and viewers read."""
    dataset_visible = datasets_visible_to(request.user).filter(pk=campaign.dataset_id).exists()
    return {
        "dataset": {"id": campaign.dataset_id if dataset_visible else None, "name": campaign.dataset.name},
        "sample": _sample_out(campaign.sample_spec or {}),
        "sample_text": describe_sample_spec(campaign.sample_spec or {}),
        "lease_minutes": campaign.lease_minutes,
        "visible_fields": list(campaign.visible_fields or []),
        "gold_rate": campaign.gold_rate,
        "repeat_rate": campaign.repeat_rate,
        "progress": _progress_counts(campaign),
        "overlap_warning": services.overlap_shortfall(campaign),
        "created_at": campaign.created_at,
        "created_by": campaign.created_by.get_username() if campaign.created_by else None,
    }


def _owner_fields(campaign: Campaign) -> dict[str, Any]:
    """What an owner may change, and what stops them changing the rest."""
    allowed = services.TRANSITIONS[campaign.status]
    return {
        "next_statuses": [value for value in Status.values if value in allowed],
        "settings_locks": services.campaign_settings_locks(campaign),
        "rates_editable": campaign.status in services.RATES_EDITABLE,
        "n_gold_items": gold_items(campaign).count(),
        "system_field": campaign.system_field,
        "machine_raters_in_pool": campaign.machine_raters_in_pool,
    }


def _detail_response(request: Request, slug: str, *, code: int = status.HTTP_200_OK, **extra: Any) -> Response:
    """The campaign read again with the caller's role, as the detail endpoint answers it."""
    campaign = get_campaign_for(request, slug)
    body = {**campaign_detail_body(request, campaign), **extra}
    return Response(CampaignDetailOutputSerializer(body).data, status=code)


# --------------------------------------------------------------------------- list and create


def _pick_rubric_version(
    rubric_id: int, number: int | None, user: AbstractBaseUser
) -> tuple[RubricVersion | None, dict[str, list[str]]]:
    """The rubric version to rate under (the latest without a number), or the problems naming the field."""
    rubric = rubrics_visible_to(user).filter(pk=rubric_id).first()
    if rubric is None:
        return None, {"rubric": [f"rubric: no rubric {rubric_id} that you can see."]}
    versions = RubricVersion.objects.filter(rubric=rubric).select_related("rubric")
    version = versions.filter(number=number).first() if number is not None else versions.order_by("-number").first()
    if version is not None:
        return version, {}
    if number is None:
        return None, {"rubric": [f"rubric: {rubric.name!r} has no version yet."]}
    known = ", ".join(str(n) for n in versions.order_by("number").values_list("number", flat=True))
    return None, {"rubric_version": [f"rubric_version: {rubric.name!r} has no version {number} (it has {known})."]}


def _sample_spec(sample: dict, metadata_fields: list[str]) -> dict:
    """The sample in the shape campaign_create takes, checked against the dataset's metadata fields."""
    spec = {"method": sample.get("kind", "all"), "seed": sample.get("seed", 0)}
    if sample.get("n") is not None:
        spec["n"] = sample["n"]
    if sample.get("field"):
        spec["field"] = sample["field"]
    try:
        parse_sample_spec(spec, metadata_fields)
    except SampleSpecError as exc:
        key = SAMPLE_KEYS.get(exc.field, exc.field)
        raise ValidationError({"sample": {key: [f"sample.{key}: {exc.message}"]}}) from None
    return spec


class CampaignListApi(APIView):
    """The campaigns you belong to (GET), or a new campaign (POST, curators)."""

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "CampaignCreateInput"

        name = serializers.CharField(max_length=200)
        slug = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=80,
            help_text="The campaign's address: letters, digits, hyphens and underscores. Left out, made from the name.",
        )
        description = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=services.MAX_DESCRIPTION_LENGTH,
            help_text="Shown to raters above the rubric's guidelines.",
        )
        dataset = serializers.IntegerField(min_value=1, max_value=MAX_ID_IN_BODY, help_text="A dataset you can see.")
        rubric = serializers.IntegerField(min_value=1, max_value=MAX_ID_IN_BODY, help_text="A rubric you can see.")
        rubric_version = serializers.IntegerField(
            min_value=1,
            max_value=MAX_VERSION_NUMBER,
            required=False,
            allow_null=True,
            help_text="The rubric's version number; left out, its latest version.",
        )
        sample = SampleSerializer(
            required=False, allow_null=True, help_text="Left out: every item, shuffled with seed 0."
        )
        overlap = serializers.IntegerField(min_value=1, max_value=services.MAX_OVERLAP, help_text="Raters per item.")
        lease_minutes = serializers.IntegerField(
            min_value=1,
            max_value=services.MAX_LEASE_MINUTES,
            default=30,
            help_text="How long an item stays reserved for a rater.",
        )
        visible_fields = serializers.ListField(
            child=serializers.CharField(max_length=MAX_FIELD_NAME),
            required=False,
            default=list,
            max_length=MAX_VISIBLE_FIELDS,
            help_text="Content and metadata fields raters see, in the order given; empty: every content field.",
        )
        gold_rate = serializers.FloatField(
            min_value=0, max_value=services.MAX_GOLD_RATE, default=0.0, help_text="Share of gold checks per rater."
        )
        repeat_rate = serializers.FloatField(
            min_value=0,
            max_value=services.MAX_REPEAT_RATE,
            default=0.0,
            help_text="Share of each rater's items that come back to them later, unannounced.",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CampaignListOutput"

        slug = serializers.CharField()
        name = serializers.CharField()
        status = serializers.CharField()
        role = serializers.CharField(source="my_role")
        rates = serializers.BooleanField(source="my_rates", help_text="Whether you rate items in this campaign.")
        overlap = serializers.IntegerField()
        n_items = serializers.IntegerField()
        rubric = serializers.CharField(source="rubric_version.rubric.name")
        rubric_version = serializers.IntegerField(source="rubric_version.number")

    @extend_schema(
        operation_id="v1_campaigns_list",
        parameters=PAGE_PARAMETERS,
        responses=page_serializer(OutputSerializer, "CampaignPage"),
    )
    def get(self, request: Request) -> Response:
        """The campaigns you belong to, newest first, with your role in each and whether you rate in it."""
        campaigns = sorted(campaigns_for_user(request.user), key=lambda campaign: -campaign.pk)
        page = page_of_list(request, campaigns, key=lambda campaign: -campaign.pk)
        return page_response(request, page, self.OutputSerializer(page.rows, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CampaignDetailOutputSerializer})
    def post(self, request: Request) -> Response:
        """Create a draft campaign (curators; you become its owner) from a dataset and a rubric version you can see,
        with the new-campaign page's settings; answers the campaign as its owner sees it. Any bad value is a 400
        naming the field, and nothing is created. Start the campaign with `activate`."""
        require_curator(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        # The same message whether the object does not exist or belongs to someone else.
        dataset = datasets_visible_to(request.user).filter(pk=given["dataset"]).first()
        errors = {} if dataset else {"dataset": [f"dataset: no dataset {given['dataset']} that you can see."]}
        version, rubric_errors = _pick_rubric_version(given["rubric"], given.get("rubric_version"), request.user)
        errors.update(rubric_errors)
        if errors:
            raise ValidationError(errors)
        campaign = services.campaign_create(
            slug=given["slug"],
            name=given["name"],
            description=given["description"],
            dataset=dataset,
            rubric_version=version,
            sample_spec=_sample_spec(given.get("sample") or {}, dataset.metadata_fields),
            overlap=given["overlap"],
            lease_minutes=given["lease_minutes"],
            visible_fields=given["visible_fields"],
            gold_rate=given["gold_rate"],
            repeat_rate=given["repeat_rate"],
            user=request.user,
        )
        response = _detail_response(
            request, campaign.slug, code=status.HTTP_201_CREATED, sample_note=campaign.sample_note
        )
        response["Location"] = reverse("ratings-api:campaign-detail", args=[campaign.slug])
        return response


# --------------------------------------------------------------------------- one campaign


class CampaignDetailApi(APIView):
    """A campaign you belong to. Raters get its guidelines, criteria and their own progress; owners, adjudicators
    and viewers also its settings and progress; owners also what they may change and why the rest is locked."""

    @extend_schema(responses=CampaignDetailOutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return _detail_response(request, slug)


class CampaignActivateApi(APIView):
    """Start a draft campaign, resume a paused one or reopen a closed one (owners); answers the campaign.

    A campaign may start with fewer members who rate than its overlap k (raters are often added later), as on its
    page: `overlap_warning` then says that no item can be completed until enough members rate.
    """

    @extend_schema(request=None, responses=CampaignDetailOutputSerializer)
    def post(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
        services.campaign_set_status(campaign=campaign, status=Status.ACTIVE)
        return _detail_response(request, slug)


class CampaignCloseApi(APIView):
    """Close an active or paused campaign (owners): raters get no more items, and every rating is kept; it can be
    reopened with `activate`. Answers the campaign."""

    @extend_schema(request=None, responses=CampaignDetailOutputSerializer)
    def post(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
        services.campaign_set_status(campaign=campaign, status=Status.CLOSED)
        return _detail_response(request, slug)


class ProgressRaterSerializer(ByRoleSerializer):
    """One rater's work in the campaign, as its page lists it."""

    class Meta:
        ref_name = "CampaignProgressRater"

    username = serializers.CharField()
    is_member = serializers.BooleanField(help_text="False for someone who rated and is no longer a rater.")
    n_ratings = serializers.IntegerField(help_text="Every rating, gold checks and repeats included.")
    n_repeats = serializers.IntegerField()
    median_seconds = serializers.FloatField(allow_null=True, help_text="From showing an item to submitting it.")
    n_gold = serializers.IntegerField(required=False, help_text="Owners only: gold items rated.")
    gold_answers = serializers.IntegerField(required=False, help_text="Owners only: expected values compared.")
    gold_correct = serializers.IntegerField(required=False, help_text="Owners only: expected values matched.")
    gold_accuracy = serializers.FloatField(
        required=False, allow_null=True, help_text="Owners only: percent of expected values matched."
    )


def _rater_rows(campaign: Campaign, *, with_gold: bool) -> list[dict[str, Any]]:
    """rater_stats as rows; the gold figures left out unless `with_gold`."""
    rows = []
    for stats in rater_stats(campaign, include_gold=with_gold):
        row = dataclasses.asdict(stats)
        if with_gold:
            row["gold_accuracy"] = stats.gold_accuracy
        else:
            for key in ("n_gold", "gold_answers", "gold_correct"):
                row.pop(key)
        rows.append(row)
    return rows


class CampaignProgressApi(APIView):
    """The campaign page's progress (owners, adjudicators, viewers): items complete against k, and each rater's
    ratings, repeats and median seconds per item by username; owners also get each rater's gold accuracy."""

    class OutputSerializer(ProgressCountsSerializer):
        class Meta:
            ref_name = "CampaignProgressOutput"

        overlap = serializers.IntegerField(help_text="Raters per item (k).")
        raters = ProgressRaterSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_for(request, slug, roles=READERS)
        # Gold accuracy is the owner's alone, as on the campaign page; readers get the counts and times.
        raters = _rater_rows(campaign, with_gold=campaign.caller_role == Role.OWNER)
        body = {**_progress_counts(campaign), "overlap": campaign.overlap, "raters": raters}
        return Response(self.OutputSerializer(body).data)


# --------------------------------------------------------------------------- members


class MemberOutputSerializer(serializers.Serializer):
    """A member of the campaign: their role, and whether they rate."""

    class Meta:
        ref_name = "CampaignMemberOutput"

    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=Role.choices)
    rates = serializers.BooleanField(help_text="Raters always rate; owners and adjudicators may; viewers never.")


class CampaignMemberListApi(APIView):
    """The campaign's members (GET), or one more (POST); owners only."""

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "CampaignMemberAddInput"

        username = serializers.CharField(max_length=150)
        role = serializers.ChoiceField(choices=Role.choices)
        rates = serializers.BooleanField(
            required=False, default=False, help_text="An owner or adjudicator who also rates items."
        )

    @extend_schema(
        operation_id="v1_campaigns_members_list",
        parameters=PAGE_PARAMETERS,
        responses=page_serializer(MemberOutputSerializer, "CampaignMemberPage"),
    )
    def get(self, request: Request, slug: str) -> Response:
        """The campaign's members in the order they were added, with their role and whether they rate (owners)."""
        campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
        members = Membership.objects.filter(campaign=campaign).select_related("user")
        page = page_of_queryset(request, members, key="id")
        return page_response(request, page, MemberOutputSerializer(page.rows, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: MemberOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Add someone you already know (a member of a campaign you own; anyone, for staff) with a role (owners).
        Any other username is a 400 naming `username`: invite them from the campaign's page instead."""
        campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        user = services.member_add_known(campaign=campaign, inviter=request.user, **given)
        if user is None:
            # Said the same way whether or not the name has an account: the caller must not learn which names exist.
            raise ValidationError(
                {
                    "username": [
                        f"username: {given['username']!r} is not someone you can add here (a member of a campaign "
                        "you own); invite them from the campaign's page instead."
                    ]
                }
            )
        membership = Membership.objects.select_related("user").get(campaign=campaign, user=user)
        return Response(MemberOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class CampaignMemberDetailApi(APIView):
    """Change a member (PATCH) or remove them (DELETE); owners only."""

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "CampaignMemberUpdateInput"

        role = serializers.ChoiceField(choices=Role.choices, required=False)
        rates = serializers.BooleanField(
            required=False, help_text="Owners and adjudicators only: whether they also rate."
        )

    def _membership(self, request: Request, slug: str, pk: int) -> tuple[Campaign, Membership]:
        campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
        membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, campaign=campaign)
        return campaign, membership

    @extend_schema(request=InputSerializer, responses=MemberOutputSerializer)
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        """Change a member's role, whether an owner or adjudicator also rates, or both at once (owners); answers the
        member. The last owner stays owner; raters always rate and viewers never do."""
        campaign, membership = self._membership(request, slug, pk)
        # Partial, so that a form-encoded body without `rates` leaves it alone rather than meaning "no".
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        if not given:
            raise ValidationError("Send the new `role`, `rates`, or both.")
        # Both changes or neither: a refused `rates` takes back the role change made before it.
        with transaction.atomic():
            if "role" in given:
                membership = services.membership_set(campaign=campaign, user=membership.user, role=given["role"])
            if "rates" in given:
                membership = services.membership_set_rates(
                    campaign=campaign, membership=membership, rates=given["rates"]
                )
        membership = Membership.objects.select_related("user").get(pk=membership.pk)
        return Response(MemberOutputSerializer(membership).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        """Remove a member (owners); their ratings stay. The last owner cannot be removed."""
        campaign, membership = self._membership(request, slug, pk)
        services.membership_remove(campaign=campaign, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("campaigns/", CampaignListApi.as_view(), name="campaign-list"),
    path("campaigns/<slug:slug>/", CampaignDetailApi.as_view(), name="campaign-detail"),
    path("campaigns/<slug:slug>/activate/", CampaignActivateApi.as_view(), name="campaign-activate"),
    path("campaigns/<slug:slug>/close/", CampaignCloseApi.as_view(), name="campaign-close"),
    path("campaigns/<slug:slug>/progress/", CampaignProgressApi.as_view(), name="campaign-progress"),
    path("campaigns/<slug:slug>/members/", CampaignMemberListApi.as_view(), name="campaign-member-list"),
    path("campaigns/<slug:slug>/members/<int:pk>/", CampaignMemberDetailApi.as_view(), name="campaign-member-detail"),
]
