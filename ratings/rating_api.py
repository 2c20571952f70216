"""REST API for rating from a custom front end: the next item, submit, skip, flag, my ratings; every rating for readers.

A rater's endpoints answer as the rating page does, through the same queue and services: the item as the page
shows it to that rater (visible fields only, pairwise outputs in the order they were presented), answers in
that on-screen orientation, and 404 for anyone who does not rate in the campaign or for another rater's
assignment or rating. Readers (owners, adjudicators, viewers) list every rating, naming raters as the exports do.
"""

import math
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, F, QuerySet
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as BadRequest
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.api_input import BodySerializer
from accord.api_pages import PAGE_PARAMETERS, page_of_queryset, page_response, page_serializer
from accord.input_checks import BoundedJSONParser
from annotate.criteria import Criterion, pairwise_swap
from annotate.models import Assignment, Campaign, CampaignItem, MachineRater
from annotate.permissions import READERS, get_campaign_for, get_campaign_to_rate
from fixed_sql.rows import MAX_ROW_ID
from ratings.export_runs import export_names_allowed
from ratings.models import MAX_COMMENT_LENGTH, Rating
from ratings.pseudonyms import rater_pseudonym
from ratings.queue import MAX_NOTE_LENGTH, assignment_flag, assignment_next, assignment_skip
from ratings.queue_selectors import (
    MAX_SECONDS_SPENT,
    assignment_for_rater,
    item_view,
    progress_beside,
    rate_unavailable_reason,
    seconds_on_item,
)
from ratings.selectors import WHO, campaign_ratings, rating_of_rater, ratings_of_rater
from ratings.services import REVISABLE, rating_revise, rating_submit

FLAGS = [value for value in Assignment.Flag.values if value]
# The longest `rater` or `item_id` filter worth looking up: usernames and external ids are shorter.
MAX_FILTER_LENGTH = 500


class Conflict(APIException):
    """409: the assignment or rating is no longer in a state that allows this (already submitted, campaign paused)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This can no longer be done."
    default_code = "conflict"


CONFLICT_RESPONSE = OpenApiResponse(
    description="The assignment or rating no longer allows this (already submitted or skipped, the item filled by "
    "other raters, the campaign paused or closed): `error.message` says why; ask for the next item."
)


# --------------------------------------------------------------------------- answers as the page reads them


def answers_as_posted(criteria: tuple[Criterion, ...], values: dict[str, Any]) -> dict[str, Any]:
    """JSON answers as the rating page reads the same answers from its form.

    A text answer goes through the criterion's own form reading (a typed whole number becomes an int, "true"
    a flag, free text is stripped, a blank is no answer); numbers, flags and lists are given as they are.
    Unknown keys stay, so the check names them. No answer is None, which the check treats as missing.
    """
    by_key = {criterion.key: criterion for criterion in criteria}
    read: dict[str, Any] = {}
    for key, value in values.items():
        criterion = by_key.get(key)
        if criterion is not None and isinstance(value, str):
            value = criterion.from_post(MultiValueDict({f"c-{key}": [value]}))
        read[key] = value
    return read


def _refusal(exc: ValidationError, answer_keys: set[str]) -> Exception:
    """A service's refusal as the API answers it: answers at fault as `values.<key>` (400), a state as 409."""
    if not hasattr(exc, "error_dict"):
        return Conflict(" ".join(exc.messages))
    fields: dict[str, Any] = {}
    answers: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        if key in answer_keys:
            answers[key] = messages
        else:
            fields[key] = messages
    if answers:
        fields["values"] = answers
    return BadRequest(fields)


def _reported_seconds(reported: float | None, *, started: datetime | None, now: datetime) -> float | None:
    """Seconds on the item as the page measures them: what the client reports, bounded by the lease and capped."""
    # A report longer than the cap ends at the cap anyway; bounding it first keeps the subtraction in range.
    shown_at = None if reported is None else now - timedelta(seconds=min(reported, MAX_SECONDS_SPENT))
    return seconds_on_item(started=started, shown_at=shown_at, now=now)


