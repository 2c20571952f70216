"""REST API for datasets: list, create and read them, import items (a file as a task, or JSON records at once),
page through and search their items, read one item, and read a dataset's per-field summary."""

import codecs
import json
from typing import Any

from django.conf import settings
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.json import strict_constant
from rest_framework.views import APIView

from accord import limits
from accord.api_input import BodySerializer
from accord.api_pages import (
    PAGE_PARAMETERS,
    Cursor,
    Page,
    cursor_refused,
    page_limit,
    page_of_queryset,
    page_response,
    page_serializer,
    read_cursor,
)
from accord.input_checks import BoundedJSONParser
from accord.limits import shown, shown_list
from annotate.api_auth import require_curator
from annotate.forms.datasets import MAX_FILTERS
from annotate.models import Dataset, ImportRun, Item
from annotate.permissions import get_dataset_for, get_import_run_for
from annotate.search import search_coverage
from annotate.selectors.datasets import (
    dataset_summary,
    datasets_for_list,
    item_content,
    item_for,
    item_metadata,
    items_page,
)
from annotate.services.datasets import MAX_RECORDS_PER_CALL, dataset_create, dataset_import_records
from annotate.services.import_runs import import_run_rows
from annotate.services.item_reader import MAX_INDEXED_VALUE
from annotate.services.pending_uploads import upload_save
from annotate.tasks import item_import_start, search_index_request
from fixed_sql.rows import MAX_ROW_ID

# Who sees a dataset, as every dataset endpoint applies it (annotate.permissions.datasets_visible_to).
VISIBILITY = (
    "A dataset is visible to the user who created it, to the owners of campaigns that use it, and to staff. "
    "Nobody else sees it listed, and its URLs answer them 404 as if it did not exist."
)
# A text search longer than this is refused (the item browser cuts its search box to the same length).
MAX_QUERY_CHARS = 200
META_PREFIX = "meta."


def _csv_list(value: str) -> list[str] | None:
    names = [part.strip() for part in value.split(",") if part.strip()]
    return names or None


class DatasetSerializer(serializers.Serializer):
    """A dataset: its fields in display order and how many items it holds."""

    class Meta:
        ref_name = "Dataset"

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    item_count = serializers.IntegerField()
    content_fields = serializers.ListField(
        child=serializers.CharField(), help_text="Content field names, in the order items show them."
    )
    metadata_fields = serializers.ListField(
        child=serializers.CharField(), help_text="Metadata field names: what `meta.<field>` filters by."
    )
    created_at = serializers.DateTimeField()


