"""The rating page and submit run a fixed number of queries, however large the campaign."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotate.models import Campaign, Membership
from tests.factories import CampaignFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
# Session, user, campaign with my role and its kept counts (its rubric version is kept per process once read);
# my live lease (read without a lock or transaction); its item with my ratings count (kept on my membership).
RATE_PAGE_QUERIES = 5
# The page's three and the posted assignment; the submit in a savepoint pair (my queue counts, assignment and
# item lock, the item's slot taken with its recount, rating insert, assignment update); the next pick in a
# savepoint pair (membership lock with my queue state, my leases under it, candidate, its slot taken with its
# recount, lease insert, my queue state); the item with my ratings count. None of them reads my history. (A
# submit that completes its item adds one to the campaign's count row, one statement more for one submit in k;
# a pick sweeps the campaign's expired leases, one statement more, at most every few seconds per process.)
SUBMIT_QUERIES = 20


def _setup(n_items: int) -> tuple[Campaign, Client]:
    cache.clear()
    campaign = CampaignFactory(with_items=n_items, overlap=2)
    rater = UserFactory(username=f"counted-{n_items}")
    MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    client = Client()
    client.force_login(rater)
    # The first request reads the rubric version, which is kept per process; the counts below are per item.
    client.get(f"/c/{campaign.slug}/rate/")
    return campaign, client


def _assignment(html: bytes) -> str:
    return re.search(rb'name="assignment" value="(\d+)"', html).group(1).decode()


@pytest.mark.parametrize("n_items", [5, 60])
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_rate_page_query_count_is_fixed(n_items: int, headers: dict[str, str]) -> None:
    campaign, client = _setup(n_items)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/c/{campaign.slug}/rate/", **headers)
    assert response.status_code == 200
    assert len(queries) == RATE_PAGE_QUERIES, [q["sql"][:120] for q in queries]


@pytest.mark.parametrize("n_items", [5, 60])
def test_submit_and_next_query_count_is_fixed(n_items: int) -> None:
    campaign, client = _setup(n_items)
    pk = _assignment(client.get(f"/c/{campaign.slug}/rate/", **HX).content)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/c/{campaign.slug}/rate/next/", {"assignment": pk, "c-helpful": "3"}, **HX)
    assert b"Saved." in response.content and _assignment(response.content) != pk
    assert len(queries) == SUBMIT_QUERIES, [q["sql"][:120] for q in queries]


def test_submit_locks_no_campaign_row() -> None:
    """Row locks on an item must not take the campaign row with them, or every rater's submit would queue."""
    campaign, client = _setup(3)
    pk = _assignment(client.get(f"/c/{campaign.slug}/rate/", **HX).content)
    with CaptureQueriesContext(connection) as queries:
        client.post(f"/c/{campaign.slug}/rate/next/", {"assignment": pk, "c-helpful": "3"}, **HX)
    locking = [q["sql"] for q in queries if " FOR NO KEY UPDATE" in q["sql"] or " FOR UPDATE" in q["sql"]]
    if connection.vendor == "postgresql":
        assert locking

    def locks_campaign(sql: str) -> bool:
        clause = sql.rsplit(" FOR ", 1)[1]
        if " OF " in clause:
            return '"annotate_campaign"' in clause
        return 'JOIN "annotate_campaign"' in sql

    assert not [sql for sql in locking if locks_campaign(sql)]
