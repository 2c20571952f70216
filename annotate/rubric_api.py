"""REST API for rubrics: list them, load one from YAML or JSON, read one with its versions, read one version."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.api_input import BodySerializer
from accord.api_pages import PAGE_PARAMETERS, page_of_queryset, page_response, page_serializer
from accord.input_checks import BoundedJSONParser
from annotate.api_auth import require_curator
from annotate.models import Rubric, RubricVersion
from annotate.permissions import get_rubric_for, rubrics_visible_to
from annotate.selectors.rubrics import rubric_latest_version, rubric_version_get, rubric_versions_with_campaigns
from annotate.services.rubrics import rubric_load

# Who sees a rubric, as every rubric endpoint applies it (annotate.permissions.rubrics_visible_to).
VISIBILITY = (
    "A rubric is visible to the user who created it, to the owners of campaigns that use one of its versions, and "
    "to staff. Nobody else sees it listed, and its URLs answer them 404 as if it did not exist."
)


def _latest(rubric: Rubric) -> RubricVersion | None:
    """The rubric's newest version, from its prefetched versions when the list read them."""
    versions = getattr(rubric, "newest_first", None)
    if versions is None:
        return rubric_latest_version(rubric)
    return versions[0] if versions else None


class RubricSerializer(serializers.Serializer):
    """A rubric with its newest version's number and criteria."""

    class Meta:
        ref_name = "Rubric"

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    latest_version = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()

    def get_latest_version(self, rubric: Rubric) -> int | None:
        latest = _latest(rubric)
        return latest.number if latest else None

    def get_criteria(self, rubric: Rubric) -> list[dict]:
        latest = _latest(rubric)
        return latest.criteria if latest else []


class RubricListApi(APIView):
    """List the rubrics you can see, or load one from YAML/JSON text (new version if it changed)."""

    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    class InputSerializer(BodySerializer):
        class Meta:
            ref_name = "RubricListInput"

        text = serializers.CharField(
            trim_whitespace=False, help_text="The rubric file's text: name, guidelines, criteria."
        )
        format = serializers.ChoiceField(choices=["yaml", "json"], required=False)

    @extend_schema(
        operation_id="v1_rubrics_list",
        parameters=PAGE_PARAMETERS,
        responses=page_serializer(RubricSerializer, "RubricPage"),
    )
    def get(self, request: Request) -> Response:
        """The rubrics you can see, oldest first, each with its newest version's criteria.

        A rubric is visible to the user who created it, to the owners of campaigns that use one of its versions, and
        to staff. Nobody else sees it listed, and its URLs answer them 404 as if it did not exist.
        """
        newest_first = Prefetch("versions", queryset=RubricVersion.objects.order_by("-number"), to_attr="newest_first")
        page = page_of_queryset(request, rubrics_visible_to(request.user).prefetch_related(newest_first))
        return page_response(request, page, RubricSerializer(page.rows, many=True).data)

    @extend_schema(request=InputSerializer, responses={200: RubricSerializer, 201: RubricSerializer})
    def post(self, request: Request) -> Response:
        """Load a rubric file (users who may curate): 201 for a new rubric or version, 200 when nothing changed.

        The file's name reaches only your own rubrics (or ones you may change): another owner's name makes a rubric
        of yours. A version no campaign uses yet is still a snapshot: a changed file always adds a version.
        """
        require_curator(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version, changed = rubric_load(
                text=data.validated_data["text"], fmt=data.validated_data.get("format"), user=request.user
            )
        except DjangoValidationError as exc:
            # Every problem the loader finds is in the rubric's text: say so, for clients that point at the field.
            raise ValidationError({"text": exc.messages}) from None
        body = RubricSerializer(version.rubric).data
        return Response(body, status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK)


class RubricVersionSummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricVersionSummary"

    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    frozen = serializers.BooleanField(help_text="A campaign uses it: it can no longer change.")


class RubricDetailApi(APIView):
    """One rubric you can see, with every version."""

    class OutputSerializer(RubricSerializer):
        class Meta:
            ref_name = "RubricDetail"

        versions = RubricVersionSummarySerializer(many=True, source="newest_first", help_text="Newest first.")

    @extend_schema(
        responses=OutputSerializer,
        description=f"One rubric with its newest version's criteria and every version, newest first. {VISIBILITY}",
    )
    def get(self, request: Request, pk: int) -> Response:
        rubric = get_rubric_for(request, pk)
        # Each version says whether it is frozen; the newest of them gives the rubric's criteria.
        rubric.newest_first = rubric_versions_with_campaigns(rubric, request.user)
        return Response(self.OutputSerializer(rubric).data)


class RubricVersionDetailApi(APIView):
    """One version of a rubric you can see: its guidelines and criteria."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RubricVersionDetail"

        number = serializers.IntegerField()
        guidelines = serializers.CharField(help_text="Markdown shown to raters.")
        criteria = serializers.ListField(child=serializers.DictField())
        created_at = serializers.DateTimeField()
        frozen = serializers.BooleanField(source="is_frozen", help_text="A campaign uses it: it can no longer change.")

    @extend_schema(responses=OutputSerializer, description=f"One version of a rubric you can see. {VISIBILITY}")
    def get(self, request: Request, pk: int, number: int) -> Response:
        version = rubric_version_get(get_rubric_for(request, pk), number)
        if version is None:
            raise Http404("No such version.")
        return Response(self.OutputSerializer(version).data)


urlpatterns = [
    path("rubrics/", RubricListApi.as_view(), name="rubric-list"),
    path("rubrics/<int:pk>/", RubricDetailApi.as_view(), name="rubric-detail"),
    path("rubrics/<int:pk>/versions/<int:number>/", RubricVersionDetailApi.as_view(), name="rubric-version-detail"),
]
