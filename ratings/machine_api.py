"""REST API for machine raters: post a judge's labels, list a campaign's machine raters."""

import re

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.api_errors import error_body, problem
from accord.api_pages import PAGE_PARAMETERS, page_of_list, page_response, page_serializer
from accord.input_checks import BoundedJSONParser
from accord.limits import quoted
from annotate.models import Membership
from annotate.permissions import READERS, get_campaign_for
from ratings.machine_ratings import MAX_RATINGS_PER_CALL, machine_raters_summary, machine_ratings_record

OWNER_ONLY = frozenset({Membership.Role.OWNER})
# Where the service's message puts a problem with one label: "ratings[2] (item 'x').values.helpful: …",
# "ratings[0].item_id: …", "ratings[1]: …". The item's id is quoted as the message quotes it.
_LABEL_PLACE = re.compile(
    r"^ratings\[(?P<index>\d+)\](?: \(item .*?\))?(?P<path>\.(?:item_id|comment|values)(?:\.[^:]+?)?)?: "
)


def label_problems(error: ValidationError) -> list[dict]:
    """The service's problems, each naming the label's row (its 1-based position in `ratings`) and the field
    at fault as a dotted path (`ratings.2.values.helpful`)."""
    problems = []
    for message in error.messages:
        place = _LABEL_PLACE.match(message)
        if place is None:
            problems.append(problem(message))
            continue
        index = int(place["index"])
        problems.append(problem(message, field=f"ratings.{index}{place['path'] or ''}", row=index + 1))
    return problems


class MachineSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MachineRaterInput"

    name = serializers.CharField(help_text="The machine rater's name in this campaign, e.g. gpt-judge-v2.")
    model = serializers.CharField(required=False, help_text="The model behind the judge.")
    prompt = serializers.CharField(required=False, help_text="The prompt the judge was given.")
    version = serializers.CharField(required=False, help_text="A version of the judge: prompt, date, checkpoint.")


class MachineLabelSerializer(serializers.Serializer):
    item_id = serializers.CharField(help_text="The item's id in the dataset; the item must be in the sample.")
    values = serializers.DictField(help_text="Answers by criterion key, as the rating page takes them.")
    comment = serializers.CharField(required=False)


class MachineRatingsCreateApi(APIView):
    """Record an automatic judge's labels on a campaign's items as a machine rater (owners), all or nothing."""

    parser_classes = [BoundedJSONParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MachineRatingsInput"

        machine = MachineSerializer()
        ratings = MachineLabelSerializer(many=True, help_text=f"At most {MAX_RATINGS_PER_CALL:,} labels per call.")
        replace = serializers.BooleanField(
            required=False, default=False, help_text="Replace the machine rater's earlier labels on these items."
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MachineRatingsOutput"

        machine = serializers.CharField()
        machine_created = serializers.BooleanField(help_text="True when this call created the machine rater.")
        created = serializers.IntegerField(source="n_created", help_text="Labels added.")
        replaced = serializers.IntegerField(source="n_replaced", help_text="Earlier labels replaced.")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, 200: OutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Every label is checked as the rating page checks answers; one problem refuses the whole call (400).

        Machine raters' labels stay out of the human pool (agreement, final labels, the queue) unless the
        owner counts machine raters as raters in the campaign's settings.
        """
        campaign = get_campaign_for(request, slug, roles=OWNER_ONLY)
        body = request.data
        if not isinstance(body, dict):
            raise ValidationError(f'The body must be a JSON object with "machine" and "ratings", got {quoted(body)}.')
        replace = body.get("replace", False)
        if not isinstance(replace, bool):
            raise ValidationError({"replace": [f"Must be true or false, got {quoted(replace)}."]})
        try:
            result = machine_ratings_record(
                campaign=campaign, machine=body.get("machine"), ratings=body.get("ratings"), replace=replace
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                raise
            # Nothing was written (the service is atomic); the answer names each label's row and field.
            return Response(error_body("invalid", label_problems(error)), status=status.HTTP_400_BAD_REQUEST)
        code = status.HTTP_201_CREATED if result.n_created else status.HTTP_200_OK
        return Response(self.OutputSerializer(result).data, status=code)


class MachineRaterListApi(APIView):
    """The campaign's machine raters with their provenance and label counts, a page at a time by name (owners,
    adjudicators, viewers)."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MachineRaterListOutput"

        name = serializers.CharField()
        model = serializers.CharField()
        prompt = serializers.CharField()
        version = serializers.CharField()
        created_at = serializers.DateTimeField()
        n_labels = serializers.IntegerField(help_text="Labels given, repeats included.")
        n_items = serializers.IntegerField(help_text="Items labelled.")
        last_label_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        operation_id="v1_campaigns_machine_raters_list",
        parameters=PAGE_PARAMETERS,
        responses=page_serializer(OutputSerializer, "MachineRaterPage"),
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = get_campaign_for(request, slug, roles=READERS)
        # By name as Python orders it, which the cursor compares in (the database's collation may differ).
        raters = sorted(machine_raters_summary(campaign), key=lambda r: r.name)
        page = page_of_list(request, raters, key=lambda r: r.name)
        return page_response(request, page, self.OutputSerializer(page.rows, many=True).data)
