"""Every operation of the API, fuzzed from its own OpenAPI schema with schemathesis: no input gives a 5xx, and every
response (errors included) matches what the schema says of that operation: status, media type, body and headers.

Requests go through the WSGI application in-process, signed in with the API token of an owner who also rates, against
a small campaign world. Path parameters that name objects are filled with real ones half the time, so that the fuzzed
bodies and query parameters reach the code behind the lookups rather than stopping at a 404. Hypothesis runs
derandomized: the same examples on every run, so a failure here is reproducible.
"""

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Permission, User
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from annotate.models import CampaignItem, ImportRun, Membership
from annotate.services.api_tokens import api_token_create
from annotate.services.campaign_counts import campaign_counts_recount
from ratings.export_runs import export_run_path
from ratings.models import ExportRun
from ratings.queue import assignment_next
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    MembershipFactory,
    RatingFactory,
    RubricFactory,
    RubricVersionFactory,
    UserFactory,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 25


EXAMPLE_NUMBER = itertools.count()


def _real_value(real: dict[str, Any], path: str, name: str) -> Any:
    """A real object's key for the path parameter `name`: by its own name, else by the collection before it."""
    if name in real:
        return real[name]
    parts = path.strip("/").split("/")
    placeholder = "{" + name + "}"
    if placeholder in parts:
        return real.get(parts[parts.index(placeholder) - 1])
    return None


def _world() -> dict[str, Any]:
    owner = UserFactory(username="fuzz-owner")
    codenames = ["add_dataset", "add_rubric", "add_campaign"]
    owner.user_permissions.add(*Permission.objects.filter(content_type__app_label="annotate", codename__in=codenames))
    owner = User.objects.get(pk=owner.pk)
    dataset = DatasetFactory(created_by=owner)
    version = RubricVersionFactory(rubric=RubricFactory(created_by=owner))
    campaign = CampaignFactory(
        slug="fuzz", created_by=owner, owner=owner, dataset=dataset, rubric_version=version, with_items=4
    )
    # The owner rates too, so one identity reaches the rating endpoints as well as the owner's.
    Membership.objects.filter(campaign=campaign, user=owner).update(rates=True)
    raters = [UserFactory(username=f"fuzz-rater-{n}") for n in range(2)]
    memberships = [MembershipFactory(campaign=campaign, user=r, role=Membership.Role.RATER) for r in raters]
    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))
    ratings = [
        RatingFactory(campaign_item=item, rater=rater, values={"helpful": 2 + n})
        for item in items[:3]
        for n, rater in enumerate(raters)
    ]
    campaign_counts_recount(campaign=campaign)
    _token, secret = api_token_create(user=owner, name="fuzz")
    lease = assignment_next(campaign=campaign, rater=owner)
    export = ExportRun.objects.create(
        campaign=campaign, started_by=owner, scope="item", fmt="csv", status=ExportRun.Status.SUCCEEDED
    )
    export_run_path(export).write_text("item_id,label\n")
    items_import = ImportRun.objects.create(
        kind=ImportRun.Kind.ITEMS, dataset=dataset, started_by=owner, filename="rows.jsonl", path="rows.jsonl"
    )
    # Real values by the collection a path parameter follows ("datasets/{id}/…") or by its own name.
    real = {
        "slug": campaign.slug,
        "datasets": dataset.pk,
        "rubrics": version.rubric_id,
        "exports": str(export.pk),
        "imports": str(items_import.pk),
        "items": items[0].item_id,
        "adjudication": items[0].pk,
        "versions": version.number,
        "members": memberships[0].pk,
        "my-ratings": ratings[0].pk,
        "assignments": lease.pk,
    }
    return {"secret": secret, "real": real}


@pytest.fixture
def wsgi_requests(db: None) -> Iterator[None]:
    """Requests through the WSGI application that leave the test's connection open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(wsgi_requests: None) -> dict[str, Any]:
    return _world()


def _schema() -> Any:
    """The schema the API serves at /api/schema/, generated in-process at collection (no database needed)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, cls=DjangoJSONEncoder)))
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_no_input_gives_a_server_error_and_every_answer_matches_the_schema(case: Any, world: dict[str, Any]) -> None:
    # Every other example keeps the generated ids, so the lookups' own refusals are fuzzed too.
    if case.path_parameters and next(EXAMPLE_NUMBER) % 2 == 0:
        for name in case.path_parameters:
            value = _real_value(world["real"], case.path, name)
            if value is not None:
                case.path_parameters[name] = value
    case.call_and_validate(headers={"Authorization": f"Bearer {world['secret']}"}, checks=CHECKS)