class DatasetListApi(APIView):
    """List the datasets you can see, or create an empty one (users who may curate)."""

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "DatasetListInput"

        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)

    @extend_schema(
        operation_id="v1_datasets_list",
        parameters=PAGE_PARAMETERS,
        responses=page_serializer(DatasetSerializer, "DatasetPage"),
    )
    def get(self, request: Request) -> Response:
        """The datasets you can see, oldest first.

        A dataset is visible to the user who created it, to the owners of campaigns that use it, and to staff.
        Nobody else sees it listed, and its URLs answer them 404 as if it did not exist.
        """
        page = page_of_queryset(request, datasets_for_list(request.user))
        return page_response(request, page, DatasetSerializer(page.rows, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: DatasetSerializer})
    def post(self, request: Request) -> Response:
        """Create an empty dataset (users who may curate); you become its creator. Names are unique per creator."""
        require_curator(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = dataset_create(user=request.user, **data.validated_data)
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDetailApi(APIView):
    """One dataset you can see."""

    @extend_schema(responses=DatasetSerializer, description=f"One dataset you can see. {VISIBILITY}")
    def get(self, request: Request, pk: int) -> Response:
        return Response(DatasetSerializer(get_dataset_for(request, pk)).data)


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
    imported = serializers.IntegerField(source="result.n_items", default=None, allow_null=True)
    item_count = serializers.IntegerField(source="result.item_count", default=None, allow_null=True)
    errors = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_status_url(self, run: ImportRun) -> str:
        return reverse("api:import-detail", args=[run.pk])

    def get_rows(self, run: ImportRun) -> int:
        return import_run_rows(run)


class ItemSerializer(serializers.Serializer):
    """An item: its id in the dataset's file, its content and its metadata, each in the dataset's field order."""

    class Meta:
        ref_name = "Item"

    id = serializers.IntegerField()
    external_id = serializers.CharField(help_text="The item's id in the file or records it was imported from.")
    content = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_content(self, item: Item) -> dict[str, Any]:
        return dict(item_content(item, self.context["dataset"]))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_metadata(self, item: Item) -> dict[str, Any]:
        return dict(item_metadata(item, self.context["dataset"]))


class _RepeatedKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return found


class RecordsJSONParser(BoundedJSONParser):
    """JSON whose objects may not repeat a key: the import refuses a file's line that does (one value would be lost).

    A JSON parser keeps one of the two values without a word, so the check is made while the body is parsed.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            reader = codecs.getreader(encoding)(stream)
            return json.load(reader, parse_constant=strict_constant, object_pairs_hook=_unique_keys)
        except _RepeatedKey as repeated:
            raise ParseError(
                f"JSON parse error - the key '{shown(repeated.key)}' appears twice in one object "
                "(only one of its values would be kept)."
            ) from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "object", "additionalProperties": True},
        "minItems": 1,
        "maxItems": MAX_RECORDS_PER_CALL,
    }
)
class RecordsField(serializers.Field):
    """A list of records, each checked by the import as a JSONL line is (so an error names its record number)."""

    default_error_messages = {
        "not_a_list": "Expected a list of records (JSON objects), got {kind}.",
        "empty": "Send at least one record.",
        "too_many": "{count} records, more than the {limit} one call may send: split them over several calls.",
    }

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            self.fail("not_a_list", kind=type(data).__name__)
        if not data:
            self.fail("empty")
        if len(data) > MAX_RECORDS_PER_CALL:
            self.fail("too_many", count=f"{len(data):,}", limit=f"{MAX_RECORDS_PER_CALL:,}")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class DatasetItemsImportApi(APIView):
    """A dataset's items: page through and search them, or import more (users who may curate)."""

    parser_classes = [RecordsJSONParser, MultiPartParser, FormParser]

    class InputSerializer(BodySerializer):
        """A file to import as a task."""

        class Meta:
            ref_name = "DatasetItemsImportInput"

        file = serializers.FileField()
        format = serializers.ChoiceField(choices=["jsonl", "csv", "parquet"], required=False)
        id_field = serializers.CharField(required=False, default="id")
        content_fields = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="Comma-separated field names."
        )
        metadata_fields = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="Comma-separated field names."
        )

    class RecordsInputSerializer(BodySerializer):
        """Records to import at once."""

        class Meta:
            ref_name = "DatasetItemsRecordsInput"

        records = RecordsField(
            help_text=f"The items, one JSON object each, at most {MAX_RECORDS_PER_CALL:,} per call: checked as the "
            "lines of a JSONL file are; an error's `row` is the record's number, from 1."
        )
        id_field = serializers.CharField(
            required=False, default="id", trim_whitespace=False, help_text="The field holding each item's id."
        )
        content_fields = serializers.ListField(
            child=serializers.CharField(trim_whitespace=False),
            required=False,
            allow_null=True,
            default=None,
            help_text="Content fields in display order; null: every field that is neither the id nor metadata.",
        )
        metadata_fields = serializers.ListField(
            child=serializers.CharField(trim_whitespace=False),
            required=False,
            allow_null=True,
            default=None,
            help_text="Metadata fields; null: every field left over once content is named, else none.",
        )

    class RecordsOutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetItemsRecordsOutput"

        dataset = serializers.IntegerField()
        imported = serializers.IntegerField(help_text="Items this call added.")
        item_count = serializers.IntegerField(help_text="Items the dataset holds now.")

    class QuerySerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetItemsQuery"

        q = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_QUERY_CHARS)

    @extend_schema(
        operation_id="v1_datasets_items_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Search words: an item matches when its content holds every word (a word of three or "
                "more letters also matches the longer words it begins). Covers the items indexed so far: an "
                "import's items become searchable shortly after it finishes.",
            ),
            OpenApiParameter(
                "meta.<field>",
                OpenApiTypes.STR,
                description="Only items whose metadata field `<field>` is exactly this value (numbers and true/false "
                f"as their JSON text). One value per field; repeat with other fields to combine, up to {MAX_FILTERS}.",
            ),
        ],
        responses=page_serializer(ItemSerializer, "ItemPage"),
        description=f"The dataset's items in import order, filtered by search words and metadata values. {VISIBILITY}",
    )
    def get(self, request: Request, pk: int) -> Response:
        dataset = get_dataset_for(request, pk)
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        words = query.validated_data["q"]
        filters = _metadata_filters(request, dataset)
        limit, cursor = page_limit(request), _item_cursor(request)
        found = items_page(
            dataset=dataset,
            filters=filters,
            query=words,
            after=cursor.key if cursor is not None and cursor.forward else None,
            before=cursor.key if cursor is not None and not cursor.forward else None,
            size=limit,
        )
        if words and not search_coverage(dataset).complete:
            # Whatever left the index incomplete, a search asks for the build, as the item browser does.
            search_index_request(dataset)
        page = Page(
            found.items,
            Cursor(True, found.last_pk) if found.has_next and found.items else None,
            Cursor(False, found.first_pk) if found.has_previous and found.items else None,
        )
        return page_response(request, page, ItemSerializer(page.rows, many=True, context={"dataset": dataset}).data)

    @extend_schema(
        request={
            "multipart/form-data": InputSerializer,
            "application/x-www-form-urlencoded": InputSerializer,
            "application/json": RecordsInputSerializer,
        },
        responses={202: ImportRunOutputSerializer, 201: RecordsOutputSerializer},
        description="Import items into the dataset, all or nothing (users who may curate, into a dataset they "
        "can see). An uploaded JSONL, CSV or Parquet file (multipart) is imported as a task: the answer is 202 "
        "with the import's `status_url`; GET it until `status` is `succeeded` or `failed`. JSON `records` "
        f"(at most {MAX_RECORDS_PER_CALL:,}) are imported at once: the answer is 201 with the counts, or 400 "
        "naming the first bad record (`row`, from 1) and field, and nothing is written.",
    )
    def post(self, request: Request, pk: int) -> Response:
        require_curator(request)
        dataset = get_dataset_for(request, pk)
        if request.content_type.split(";")[0].strip().lower() in ("multipart/form-data", FormParser.media_type):
            return self._import_file(request, dataset)
        data = self.RecordsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = dataset_import_records(dataset=dataset, user=request.user, **data.validated_data)
        search_index_request(result.dataset, new_items=True)
        body = {"dataset": dataset.pk, "imported": result.n_items, "item_count": result.dataset.item_count}
        return Response(self.RecordsOutputSerializer(body).data, status=status.HTTP_201_CREATED)

    def _import_file(self, request: Request, dataset: Dataset) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        # An upload past the limit arrives empty, with the size it was sent with (accord/uploads.py).
        too_large = limits.upload_size_error(upload.size)
        if too_large:
            raise ValidationError({"file": [too_large]})
        _token, saved = upload_save(chunks=upload.chunks(), filename=upload.name or "upload")
        options = {
            "fmt": data.validated_data.get("format"),
            "id_field": data.validated_data["id_field"],
            "content_fields": _csv_list(data.validated_data["content_fields"]),
            "metadata_fields": _csv_list(data.validated_data["metadata_fields"]),
        }
        run = item_import_start(
            user=request.user, path=saved, filename=upload.name or "upload", dataset=dataset, options=options
        )
        body = ImportRunOutputSerializer(run).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


