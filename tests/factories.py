"""One factory per model, with minimal valid defaults."""

import factory
from django.contrib.auth.models import User

from annotate.models import Campaign, CampaignItem, Dataset, Item, MachineRater, Membership, Rubric, RubricVersion
from annotate.services.campaign_counts import campaign_counts_recount
from ratings.models import Rating, RatingRevision

LIKERT_CRITERION = {
    "key": "helpful",
    "type": "likert",
    "label": "Helpfulness",
    "required": True,
    "help": "",
    "level": "ordinal",
    "options": [
        {"value": 1, "label": "Not helpful", "key": "1"},
        {"value": 2, "label": "Slightly helpful", "key": "2"},
        {"value": 3, "label": "Helpful", "key": "3"},
        {"value": 4, "label": "Very helpful", "key": "4"},
        {"value": 5, "label": "Extremely helpful", "key": "5"},
    ],
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-123")


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"dataset-{n}")
    content_fields = ["prompt", "response"]
    metadata_fields = ["model"]


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    dataset = factory.SubFactory(DatasetFactory)
    external_id = factory.Sequence(lambda n: f"item-{n}")
    position = factory.Sequence(lambda n: n)
    content = factory.LazyAttribute(lambda o: {"prompt": f"Prompt {o.external_id}", "response": "An answer."})
    metadata = factory.LazyAttribute(lambda o: {"model": "atlas-7b"})


class RubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rubric

    name = factory.Sequence(lambda n: f"rubric-{n}")


class RubricVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RubricVersion

    rubric = factory.SubFactory(RubricFactory)
    number = 1
    guidelines = "Rate the response."
    criteria = factory.LazyFunction(lambda: [dict(LIKERT_CRITERION)])


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign; `with_items=N` samples N new items, `owner=user` adds an owner membership."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    dataset = factory.SubFactory(DatasetFactory)
    rubric_version = factory.SubFactory(RubricVersionFactory)
    sample_spec = factory.LazyFunction(lambda: {"method": "all"})
    overlap = 2
    status = Campaign.Status.ACTIVE

    @factory.post_generation
    def with_items(obj: Campaign, create: bool, extracted: int | None, **kwargs: object) -> None:
        for order in range(extracted or 0):
            CampaignItem.objects.create(campaign=obj, item=ItemFactory(dataset=obj.dataset), order_key=order)
        if extracted:
            obj.dataset.item_count = obj.dataset.items.count()
            obj.dataset.save(update_fields=["item_count"])
        # As campaign_create does: the campaign's kept counts start from its sample.
        campaign_counts_recount(campaign=obj)

    @factory.post_generation
    def owner(obj: Campaign, create: bool, extracted: User | None, **kwargs: object) -> None:
        if extracted is not None:
            Membership.objects.create(campaign=obj, user=extracted, role=Membership.Role.OWNER)


class CampaignItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignItem

    campaign = factory.SubFactory(CampaignFactory)
    item = factory.LazyAttribute(lambda o: ItemFactory(dataset=o.campaign.dataset))
    order_key = factory.Sequence(lambda n: 10_000 + n)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    campaign = factory.SubFactory(CampaignFactory)
    role = Membership.Role.RATER
    rates = factory.LazyAttribute(lambda m: m.role == Membership.Role.RATER)


class MachineRaterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MachineRater

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"judge{n}")
    user = factory.LazyAttribute(lambda o: UserFactory(username=f"{o.name}+machine@{o.campaign.slug}", is_active=False))
    model = "gpt-judge"


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    campaign_item = factory.SubFactory(CampaignItemFactory)
    campaign = factory.LazyAttribute(lambda o: o.campaign_item.campaign)
    rater = factory.SubFactory(UserFactory)
    rubric_version = factory.LazyAttribute(lambda o: o.campaign_item.campaign.rubric_version)
    values = factory.LazyFunction(lambda: {"helpful": 4})


class RatingRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingRevision

    rating = factory.SubFactory(RatingFactory)
    number = factory.Sequence(lambda n: n + 1)
    values = factory.LazyFunction(lambda: {"helpful": 3})
    recorded_at = factory.Faker("date_time", tzinfo=__import__("datetime").timezone.utc)


def raters_of(campaign: Campaign, n: int) -> list[User]:
    """n users holding a rater membership in the campaign, named rater0, rater1, …"""
    users = [UserFactory(username=f"rater{i}") for i in range(n)]
    for user in users:
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
    return users
