"""Admin for every annotate model."""

from django.contrib import admin

from annotate.models import (
    Assignment,
    Campaign,
    CampaignItem,
    Dataset,
    Item,
    ItemMetadata,
    Membership,
    MetadataValue,
    Rubric,
    RubricVersion,
)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "item_count", "created_by", "created_at"]
    search_fields = ["name"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
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
class RubricAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    inlines = [RubricVersionInline]


@admin.register(RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
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
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "status", "dataset", "rubric_version", "overlap", "created_at"]
    list_filter = ["status"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]


@admin.register(CampaignItem)
class CampaignItemAdmin(admin.ModelAdmin):
    list_display = ["campaign", "item", "order_key", "is_gold"]
    list_filter = ["campaign", "is_gold"]
    raw_id_fields = ["item"]
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["campaign", "user", "role", "created_at"]
    list_filter = ["role", "campaign"]
    raw_id_fields = ["user"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["campaign_item", "rater", "status", "flag", "is_repeat", "leased_at", "expires_at"]
    list_filter = ["status", "flag", "is_repeat"]
    raw_id_fields = ["campaign_item", "rater"]
    show_full_result_count = False
