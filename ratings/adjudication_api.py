"""REST API for adjudication: the queue, an item's labels side by side, decisions, sending items back; the data card."""

import math
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.api_input import BodySerializer
from accord.api_pages import PAGE_PARAMETERS, page_of_list, page_response, page_serializer
from annotate.content import content_display_order, fields_in_order
from annotate.criteria import MAX_KEY_LENGTH
from annotate.models import Campaign, CampaignItem, Membership
from annotate.permissions import READERS, get_campaign_for
from annotate.rubrics import MAX_CRITERIA
from ratings import adjudication_queue as queue
from ratings.adjudication import (
    DECIDERS,
    HELD,
    MAX_EXTRA_OVERLAP,
    MAX_RATIONALE_LENGTH,
    Decision,
    adjudication_lease_take,
    adjudication_record,
    adjudication_send,
    lease_holder,
)
from ratings.adjudication_item import AdjudicationItem, adjudication_item_read, rater_names
from ratings.data_card import data_card_markdown
from ratings.final_labels import aggregated_criteria, disagreement_threshold, disagreement_unit, plain_value
from ratings.models import Adjudication, AdjudicationLease

# Queue entries are listed most disputed first: the score, in millionths, keys the cursor as a whole number.
SCORE_STEPS = 1_000_000
MAX_SCORE = 10**12


# The error shape (accord/api_errors.py adds the Error component to the schema).
HELD_RESPONSE = OpenApiResponse(
    response={"$ref": "#/components/schemas/Error"},
    description="Another adjudicator holds the item (code `conflict`); nothing was recorded.",
)


class ItemHeld(APIException):
    """Another adjudicator holds the item: nothing was recorded; try again once their hold ends."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Another adjudicator is adjudicating this item; nothing was recorded."
    default_code = "conflict"


def _campaign_item(campaign: Campaign, pk: int) -> CampaignItem:
    return get_object_or_404(CampaignItem.objects.select_related("item"), campaign=campaign, pk=pk)


def _number(value: Any) -> float | None:
    """A figure as JSON can carry it: None where it is undefined."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _refusal(error: DjangoValidationError, place: Callable[[str, str | None], str | None]) -> APIException:
    """A service's refusal as the API answers it: 409 when another adjudicator holds the item, else a 400 whose
    problems `place` names (from the service's key, a criterion or more_raters, and the error's code)."""
    if not hasattr(error, "error_dict"):
        if any(e.code == HELD for e in error.error_list):
            return ItemHeld(error.messages[0])
        return ValidationError(error.messages)
    problems: dict[str, list[str]] = {}
    for key, errors in error.error_dict.items():
        for each in errors:
            field = place(key, each.code) or "non_field_errors"
            problems.setdefault(field, []).extend(each.messages)
    return ValidationError(problems)


# --------------------------------------------------------------------------- what adjudication looks like


class ReasonSerializer(serializers.Serializer):
    """Why an item waits."""

    class Meta:
        ref_name = "AdjudicationReason"

    kind = serializers.ChoiceField(choices=list(queue.REASONS))
    label = serializers.CharField(help_text="The reason as the queue page words it.")
    criterion = serializers.CharField(
        source="criterion_key", allow_null=True, help_text="The criterion it concerns; null for the whole item."
    )
    detail = serializers.CharField(allow_blank=True, help_text="The disagreement, a flag's note, a request's note.")

    def to_representation(self, reason: queue.Reason) -> dict[str, Any]:
        data = super().to_representation(reason)
        data["criterion"] = data["criterion"] or None
        return data


class HolderSerializer(serializers.Serializer):
    """Who holds the item: nobody else may decide it until the hold ends."""

    class Meta:
        ref_name = "AdjudicationHolder"

    username = serializers.CharField(source="adjudicator.username")
    expires_at = serializers.DateTimeField()
    by_you = serializers.BooleanField()


class DecisionOutputSerializer(serializers.Serializer):
    """One decision on one criterion, kept when a later one supersedes it."""

    class Meta:
        ref_name = "AdjudicationDecisionOutput"

    id = serializers.IntegerField()
    criterion = serializers.CharField(source="criterion_key")
    outcome = serializers.ChoiceField(choices=Adjudication.Outcome.choices)
    value = serializers.JSONField(allow_null=True, help_text="The final value (outcome final), else null.")
    rationale = serializers.CharField(allow_blank=True)
    decided_by = serializers.CharField(source="decided_by.username")
    decided_at = serializers.DateTimeField()
    is_current = serializers.BooleanField()
    seen = serializers.JSONField(
        help_text="What the decision was made on: ratings as [rating id, rater pseudonym, value], the aggregate, "
        "and how it was reached."
    )


