"""What raters said: ratings and every earlier version of them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotate.models import Campaign, TaskRun

# The longest comment a rating may carry, from the rating page, the API or a label file.
MAX_COMMENT_LENGTH = 10_000


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
    # {criterion key: value}; value types follow the criterion type (see annotate.criteria).
    values = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    seconds_spent = models.FloatField(null=True, blank=True)
    # A test-retest repeat is a second, independent rating of the same item by the same rater.
    is_repeat = models.BooleanField(default=False)
    # Tells a rater's repeats of one item apart: the queue serves at most one (number 0, see Assignment); an
    # import may add any number (1, 2, ...). A first rating is always 0.
    repeat_number = models.PositiveSmallIntegerField(default=0, db_default=0)
    # Given by a machine rater (annotate.MachineRater): outside the human pool unless the campaign opts in.
    by_machine = models.BooleanField(default=False, db_default=False)
    # How the item was shown, e.g. {"left": "b"} when a pairwise order was swapped.
    presentation = models.JSONField(default=dict, blank=True)
    # Where the rating came from: "accord" (rated here) or the name of an imported file.
    source = models.CharField(max_length=200, default="accord")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign_item", "rater", "created_at"]
        constraints = [
            # Also the index of every "has this rater rated this item" probe of the queue, so it stays a plain
            # (not partial) index led by the item and the rater.
            models.UniqueConstraint(
                fields=["campaign_item", "rater", "is_repeat", "repeat_number"], name="rating_one_per_item_rater"
            ),
            models.CheckConstraint(
                condition=Q(seconds_spent__isnull=True) | Q(seconds_spent__gte=0), name="rating_seconds_nonnegative"
            ),
            models.CheckConstraint(condition=Q(is_repeat=True) | Q(repeat_number=0), name="rating_first_is_number_0"),
        ]
        indexes = [
            # A rater's ratings in a campaign. No index is led by the rater: see Assignment's indexes.
            models.Index(fields=["campaign", "rater"], name="rating_campaign_rater"),
        ]

    def __str__(self) -> str:
        return f"rating {self.pk} by {self.rater_id} on {self.campaign_item_id}"

    @classmethod
    def in_campaign(cls, campaign: "Campaign", *, campaign_item_id: int, **fields: object) -> "Rating":
        """A new rating of one of the campaign's items, under the campaign's rubric version.

        The one place a rating's campaign and rubric version are set: the submit, the label import, the demo
        and the benchmarks all build ratings here, and insert them without save() (one fixed INSERT, or in bulk).
        """
        return cls(
            campaign_item_id=campaign_item_id,
            campaign_id=campaign.pk,
            rubric_version_id=campaign.rubric_version_id,
            **fields,
        )


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


class AgreementReport(models.Model):
    """A large campaign's agreement report, computed by a task and kept so that every web process serves it."""

    campaign = models.ForeignKey("annotate.Campaign", on_delete=models.CASCADE, related_name="+")
    # The report's cache key: campaign, rubric version, bootstrap resamples and the fingerprint of its ratings.
    key = models.CharField(max_length=255, unique=True)
    # The pickled report, as Django's database cache stores its values; empty while its task waits or runs.
    report = models.BinaryField(null=True, blank=True)
    queued_at = models.DateTimeField()
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"agreement report {self.key}"


class Adjudication(models.Model):
    """An adjudicator's decision on one criterion of one campaign item.

    A later decision supersedes the current one (is_current moves to it) and never erases it: every decision
    keeps who made it, when, and the labels it was made on.
    """

    class Outcome(models.TextChoices):
        FINAL = "final", "Final value"
        AMBIGUOUS = "ambiguous", "Genuinely ambiguous"
        SEND_BACK = "send_back", "Sent back for more ratings"

    campaign = models.ForeignKey("annotate.Campaign", on_delete=models.PROTECT, related_name="+", db_index=False)
    campaign_item = models.ForeignKey(
        "annotate.CampaignItem", on_delete=models.PROTECT, related_name="adjudications", db_index=False
    )
    criterion_key = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # The final value (FINAL only), in the criterion's stored form.
    value = models.JSONField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    # What the adjudicator saw: {"ratings": [[rating id, rater pseudonym, value], ...], "aggregate": ...,
    # "method": ...}, so a decision can be read against the labels it settled even after they change.
    seen = models.JSONField(default=dict)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["campaign_item", "criterion_key", "decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_item", "criterion_key"],
                condition=Q(is_current=True),
                name="adjudication_one_current",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "is_current"], name="adjudication_campaign"),
            models.Index(fields=["campaign_item", "criterion_key"], name="adjudication_item"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} on {self.criterion_key} of {self.campaign_item_id}"


class AdjudicationRequest(models.Model):
    """An item sent to the adjudication queue by an owner or adjudicator, with why."""

    campaign = models.ForeignKey("annotate.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign_item = models.ForeignKey(
        "annotate.CampaignItem", on_delete=models.CASCADE, related_name="adjudication_requests", db_index=False
    )
    note = models.TextField(blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["campaign_item", "sent_at"]
        indexes = [
            models.Index(fields=["campaign", "campaign_item"], name="adjudication_request_item"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_item_id} sent by {self.sent_by_id}"


class AdjudicationLease(models.Model):
    """An item held by one adjudicator for a while, so that two never work the same item at once."""

    campaign_item = models.OneToOneField(
        "annotate.CampaignItem", on_delete=models.CASCADE, primary_key=True, related_name="adjudication_lease"
    )
    campaign = models.ForeignKey("annotate.Campaign", on_delete=models.CASCADE, related_name="+")
    adjudicator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.campaign_item_id} held by {self.adjudicator_id} until {self.expires_at}"


class ExportRun(TaskRun):
    """A large export of a campaign's labels, written to a file by a task: who asked, for what, how far it got."""

    campaign = models.ForeignKey("annotate.Campaign", on_delete=models.CASCADE, related_name="+")
    # The export's options, as ratings.exports.ExportSpec names them.
    scope = models.CharField(max_length=8)
    fmt = models.CharField(max_length=8)
    criterion_key = models.CharField(max_length=64, blank=True)
    # Real rater names beside the pseudonyms: set only when an owner asked; only owners download such a file.
    names = models.BooleanField(default=False)
    # A preference export's options (ratings.preference_export.run_options); empty for the other exports.
    options = models.JSONField(default=dict, blank=True)
    rows = models.PositiveBigIntegerField(default=0)
    # The rows expected when the run was recorded (the campaign's ratings or items then), for the progress bar.
    total = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "status"], name="exportrun_campaign_status")]

    def __str__(self) -> str:
        return f"{self.scope} export of {self.campaign_id} as {self.fmt}"
