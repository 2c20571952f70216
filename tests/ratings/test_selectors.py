"""The bulk reads behind agreement: which columns come back and how many queries they take."""

from datetime import UTC, datetime

import pytest

from ratings.models import Rating
from ratings.selectors import ALPHA_COLUMNS, external_ids, item_metadata, ratings_frame
from tests.factories import RatingFactory, UserFactory


def test_ratings_frame_for_alpha_is_one_query_without_time_or_external_ids(campaign, django_assert_num_queries):
    items = list(campaign.items.order_by("order_key"))
    for name, values in {"a": [1, 2, 3], "b": [1, 3, 3]}.items():
        user = UserFactory(username=name)
        for item, value in zip(items, values, strict=False):
            RatingFactory(campaign_item=item, rater=user, values={"helpful": value})
    with django_assert_num_queries(1):
        frame = ratings_frame(campaign, "helpful", columns=ALPHA_COLUMNS)
    assert list(frame.columns) == ["item", "rater", "value"]
    assert frame["value"].dtype == "int64"
    assert sorted(frame["value"]) == [1, 1, 2, 3, 3, 3]


def test_ratings_frame_reads_the_time_to_the_microsecond(campaign):
    rating = RatingFactory(campaign_item=campaign.items.first(), values={"helpful": 4})
    moment = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
    Rating.objects.filter(pk=rating.pk).update(updated_at=moment)
    frame = ratings_frame(campaign, "helpful", columns=["item", "rater", "value", "time"])
    assert list(frame.columns) == ["item", "rater", "value", "time"]
    # SQLite's julianday() keeps milliseconds; PostgreSQL keeps every microsecond.
    assert abs((frame["time"].iloc[0] - moment).total_seconds()) < 0.001


def test_ratings_frame_rejects_unknown_columns(campaign):
    with pytest.raises(ValueError, match="no column"):
        ratings_frame(campaign, "helpful", columns=["item", "rater", "value", "score"])


def test_ratings_frame_of_a_campaign_without_ratings_is_empty(campaign):
    frame = ratings_frame(campaign, "helpful", columns=ALPHA_COLUMNS)
    assert frame.empty and list(frame.columns) == ["item", "rater", "value"]


def test_ratings_frame_drops_values_the_rubric_does_not_know(campaign):
    item = campaign.items.first()
    RatingFactory(campaign_item=item, values={"helpful": 3})
    RatingFactory(campaign_item=item, values={"helpful": 9})
    RatingFactory(campaign_item=item, values={"helpful": "three"})
    assert ratings_frame(campaign, "helpful", columns=ALPHA_COLUMNS)["value"].tolist() == [3]


def test_external_ids_and_metadata_by_campaign_item(campaign):
    first = campaign.items.select_related("item").order_by("order_key").first()
    first.item.metadata = {"model": "m1", "length": 3}
    first.item.save()
    assert external_ids(campaign, [first.pk]) == {first.pk: first.item.external_id}
    metadata = item_metadata(campaign)
    assert metadata[first.pk] == {"model": "m1", "length": 3}
    assert set(metadata) == set(campaign.items.values_list("pk", flat=True))
