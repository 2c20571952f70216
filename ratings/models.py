"""What raters said: ratings and every earlier version of them."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Rating(models.Model):
    """A rater's answers to every criterion of a rubric version for one campaign item."""

    # Ratings are the product: deleting the campaign, item or rater they belong to is refused, never cascaded
    # (archive the campaign or deactivate the rater instead).
    # No single-column indexes on the item and the rater: the unique constraint and the (rater, updated_at)
    # index begin with them, and every index costs each submit a write.
    campaign_item = models.ForeignKey(
        "annotate.CampaignItem", on_delete=models.PROTECT, related_name="ratings", db_index=False
    )
    # The campaign item's campaign, kept on the row so that a rater's ratings in a campaign are counted from one
    # index (the rating page shows the count on every item); a campaign item never changes campaign.
    campaign = models.ForeignKey(
        "annotate.Campaign", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings", db_index=False
    )
    rubric_version = models.ForeignKey("annotate.RubricVersion", on_delete=models.PROTECT, related_name="ratings")
    # {criterion key: value}; value types follow the criterion type (see annotate.rubrics).
    values = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    seconds_spent = models.FloatField(null=True, blank=True)
    # A test-retest repeat is a second, independent rating of the same item by the same rater.
    is_repeat = models.BooleanField(default=False)
    # How the item was shown, e.g. {"left": "b"} when a pairwise order was swapped.
    presentation = models.JSONField(default=dict, blank=True)
    # Where the rating came from: "accord" (rated here) or the name of an imported file.
    source = models.CharField(max_length=200, default="accord")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign_item", "rater", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign_item", "rater", "is_repeat"], name="rating_one_per_item_rater"),
            models.CheckConstraint(
                condition=Q(seconds_spent__isnull=True) | Q(seconds_spent__gte=0), name="rating_seconds_nonnegative"
            ),
        ]
        indexes = [
            # A rater's ratings in a campaign. No index is led by the rater: see Assignment's indexes.
            models.Index(fields=["campaign", "rater"], name="rating_campaign_rater"),
        ]

    def __str__(self) -> str:
        return f"rating {self.pk} by {self.rater_id} on {self.campaign_item_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        # The services and bulk writes set the campaign themselves; this covers a rating added one by one.
        if self.campaign_id is None and self.campaign_item_id is not None:
            self.campaign_id = self.campaign_item.campaign_id
        super().save(*args, **kwargs)


class RatingRevision(models.Model):
    """An earlier version of a rating, kept whenever the rater revises it."""

    # A rating's earlier versions are its history: a rating that has revisions cannot be deleted.
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1 is the rating as first submitted.")
    values = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    seconds_spent = models.FloatField(null=True, blank=True)
    recorded_at = models.DateTimeField(help_text="When this version was submitted.")

    class Meta:
        ordering = ["rating", "number"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "number"], name="rating_revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of rating {self.rating_id}"
