"""On PostgreSQL, statements bind their parameters on the server: bulk writes and deletes still fit its limit."""

import pytest
from django.db import connection

from annotate.models import Dataset, Item
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

# More items than one statement can name: deleting their dataset lists the items' ids to delete what refers to them.
N_ITEMS = 70_000


def test_a_dataset_too_large_for_one_statement_is_written_and_deleted_whole() -> None:
    dataset = DatasetFactory()
    Item.objects.bulk_create(
        Item(dataset=dataset, external_id=f"item-{n}", position=n, content={"text": "x"}) for n in range(N_ITEMS)
    )
    assert dataset.items.count() == N_ITEMS
    dataset.delete()
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert not Item.objects.exists()


def test_statements_are_prepared_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite binds parameters in the library; there is no server to prepare statements on")
    assert connection.features.uses_server_side_binding
    assert connection.connection.prepare_threshold == 5
