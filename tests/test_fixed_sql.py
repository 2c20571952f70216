"""Fixed-SQL reads give the same instances as the ORM, on both databases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotate.models import Assignment
from fixed_sql.rows import models_from_sql
from tests.factories import CampaignFactory, raters_of

pytestmark = pytest.mark.django_db


def _assignment() -> Assignment:
    campaign = CampaignFactory(with_items=1)
    (rater,) = raters_of(campaign, 1)
    now = timezone.now()
    return Assignment.objects.create(
        campaign_item=campaign.items.get(),
        rater=rater,
        status=Assignment.Status.LEASED,
        leased_at=now,
        expires_at=now + timedelta(minutes=30),
        presentation={"left": "b"},
    )


def _same_fields(a: object, b: object) -> None:
    for field in type(a)._meta.concrete_fields:
        assert getattr(a, field.attname) == getattr(b, field.attname), field.name


def test_rows_read_as_the_orm_reads_them() -> None:
    """Dates, JSON and flags come back typed on SQLite too, whatever the column order of the SELECT."""
    stored = _assignment()
    sql = "SELECT expires_at, presentation, is_repeat, a.* FROM annotate_assignment a WHERE id = %s"
    (read,) = models_from_sql(Assignment, sql, [stored.pk])
    _same_fields(read, Assignment.objects.get(pk=stored.pk))
    assert read.presentation == {"left": "b"} and read.expires_at > read.leased_at and read.is_repeat is False
    assert read._state.adding is False


def test_columns_that_are_no_field_become_attributes_and_unselected_fields_load_on_use() -> None:
    stored = _assignment()
    (read,) = models_from_sql(
        Assignment,
        "SELECT a.id, a.status, ci.campaign_id AS campaign_of_item FROM annotate_assignment a"
        " JOIN annotate_campaignitem ci ON ci.id = a.campaign_item_id WHERE a.id = %s",
        [stored.pk],
    )
    assert read.campaign_of_item == stored.campaign_item.campaign_id
    assert read.get_deferred_fields() >= {"presentation", "leased_at"}
    assert read.presentation == {"left": "b"}


def test_no_row_gives_an_empty_list_and_a_select_without_the_key_is_refused() -> None:
    assert models_from_sql(Assignment, "SELECT * FROM annotate_assignment WHERE id = %s", [1]) == []
    stored = _assignment()
    with pytest.raises(ValueError, match="primary key"):
        models_from_sql(Assignment, "SELECT status FROM annotate_assignment WHERE id = %s", [stored.pk])
