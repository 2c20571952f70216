"""REST API for comparing a rubric's versions: the comparison page's figures as JSON."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.forms.rubrics import RubricVersionPairForm
from annotate.permissions import get_rubric_for
from ratings import rubric_comparison
from ratings.reports import MIN_PAIRABLE_ITEMS


class VersionColumnSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricCompareVersion"

    number = serializers.IntegerField()
    campaigns = serializers.ListField(
        child=serializers.CharField(),
        help_text="Slugs of the campaigns you can read that use this version; none: the version has no figures.",
    )


class VersionCellSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricCompareCell"

    number = serializers.IntegerField(help_text="The rubric version.")
    alpha = serializers.FloatField(allow_null=True, help_text="Krippendorff's alpha, labels of its campaigns pooled.")
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    n_items = serializers.IntegerField()
    n_raters = serializers.IntegerField()
    n_pairable_items = serializers.IntegerField(help_text="Items with labels from two or more raters.")
    too_few = serializers.BooleanField(help_text="Fewer pairable items than min_pairable_items: too few to judge.")
    level = serializers.CharField(help_text="The criterion's level of measurement under this version.")
    message = serializers.CharField(allow_blank=True, help_text="Why there is no alpha, when there is none.")
    readable = serializers.BooleanField(help_text="False: no campaign you can read uses this version.")


class VersionDiffSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricCompareDifference"

    from_number = serializers.IntegerField()
    to_number = serializers.IntegerField()
    diff = serializers.FloatField(help_text="Alpha under the second version minus alpha under the first.")
    ci_low = serializers.FloatField(allow_null=True, help_text="Approximate 95% interval of the difference.")
    ci_high = serializers.FloatField(allow_null=True)


class CriterionComparisonSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricCompareCriterion"

    key = serializers.CharField()
    label = serializers.CharField()
    cells = VersionCellSerializer(many=True, help_text="One per version, oldest first.")
    diffs = VersionDiffSerializer(many=True, help_text="Between consecutive versions that have an alpha.")


class ChangeSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricCompareChange"

    field = serializers.CharField()
    before = serializers.CharField(allow_blank=True, help_text="Empty where the field was absent.")
    after = serializers.CharField(allow_blank=True, help_text="Empty where the field is absent.")
    text = serializers.CharField(help_text="The change as one sentence.")


class PairRowSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricComparePairCriterion"

    key = serializers.CharField(source="change.key")
    label = serializers.CharField(source="change.label")
    status = serializers.CharField(source="change.status", help_text="added, removed, changed or unchanged.")
    changes = ChangeSerializer(source="change.changes", many=True)
    before = VersionCellSerializer(allow_null=True, help_text="Its figure under the first version.")
    after = VersionCellSerializer(allow_null=True, help_text="Its figure under the second version.")
    diff = VersionDiffSerializer(allow_null=True)


class DiffLineSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricCompareGuidelinesLine"

    kind = serializers.CharField(help_text='"same", "added", "removed", or "gap" (unchanged lines left out).')
    text = serializers.CharField(allow_blank=True)
    old_number = serializers.IntegerField(allow_null=True)
    new_number = serializers.IntegerField(allow_null=True)


class RubricPairSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RubricComparePair"

    before = VersionColumnSerializer(help_text="The version compared from (`from`).")
    after = VersionColumnSerializer(help_text="The version compared to (`to`).")
    summary = serializers.CharField(source="diff.summary", help_text="What changed, in one sentence.")
    criteria = PairRowSerializer(source="rows", many=True)
    guidelines = DiffLineSerializer(source="diff.guidelines", many=True, help_text="Empty: unchanged.")
    order_changed = serializers.BooleanField(source="diff.order_changed")
    has_figures = serializers.BooleanField()


class RubricCompareApi(APIView):
    """A rubric's versions compared: agreement per criterion under each, and what changed between two of them."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RubricCompareOutput"

        rubric = serializers.IntegerField(source="comparison.rubric_id")
        name = serializers.CharField(source="comparison.rubric_name")
        versions = VersionColumnSerializer(source="comparison.versions", many=True, help_text="Oldest first.")
        has_figures = serializers.BooleanField(source="comparison.has_figures")
        min_pairable_items = serializers.IntegerField()
        criteria = CriterionComparisonSerializer(source="comparison.criteria", many=True)
        pair = RubricPairSerializer(allow_null=True, help_text="Null when the rubric has no version.")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.INT,
                description="The version to compare from (default: the one before the newest).",
            ),
            OpenApiParameter("to", OpenApiTypes.INT, description="The version to compare to (default: the newest)."),
        ],
        responses=OutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        """Alpha per criterion under every version of the rubric, over the campaigns you can read (owner, adjudicator
        or viewer; labels of campaigns on one version pooled), with the change between consecutive versions and an
        approximate 95% interval; and two versions (any two, either order) side by side with what changed.

        The rubric must be one you can see (its creator, owners of campaigns using it, staff), else 404.
        """
        rubric = get_rubric_for(request, pk)
        comparison = rubric_comparison.rubric_versions_compared(rubric, user=request.user)
        pair = None
        if comparison.versions:
            form = RubricVersionPairForm(request.query_params, versions=rubric_comparison.version_choices(comparison))
            if not form.is_valid():
                errors = form.errors.get_json_data()
                raise ValidationError({name: [e["message"] for e in found] for name, found in errors.items()})
            numbers = form.cleaned_data["from"], form.cleaned_data["to"]
            pair = rubric_comparison.rubric_pair_compared(comparison, rubric, *numbers)
        body = {"comparison": comparison, "pair": pair, "min_pairable_items": MIN_PAIRABLE_ITEMS}
        return Response(self.OutputSerializer(body).data)


urlpatterns = [
    path("rubrics/<int:pk>/compare/", RubricCompareApi.as_view(), name="rubric-compare"),
]