# --------------------------------------------------------------------------- shared output


class NamedValueSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RatingItemField"

    name = serializers.CharField()
    value = serializers.JSONField(help_text="The field's content as stored (text, or structured content).")


class PairSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RatingItemPair"

    a = serializers.JSONField(help_text="The output shown on the left, labelled A.")
    b = serializers.JSONField(help_text="The output shown on the right, labelled B.")


class ItemViewSerializer(serializers.Serializer):
    """An item as the rating page shows it to this rater."""

    class Meta:
        ref_name = "RatingItemView"

    id = serializers.IntegerField(help_text="The campaign item's id.")
    external_id = serializers.CharField(help_text="The item's id in the dataset.")
    fields = NamedValueSerializer(many=True, help_text="Visible content fields, in the dataset's order.")
    pairs = PairSerializer(
        many=True,
        help_text="Compared outputs of pairwise criteria, in the order shown to you; answer A or B as shown.",
    )
    metadata = NamedValueSerializer(many=True, help_text="Metadata fields the campaign shows raters.")


def item_payload(campaign: Campaign, campaign_item: CampaignItem, presentation: dict) -> dict[str, Any]:
    """The item as the rating page shows it to the rater it was presented to."""
    item = campaign_item.item
    view = item_view(
        campaign=campaign, item_content=item.content, item_metadata=item.metadata, presentation=presentation
    )
    return {
        "id": campaign_item.pk,
        "external_id": item.external_id,
        "fields": [{"name": name, "value": value} for name, value in view.fields],
        "pairs": [{"a": left, "b": right} for left, right in view.pairs],
        "metadata": [{"name": name, "value": value} for name, value in view.metadata],
    }


class ProgressSerializer(serializers.Serializer):
    """The rater's progress, as the rating page shows it."""

    class Meta:
        ref_name = "RatingProgress"

    done = serializers.IntegerField(help_text="Items you have rated in this campaign.")
    share = serializers.IntegerField(help_text="Your even share of the campaign's ratings.")
    share_done = serializers.BooleanField()
    finished = serializers.BooleanField(help_text="The queue has nothing more for you.")
    n_items = serializers.IntegerField(help_text="Items in the campaign.")
    complete = serializers.IntegerField(help_text="Items with all the ratings they need.")
    campaign_percent = serializers.IntegerField()


class MyRatingSerializer(serializers.Serializer):
    """One of your ratings, with your answers as you gave them (pairwise A and B as they were shown to you)."""

    class Meta:
        ref_name = "MyRating"

    id = serializers.IntegerField()
    item_id = serializers.IntegerField(source="campaign_item_id", help_text="The campaign item's id.")
    external_id = serializers.CharField(source="campaign_item.item.external_id")
    values = serializers.SerializerMethodField(help_text="Answers by criterion key, as you gave them.")
    comment = serializers.CharField()
    seconds_spent = serializers.FloatField(allow_null=True)
    rubric_version = serializers.IntegerField(source="rubric_version.number")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    n_revisions = serializers.IntegerField(default=0, help_text="Earlier versions kept.")

    def get_values(self, rating: Rating) -> dict[str, Any]:
        return pairwise_swap(rating.rubric_version.typed_criteria, rating.values, rating.presentation)


class MyRatingRevisionSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MyRatingRevision"

    number = serializers.IntegerField(help_text="1 is the rating as first submitted.")
    values = serializers.DictField(help_text="Answers as you gave them then.")
    comment = serializers.CharField()
    seconds_spent = serializers.FloatField(allow_null=True)
    recorded_at = serializers.DateTimeField()


class MyRatingDetailSerializer(MyRatingSerializer):
    class Meta:
        ref_name = "MyRatingDetail"

    revisable = serializers.BooleanField(help_text="The campaign still takes revisions (active or paused).")
    item = ItemViewSerializer(source="item_shown", help_text="The item as it was shown to you.")
    revisions = MyRatingRevisionSerializer(
        source="revision_list", many=True, help_text="Earlier versions, oldest first."
    )


