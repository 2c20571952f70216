"""REST API for exports: a campaign's labels as a file, streamed at once or written by a task."""

from types import SimpleNamespace

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.criteria import MAX_KEY_LENGTH
from annotate.permissions import READERS, get_campaign_for
from ratings.export_runs import (
    export_is_inline,
    export_names_allowed,
    export_response,
    export_run_file,
    get_export_run_for,
)
from ratings.export_tasks import export_start
from ratings.exports import FORMATS, SCOPES, ExportError, export_spec
from ratings.models import ExportRun

# A content field's name is at most this long here: a longer one names no field, and is not echoed back whole.
MAX_FIELD_NAME = 255


# An export's file, in the media type of its format.
EXPORT_FILE_RESPONSES = {
    (200, f.content_type.split(";")[0]): OpenApiResponse(OpenApiTypes.BINARY, description="The export.")
    for f in FORMATS.values()
}


class ExportNegotiation(DefaultContentNegotiation):
    """Content negotiation that leaves ?format= alone: here it names the export's file format, not a renderer."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class ExportRunOutputSerializer(serializers.Serializer):
    """A large export written by a task: its state, rows written so far and, once done, where to download it."""

    class Meta:
        ref_name = "ExportRunOutput"

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ExportRun.Status.values)
    status_url = serializers.SerializerMethodField()
    format = serializers.CharField(source="fmt")
    per = serializers.CharField(source="scope")
    criterion = serializers.CharField(source="criterion_key", allow_blank=True)
    names = serializers.BooleanField()
    rows = serializers.IntegerField(help_text="Rows written so far (all of them once the export succeeded).")
    total = serializers.IntegerField(help_text="Rows expected when the export started.")
    download_url = serializers.SerializerMethodField()
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_status_url(self, run: ExportRun) -> str:
        return reverse("ratings-api:export-detail", args=[run.pk])

    def get_download_url(self, run: ExportRun) -> str | None:
        if run.status != ExportRun.Status.SUCCEEDED:
            return None
        return reverse("ratings-api:export-file", args=[run.pk])


class CampaignExportApi(APIView):
    """A campaign's labels as CSV, JSONL or Parquet, per rating or per item, or its pairwise items as preference
    pairs for training (format=preference, JSONL); owners, adjudicators and viewers.

    A campaign of up to EXPORT_INLINE_RATINGS ratings answers with the file, streamed. A larger one answers
    202 with a Location: GET it until `status` is `succeeded`, then GET its `download_url`.
    """

    content_negotiation_class = ExportNegotiation

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CampaignExportInput"

        format = serializers.ChoiceField(choices=list(FORMATS), default="csv")
        per = serializers.ChoiceField(choices=list(SCOPES), default="rating")
        criterion = serializers.CharField(
            required=False, max_length=MAX_KEY_LENGTH, help_text="Only this criterion key."
        )
        names = serializers.BooleanField(
            default=False, help_text="Add raters' usernames beside their pseudonyms (owners only; ignored for others)."
        )
        include_ties = serializers.BooleanField(
            default=False, help_text="format=preference: keep ties, as rows with tie true and A and B in order."
        )
        include_ambiguous = serializers.BooleanField(
            default=False, help_text="format=preference: keep items adjudicated as genuinely ambiguous (tie true)."
        )
        prompt_field = serializers.CharField(
            required=False,
            max_length=MAX_FIELD_NAME,
            help_text="format=preference: the content field holding the prompt, where items have several.",
        )

    @extend_schema(parameters=[InputSerializer], responses={**EXPORT_FILE_RESPONSES, 202: ExportRunOutputSerializer})
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        """The export, or 202 with the status URL of the task writing it."""
        campaign = get_campaign_for(request, slug, roles=READERS)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        # Asked for by anyone else, names are left out: the export names raters by pseudonym only.
        names = data["names"] and export_names_allowed(campaign.caller_role)
        try:
            spec = export_spec(
                campaign,
                scope=data["per"],
                fmt=data["format"],
                criterion_key=data.get("criterion"),
                names=names,
                include_ties=data["include_ties"],
                include_ambiguous=data["include_ambiguous"],
                prompt_field=data.get("prompt_field"),
            )
        except ExportError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        if export_is_inline(campaign, spec):
            return export_response(campaign, spec)
        run = export_start(campaign=campaign, user=request.user, spec=spec)
        body = ExportRunOutputSerializer(run).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


class ExportRunDetailApi(APIView):
    """A large export of a campaign you may read: its status, rows written and, when done, the download URL."""

    @extend_schema(responses=ExportRunOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        run = get_export_run_for(request.user, pk)
        return Response(ExportRunOutputSerializer(run).data)


class ExportRunFileApi(APIView):
    """A finished large export's file (404 until it succeeded)."""

    @extend_schema(responses=EXPORT_FILE_RESPONSES)
    def get(self, request: Request, pk: str) -> HttpResponseBase:
        return export_run_file(get_export_run_for(request.user, pk))
