"""REST API for datasets, rubrics and campaigns; thin wrappers over the services."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.input_checks import BoundedJSONParser
from annotate import limits
from annotate.models import Rubric, RubricVersion
from annotate.permissions import can_curate, datasets_visible_to, rubrics_visible_to
from annotate.search import search_index_start
from annotate.selectors.campaigns import campaigns_for_user
from annotate.services.datasets import dataset_create, dataset_import
from annotate.services.rubrics import rubric_load


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


class DatasetItemsImportApi(APIView):
    """Import items into a dataset from an uploaded JSONL, CSV or Parquet file (atomic)."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetItemsImportInput"

        file = serializers.FileField()
        format = serializers.ChoiceField(choices=["jsonl", "csv", "parquet"], required=False)
        id_field = serializers.CharField(required=False, default="id")
        content_fields = serializers.CharField(required=False, allow_blank=True, default="")
        metadata_fields = serializers.CharField(required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetItemsImportOutput"

        dataset = serializers.IntegerField(source="dataset.pk")
        imported = serializers.IntegerField(source="n_items")
        item_count = serializers.IntegerField(source="dataset.item_count")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
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
        try:
            result = dataset_import(
                source=upload,
                fmt=data.validated_data.get("format"),
                dataset=dataset,
                id_field=data.validated_data["id_field"],
                content_fields=_csv_list(data.validated_data["content_fields"]),
                metadata_fields=_csv_list(data.validated_data["metadata_fields"]),
                user=request.user,
            )
        except ValidationError as error:
            return _bad_request(error)
        # The items are browsable now; search covers them once the indexer has added them.
        search_index_start(result.dataset.pk)
        return Response(self.OutputSerializer(result).data, status=status.HTTP_201_CREATED)


class RubricListApi(APIView):
    """List the rubrics you can see, or load one from YAML/JSON text (new version if it changed)."""

    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RubricListInput"

        text = serializers.CharField()
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
        overlap = serializers.IntegerField()
        n_items = serializers.IntegerField()
        rubric = serializers.CharField(source="rubric_version.rubric.name")
        rubric_version = serializers.IntegerField(source="rubric_version.number")

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(campaigns_for_user(request.user), many=True).data)