class RecordedSerializer(serializers.Serializer):
    """What a call recorded."""

    class Meta:
        ref_name = "AdjudicationRecordedOutput"

    item = serializers.IntegerField(help_text="The campaign item.")
    decisions = DecisionOutputSerializer(many=True)
    extra_overlap = serializers.IntegerField(help_text="Raters the item wants beyond the campaign's k.")


def _recorded(campaign_item: CampaignItem, decisions: list[Adjudication]) -> dict[str, Any]:
    campaign_item.refresh_from_db(fields=["extra_overlap"])
    return {"item": campaign_item.pk, "decisions": decisions, "extra_overlap": campaign_item.extra_overlap}


# --------------------------------------------------------------------------- the queue


def _queue_key(entry: queue.QueueEntry) -> tuple[int, int]:
    """The queue's order as whole numbers: most disputed first, then by item."""
    return (-round(min(entry.score, MAX_SCORE) * SCORE_STEPS), entry.campaign_item_id)


class AdjudicationQueueListApi(APIView):
    """The items waiting for an adjudicator, most disputed first (disagreement relative to its threshold), with
    every open reason; filtered by reason and criterion as the queue page is (owners, adjudicators, viewers)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AdjudicationQueueListInput"

        reason = serializers.ChoiceField(
            choices=list(queue.REASONS), required=False, allow_blank=True, help_text="Only items with this reason."
        )
        criterion = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=MAX_KEY_LENGTH,
            help_text="Only items with a reason on this criterion key.",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AdjudicationQueueListOutput"

        item = serializers.IntegerField(source="campaign_item_id", help_text="The campaign item.")
        external_id = serializers.CharField()
        reasons = ReasonSerializer(many=True)
        score = serializers.FloatField(help_text="The largest disagreement relative to its threshold (0: none).")
        status = serializers.ChoiceField(
            choices=["open", "held", "held_by_you"], help_text="held: another adjudicator is deciding it now."
        )

    @extend_schema(
        operation_id="v1_campaigns_adjudication_list",
        parameters=[*PAGE_PARAMETERS, InputSerializer],
        responses=page_serializer(OutputSerializer, "AdjudicationQueuePage"),
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_for(request, slug, roles=READERS)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        criterion = params.validated_data.get("criterion", "")
        keys = [c.key for c in aggregated_criteria(campaign.rubric_version.typed_criteria)]
        if criterion and criterion not in keys:
            raise ValidationError(
                {
                    "criterion": [
                        f"{criterion!r} is not a criterion the queue settles (its criteria: {', '.join(keys)})."
                    ]
                }
            )
        entries = queue.queue_filtered(
            queue.adjudication_queue(campaign),
            reason=params.validated_data.get("reason", ""),
            criterion_key=criterion,
        )
        page = page_of_list(request, sorted(entries, key=_queue_key), key=_queue_key)
        rows = [
            {
                "campaign_item_id": entry.campaign_item_id,
                "external_id": entry.external_id,
                "reasons": entry.reasons,
                "score": _number(entry.score) or 0.0,
                "status": _status(entry.held_by, request.user.pk),
            }
            for entry in queue.named(page.rows)
        ]
        return page_response(request, page, self.OutputSerializer(rows, many=True).data)


def _status(held_by: int | None, user_id: int) -> str:
    if held_by is None:
        return "open"
    return "held_by_you" if held_by == user_id else "held"


# --------------------------------------------------------------------------- one item


class RaterColumnSerializer(serializers.Serializer):
    """One rater's first-time rating of the item."""

    class Meta:
        ref_name = "AdjudicationRater"

    name = serializers.CharField(help_text="The rater's pseudonym; their username where an owner asked (names).")
    rating = serializers.IntegerField(source="rating.pk")
    values = serializers.JSONField(source="rating.values", help_text="Answers by criterion key.")
    comment = serializers.CharField(source="rating.comment", allow_blank=True)
    seconds_spent = serializers.FloatField(source="rating.seconds_spent", allow_null=True)
    created_at = serializers.DateTimeField(source="rating.created_at")


class DistributionSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdjudicationDistribution"

    value = serializers.JSONField()
    n = serializers.IntegerField(help_text="Raters who gave it (for label sets: who chose the label).")


