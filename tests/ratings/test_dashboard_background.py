"""A large campaign's agreement report is computed by a task; the dashboard waits for it, then serves it."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse

from annotate.models import CampaignItem
from ratings import report_store, reports, tasks
from ratings.models import AgreementReport
from ratings.tasks import agreement_report_task
from tests.factories import RatingFactory
from tests.ratings.test_dashboard import url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every campaign counts as large: its report comes from the task."""
    cache.clear()
    monkeypatch.setattr(report_store, "BACKGROUND_LABELS", 1)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Tasks are queued for a worker that has not run yet: the campaigns they were queued for."""
    calls: list[int] = []
    monkeypatch.setattr(tasks, "agreement_report_task", SimpleNamespace(enqueue=calls.append))
    return calls


def test_the_page_says_the_report_is_being_computed_and_queues_one_task(client, owner, rated, queued):
    client.force_login(owner)
    first = client.get(url(rated))
    assert first.status_code == 200
    page = first.content.decode()
    assert "being computed by a worker" in page
    assert f'hx-get="{url(rated)}?wait=1"' in page and 'hx-trigger="every 3s"' in page
    poll = client.get(url(rated, wait=1), HTTP_HX_REQUEST="true")
    assert "being computed" in poll.content.decode() and "<html" not in poll.content.decode()
    client.get(url(rated))
    assert queued == [rated.pk]


def test_once_the_worker_has_run_the_poll_reloads_and_the_page_shows_alpha(client, owner, rated, queued):
    client.force_login(owner)
    client.get(url(rated))
    agreement_report_task.call(rated.pk)
    poll = client.get(url(rated, wait=1), HTTP_HX_REQUEST="true")
    assert poll.headers["HX-Refresh"] == "true"
    page = client.get(url(rated)).content.decode()
    alpha = reports.campaign_agreement(rated).criterion("helpful").alpha.value
    assert f"{alpha:.3f}" in page and "being computed" not in page
    assert AgreementReport.objects.filter(campaign=rated, report__isnull=False).count() == 1


def test_with_the_immediate_backend_the_report_is_there_at_once(client, owner, rated):
    client.force_login(owner)
    page = client.get(url(rated)).content.decode()
    alpha = reports.campaign_agreement(rated).criterion("helpful").alpha.value
    assert f"{alpha:.3f}" in page
    stored = AgreementReport.objects.get(campaign=rated)
    assert stored.key == reports.agreement_key(rated) and stored.computed_at is not None


def test_after_new_ratings_the_last_report_is_shown_while_a_new_one_is_computed(client, owner, rated, queued):
    client.force_login(owner)
    client.get(url(rated))
    agreement_report_task.call(rated.pk)
    RatingFactory(campaign_item=CampaignItem.objects.filter(campaign=rated).first(), values={"helpful": 1})
    page = client.get(url(rated)).content.decode()
    assert "computing them again from the latest ratings" in page
    assert len(queued) == 2
    agreement_report_task.call(rated.pk)
    assert "computing them again" not in client.get(url(rated)).content.decode()
    assert AgreementReport.objects.filter(campaign=rated).count() == 1


def test_a_claim_lost_with_its_worker_is_queued_again(client, owner, rated, queued):
    client.force_login(owner)
    client.get(url(rated))
    AgreementReport.objects.filter(campaign=rated).update(
        queued_at=AgreementReport.objects.get(campaign=rated).queued_at - report_store.REQUEUE_AFTER
    )
    client.get(url(rated))
    assert queued == [rated.pk, rated.pk]


def test_an_outsider_gets_404_and_queues_nothing(client, outsider, rated, queued):
    client.force_login(outsider)
    assert client.get(url(rated)).status_code == 404
    assert queued == [] and not AgreementReport.objects.exists()


def _api(campaign, **query) -> str:
    base = reverse("ratings-api:campaign-agreement", args=[campaign.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_api_answers_202_until_the_worker_has_computed_the_report(client, owner, rated, queued):
    client.force_login(owner)
    waiting = client.get(_api(rated))
    assert waiting.status_code == 202 and waiting.headers["Retry-After"] == "5"
    assert waiting.json()["status"] == "computing"
    agreement_report_task.call(rated.pk)
    ready = client.get(_api(rated, criterion="helpful")).json()
    assert ready["current"] is True and [c["key"] for c in ready["criteria"]] == ["helpful"]
    assert queued == [rated.pk]


def test_the_api_serves_the_last_report_marked_not_current_after_new_ratings(client, owner, rated, queued):
    client.force_login(owner)
    client.get(_api(rated))
    agreement_report_task.call(rated.pk)
    RatingFactory(campaign_item=CampaignItem.objects.filter(campaign=rated).first(), values={"helpful": 1})
    assert client.get(_api(rated)).json()["current"] is False


def test_the_api_names_an_unknown_criterion_before_queueing_anything(client, owner, rated, queued):
    client.force_login(owner)
    response = client.get(_api(rated, criterion="nope"))
    assert response.status_code == 400 and "no criterion 'nope'" in response.content.decode()
    assert queued == []