def my_rating_detail(campaign: Campaign, rating: Rating) -> dict[str, Any]:
    """One of the rater's ratings with the item as they saw it and its earlier versions, in their orientation."""
    criteria = rating.rubric_version.typed_criteria
    rating.revision_list = [
        {
            "number": revision.number,
            "values": pairwise_swap(criteria, revision.values, rating.presentation),
            "comment": revision.comment,
            "seconds_spent": revision.seconds_spent,
            "recorded_at": revision.recorded_at,
        }
        for revision in rating.revisions.order_by("number")
    ]
    rating.n_revisions = len(rating.revision_list)
    rating.revisable = campaign.status in REVISABLE
    rating.item_shown = item_payload(campaign, rating.campaign_item, rating.presentation)
    return MyRatingDetailSerializer(rating).data


def _my_rating(request: Request, campaign: Campaign, pk: int) -> Rating:
    rating = rating_of_rater(campaign=campaign, rater=request.user, pk=pk) if 0 < pk <= MAX_ROW_ID else None
    if rating is None:
        raise Http404("No such rating.")
    return rating


def _my_assignment(request: Request, campaign: Campaign, pk: int) -> Assignment:
    assignment = assignment_for_rater(campaign=campaign, rater=request.user, pk=pk)
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


class AssignmentStateSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AssignmentState"

    id = serializers.IntegerField()
    status = serializers.CharField(help_text=f"One of {', '.join(Assignment.Status.values)}.")
    skip_reason = serializers.CharField()
    flag = serializers.CharField(help_text=f"One of {', '.join(FLAGS)}, or empty.")
    flag_note = serializers.CharField()


