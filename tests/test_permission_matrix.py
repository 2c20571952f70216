"""Every page and API endpoint of Accord, read by every role, answers exactly what tests/permission_matrix_data.py says.

The URLs come from walking the resolver, so a new URL without an entry in the matrix fails
`test_every_url_has_an_entry`. Django's admin is covered by one index check; Django's own authentication views are
left out.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from annotate.models import CampaignItem, ImportRun, Membership
from annotate.services.api_tokens import api_token_create
from annotate.services.campaign_counts import campaign_counts_recount
from annotate.services.invitations import invitation_make
from ratings.export_runs import export_run_path
from ratings.models import Adjudication, ExportRun
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    MachineRaterFactory,
    MembershipFactory,
    RatingFactory,
    RubricFactory,
    RubricVersionFactory,
    UserFactory,
)
from tests.permission_matrix_data import CROSS_CAMPAIGN, LOGIN, MATRIX, NAMED_EXPORT, ROLES

# Distinctive comments: a rater's pages must never show the other rater's.
RATER_COMMENT = "first-rater-note-7f3a"
OTHER_RATER_COMMENT = "second-rater-secret-c91e"


def _walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()) -> Iterator[tuple[str, str, str]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            names = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from _walk(pattern, route, names)
        elif isinstance(pattern, URLPattern):
            yield ":".join(namespaces + (pattern.name or "",)), route, pattern.lookup_str


def _project_urls() -> list[tuple[str, str]]:
    """(name, route) of every URL but the admin's, static files' and Django's own authentication views."""
    found = []
    for name, route, view in _walk(get_resolver()):
        if route.startswith(("admin/", "static/", "media/", "^static", "^media")):
            continue
        if view.startswith("django.contrib.auth."):
            continue
        found.append((name, route))
    return found


def _curator(username: str) -> User:
    user = UserFactory(username=username)
    codenames = ["add_dataset", "add_rubric", "add_campaign"]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="annotate", codename__in=codenames))
    return User.objects.get(pk=user.pk)


def _campaign_of(owner: User, slug: str, items: int) -> Any:
    dataset = DatasetFactory(created_by=owner)
    version = RubricVersionFactory(rubric=RubricFactory(created_by=owner))
    return CampaignFactory(
        slug=slug, created_by=owner, owner=owner, dataset=dataset, rubric_version=version, with_items=items
    )


