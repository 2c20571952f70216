"""REST API for agreement: the dashboard's numbers as JSON."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.criteria import MAX_KEY_LENGTH
from annotate.permissions import READERS, get_campaign_for
from ratings import report_results, reports, tasks

# How long a client should wait before asking again for a report a worker is computing.
RETRY_SECONDS = 5


class AgreementAlphaSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    n_items = serializers.IntegerField()
    n_raters = serializers.IntegerField()
    n_pairable = serializers.IntegerField()
    level = serializers.CharField()


class AgreementCoefficientSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    note = serializers.CharField()


class AgreementReadingSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["reliable", "tentative", "unsettled", "unreliable", "undefined"])
    text = serializers.CharField()


class AgreementPrecisionSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, help_text="Items needed for a ±0.05 interval.")
    current_items = serializers.IntegerField()
    additional_items = serializers.IntegerField(allow_null=True)
    current_half_width = serializers.FloatField(allow_null=True)
    target_half_width = serializers.FloatField()


class CriterionAgreementSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    level = serializers.CharField()
    measure = serializers.CharField()
    value_domain = serializers.ListField(child=serializers.CharField(), allow_null=True)
    status = serializers.ChoiceField(choices=["ok", "no_ratings", "insufficient_data", "no_variation", "invalid"])
    message = serializers.CharField(allow_blank=True)
    n_labels = serializers.IntegerField()
    n_items = serializers.IntegerField()
    n_raters = serializers.IntegerField()
    alpha = AgreementAlphaSerializer(allow_null=True)
    percent_agreement = serializers.FloatField(allow_null=True)
    coefficients = AgreementCoefficientSerializer(many=True)
    reading = AgreementReadingSerializer()
    precision = AgreementPrecisionSerializer(allow_null=True)
    raters = serializers.ListField(child=serializers.DictField(), help_text="Per-rater agreement with the others.")
    kappa_matrix = serializers.DictField(allow_null=True, help_text="Rater x rater Cohen's kappa.")
    distribution = serializers.DictField(allow_null=True, help_text="Per-rater label counts and shares.")
    disagreement = serializers.DictField(allow_null=True, help_text="Histogram of per-item disagreement.")
    most_disputed = serializers.ListField(child=serializers.DictField())
    slices = serializers.ListField(
        child=serializers.DictField(),
        help_text="Alpha by metadata value; each row's too_few is true below min_pairable_items pairable items "
        "(n_pairable_items): too few to judge.",
    )
    over_time = serializers.ListField(
        child=serializers.DictField(),
        help_text="Cumulative alpha by period; too_few as for slices, counted over the labels up to the period's end.",
    )
    gold = serializers.ListField(child=serializers.DictField())
    per_label = serializers.ListField(child=serializers.DictField())
    position_bias = serializers.ListField(child=serializers.DictField())
    length_bias = serializers.ListField(child=serializers.DictField())
    test_retest = serializers.ListField(
        child=serializers.DictField(), help_text="Each rater against themselves; too_few as for slices."
    )
    judges = serializers.ListField(
        child=serializers.DictField(),
        help_text="Each machine rater held against the raters: agreement with each rater beside theirs with the "
        "others, with the raters' final labels, the pool's alpha with the judge standing in, and the alternative "
        "annotator test (outcome: passed, failed or untested; headline: the verdict in a sentence).",
    )


class RaterSpeedSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="When a rater is marked implausibly fast.")
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per rater: n_rated, n_timed, median_seconds per item, fast, and a note saying why.",
    )


class SkippedCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    reason = serializers.CharField()


class ComputingSerializer(serializers.Serializer):
    """A report that a worker is computing: ask again after the Retry-After header's seconds."""

    status = serializers.ChoiceField(choices=["computing"])
    detail = serializers.CharField()


class CampaignAgreementApi(APIView):
    """Agreement per criterion of a campaign (owners, adjudicators and viewers)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CampaignAgreementInput"

        criterion = serializers.CharField(
            required=False, max_length=MAX_KEY_LENGTH, help_text="Only this criterion key."
        )

    @extend_schema_serializer(component_name="CampaignAgreement")
    class OutputSerializer(serializers.Serializer):
        campaign_slug = serializers.CharField()
        campaign_name = serializers.CharField()
        rubric_name = serializers.CharField()
        rubric_version = serializers.IntegerField()
        fingerprint = serializers.CharField()
        computed_at = serializers.DateTimeField()
        n_boot = serializers.IntegerField()
        criteria = CriterionAgreementSerializer(many=True)
        skipped = SkippedCriterionSerializer(many=True)
        min_pairable_items = serializers.IntegerField(
            help_text="Slices, periods and repeats with fewer pairable items than this are marked too_few."
        )
        rater_speed = RaterSpeedSerializer(allow_null=True, help_text="Each rater's pace, fast ones marked.")
        current = serializers.BooleanField(help_text="False while a newer report, of the latest ratings, is computed.")

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer, 202: ComputingSerializer})
    def get(self, request: Request, slug: str) -> Response:
        """Alpha with its interval, the other coefficients and the diagnostics, per criterion.

        A large campaign's report is computed by a worker: until the first one is ready the answer is 202 with
        Retry-After; after new ratings the last report is served (`current` false) while the next is computed.
        """
        campaign = get_campaign_for(request, slug, roles=READERS)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            report, newer_coming = tasks.agreement_report_served(
                campaign, criterion_key=params.validated_data.get("criterion")
            )
        except reports.UnknownCriterionError as exc:
            raise ValidationError({"criterion": [str(exc)]}) from None
        if report is None:
            body = {"status": "computing", "detail": "A worker is computing this campaign's agreement report."}
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Retry-After": str(RETRY_SECONDS)})
        data = report_results.report_as_dict(report) | {
            "current": not newer_coming,
            "min_pairable_items": report.min_pairable_items or reports.MIN_PAIRABLE_ITEMS,
        }
        return Response(self.OutputSerializer(data).data)
