"""Creating a campaign: validation, the drawn sample, and the owner membership."""

import pytest
from django.core.exceptions import ValidationError

from annotate.models import Campaign, CampaignItem, Item, Membership
from annotate.services.campaigns import campaign_create
from tests.factories import DatasetFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

TOPICS = ["news", "code", "math", "chat"]


@pytest.fixture
def dataset():
    dataset = DatasetFactory(content_fields=["prompt", "response"], metadata_fields=["model", "topic"])
    Item.objects.bulk_create(
        Item(
            dataset=dataset,
            external_id=f"x{i}",
            position=i,
            content={"prompt": f"p{i}", "response": "r"},
            metadata={"model": "m", "topic": TOPICS[i % 4]} if i % 10 else {"model": "m"},
        )
        for i in range(40)
    )
    dataset.item_count = 40
    dataset.save()
    return dataset


def create(dataset, **overrides):
    kwargs = {
        "slug": "eval",
        "name": "Eval",
        "dataset": dataset,
        "sample_spec": {"method": "all"},
        "overlap": 3,
        "lease_minutes": 30,
        "visible_fields": ["prompt", "response"],
    }
    kwargs.update(overrides)
    if "rubric_version" not in kwargs:
        kwargs["rubric_version"] = RubricVersionFactory()
    if "user" not in kwargs:
        kwargs["user"] = UserFactory(username="creator")
    return campaign_create(**kwargs)


def sample_external_ids(campaign):
    return list(
        CampaignItem.objects.filter(campaign=campaign).order_by("order_key").values_list("item__external_id", flat=True)
    )


def test_create_samples_every_item_and_makes_the_creator_owner(dataset):
    campaign = create(dataset)
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.items.count() == 40
    assert list(campaign.items.values_list("order_key", flat=True)) == list(range(40))
    assert Membership.objects.get(campaign=campaign).role == Membership.Role.OWNER
    assert campaign.sample_spec == {"method": "all", "seed": 0}


def test_random_sample_has_n_items(dataset):
    campaign = create(dataset, sample_spec={"method": "random", "n": 12, "seed": 5})
    assert campaign.items.count() == 12
    assert campaign.sample_spec == {"method": "random", "n": 12, "seed": 5}


def test_same_spec_on_the_same_dataset_gives_the_same_sample(dataset):
    first = create(dataset, slug="one", sample_spec={"method": "random", "n": 12, "seed": 5})
    second = create(dataset, slug="two", sample_spec={"method": "random", "n": 12, "seed": 5}, user=None)
    third = create(dataset, slug="three", sample_spec={"method": "random", "n": 12, "seed": 6}, user=None)
    assert sample_external_ids(first) == sample_external_ids(second)
    assert sample_external_ids(first) != sample_external_ids(third)


def test_random_sample_larger_than_dataset_takes_all_and_says_so(dataset):
    campaign = create(dataset, sample_spec={"method": "random", "n": 500})
    assert campaign.items.count() == 40
    assert "only 40" in campaign.sample_note


def test_stratified_sample_draws_per_topic_with_missing_as_its_own_stratum(dataset):
    campaign = create(dataset, sample_spec={"method": "stratified", "field": "topic", "n": 3})
    topics = [
        item.metadata.get("topic", "(missing)") for item in Item.objects.filter(campaign_items__campaign=campaign)
    ]
    assert sorted(topics) == sorted(["news", "code", "math", "chat", "(missing)"] * 3)
    assert campaign.sample_spec == {"method": "stratified", "field": "topic", "per_stratum": 3, "seed": 0}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "not a slug"}, "slug"),
        ({"slug": "", "name": ""}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"name": " "}, "name"),
        ({"overlap": 0}, "overlap"),
        ({"overlap": 21}, "overlap"),
        ({"lease_minutes": 0}, "lease_minutes"),
        ({"visible_fields": ["prompt", "secret"]}, "visible_fields"),
        ({"sample_spec": {"method": "lottery"}}, "method"),
        ({"sample_spec": {"method": "random", "n": 0}}, "n"),
        ({"sample_spec": {"method": "stratified", "n": 2, "field": "colour"}}, "field"),
        ({"sample_spec": {"method": "stratified", "n": 2}}, "field"),
    ],
)
def test_invalid_settings_are_rejected_naming_the_field(dataset, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        create(dataset, **overrides)
    assert field in excinfo.value.message_dict
    assert not Campaign.objects.exists()


def test_slug_must_be_unique(dataset):
    create(dataset)
    with pytest.raises(ValidationError, match="already exists"):
        create(dataset, user=None)


def test_metadata_fields_may_be_visible(dataset):
    campaign = create(dataset, visible_fields=["prompt", "response", "topic"])
    assert campaign.visible_fields == ["prompt", "response", "topic"]


def test_an_empty_dataset_cannot_be_sampled():
    with pytest.raises(ValidationError, match="no items"):
        create(DatasetFactory())
    assert not Campaign.objects.exists()


def test_sampling_runs_in_a_fixed_number_of_queries(dataset, django_assert_max_num_queries):
    rubric_version = RubricVersionFactory()
    user = UserFactory()
    with django_assert_max_num_queries(8):
        create(
            dataset,
            rubric_version=rubric_version,
            user=user,
            sample_spec={"method": "stratified", "field": "topic", "n": 5},
        )


def test_a_blank_slug_is_made_from_the_name(dataset):
    campaign = create(dataset, slug="", name="Helpfulness, round 2 — Zürich")
    assert campaign.slug == "helpfulness-round-2-zurich"


def test_a_slug_made_from_a_taken_name_is_numbered(dataset):
    assert create(dataset, slug="", name="Eval").slug == "eval"
    assert create(dataset, slug="", name="Eval", user=None).slug == "eval-2"
    assert create(dataset, slug="", name="New", user=None).slug == "new-2"


def test_a_name_with_no_letters_for_a_slug_still_gets_one(dataset):
    assert create(dataset, slug="", name="評価").slug == "campaign"


@pytest.mark.parametrize("minutes", [10_081, 2**40])
def test_a_lease_longer_than_a_week_is_refused_naming_the_field(dataset, minutes):
    with pytest.raises(ValidationError) as excinfo:
        create(dataset, lease_minutes=minutes)
    assert "a week" in excinfo.value.message_dict["lease_minutes"][0]
    assert not Campaign.objects.exists()


def test_visible_fields_keep_their_order_and_count_once(dataset):
    campaign = create(dataset, visible_fields=["topic", "response", "prompt", "topic"])
    assert campaign.visible_fields == ["topic", "response", "prompt"]
