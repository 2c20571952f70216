"""Dataset and rubric names are unique per owner: one owner's names never block or reveal another's."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Campaign, Dataset
from tests.factories import DatasetFactory, ItemFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _create_campaign(*extra: str) -> str:
    out = StringIO()
    call_command("create_campaign", "--slug", "c1", "--dataset", "chats", "--rubric", "Tone", *extra, stdout=out)
    return out.getvalue()


def _dataset(owner=None) -> Dataset:
    dataset = DatasetFactory(name="chats", created_by=owner, item_count=1)
    ItemFactory(dataset=dataset)
    return dataset


def _two_owners_share_names():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    for owner in (alice, bob):
        _dataset(owner)
        RubricVersionFactory(rubric__name="Tone", rubric__created_by=owner)
    return alice, bob


def test_create_campaign_asks_for_an_owner_when_two_owners_share_a_dataset_name():
    _two_owners_share_names()
    with pytest.raises(CommandError, match=r"2 datasets are named 'chats' \(owners: alice, bob\); give --owner"):
        _create_campaign()
    assert Campaign.objects.count() == 0


def test_create_campaign_with_an_owner_takes_that_owners_dataset_and_rubric():
    _alice, bob = _two_owners_share_names()
    _create_campaign("--owner", "bob")
    campaign = Campaign.objects.get()
    assert campaign.dataset.created_by == bob and campaign.rubric_version.rubric.created_by == bob


def test_create_campaign_takes_the_only_dataset_of_a_name_whoever_owns_it():
    _dataset(UserFactory(username="alice"))
    RubricVersionFactory(rubric__name="Tone")
    _create_campaign("--owner", "carol")
    assert Campaign.objects.get().dataset.name == "chats"


def test_import_items_asks_for_an_owner_when_two_owners_share_a_dataset_name(tmp_path):
    _two_owners_share_names()
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a", "prompt": "Hi"}\n')
    with pytest.raises(CommandError, match="2 datasets are named 'chats'"):
        call_command("import_items", str(path), "--dataset", "chats", "--no-index", stdout=StringIO())
    assert sum(Dataset.objects.values_list("item_count", flat=True)) == 2
