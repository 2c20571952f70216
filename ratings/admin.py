"""Admin for every ratings model."""

from django.contrib import admin

from ratings.models import Rating, RatingRevision


class RatingRevisionInline(admin.TabularInline):
    model = RatingRevision
    extra = 0
    readonly_fields = ["number", "values", "comment", "seconds_spent", "recorded_at"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["pk", "campaign_item", "rater", "rubric_version", "is_repeat", "source", "updated_at"]
    list_filter = ["is_repeat", "source"]
    raw_id_fields = ["campaign_item", "rater"]
    inlines = [RatingRevisionInline]
    show_full_result_count = False


@admin.register(RatingRevision)
class RatingRevisionAdmin(admin.ModelAdmin):
    list_display = ["rating", "number", "recorded_at"]
    raw_id_fields = ["rating"]
