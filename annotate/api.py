"""REST API for datasets, rubrics and campaigns; thin wrappers over the services."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord import limits
from accord.input_checks import BoundedJSONParser
from annotate.models import ImportRun, Rubric, RubricVersion
from annotate.permissions import can_curate, datasets_visible_to, get_import_run_for, rubrics_visible_to
from annotate.selectors.campaigns import campaigns_for_user
from annotate.services.datasets import dataset_create
from annotate.services.import_runs import import_run_rows
from annotate.services.pending_uploads import upload_save
from annotate.services.rubrics import rubric_load
from annotate.tasks import item_import_start


def _bad_request(error: ValidationError) -> Response:
    return Response({"errors": error.messages}, status=status.HTTP_400_BAD_REQUEST)


def _require_curator(request: Request) -> None:
    if not can_curate(request.user):
        raise PermissionDenied("Only users who may create datasets, rubrics and campaigns can do this.")


def _csv_list(value: str) -> list[str] | None:
    names = [part.strip() for part in value.split(",") if part.strip()]
    return names or None


class DatasetListApi(APIView):
    """List the datasets you can see, or create an empty one."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetListInput"

        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetListOutput"

        id = serializers.IntegerField()
        name = serializers.CharField()
        description = serializers.CharField()
        item_count = serializers.IntegerField()
        content_fields = serializers.ListField(child=serializers.CharField())
        metadata_fields = serializers.ListField(child=serializers.CharField())
        created_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        datasets = datasets_visible_to(request.user).order_by("name")
        return Response(self.OutputSerializer(datasets, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        _require_curator(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            dataset = dataset_create(user=request.user, **data.validated_data)
        except ValidationError as error:
            return _bad_request(error)
        return Response(self.OutputSerializer(dataset).data, status=status.HTTP_201_CREATED)


class ImportRunOutputSerializer(serializers.Serializer):
    """An import that runs as a task: its state, rows read so far, and its outcome."""

    class Meta:
        ref_name = "ImportRunOutput"

    id = serializers.UUIDField()
    status = serializers.CharField()
    status_url = serializers.SerializerMethodField()
    filename = serializers.CharField()
    rows = serializers.SerializerMethodField()
    dataset = serializers.IntegerField(source="dataset_id", allow_null=True)
    imported = serializers.IntegerField(source="result.n_items", default=None)
    item_count = serializers.IntegerField(source="result.item_count", default=None)
    errors = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_status_url(self, run: ImportRun) -> str:
        return reverse("api:import-detail", args=[run.pk])

    def get_rows(self, run: ImportRun) -> int:
        return import_run_rows(run)


class DatasetItemsImportApi(APIView):
    """Start an import of items into a dataset from an uploaded JSONL, CSV or Parquet file (atomic, as a task).

    Answers 202 with the import's status URL; GET that URL until `status` is `succeeded` or `failed`.
    """

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetItemsImportInput"

        file = serializers.FileField()
        format = serializers.ChoiceField(choices=["jsonl", "csv", "parquet"], required=False)
        id_field = serializers.CharField(required=False, default="id")
        content_fields = serializers.CharField(required=False, allow_blank=True, default="")
        metadata_fields = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={202: ImportRunOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _require_curator(request)
        dataset = get_object_or_404(datasets_visible_to(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        # An upload past the limit arrives empty, with the size it was sent with (accord/uploads.py).
        too_large = limits.upload_size_error(upload.size)
        if too_large:
            return _bad_request(ValidationError(f"file: {too_large}"))
        _token, path = upload_save(chunks=upload.chunks(), filename=upload.name or "upload")
        options = {
            "fmt": data.validated_data.get("format"),
            "id_field": data.validated_data["id_field"],
            "content_fields": _csv_list(data.validated_data["content_fields"]),
            "metadata_fields": _csv_list(data.validated_data["metadata_fields"]),
        }
        run = item_import_start(
            user=request.user, path=path, filename=upload.name or "upload", dataset=dataset, options=options
        )
        body = ImportRunOutputSerializer(run).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


class ImportRunDetailApi(APIView):
    """An item import you started, or one into a dataset you own: its status, progress and outcome."""

    @extend_schema(responses=ImportRunOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        run = get_import_run_for(request, pk, kind=ImportRun.Kind.ITEMS)
        return Response(ImportRunOutputSerializer(run).data)


class RubricListApi(APIView):
    """List the rubrics you can see, or load one from YAML/JSON text (new version if it changed)."""

    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RubricListInput"

        text = serializers.CharField(trim_whitespace=False)
        format = serializers.ChoiceField(choices=["yaml", "json"], required=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RubricListOutput"

        id = serializers.IntegerField()
        name = serializers.CharField()
        description = serializers.CharField()
        latest_version = serializers.SerializerMethodField()
        criteria = serializers.SerializerMethodField()

        def _latest(self, rubric: Rubric) -> RubricVersion | None:
            return rubric.versions.order_by("-number").first()

        def get_latest_version(self, rubric: Rubric) -> int | None:
            latest = self._latest(rubric)
            return latest.number if latest else None

        def get_criteria(self, rubric: Rubric) -> list[dict]:
            latest = self._latest(rubric)
            return latest.criteria if latest else []

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        rubrics = rubrics_visible_to(request.user).order_by("name")
        return Response(self.OutputSerializer(rubrics, many=True).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, 201: OutputSerializer})
    def post(self, request: Request) -> Response:
        _require_curator(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version, changed = rubric_load(
                text=data.validated_data["text"], fmt=data.validated_data.get("format"), user=request.user
            )
        except ValidationError as error:
            return _bad_request(error)
        body = self.OutputSerializer(version.rubric).data
        return Response(body, status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK)


class CampaignListApi(APIView):
    """The campaigns you belong to, with your role in each."""

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

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(campaigns_for_user(request.user), many=True).data)
