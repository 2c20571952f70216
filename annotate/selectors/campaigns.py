"""Named reads about campaigns."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from annotate.models import Campaign, Membership


def campaigns_for_user(user: AbstractBaseUser) -> list[Campaign]:
    """Campaigns the user is a member of (all, for staff), each annotated with `my_role` and `my_rates`."""
    mine = Membership.objects.filter(campaign=OuterRef("pk"), user=user)
    qs = Campaign.objects.select_related("dataset", "rubric_version__rubric").annotate(
        my_role=Subquery(mine.values("role")[:1]),
        my_rates=Coalesce(Subquery(mine.values("rates")[:1]), Value(False)),
        n_items=Count("items", filter=Q(items__is_gold=False), distinct=True),
    )
    if not user.is_staff:
        qs = qs.filter(memberships__user=user)
    campaigns = list(qs.order_by("-created_at"))
    for campaign in campaigns:
        if campaign.my_role is None:
            campaign.my_role = Membership.Role.OWNER
    return campaigns


def campaign_members(campaign: Campaign) -> list[Membership]:
    """The campaign's memberships, owners first, then by username."""
    order = {role: i for i, role in enumerate(Membership.Role.values)}
    members = list(Membership.objects.filter(campaign=campaign).select_related("user"))
    return sorted(members, key=lambda m: (order.get(m.role, 99), m.user.get_username()))