def _item_cursor(request: Request) -> Cursor | None:
    """The page's cursor: an item id (the item pages are keyed by id), else 400 naming the parameter."""
    cursor = read_cursor(request)
    # The item browser's query binds the id in hand-written SQL: beyond a 64-bit key it must not reach the database.
    if cursor is not None and not (isinstance(cursor.key, int) and 0 <= cursor.key <= MAX_ROW_ID):
        raise cursor_refused()
    return cursor


def _metadata_filters(request: Request, dataset: Dataset) -> list[tuple[str, str]]:
    """The `meta.<field>=<value>` parameters as (field, value) pairs; 400 naming the parameter if one is malformed."""
    filters = []
    for name, values in request.query_params.lists():
        if name != "meta" and not name.startswith(META_PREFIX):
            continue
        field = name.removeprefix(META_PREFIX) if name != "meta" else ""
        if not field:
            raise ValidationError({name: [f"Name a metadata field: {META_PREFIX}<field>=<value>."]})
        if field not in dataset.metadata_fields:
            known = shown_list(list(dataset.metadata_fields)) or "none"
            raise ValidationError(
                {name: [f"No metadata field '{shown(field)}' in this dataset (its fields: {known})."]}
            )
        if len(values) > 1:
            raise ValidationError({name: ["Give one value per metadata field: an item has one value in each."]})
        value = values[0]
        if not value:
            raise ValidationError({name: ["Give the value to match."]})
        if len(value) > MAX_INDEXED_VALUE:
            raise ValidationError(
                {name: [f"Longer than {MAX_INDEXED_VALUE} characters: no value that long is indexed for filtering."]}
            )
        filters.append((field, value))
        if len(filters) > MAX_FILTERS:
            raise ValidationError({name: [f"At most {MAX_FILTERS} metadata filters at once."]})
    return filters


