"""Admin for every annotate model, and for users: what raters did is never deleted, only archived or deactivated."""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest

from annotate.models import (
    ApiToken,
    Assignment,
    Campaign,
    CampaignCounts,
    CampaignItem,
    Dataset,
    ImportRun,
    Item,
    ItemMetadata,
    MachineRater,
    Membership,
    MetadataValue,
    Rubric,
    RubricVersion,
)
from annotate.services.campaign_counts import campaign_counts_recount
from annotate.services.campaigns import campaign_set_status
from annotate.services.users import users_deactivate

Status = Campaign.Status


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class KeepsRatersWorkAdmin(admin.ModelAdmin):
    """An admin whose objects cannot be deleted once raters have rated or been served anything under them.

    The database refuses such deletes too (Rating and Assignment protect what they refer to). Checking first,
    with one count per kind, names what is kept and what to do instead; Django's own check would list every
    protected rating, which for a campaign is a page of many thousand lines.
    """

    # Lookups from this admin's model to the ratings and the assignments under it.
    ratings_path = ""
    assignments_path = ""
    # What to do instead of deleting, in a few words.
    instead = ""
    # Whether to say by how many raters (not for a user: one).
    count_raters = True

    def get_deleted_objects(self, objs: Iterable[Model], request: HttpRequest) -> tuple:
        kept = self.kept_work(objs)
        if kept:
            return [], {}, set(), kept
        return super().get_deleted_objects(objs, request)

    def kept_work(self, objs: Iterable[Model]) -> list[str]:
        """One line per object with ratings or assignments under it, saying how many and what to do instead."""
        by_pk = {obj.pk: obj for obj in objs}
        rows = self.model.objects.filter(pk__in=list(by_pk)).order_by().values("pk")
        counted = rows.annotate(
            n_ratings=Count(self.ratings_path, distinct=True),
            n_raters=Count(f"{self.ratings_path}__rater", distinct=True),
        )
        served = dict(
            rows.annotate(n=Count(self.assignments_path, distinct=True)).filter(n__gt=0).values_list("pk", "n")
        )
        name = self.model._meta.verbose_name
        lines: list[str] = []
        for row in counted:
            what: list[str] = []
            if row["n_ratings"]:
                by = f" by {_plural(row['n_raters'], 'rater')}" if self.count_raters else ""
                what.append(f"{_plural(row['n_ratings'], 'rating')}{by}")
            if served.get(row["pk"]):
                what.append(
                    f"{_plural(served[row['pk']], 'assignment')} (items served to raters, with any skips and flags)"
                )
            if what:
                lines.append(
                    f"{name} “{by_pk[row['pk']]}” has {' and '.join(what)}, and what raters did is never deleted: "
                    f"{self.instead}"
                )
        return lines