def _signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _build(tmp: Path) -> dict[str, Any]:
    owner, other_owner = _curator("owner"), _curator("other_owner")
    campaign = _campaign_of(owner, "matrix", 4)
    other = _campaign_of(other_owner, "elsewhere", 2)
    users = {
        "owner": owner,
        "other_owner": other_owner,
        "staff": UserFactory(username="staff", is_staff=True),
        "rater": UserFactory(username="rater"),
        "rater_elsewhere": UserFactory(username="rater_elsewhere"),
        "adjudicator": UserFactory(username="adjudicator"),
        "viewer": UserFactory(username="viewer"),
    }
    second_rater = UserFactory(username="second_rater")
    rater_membership = MembershipFactory(campaign=campaign, user=users["rater"], role=Membership.Role.RATER)
    MembershipFactory(campaign=campaign, user=second_rater, role=Membership.Role.RATER)
    MembershipFactory(campaign=campaign, user=users["adjudicator"], role=Membership.Role.ADJUDICATOR)
    MembershipFactory(campaign=campaign, user=users["viewer"], role=Membership.Role.VIEWER)
    MembershipFactory(campaign=other, user=users["rater_elsewhere"], role=Membership.Role.RATER)

    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))
    own, theirs = [], []
    for item in items[:2]:
        own.append(
            RatingFactory(campaign_item=item, rater=users["rater"], values={"helpful": 2}, comment=RATER_COMMENT)
        )
        theirs.append(
            RatingFactory(campaign_item=item, rater=second_rater, values={"helpful": 5}, comment=OTHER_RATER_COMMENT)
        )
    machine = MachineRaterFactory(campaign=campaign, name="judge")
    RatingFactory(campaign_item=items[0], rater=machine.user, values={"helpful": 3}, by_machine=True)
    gold = items[3]
    gold.is_gold, gold.gold_answer = True, {"helpful": 4}
    gold.save()
    campaign_counts_recount(campaign=campaign)
    Adjudication.objects.create(
        campaign=campaign,
        campaign_item=items[0],
        criterion_key="helpful",
        outcome=Adjudication.Outcome.FINAL,
        value=4,
        rationale="Settled.",
        decided_by=users["adjudicator"],
        decided_at=timezone.now(),
    )
    export = ExportRun.objects.create(
        campaign=campaign, started_by=owner, scope="item", fmt="csv", status=ExportRun.Status.SUCCEEDED
    )
    named = ExportRun.objects.create(
        campaign=campaign, started_by=owner, scope="item", fmt="csv", names=True, status=ExportRun.Status.SUCCEEDED
    )
    for run in (export, named):
        export_run_path(run).write_text("item_id,label\n")
    common = {"started_by": owner, "filename": "rows.jsonl", "path": str(tmp / "rows.jsonl")}
    items_import = ImportRun.objects.create(kind=ImportRun.Kind.ITEMS, dataset=campaign.dataset, **common)
    ratings_import = ImportRun.objects.create(kind=ImportRun.Kind.RATINGS, campaign=campaign, **common)
    token = invitation_make(campaign=campaign, inviter=owner, username="newcomer", role=Membership.Role.RATER)
    owner_token, _secret = api_token_create(user=owner, name="laptop")
    return {
        "users": users,
        "clients": {role: _signed_in(users.get(role)) for role in ROLES},
        "owner_token_pk": owner_token.pk,
        "slug": campaign.slug,
        "other_slug": other.slug,
        "dataset_pk": campaign.dataset_id,
        "other_dataset_pk": other.dataset_id,
        "dataset_item_pk": items[0].item_id,
        "campaign_item_pk": items[0].pk,
        "rubric_pk": campaign.rubric_version.rubric_id,
        "rubric_number": campaign.rubric_version.number,
        "rater_membership_pk": rater_membership.pk,
        "rater_rating_pk": own[0].pk,
        "other_rater_rating_pk": theirs[0].pk,
        "export_pk": export.pk,
        "named_export_pk": named.pk,
        "items_import_pk": items_import.pk,
        "ratings_import_pk": ratings_import.pk,
        "invitation_token": token,
        "upload_token": "no-such-upload",
        # The rating API: the rater's lease on an item they have not rated (expired: only who reaches it matters).
        "rater_assignment_pk": items[2]
        .assignments.create(rater=users["rater"], leased_at=timezone.now(), expires_at=timezone.now())
        .pk,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """One campaign world for the module, rolled back afterwards."""
    tmp = tmp_path_factory.mktemp("matrix")
    with override_settings(DATA_DIR=str(tmp)), django_db_blocker.unblock(), transaction.atomic():
        yield _build(tmp)
        transaction.set_rollback(True)


def _client(world: dict[str, Any], role: str) -> Client:
    """The role's client, signed in once for the module (its session belongs to the world)."""
    return world["clients"][role]


def _url(world: dict[str, Any], name: str, kwargs: dict[str, str]) -> str:
    return reverse(name, kwargs={key: world[attr] for key, attr in kwargs.items()})


def _check(response: Any, expected: object, path: str) -> None:
    got = response.status_code
    where = response.headers.get("Location", "")
    if expected == LOGIN:
        assert (got, where) == (302, redirect_to_login(path).url), f"expected the login page, got {got} {where}"
    else:
        assert got == expected, f"expected {expected}, got {got} {where}"


def _cases(method: str) -> list[Any]:
    cases = []
    for name, entry in MATRIX.items():
        table = entry.get if method == "GET" else entry.post
        for role, expected in (table or {}).items():
            cases.append(pytest.param(name, role, expected, id=f"{name}-{method}-{role}"))
    return cases


def test_every_url_has_an_entry() -> None:
    missing = [f"{name or '(unnamed)'} ({route})" for name, route in _project_urls() if name not in MATRIX]
    assert not missing, (
        "These URL patterns have no entry in tests/permission_matrix_data.py MATRIX; add one saying what every "
        "role gets: " + ", ".join(missing)
    )


def test_every_entry_is_a_url() -> None:
    names = {name for name, _route in _project_urls()}
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"MATRIX entries for URLs that no longer exist; remove them: {', '.join(stale)}"


def test_every_entry_names_every_role_for_get() -> None:
    for name, entry in MATRIX.items():
        assert entry.get is not None and set(entry.get) == set(ROLES), f"{name}: give a GET outcome for every role"


@pytest.mark.parametrize(("name", "role", "expected"), _cases("GET"))
def test_get(world: dict[str, Any], db: None, name: str, role: str, expected: object) -> None:
    path = _url(world, name, MATRIX[name].kwargs)
    _check(_client(world, role).get(path), expected, path)


@pytest.mark.parametrize(("name", "role", "expected"), _cases("POST"))
def test_post_refused(world: dict[str, Any], db: None, name: str, role: str, expected: object) -> None:
    path = _url(world, name, MATRIX[name].kwargs)
    _check(_client(world, role).post(path, {}), expected, path)


@pytest.mark.parametrize(
    ("role", "name", "kwargs"), [pytest.param(*case, id=f"{case[1]}-GET-{case[0]}-guessed") for case in CROSS_CAMPAIGN]
)
def test_object_of_another_campaign_is_not_found(
    world: dict[str, Any], db: None, role: str, name: str, kwargs: dict
) -> None:
    path = _url(world, name, kwargs)
    _check(_client(world, role).get(path), 404, path)


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        pytest.param(name, role, expected, id=f"{name}-GET-{role}-named")
        for name, (_kwargs, table) in NAMED_EXPORT.items()
        for role, expected in table.items()
    ],
)
def test_export_with_real_names_only_for_owners(
    world: dict[str, Any], db: None, name: str, role: str, expected: object
) -> None:
    path = _url(world, name, NAMED_EXPORT[name][0])
    _check(_client(world, role).get(path), expected, path)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("rater", 302), ("owner", 302), ("staff", 200)],
    ids=lambda v: str(v),
)
def test_admin_index_only_for_staff(world: dict[str, Any], db: None, role: str, expected: int) -> None:
    response = _client(world, role).get(reverse("admin:index"))
    assert response.status_code == expected
    if expected == 302:
        assert response.headers["Location"].startswith(reverse("admin:login"))