class DatasetItemDetailApi(APIView):
    """One item of a dataset you can see."""

    @extend_schema(responses=ItemSerializer, description=f"One item of a dataset you can see. {VISIBILITY}")
    def get(self, request: Request, pk: int, item_pk: int) -> Response:
        dataset = get_dataset_for(request, pk)
        item = item_for(dataset, item_pk)
        return Response(ItemSerializer(item, context={"dataset": dataset}).data)


class ValueCountSerializer(serializers.Serializer):
    class Meta:
        ref_name = "DatasetSummaryValueCount"

    value = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Share of the dataset's items, in percent.")


class MetadataSummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "DatasetSummaryMetadata"

    field = serializers.CharField()
    values = ValueCountSerializer(many=True, help_text="The most common values, most common first.")
    other = serializers.IntegerField(help_text="Items with a value not listed.")
    missing = serializers.IntegerField(help_text="Items without a value.")
    distinct = serializers.IntegerField(help_text="Distinct values.")


class LengthBinSerializer(serializers.Serializer):
    class Meta:
        ref_name = "DatasetSummaryLengthBin"

    low = serializers.IntegerField()
    high = serializers.IntegerField()
    count = serializers.IntegerField()


class ContentSummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "DatasetSummaryContent"

    field = serializers.CharField()
    n = serializers.IntegerField(help_text="Items with this field.")
    minimum = serializers.IntegerField()
    median = serializers.IntegerField()
    p90 = serializers.IntegerField()
    maximum = serializers.IntegerField()
    bins = LengthBinSerializer(many=True, help_text="A histogram of the lengths.")


class DatasetSummaryApi(APIView):
    """Per field, what the dataset's summary page shows: value counts of metadata and text lengths of content."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DatasetSummaryOutput"

        item_count = serializers.IntegerField()
        metadata = MetadataSummarySerializer(many=True)
        content = ContentSummarySerializer(many=True, help_text="Text lengths in characters.")

    @extend_schema(
        responses=OutputSerializer,
        description="Value counts per metadata field and text-length distributions (in characters) per content "
        f"field, computed when items are imported. {VISIBILITY}",
    )
    def get(self, request: Request, pk: int) -> Response:
        dataset = get_dataset_for(request, pk)
        summary = dataset_summary(dataset)
        body = {"item_count": dataset.item_count, "metadata": summary.metadata, "content": summary.content}
        return Response(self.OutputSerializer(body).data)


class ImportRunDetailApi(APIView):
    """An item import you started, or one into a dataset you can see: its status, progress and outcome."""

    @extend_schema(responses=ImportRunOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        run = get_import_run_for(request, pk, kind=ImportRun.Kind.ITEMS)
        return Response(ImportRunOutputSerializer(run).data)


urlpatterns = [
    path("datasets/", DatasetListApi.as_view(), name="dataset-list"),
    path("datasets/<int:pk>/", DatasetDetailApi.as_view(), name="dataset-detail"),
    path("datasets/<int:pk>/items/", DatasetItemsImportApi.as_view(), name="dataset-items-import"),
    path("datasets/<int:pk>/items/<int:item_pk>/", DatasetItemDetailApi.as_view(), name="dataset-item-detail"),
    path("datasets/<int:pk>/summary/", DatasetSummaryApi.as_view(), name="dataset-summary"),
    path("imports/<uuid:pk>/", ImportRunDetailApi.as_view(), name="import-detail"),
]