class SecondsField(serializers.FloatField):
    """Seconds the client measured on the item: a finite number of 0 or more."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def seconds_field() -> SecondsField:
    """The optional `seconds_spent` of a submit or revision."""
    return SecondsField(
        required=False,
        min_value=0,
        help_text="Seconds you measured on the item. Bounded by the time since the item was leased, and capped at "
        f"{MAX_SECONDS_SPENT:.0f}; when left out, the time since the lease started (for a revision: none).",
    )


VALUES_HELP = (
    "Answers by criterion key, as shown to you: pairwise A and B as the item's `pairs` presented them. Text answers "
    'are read as the rating page reads its form ("4" for 4, free text stripped, blank for no answer).'
)


# --------------------------------------------------------------------------- the rater's endpoints


class AssignmentSerializer(serializers.Serializer):
    """An item leased to you, with what you need to rate it."""

    class Meta:
        ref_name = "RatingAssignment"

    id = serializers.IntegerField(help_text="Submit, skip or flag the item under this id.")
    lease_expires_at = serializers.DateTimeField(
        help_text="Submit before then. Afterwards the item may go to another rater; asking for the next item renews "
        "the lease while the item still has room for you."
    )
    item = ItemViewSerializer()
    criteria = serializers.ListField(
        child=serializers.DictField(), help_text="The rubric's criteria as stored: key, type, label, options…"
    )
    guidelines = serializers.CharField(help_text="The rubric's guidelines, in Markdown.")


class AssignmentNextApi(APIView):
    """Your current item, or the next one leased to you: the item as the rating page shows it, the rubric's
    criteria and guidelines, when the lease ends, and your progress.

    Asking again returns the same lease while it lasts. With nothing to rate, `assignment` is null and `reason`
    says why (the campaign is not active, or no item is left for you). Raters of the campaign only.
    """

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AssignmentNextOutput"

        assignment = AssignmentSerializer(allow_null=True)
        reason = serializers.CharField(help_text="Why there is no item; empty when there is one.")
        progress = ProgressSerializer()

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_to_rate(request, slug)
        assignment = assignment_next(campaign=campaign, rater=request.user)
        leased = None
        if assignment is not None:
            version = campaign.rubric_version
            leased = {
                "id": assignment.pk,
                "lease_expires_at": assignment.expires_at,
                "item": item_payload(campaign, assignment.campaign_item, assignment.presentation),
                "criteria": [criterion.to_dict() for criterion in version.typed_criteria],
                "guidelines": version.guidelines,
            }
        body = {
            "assignment": leased,
            "reason": "" if assignment else rate_unavailable_reason(campaign),
            "progress": progress_beside(campaign=campaign, rater=request.user, assignment=assignment),
        }
        return Response(self.OutputSerializer(body).data)


class AssignmentSubmitApi(APIView):
    """Submit your answers to a leased item; answers the stored rating, with your answers as you gave them.

    The answers are checked as the rating page checks them: a problem is a 400 whose `error.field` is
    `values.<criterion key>`, and nothing is stored. Ask for the next item afterwards.
    """

    parser_classes = [BoundedJSONParser]

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "AssignmentSubmitInput"

        values = serializers.DictField(help_text=VALUES_HELP)
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_COMMENT_LENGTH)
        seconds_spent = seconds_field()

    @extend_schema(request=InputSerializer, responses={201: MyRatingSerializer, 409: CONFLICT_RESPONSE})
    def post(self, request: Request, slug: str, pk: int) -> Response:
        campaign = get_campaign_to_rate(request, slug)
        assignment = _my_assignment(request, campaign, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        criteria = campaign.rubric_version.typed_criteria
        values = answers_as_posted(criteria, given["values"])
        seconds = _reported_seconds(given.get("seconds_spent"), started=assignment.leased_at, now=timezone.now())
        try:
            rating = rating_submit(
                assignment=assignment, values=values, comment=given["comment"], seconds_spent=seconds
            )
        except ValidationError as exc:
            raise _refusal(exc, _answer_keys(criteria, values)) from None
        rating = rating_of_rater(campaign=campaign, rater=request.user, pk=rating.pk)
        return Response(MyRatingSerializer(rating).data, status=status.HTTP_201_CREATED)


def _answer_keys(criteria: tuple[Criterion, ...], values: dict[str, Any]) -> set[str]:
    return {criterion.key for criterion in criteria} | set(values)


class AssignmentSkipApi(APIView):
    """Give a leased item back unrated, with an optional reason; you will not be offered it again."""

    parser_classes = [BoundedJSONParser]

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "AssignmentSkipInput"

        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_NOTE_LENGTH)

    @extend_schema(request=InputSerializer, responses={200: AssignmentStateSerializer, 409: CONFLICT_RESPONSE})
    def post(self, request: Request, slug: str, pk: int) -> Response:
        campaign = get_campaign_to_rate(request, slug)
        assignment = _my_assignment(request, campaign, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            assignment = assignment_skip(assignment=assignment, reason=data.validated_data["reason"])
        except ValidationError as exc:
            raise _refusal(exc, set()) from None
        return Response(AssignmentStateSerializer(assignment).data)


class AssignmentFlagApi(APIView):
    """Flag an item as broken, unsafe or needing an expert, with an optional note; a leased item is given back
    unrated and the campaign's owner sees the flag."""

    parser_classes = [BoundedJSONParser]

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "AssignmentFlagInput"

        flag = serializers.ChoiceField(choices=FLAGS)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_NOTE_LENGTH)

    @extend_schema(request=InputSerializer, responses={200: AssignmentStateSerializer, 409: CONFLICT_RESPONSE})
    def post(self, request: Request, slug: str, pk: int) -> Response:
        campaign = get_campaign_to_rate(request, slug)
        assignment = _my_assignment(request, campaign, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        try:
            assignment = assignment_flag(assignment=assignment, flag=given["flag"], note=given["note"])
        except ValidationError as exc:
            raise _refusal(exc, set()) from None
        return Response(AssignmentStateSerializer(assignment).data)


class MyRatingListApi(APIView):
    """Your own ratings in the campaign, newest first, with your answers as you gave them. Raters only."""

    @extend_schema(
        operation_id="v1_campaigns_my_ratings_list",
        parameters=PAGE_PARAMETERS,
        responses=page_serializer(MyRatingSerializer, "MyRatingPage"),
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_to_rate(request, slug)
        ratings = ratings_of_rater(campaign=campaign, rater=request.user).select_related("rubric_version")
        page = page_of_queryset(request, ratings, key="id", descending=True)
        return page_response(request, page, MyRatingSerializer(page.rows, many=True).data)


class MyRatingDetailApi(APIView):
    """One of your ratings with the item as you saw it and every earlier version; PATCH revises it.

    A revision keeps the current answers as an earlier version. `values` holds the answers to change, as shown
    to you; criteria left out keep their answer, and null clears an optional one. A closed or archived
    campaign takes no revisions (409).
    """

    parser_classes = [BoundedJSONParser]

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "MyRatingReviseInput"

        values = serializers.DictField(required=False, help_text=VALUES_HELP)
        comment = serializers.CharField(
            required=False, allow_blank=True, max_length=MAX_COMMENT_LENGTH, help_text="Left out: kept as it is."
        )
        seconds_spent = seconds_field()

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "values" not in attrs and "comment" not in attrs:
                raise serializers.ValidationError({"values": ["Give the answers to change, a comment, or both."]})
            return attrs

    @extend_schema(responses=MyRatingDetailSerializer)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        campaign = get_campaign_to_rate(request, slug)
        rating = _my_rating(request, campaign, pk)
        return Response(my_rating_detail(campaign, rating))

    @extend_schema(request=InputSerializer, responses={200: MyRatingDetailSerializer, 409: CONFLICT_RESPONSE})
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        campaign = get_campaign_to_rate(request, slug)
        rating = _my_rating(request, campaign, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        criteria = rating.rubric_version.typed_criteria
        changed = answers_as_posted(criteria, given.get("values", {}))
        values = {**pairwise_swap(criteria, rating.values, rating.presentation), **changed}
        comment = given.get("comment", rating.comment)
        seconds = _reported_seconds(given.get("seconds_spent"), started=None, now=timezone.now())
        try:
            rating_revise(rating=rating, values=values, comment=comment, seconds_spent=seconds)
        except ValidationError as exc:
            raise _refusal(exc, _answer_keys(criteria, values)) from None
        rating = _my_rating(request, campaign, pk)
        return Response(my_rating_detail(campaign, rating))


# --------------------------------------------------------------------------- every rating, for readers


class CampaignRatingListApi(APIView):
    """Every rating of the campaign, oldest first: answers as stored (pairwise A and B in the item's own order,
    with how each was presented), comments and provenance. Owners, adjudicators and viewers.

    Raters are named as the exports name them: by pseudonym, with their username for owners only; machine
    raters also by their name.
    """

    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CampaignRatingListFilter"

        who = serializers.ChoiceField(
            choices=list(WHO),
            default="all",
            help_text="pool: the raters statistics read (humans, and machine raters where the campaign counts "
            "them); humans; machines; all (the default).",
        )
        rater = serializers.CharField(
            required=False,
            max_length=MAX_FILTER_LENGTH,
            help_text="Only this rater's: a pseudonym, a machine rater's name, or (owners) a username.",
        )
        item_id = serializers.CharField(
            required=False, max_length=MAX_FILTER_LENGTH, help_text="Only ratings of the item with this dataset id."
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CampaignRatingListOutput"

        id = serializers.IntegerField()
        item_id = serializers.IntegerField(source="campaign_item_id", help_text="The campaign item's id.")
        external_id = serializers.CharField(help_text="The item's id in the dataset.")
        rater = serializers.CharField(
            source="rater_name", help_text="The rater's pseudonym in this campaign, as the exports give it."
        )
        username = serializers.CharField(allow_null=True, help_text="The rater's username (owners only, else null).")
        machine = serializers.CharField(help_text="The machine rater's name, or empty for a person.")
        values = serializers.DictField(help_text="Answers by criterion key, as stored.")
        comment = serializers.CharField()
        presentation = serializers.DictField(help_text='How the item was shown: {"left": "b"} when A and B swapped.')
        seconds_spent = serializers.FloatField(allow_null=True)
        rubric_version = serializers.IntegerField(source="version_number")
        is_repeat = serializers.BooleanField(help_text="A test-retest repeat of the rater's earlier rating.")
        by_machine = serializers.BooleanField()
        source = serializers.CharField(help_text='"accord" when rated here, else the imported file\'s name.')
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()
        n_revisions = serializers.IntegerField()

    @extend_schema(
        operation_id="v1_campaigns_ratings_list",
        parameters=[*PAGE_PARAMETERS, FilterSerializer],
        responses=page_serializer(OutputSerializer, "CampaignRatingPage"),
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_for(request, slug, roles=READERS)
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        real_names = export_names_allowed(campaign.caller_role)
        ratings = _reader_ratings(campaign, who=given["who"], real_names=real_names)
        if "rater" in given:
            ratings = ratings.filter(rater_id__in=_raters_named(campaign, given["rater"], real_names=real_names))
        if "item_id" in given:
            ratings = ratings.filter(campaign_item__item__external_id=given["item_id"])
        page = page_of_queryset(request, ratings, key="id")
        machines = dict(MachineRater.objects.filter(campaign=campaign).values_list("user_id", "name"))
        for rating in page.rows:
            rating.rater_name = rater_pseudonym(campaign, rating.rater_id)
            rating.username = rating.rater_username if real_names else None
            rating.machine = machines.get(rating.rater_id, "")
        return page_response(request, page, self.OutputSerializer(page.rows, many=True).data)


def _reader_ratings(campaign: Campaign, *, who: str, real_names: bool) -> QuerySet[Rating]:
    """The campaign's ratings by `who`, with what the readers' list shows beside each (not the item's content)."""
    ratings = campaign_ratings(campaign, who=who).annotate(
        external_id=F("campaign_item__item__external_id"),
        version_number=F("rubric_version__number"),
        n_revisions=Count("revisions"),
    )
    if real_names:
        ratings = ratings.annotate(rater_username=F(f"rater__{get_user_model().USERNAME_FIELD}"))
    return ratings


def _raters_named(campaign: Campaign, name: str, *, real_names: bool) -> set[int]:
    """Ids of the campaign's raters a reader may call `name`: pseudonym, machine rater's name, username (owners)."""
    found = set(MachineRater.objects.filter(campaign=campaign, name=name).values_list("user_id", flat=True))
    if real_names:
        user_model = get_user_model()
        found |= set(user_model.objects.filter(**{user_model.USERNAME_FIELD: name}).values_list("pk", flat=True))
    rater_ids = Rating.objects.filter(campaign=campaign).values_list("rater_id", flat=True).order_by().distinct()
    found |= {rater_id for rater_id in rater_ids if rater_pseudonym(campaign, rater_id) == name}
    return found


urlpatterns = [
    path("campaigns/<slug:slug>/assignments/next/", AssignmentNextApi.as_view(), name="assignment-next"),
    path("campaigns/<slug:slug>/assignments/<int:pk>/submit/", AssignmentSubmitApi.as_view(), name="assignment-submit"),
    path("campaigns/<slug:slug>/assignments/<int:pk>/skip/", AssignmentSkipApi.as_view(), name="assignment-skip"),
    path("campaigns/<slug:slug>/assignments/<int:pk>/flag/", AssignmentFlagApi.as_view(), name="assignment-flag"),
    path("campaigns/<slug:slug>/my-ratings/", MyRatingListApi.as_view(), name="my-rating-list"),
    path("campaigns/<slug:slug>/my-ratings/<int:pk>/", MyRatingDetailApi.as_view(), name="my-rating-detail"),
    path("campaigns/<slug:slug>/ratings/", CampaignRatingListApi.as_view(), name="campaign-rating-list"),
]