def test_rater_never_sees_another_raters_labels(world: dict[str, Any], db: None) -> None:
    client = _client(world, "rater")
    reached = []
    for name, entry in MATRIX.items():
        if entry.get and entry.get["rater"] in (200, 302):
            path = _url(world, name, entry.kwargs)
            response = client.get(path, follow=True)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert OTHER_RATER_COMMENT.encode() not in body, f"{path} shows another rater's comment to a rater"
            reached.append((path, body))
    # The rater's own pages do show their own comment: the search above looks where labels are shown.
    assert any(RATER_COMMENT.encode() in body for _, body in reached)


def _is_api(name: str) -> bool:
    return name.split(":")[0] in ("api", "ratings-api")


@pytest.fixture(scope="module")
def role_tokens(world: dict[str, Any], django_db_blocker: Any) -> dict[str, str]:
    """An API token per signed-in role, made inside the world's transaction."""
    with django_db_blocker.unblock():
        return {role: api_token_create(user=user, name="matrix")[1] for role, user in world["users"].items()}


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [case for case in _cases("GET") if _is_api(case.values[0]) and case.values[1] != "anonymous"],
)
def test_api_get_with_a_token_answers_as_the_session_does(
    world: dict[str, Any], role_tokens: dict[str, str], db: None, name: str, role: str, expected: object
) -> None:
    path = _url(world, name, MATRIX[name].kwargs)
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {role_tokens[role]}")
    _check(response, expected, path)