class CriterionLabelsSerializer(serializers.Serializer):
    """One criterion of the item: every rater's label, their aggregate, the final label and the decisions."""

    class Meta:
        ref_name = "AdjudicationCriterion"

    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    labels = serializers.ListField(
        child=serializers.JSONField(allow_null=True), help_text="Each rater's answer, in the order of `raters`."
    )
    distribution = DistributionSerializer(many=True)
    n_raters = serializers.IntegerField()
    aggregate = serializers.JSONField(allow_null=True, help_text="What the raters' labels alone give.")
    aggregate_method = serializers.CharField()
    final = serializers.JSONField(allow_null=True, help_text="The final label: a decision's value, else the aggregate.")
    method = serializers.CharField(help_text="How the final label was reached (as exports name it).")
    confidence = serializers.FloatField(allow_null=True, help_text="Dawid and Skene's posterior, where they apply.")
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    disagreement = serializers.FloatField(allow_null=True, help_text="Null with fewer than two ratings.")
    threshold = serializers.FloatField(allow_null=True, help_text="Disagreement at which the item enters the queue.")
    unit = serializers.CharField(help_text="What disagreement is measured in.")
    decisions = DecisionOutputSerializer(many=True, help_text="Every decision, newest first.")


class FreeTextSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdjudicationFreeText"

    key = serializers.CharField()
    label = serializers.CharField()
    texts = serializers.ListField(child=serializers.JSONField(allow_null=True), help_text="In the order of `raters`.")


class FlagSerializer(serializers.Serializer):
    """A rater's flag or skip of the item."""

    class Meta:
        ref_name = "AdjudicationFlag"

    rater = serializers.CharField(source="pseudonym")
    kind = serializers.ChoiceField(choices=["flag", "skip"])
    flag = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True, help_text="The flag's note or the reason given for skipping.")


def _criterion_row(campaign: Campaign, read: AdjudicationItem, key: str) -> dict[str, Any]:
    criterion = next(c for c in read.criteria if c.key == key)
    label = read.labels[key]
    return {
        "key": key,
        "label": criterion.label,
        "type": criterion.type,
        "labels": [r.values.get(key) for r in read.ratings],
        "distribution": [{"value": plain_value(v), "n": n} for v, n in label.distribution.items()],
        "n_raters": label.n_raters,
        "aggregate": plain_value(label.aggregate),
        "aggregate_method": label.aggregate_method,
        "final": plain_value(label.value),
        "method": label.method,
        "confidence": _number(label.confidence),
        "mean": _number(label.mean),
        "median": _number(label.median),
        "disagreement": _number(label.disagreement),
        "threshold": disagreement_threshold(campaign, criterion),
        "unit": disagreement_unit(criterion),
        "decisions": read.history.get(key, []),
    }


def _flag_row(assignment: Any) -> dict[str, Any]:
    if assignment.flag:
        return {
            "pseudonym": assignment.pseudonym,
            "kind": "flag",
            "flag": assignment.flag,
            "note": assignment.flag_note,
        }
    return {"pseudonym": assignment.pseudonym, "kind": "skip", "flag": "", "note": assignment.skip_reason}


def _holder(lease: AdjudicationLease | None, user_id: int) -> dict[str, Any] | None:
    if lease is None:
        return None
    return {"adjudicator": lease.adjudicator, "expires_at": lease.expires_at, "by_you": lease.adjudicator_id == user_id}