@admin.register(Dataset)
class DatasetAdmin(KeepsRatersWorkAdmin):
    ratings_path = "campaigns__items__ratings"
    assignments_path = "campaigns__items__assignments"
    instead = "archive its campaigns instead."
    list_display = ["name", "item_count", "created_by", "created_at"]
    search_fields = ["name"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Imports run as tasks, read-only: the task records what happened."""

    list_display = ["filename", "kind", "status", "started_by", "dataset", "campaign", "rows", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["started_by", "dataset", "campaign"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False


@admin.register(Item)
class ItemAdmin(KeepsRatersWorkAdmin):
    ratings_path = "campaign_items__ratings"
    assignments_path = "campaign_items__assignments"
    instead = "the item stays; archive its campaigns to put them away."
    list_display = ["external_id", "dataset", "position"]
    list_filter = ["dataset"]
    search_fields = ["external_id"]
    raw_id_fields = ["dataset"]
    show_full_result_count = False


@admin.register(MetadataValue)
class MetadataValueAdmin(admin.ModelAdmin):
    """The metadata values the browser filters by, per dataset; written by the import."""

    list_display = ["field", "value", "dataset"]
    list_filter = ["dataset"]
    search_fields = ["field", "value"]
    raw_id_fields = ["dataset"]
    show_full_result_count = False


@admin.register(ItemMetadata)
class ItemMetadataAdmin(admin.ModelAdmin):
    """The filter index the import service maintains; shown for inspection."""

    list_display = ["item", "value"]
    raw_id_fields = ["item", "value"]
    show_full_result_count = False


class RubricVersionInline(admin.TabularInline):
    model = RubricVersion
    extra = 0
    fields = ["number", "created_at", "created_by"]
    readonly_fields = ["created_at"]


@admin.register(Rubric)
class RubricAdmin(KeepsRatersWorkAdmin):
    ratings_path = "versions__ratings"
    assignments_path = "versions__campaigns__items__assignments"
    instead = "the rubric stays, as the record of what those ratings answered."
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    inlines = [RubricVersionInline]


@admin.register(RubricVersion)
class RubricVersionAdmin(KeepsRatersWorkAdmin):
    ratings_path = "ratings"
    assignments_path = "campaigns__items__assignments"
    instead = "the version stays, as the record of what those ratings answered."
    list_display = ["rubric", "number", "created_at"]
    list_filter = ["rubric"]

    def get_readonly_fields(self, request, obj=None):
        # A version a campaign uses is frozen: its ratings were given under exactly these criteria.
        if obj is not None and obj.is_frozen:
            return ["rubric", "number", "guidelines", "criteria"]
        return super().get_readonly_fields(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Campaign)
class CampaignAdmin(KeepsRatersWorkAdmin):
    ratings_path = "items__ratings"
    assignments_path = "items__assignments"
    instead = "archive the campaign instead (action “Archive selected campaigns”)."
    list_display = ["slug", "name", "status", "dataset", "rubric_version", "overlap", "created_at"]
    list_filter = ["status"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]
    # The status changes only along the campaign's status machine: by these actions or on the campaign's page.
    readonly_fields = ["status"]
    actions = ["archive_selected", "unarchive_selected"]

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "overlap" in form.changed_data:
            # Which items are complete depends on k.
            campaign_counts_recount(campaign=obj)

    @admin.action(description="Archive selected campaigns", permissions=["change"])
    def archive_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Put the campaigns away with every rating: rating stops and the home page no longer lists them."""
        self._move(request, queryset, Status.ARCHIVED)

    @admin.action(description="Unarchive selected campaigns", permissions=["change"])
    def unarchive_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Bring archived campaigns back, closed: archiving ended their rating."""
        self._move(request, queryset, Status.CLOSED, only_from=Status.ARCHIVED)

    def _move(self, request: HttpRequest, queryset: QuerySet, status: str, only_from: str | None = None) -> None:
        moved: list[str] = []
        unmoved: list[str] = []
        for campaign in queryset:
            if campaign.status == status or (only_from and campaign.status != only_from):
                unmoved.append(f"{campaign.slug} is {campaign.get_status_display().lower()}")
                continue
            try:
                moved.append(campaign_set_status(campaign=campaign, status=status).slug)
            except ValidationError as exc:
                unmoved.append(f"{campaign.slug}: {' '.join(exc.messages)}")
        label = Status(status).label.lower()
        if moved:
            self.message_user(request, f"Now {label}: {', '.join(moved)}.", messages.SUCCESS)
        if unmoved:
            self.message_user(request, f"Left unchanged: {'; '.join(unmoved)}.", messages.WARNING)


@admin.register(CampaignCounts)
class CampaignCountsAdmin(admin.ModelAdmin):
    """The counts the rating page shows: read here, kept by the services (campaign_counts_recount)."""

    list_display = ["campaign", "n_data_items", "n_gold_items", "n_complete"]
    readonly_fields = ["campaign", "n_data_items", "n_gold_items", "n_complete"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Deleting its campaign deletes the row too; a campaign without one is counted from its rows.
        return False


@admin.register(CampaignItem)
class CampaignItemAdmin(KeepsRatersWorkAdmin):
    ratings_path = "ratings"
    assignments_path = "assignments"
    instead = "the item stays in its campaign."
    list_display = ["campaign", "item", "order_key", "is_gold"]
    list_filter = ["campaign", "is_gold"]
    raw_id_fields = ["item"]
    show_full_result_count = False
    # Gold items change on the campaign's gold page, which checks the answers against the rubric and keeps the
    # raters' gold walks and the campaign's counts; the counters are the queue's.
    readonly_fields = ["is_gold", "gold_answer", "n_taken", "n_rated"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["campaign", "user", "role", "rates", "created_at"]
    list_filter = ["role", "rates", "campaign"]
    raw_id_fields = ["user"]


@admin.register(MachineRater)
class MachineRaterAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "model", "version", "created_at"]
    list_filter = ["campaign"]
    readonly_fields = ["campaign", "user", "name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A machine rater comes with its labels: from an import or the API, which create its account.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: MachineRater | None = None) -> bool:
        # Its labels are ratings by its account: without the name and provenance they would be anonymous.
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    # Only a hash of each secret is stored; tokens are made and revoked by their users (page or command).
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["campaign_item", "rater", "status", "flag", "is_repeat", "leased_at", "expires_at"]
    list_filter = ["status", "flag", "is_repeat"]
    raw_id_fields = ["campaign_item", "rater"]
    show_full_result_count = False

    def get_deleted_objects(self, objs: Iterable[Model], request: HttpRequest) -> tuple:
        # Deleting a plain lease hands the item back to the queue; a submission, skip or flag is the rater's word.
        kept = [
            f"assignment {a.pk} is {a.get_status_display().lower()}{' and flagged' if a.flag else ''}, which is "
            "never deleted: only an unflagged lease can be."
            for a in objs
            if a.status != Assignment.Status.LEASED or a.flag
        ]
        if kept:
            return [], {}, set(), kept
        return super().get_deleted_objects(objs, request)


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AccountAdmin(KeepsRatersWorkAdmin, UserAdmin):
    """Django's user admin, except that a user who has rated is deactivated rather than deleted."""

    ratings_path = "ratings"
    assignments_path = "assignments"
    instead = "deactivate the user instead (action “Deactivate selected users”)."
    count_raters = False
    actions = ["deactivate_selected"]

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Stop the users from signing in, keeping everything they rated."""
        n = users_deactivate(users=queryset)
        self.message_user(
            request, f"Deactivated {_plural(n, 'user')}: they can no longer sign in, and their ratings are kept."
        )
