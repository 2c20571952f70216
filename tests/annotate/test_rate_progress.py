"""The rating page's campaign-wide progress: recounted every few seconds, less often when recounting is slow."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from annotate.selectors import assignments as selectors
from annotate.selectors.assignments import rater_progress
from annotate.services.assignments import assignment_next
from ratings.services import rating_submit
from tests.factories import CampaignFactory, UserFactory, raters_of

pytestmark = pytest.mark.django_db


def _clock(*ticks: float) -> SimpleNamespace:
    readings = iter(ticks)
    return SimpleNamespace(perf_counter=lambda: next(readings))


def test_campaign_numbers_are_kept_a_few_seconds_then_recounted(monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear()
    campaign = CampaignFactory(with_items=2, overlap=1)
    (rater,) = raters_of(campaign, 1)
    monkeypatch.setattr(selectors, "time", _clock(10.0, 10.1))
    assert rater_progress(campaign=campaign, rater=rater).complete == 0
    rating_submit(assignment=assignment_next(campaign=campaign, rater=rater), values={"helpful": 2})
    progress = rater_progress(campaign=campaign, rater=rater)
    # My own count is exact at once; the campaign's stays as counted until the cache lapses.
    assert (progress.done, progress.complete) == (1, 0)
    cache.clear()
    monkeypatch.setattr(selectors, "time", _clock(20.0, 20.1))
    assert rater_progress(campaign=campaign, rater=rater).complete == 1


def test_slow_recount_is_kept_long_enough_to_cost_at_most_a_fiftieth_of_a_worker() -> None:
    assert selectors.progress_cache_seconds(0.01) == selectors.PROGRESS_CACHE_SECONDS
    assert selectors.progress_cache_seconds(0.1) == selectors.PROGRESS_CACHE_SECONDS
    assert selectors.progress_cache_seconds(2.0) == pytest.approx(100.0)


def test_slow_recount_sets_the_longer_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear()
    campaign = CampaignFactory(with_items=2)
    kept: list[float] = []
    monkeypatch.setattr(selectors, "time", _clock(100.0, 102.0))
    monkeypatch.setattr(selectors.cache, "set", lambda key, value, timeout: kept.append(timeout))
    rater_progress(campaign=campaign, rater=UserFactory())
    assert kept == [pytest.approx(100.0)]