class AdjudicationItemDetailApi(APIView):
    """One item as the adjudication page shows it: its content, every rater's labels and comment side by side,
    each criterion's aggregate, final label and decisions, its open reasons, flags and skips.

    Raters are named by pseudonym; an owner may ask for usernames (`names`). As on the page, an owner or
    adjudicator reading the item takes (or renews) its hold for the campaign's lease time, so that no other
    adjudicator decides it meanwhile; `held_by` says who holds it.
    """

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AdjudicationItemDetailInput"

        names = serializers.BooleanField(
            default=False, help_text="Raters' usernames instead of pseudonyms (owners only; ignored for others)."
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AdjudicationItemDetailOutput"

        item = serializers.IntegerField(help_text="The campaign item.")
        external_id = serializers.CharField()
        content = serializers.DictField(help_text="Content fields in the campaign's display order.")
        metadata = serializers.DictField()
        is_gold = serializers.BooleanField()
        gold_answer = serializers.JSONField(allow_null=True)
        extra_overlap = serializers.IntegerField(help_text="Raters the item wants beyond the campaign's k.")
        in_queue = serializers.BooleanField()
        reasons = ReasonSerializer(many=True, help_text="Its open reasons in the queue.")
        raters = RaterColumnSerializer(many=True)
        criteria = CriterionLabelsSerializer(many=True)
        free_text = FreeTextSerializer(many=True)
        flags = FlagSerializer(many=True)
        held_by = HolderSerializer(allow_null=True)
        can_decide = serializers.BooleanField(help_text="Whether you may record decisions on it.")

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request: Request, slug: str, item: int) -> Response:
        campaign = get_campaign_for(request, slug, roles=READERS)
        campaign_item = _campaign_item(campaign, item)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        can_decide = campaign.caller_role in DECIDERS
        if can_decide:
            lease = adjudication_lease_take(campaign=campaign, campaign_item=campaign_item, adjudicator=request.user)
        else:
            lease = lease_holder(campaign_item)
        read = adjudication_item_read(campaign, campaign_item)
        reveal = params.validated_data["names"] and campaign.caller_role == Membership.Role.OWNER
        names = rater_names(campaign, read.ratings, reveal=reveal)
        order = content_display_order(campaign.dataset.content_fields, campaign.visible_fields or [])
        content = campaign_item.item
        data = {
            "item": campaign_item.pk,
            "external_id": content.external_id,
            "content": dict(fields_in_order(content.content, order)),
            "metadata": dict(fields_in_order(content.metadata or {}, campaign.dataset.metadata_fields)),
            "is_gold": campaign_item.is_gold,
            "gold_answer": campaign_item.gold_answer if campaign_item.is_gold else None,
            "extra_overlap": campaign_item.extra_overlap,
            "in_queue": read.entry is not None,
            "reasons": read.entry.reasons if read.entry is not None else [],
            "raters": [{"name": n, "rating": r} for n, r in zip(names, read.ratings, strict=True)],
            "criteria": [_criterion_row(campaign, read, c.key) for c in read.criteria],
            "free_text": [
                {"key": c.key, "label": c.label, "texts": [r.values.get(c.key) for r in read.ratings]}
                for c in read.free_text
            ],
            "flags": [_flag_row(a) for a in read.flags],
            "held_by": _holder(lease, request.user.pk),
            "can_decide": can_decide,
        }
        return Response(self.OutputSerializer(data).data)


# --------------------------------------------------------------------------- decisions


class DecisionInputSerializer(BodySerializer):
    class Meta:
        ref_name = "AdjudicationDecisionInput"

    criterion = serializers.CharField(max_length=MAX_KEY_LENGTH, help_text="A criterion key.")
    outcome = serializers.ChoiceField(
        choices=[Adjudication.Outcome.FINAL, Adjudication.Outcome.AMBIGUOUS],
        help_text="final: `value` is the final label; ambiguous: the item is genuinely ambiguous (an outcome, not "
        "an error). Send an item back for more ratings with send-back/.",
    )
    value = serializers.JSONField(
        required=False, allow_null=True, help_text="The final value (outcome final), as the rating page takes it."
    )
    rationale = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_RATIONALE_LENGTH,
        help_text="Required for ambiguous, and for a final value other than the raters' aggregate.",
    )


