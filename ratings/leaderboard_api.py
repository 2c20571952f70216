"""REST API for the leaderboard: the systems behind a campaign's outputs ranked on one criterion, as JSON."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.criteria import MAX_KEY_LENGTH
from annotate.permissions import READERS, get_campaign_for
from ratings import leaderboard_report as report


class LeftOutSerializer(serializers.Serializer):
    reason = serializers.CharField()
    n = serializers.IntegerField()


class SystemScoreSerializer(serializers.Serializer):
    system = serializers.CharField()
    rank = serializers.IntegerField()
    score = serializers.FloatField(help_text="Bradley–Terry score: 1000 + 400·log10 π, log π centred on the mean.")
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    wins = serializers.IntegerField()
    ties = serializers.IntegerField()
    losses = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True, help_text="(wins + ties / 2) / comparisons.")
    win_low = serializers.FloatField(allow_null=True)
    win_high = serializers.FloatField(allow_null=True)
    n_comparisons = serializers.IntegerField()
    n_items = serializers.IntegerField()


class DifferenceSerializer(serializers.Serializer):
    """One system against another: the difference, its 95% bootstrap interval and Holm's verdict."""

    higher = serializers.CharField()
    lower = serializers.CharField()
    difference = serializers.FloatField()
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    p_value = serializers.FloatField(help_text="Bootstrap two-sided p-value.")
    p_holm = serializers.FloatField(help_text="Holm-adjusted over the pairs tested.")
    distinguishable = serializers.BooleanField()


class NeighbourSerializer(DifferenceSerializer):
    win_probability = serializers.FloatField(help_text="P(higher beats lower) implied by the difference.")


class HeadToHeadSerializer(serializers.Serializer):
    systems = serializers.ListField(child=serializers.CharField(), help_text="Best first: rows and columns.")
    win_rate = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="Win rate of the row's system over the column's (ties half); null where they never met.",
    )
    n = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))


class RankingSerializer(serializers.Serializer):
    systems = SystemScoreSerializer(many=True)
    neighbours = NeighbourSerializer(many=True)
    head_to_head = HeadToHeadSerializer()
    n_comparisons = serializers.IntegerField()
    n_items = serializers.IntegerField()
    n_boot = serializers.IntegerField()
    prior = serializers.FloatField(help_text="Virtual ties per system, spread over the others.")
    groups = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Systems linked by comparisons; more than one group means some scores cannot be compared.",
    )


class PositionShareSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Ratings with a recorded order that preferred one side.")
    n_ties = serializers.IntegerField()
    left = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True, help_text="Exact two-sided binomial test against 1/2.")


class AdjustedScoreSerializer(serializers.Serializer):
    system = serializers.CharField()
    rank = serializers.IntegerField()
    score = serializers.FloatField(help_text="Bradley–Terry score with the left position's advantage fitted.")
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    unadjusted = serializers.FloatField(help_text="The score on the same ratings with the presented order ignored.")
    shift = serializers.FloatField()


class PositionModelSerializer(serializers.Serializer):
    theta = serializers.FloatField(help_text="P(i beats j | i on the left) = θπ_i / (θπ_i + π_j).")
    theta_low = serializers.FloatField()
    theta_high = serializers.FloatField()
    left_share = serializers.FloatField(help_text="θ / (1 + θ): the left's wins between equal systems.")
    n_comparisons = serializers.IntegerField()
    n_items = serializers.IntegerField()
    systems = AdjustedScoreSerializer(
        many=True, help_text="Intervals: normal, from standard errors clustered by item (sandwich estimator)."
    )


class RaterPositionSerializer(serializers.Serializer):
    username = serializers.CharField()
    n = serializers.IntegerField()
    left = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)


class PositionSerializer(serializers.Serializer):
    share = PositionShareSerializer()
    raters = RaterPositionSerializer(many=True)
    model = PositionModelSerializer(allow_null=True)
    n_unknown = serializers.IntegerField(help_text="Pool ratings without a recorded order, left out.")
    ranking_changes = serializers.CharField(
        allow_blank=True, help_text="How the refit changes the order of the systems, in words; empty when it does not."
    )
    message = serializers.CharField(allow_blank=True)


class SystemMeanSerializer(serializers.Serializer):
    system = serializers.CharField()
    rank = serializers.IntegerField()
    mean = serializers.FloatField(help_text="Mean score; for a flag, the share of yes.")
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    n_items = serializers.IntegerField()
    n_ratings = serializers.IntegerField()


class PointwiseSerializer(serializers.Serializer):
    systems = SystemMeanSerializer(many=True)
    differences = DifferenceSerializer(many=True)
    n_items = serializers.IntegerField()
    n_ratings = serializers.IntegerField()
    n_boot = serializers.IntegerField()


class CampaignLeaderboardApi(APIView):
    """Systems ranked on one criterion of a campaign, with intervals (owners, adjudicators and viewers)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CampaignLeaderboardInput"

        criterion = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=MAX_KEY_LENGTH,
            help_text="A criterion key; the first that ranks systems by default.",
        )
        labels = serializers.ChoiceField(
            choices=list(report.LABELS),
            default=report.DEFAULT_LABELS,
            help_text="final: one label per item (adjudicated, else aggregated); all: every rating of the pool.",
        )

    @extend_schema_serializer(component_name="CampaignLeaderboard")
    class OutputSerializer(serializers.Serializer):
        campaign_slug = serializers.CharField()
        criterion_key = serializers.CharField()
        criterion_label = serializers.CharField()
        kind = serializers.ChoiceField(choices=[report.PAIRWISE, report.MEAN, report.RATE], allow_null=True)
        labels = serializers.ChoiceField(choices=list(report.LABELS))
        status = serializers.ChoiceField(choices=["ok", "not_applicable", "no_system_field", "no_data"])
        message = serializers.CharField(allow_blank=True)
        system_field = serializers.CharField(allow_null=True, help_text="Item metadata naming the systems.")
        system_field_guessed = serializers.BooleanField()
        metadata_fields = serializers.ListField(child=serializers.CharField())
        verdict = serializers.CharField(allow_blank=True)
        n_items = serializers.IntegerField()
        n_judgements = serializers.IntegerField(help_text="Comparisons (pairwise) or scores counted.")
        n_raters = serializers.IntegerField(help_text="Raters behind them (0 for final labels).")
        left_out = LeftOutSerializer(many=True)
        ranking = RankingSerializer(allow_null=True, help_text="Pairwise criteria.")
        position = PositionSerializer(allow_null=True, help_text="Pairwise criteria: position bias.")
        pointwise = PointwiseSerializer(allow_null=True, help_text="Scales, numbers and flags.")
        n_boot = serializers.IntegerField()
        computed_at = serializers.DateTimeField()

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer})
    def get(self, request: Request, slug: str) -> Response:
        """Pairwise criteria: records, win rates, Bradley–Terry scores, head to head, position bias; others: means."""
        campaign = get_campaign_for(request, slug, roles=READERS)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            board = report.campaign_leaderboard(
                campaign,
                criterion_key=params.validated_data.get("criterion") or None,
                labels=params.validated_data["labels"],
            )
        except report.LeaderboardInputError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        return Response(self.OutputSerializer(board).data)
