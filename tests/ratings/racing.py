"""Raters racing through one campaign's queue in parallel threads (PostgreSQL concurrency tests)."""

import threading

from django.contrib.auth.models import User
from django.db import connection, connections

from annotate.models import Campaign, Membership
from ratings.queue import assignment_next
from ratings.services import rating_submit
from tests.factories import MembershipFactory, UserFactory

POSTGRESQL_ONLY_REASON = "SQLite serialises writers with IMMEDIATE transactions; the SKIP LOCKED race needs PostgreSQL"
IS_POSTGRESQL = connection.vendor == "postgresql"


def _rate_until_done(campaign_pk: int, rater_pk: int, failures: list[BaseException]) -> None:
    try:
        campaign = Campaign.objects.select_related("rubric_version").get(pk=campaign_pk)
        rater = User.objects.get(pk=rater_pk)
        while (assignment := assignment_next(campaign=campaign, rater=rater)) is not None:
            rating_submit(assignment=assignment, values={"helpful": 1 + assignment.campaign_item_id % 5})
    except BaseException as exc:  # noqa: BLE001 - reported to the main thread, which fails the test
        failures.append(exc)
    finally:
        # Each thread has its own connection; close it so the test database can be dropped.
        connections.close_all()


def race_raters(campaign: Campaign, *, n_raters: int, prefix: str, timeout: float) -> list[User]:
    """Make n raters, let each rate in its own thread until the queue is empty; raise what any thread raised."""
    raters = [UserFactory(username=f"{prefix}{i}") for i in range(n_raters)]
    for rater in raters:
        MembershipFactory(campaign=campaign, user=rater, role=Membership.Role.RATER)
    failures: list[BaseException] = []
    threads = [threading.Thread(target=_rate_until_done, args=(campaign.pk, rater.pk, failures)) for rater in raters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not failures, failures
    return raters