class AdjudicationDecisionsCreateApi(APIView):
    """Record decisions on the item's criteria, all or none (owners and adjudicators): a final value with a
    rationale, or genuinely ambiguous. Each supersedes the criterion's current decision, which is kept.

    Answers 409 when another adjudicator holds the item (see `held_by`); nothing is recorded then.
    """

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "AdjudicationDecisionsCreateInput"

        decisions = DecisionInputSerializer(many=True, min_length=1, max_length=MAX_CRITERIA)

        def validate_decisions(self, decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
            seen: dict[str, int] = {}
            problems: list[dict[str, list[str]]] = [{} for _ in decisions]
            for index, decision in enumerate(decisions):
                key = decision["criterion"]
                if key in seen:
                    problems[index] = {"criterion": [f"decisions.{seen[key]} decides {key!r} already."]}
                seen.setdefault(key, index)
            if any(problems):
                raise serializers.ValidationError(problems)
            return decisions

    @extend_schema(
        request=InputSerializer,
        responses={
            201: RecordedSerializer,
            409: HELD_RESPONSE,
        },
    )
    def post(self, request: Request, slug: str, item: int) -> Response:
        campaign = get_campaign_for(request, slug, roles=DECIDERS)
        campaign_item = _campaign_item(campaign, item)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data["decisions"]
        decisions = [Decision(d["criterion"], d["outcome"], d.get("value"), d["rationale"]) for d in given]
        index = {d.criterion_key: i for i, d in enumerate(decisions)}

        def place(key: str, code: str | None) -> str | None:
            return f"decisions.{index[key]}.{code}" if key in index else None

        try:
            recorded = adjudication_record(
                campaign=campaign, campaign_item=campaign_item, adjudicator=request.user, decisions=decisions
            )
        except DjangoValidationError as error:
            raise _refusal(error, place) from None
        return Response(RecordedSerializer(_recorded(campaign_item, recorded)).data, status=status.HTTP_201_CREATED)


class AdjudicationSendBackApi(APIView):
    """Send the item back for more ratings (owners and adjudicators): it wants `more_raters` more raters than the
    campaign's k, and the chosen criteria (all by default) leave the queue until the new ratings arrive.

    The campaign must be active or paused; gold items cannot go back. Answers 409 when another adjudicator holds
    the item.
    """

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "AdjudicationSendBackInput"

        more_raters = serializers.IntegerField(
            min_value=1, max_value=MAX_EXTRA_OVERLAP, help_text="Raters to add, beyond those it wants now."
        )
        note = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=MAX_RATIONALE_LENGTH,
            help_text="Why, kept with the decision.",
        )
        criteria = serializers.ListField(
            child=serializers.CharField(max_length=MAX_KEY_LENGTH),
            required=False,
            min_length=1,
            max_length=MAX_CRITERIA,
            help_text="The criteria sent back; every criterion that gets a final label by default.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: RecordedSerializer,
            409: HELD_RESPONSE,
        },
    )
    def post(self, request: Request, slug: str, item: int) -> Response:
        campaign = get_campaign_for(request, slug, roles=DECIDERS)
        campaign_item = _campaign_item(campaign, item)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        named = "criteria" in data
        keys = data.get("criteria") or [c.key for c in aggregated_criteria(campaign.rubric_version.typed_criteria)]
        index: dict[str, int] = {}
        for position, key in enumerate(keys):
            index.setdefault(key, position)
        decisions = [Decision(key, Adjudication.Outcome.SEND_BACK, None, data["note"]) for key in index]

        def place(key: str, code: str | None) -> str | None:
            if key == "more_raters":
                return "more_raters" if code == "more_raters" else None
            if code == "rationale":
                return "note"
            return f"criteria.{index[key]}" if named and key in index else None

        try:
            recorded = adjudication_record(
                campaign=campaign,
                campaign_item=campaign_item,
                adjudicator=request.user,
                decisions=decisions,
                more_raters=data["more_raters"],
            )
        except DjangoValidationError as error:
            raise _refusal(error, place) from None
        return Response(RecordedSerializer(_recorded(campaign_item, recorded)).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- the data card


class AdjudicationSendApi(APIView):
    """Put an item in the adjudication queue with a note saying why (owners and adjudicators), as the item pages'
    "Send to adjudication" does: it enters the queue with the reason "sent", whatever its agreement."""

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "AdjudicationSendInput"

        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=MAX_RATIONALE_LENGTH, help_text="Why."
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AdjudicationSendOutput"

        item = serializers.IntegerField(source="campaign_item_id", help_text="The campaign item's id.")
        external_id = serializers.CharField(source="campaign_item.item.external_id")
        note = serializers.CharField()
        sent_by = serializers.CharField(source="sent_by.get_username")
        sent_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, slug: str, item: int) -> Response:
        campaign = get_campaign_for(request, slug, roles=DECIDERS)
        campaign_item = _campaign_item(campaign, item)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent = adjudication_send(
            campaign=campaign, campaign_item=campaign_item, user=request.user, note=body.validated_data["note"]
        )
        return Response(self.OutputSerializer(sent).data, status=status.HTTP_201_CREATED)


class DataCardDetailApi(APIView):
    """The campaign's data card in Markdown, to publish beside its exported labels (owners, adjudicators,
    viewers): purpose, rubric, data, raters, agreement with intervals, adjudication, flags and caveats."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DataCardOutput"

        markdown = serializers.CharField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_for(request, slug, roles=READERS)
        return Response(self.OutputSerializer({"markdown": data_card_markdown(campaign)}).data)


urlpatterns = [
    path("campaigns/<slug:slug>/adjudication/", AdjudicationQueueListApi.as_view(), name="adjudication-list"),
    path(
        "campaigns/<slug:slug>/adjudication/<int:item>/",
        AdjudicationItemDetailApi.as_view(),
        name="adjudication-detail",
    ),
    path(
        "campaigns/<slug:slug>/adjudication/<int:item>/decisions/",
        AdjudicationDecisionsCreateApi.as_view(),
        name="adjudication-decisions-create",
    ),
    path(
        "campaigns/<slug:slug>/adjudication/<int:item>/send/",
        AdjudicationSendApi.as_view(),
        name="adjudication-send",
    ),
    path(
        "campaigns/<slug:slug>/adjudication/<int:item>/send-back/",
        AdjudicationSendBackApi.as_view(),
        name="adjudication-send-back",
    ),
    path("campaigns/<slug:slug>/data-card/", DataCardDetailApi.as_view(), name="data-card-detail"),
]
