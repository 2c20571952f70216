"""What gets rated and by whom: datasets, items, rubrics, campaigns, memberships."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from annotate.criteria import Criterion, stored_criteria


class Dataset(models.Model):
    """A named collection of items imported from one or more files; a name is unique per owner."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Kept up to date by the import service so the browser never counts a million rows.
    item_count = models.PositiveIntegerField(default=0)
    # Sorted field names seen in imported content and metadata, for forms and filters.
    content_fields = models.JSONField(default=list, blank=True)
    metadata_fields = models.JSONField(default=list, blank=True)
    # Precomputed by the import service (imports are the only writes to items):
    # {"metadata": {field: {"top": [[value, n], ...], "other": n, "missing": n, "distinct": n}},
    #  "content": {field: {"lengths": {length: n}, "min": n, "max": n, "n": n}}}
    summary = models.JSONField(default=dict, blank=True)
    # Full-text search is built by a task after an import commits (annotate.search): every item of the dataset
    # up to this id is searchable, and this many items in all.
    search_indexed_through = models.BigIntegerField(default=0)
    search_indexed_count = models.PositiveIntegerField(default=0)
    # The last search index task enqueued for the dataset: while it waits or runs, no other is enqueued.
    search_index_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Unique per owner, not site-wide: a site-wide rule would tell one owner the names of another's data.
            models.UniqueConstraint(fields=["created_by", "name"], name="dataset_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """One thing to rate: a prompt, a model output, a conversation, a pair of outputs."""

    # Indexed together with id below: the browser pages through a dataset by primary key.
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items", db_index=False)
    external_id = models.CharField(max_length=255)
    position = models.PositiveIntegerField(help_text="Order of import within the dataset.")
    content = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dataset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "external_id"], name="item_external_id_unique"),
            models.UniqueConstraint(fields=["dataset", "position"], name="item_position_unique"),
        ]
        indexes = [models.Index(fields=["dataset", "id"], name="item_dataset_id")]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.external_id}"


class MetadataValue(models.Model):
    """One distinct value of a metadata field in a dataset, as the browser filters by it.

    Written by the import as it first meets the value; the dataset's items refer to it through ItemMetadata.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+", db_index=False)
    field = models.CharField(max_length=255)
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "field", "value"], name="metadata_value_unique")]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.field}={self.value}"


class ItemMetadata(models.Model):
    """That an item has a metadata value: the browser's filters read these rows in item order per value.

    Derived from Item.metadata and written only by the import, which refers to items it has just written and to
    values it has just looked up. Its foreign keys therefore carry no database constraint (checking three rows
    per item cost PostgreSQL 40% of a large import). Each row is two integers, so a large import writes and
    indexes no text for it. Deleting an item or a dataset still deletes these rows (Django's cascade).
    """

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="metadata_values", db_index=False, db_constraint=False
    )
    value = models.ForeignKey(
        MetadataValue, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["value", "item"], name="item_metadata_lookup"),
            models.Index(fields=["item"], name="item_metadata_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.value_id}"


class Rubric(models.Model):
    """A named rubric; its guidelines and criteria live in numbered versions. A name is unique per owner."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Unique per owner and ignoring case, as loading a rubric file by name matches it.
            models.UniqueConstraint(Lower("name"), "created_by", name="rubric_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class RubricVersion(models.Model):
    """An immutable-once-used snapshot of a rubric: guidelines plus criteria."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    guidelines = models.TextField(blank=True, help_text="Markdown shown to raters.")
    # Validated, normalised criteria: a list of dicts (see annotate.rubrics).
    criteria = models.JSONField(default=list)
    # The YAML or JSON as its author wrote it (comments and wording kept), shown again for the next edit;
    # blank for versions made from a form or before the text was kept.
    source = models.TextField(blank=True, default="", db_default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rubric", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "number"], name="rubric_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rubric.name} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        """A version that any campaign uses can no longer change."""
        return self.campaigns.exists()

    @property
    def typed_criteria(self) -> tuple[Criterion, ...]:
        """The criteria as typed objects (converted once per distinct stored list, so cheap on every request)."""
        return stored_criteria(self.criteria)


def new_pseudonym_key() -> str:
    """A random key for a new campaign's rater pseudonyms."""
    return secrets.token_hex(16)


class Campaign(models.Model):
    """A rating campaign: a sample of a dataset rated under one rubric version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CLOSED = "closed", "Closed"
        # Closed and put away: hidden from the home page's list, kept with every rating (a campaign with ratings
        # is archived, never deleted).
        ARCHIVED = "archived", "Archived"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="campaigns")
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="campaigns")
    # {"method": "all" | "random" | "stratified", "n": int, "seed": int, "field": str, "per_stratum": int}
    sample_spec = models.JSONField(default=dict)
    overlap = models.PositiveSmallIntegerField(default=3, help_text="Raters per item (k).")
    lease_minutes = models.PositiveIntegerField(default=30)
    # Content and metadata field names raters may see; an empty list shows all content fields.
    visible_fields = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Share of each rater's first-time items that are gold checks (served to every rater, outside k).
    gold_rate = models.FloatField(default=0.0)
    # Share of each rater's submissions that are unannounced test-retest repeats of their own earlier items.
    repeat_rate = models.FloatField(default=0.0)
    # {criterion key: disagreement}: an item whose disagreement on the criterion reaches it enters the
    # adjudication queue (entropy in bits for nominal criteria, standard deviation in scale steps or units
    # otherwise); a criterion left out uses its default (see ratings.adjudication_queue).
    adjudication_thresholds = models.JSONField(default=dict, blank=True)
    # How an item's final label is reached where no adjudicator decided: majority vote, or Dawid and Skene's
    # estimate (categorical and ordinal criteria; the others always use their own aggregate).
    final_label_method = models.CharField(
        max_length=12,
        choices=[("majority", "Majority vote"), ("dawid_skene", "Dawid–Skene")],
        default="majority",
    )
    # The item metadata field that names the system (model, prompt, checkpoint) behind an output. Pairwise
    # items name theirs in "<field>_a" and "<field>_b". Empty: guessed from the dataset's metadata fields
    # (see ratings.leaderboard_report).
    system_field = models.CharField(max_length=255, blank=True, default="", db_default="")
    # Machine raters' labels count in human agreement, aggregates and final labels only when an owner says so.
    machine_raters_in_pool = models.BooleanField(default=False, db_default=False)
    # Keys the campaign's rater pseudonyms (see ratings.pseudonyms): stable for the campaign, unguessable.
    pseudonym_key = models.CharField(max_length=32, default=new_pseudonym_key, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(overlap__gte=1), name="campaign_overlap_positive"),
            models.CheckConstraint(condition=Q(lease_minutes__gte=1), name="campaign_lease_positive"),
            models.CheckConstraint(condition=Q(gold_rate__gte=0, gold_rate__lte=0.5), name="campaign_gold_rate_range"),
            models.CheckConstraint(
                condition=Q(repeat_rate__gte=0, repeat_rate__lte=0.3), name="campaign_repeat_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class CampaignItem(models.Model):
    """An item drawn into a campaign's sample (reachable as campaign.items)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="campaign_items")
    # Deterministic position in the sample, derived from the campaign's seed.
    order_key = models.PositiveIntegerField()
    is_gold = models.BooleanField(default=False)
    gold_answer = models.JSONField(null=True, blank=True)
    # First-time ratings of the item while it is a data item (gold items hold 0): kept by the submit under this
    # row's lock and by campaign_items_recount, so that the campaign's complete items are a counter too.
    n_rated = models.PositiveIntegerField(default=0, db_default=0)
    # Slots taken: first-time ratings plus live first-time leases, as counted under this row's lock by the last
    # service that changed them. The queue picks by it through an index instead of counting per item; the
    # pick still recounts under the lock, so a stale value costs a retry, never an item above k. A database
    # default too, since sampling inserts rows with raw SQL.
    n_taken = models.PositiveIntegerField(default=0, db_default=0)
    # Raters wanted beyond the campaign's k, added when an adjudicator sends the item back for more ratings.
    extra_overlap = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["campaign", "order_key"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "item"], name="campaign_item_unique"),
            models.UniqueConstraint(fields=["campaign", "order_key"], name="campaign_item_order_unique"),
        ]
        indexes = [
            # The queue's pick: fullest first, then by order key, read in index order and stopped at a LIMIT.
            # Slots taken less the raters added by sending the item back: an item sent back for two more raters
            # ranks as if it had two ratings fewer. The pick's range bound (fewer than k) and its order use the
            # expression as written here, so that an index scan stops at the open items.
            models.Index(
                F("campaign"),
                (F("n_taken") - F("extra_overlap")).desc(),
                F("order_key"),
                condition=Q(is_gold=False),
                name="campaign_item_queue",
            ),
            # The gold pick: a rater walks the gold items in order key order.
            models.Index(fields=["campaign", "order_key"], condition=Q(is_gold=True), name="campaign_item_gold"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.item_id}"


class CampaignCounts(models.Model):
    """A campaign's items (data and gold) and its complete data items, as the rating page shows them on every item.

    Kept by the services: a submit that gives a data item its k-th first-time rating adds one to n_complete, as
    the last write of its transaction; campaign_counts_recount rewrites the row from the items after changes in
    bulk (the sample drawn, gold items marked, k changed, ratings imported). A row of its own, not columns of
    the campaign: status changes and gold marking lock the campaign's row, and would then wait for submits.
    """

    campaign = models.OneToOneField(Campaign, primary_key=True, on_delete=models.CASCADE, related_name="counts")
    n_data_items = models.PositiveIntegerField(default=0)
    n_gold_items = models.PositiveIntegerField(default=0)
    # Data items with at least `overlap` first-time ratings.
    n_complete = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.n_complete} of {self.n_data_items} complete"


class Membership(models.Model):
    """A user's role in one campaign, and whether they rate its items.

    Raters always rate. An owner or an adjudicator may rate as well, since small teams rate their own
    campaigns; a viewer only reads. Everything that counts or serves raters asks `rates`, never the role.
    """

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        RATER = "rater", "Rater"
        ADJUDICATOR = "adjudicator", "Adjudicator"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    rates = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The rater's queue state, kept by the queue's services so that no step of the rating path counts or
    # scans the rater's history. It is rebuilt from the assignments and ratings whenever queue_counted is
    # off: for a new membership, and after writes that bypass the services (bulk loads).
    queue_counted = models.BooleanField(default=False, db_default=False)
    # First-time items served (gold checks included), how many of them were gold checks, repeats served.
    queue_first = models.PositiveIntegerField(default=0, db_default=0)
    queue_gold = models.PositiveIntegerField(default=0, db_default=0)
    queue_repeats = models.PositiveIntegerField(default=0, db_default=0)
    # Items submitted, and first-time items submitted since the last repeat was served.
    queue_submitted = models.PositiveIntegerField(default=0, db_default=0)
    queue_since_repeat = models.PositiveIntegerField(default=0, db_default=0)
    # The rater's ratings in the campaign, shown on the rating page with every item.
    rating_count = models.PositiveIntegerField(default=0, db_default=0)
    # Where the rater's walk through the gold items (in order key order, from a start of their own) began,
    # and the order key of the last gold item it reached (null: the walk starts again at gold_start).
    gold_start = models.BigIntegerField(null=True, blank=True)
    gold_cursor = models.BigIntegerField(null=True, blank=True)
    # The order key below which every item no one had rated was given to the rater (see the queue's pick).
    fresh_cursor = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="membership_one_role_per_campaign"),
            models.CheckConstraint(
                condition=Q(role="rater", rates=True)
                | Q(role__in=["owner", "adjudicator"])
                | Q(role="viewer", rates=False),
                name="membership_rates_with_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.campaign}"


class MachineRater(models.Model):
    """An automatic judge (an LLM as judge, a classifier) rating a campaign's items under a name.

    Its labels are ratings by an account without a login (`user`), kept apart from the human pool: it is not
    a member, takes no slot in the queue and counts in agreement, aggregates and final labels only when the
    campaign's owner opted in. Model, prompt and version are its provenance, as the importer gave them.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="machine_raters")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="machine_rater")
    name = models.CharField(max_length=100)
    model = models.CharField(max_length=200, blank=True)
    prompt = models.TextField(blank=True)
    version = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="machine_rater_name_unique")]

    def __str__(self) -> str:
        return f"machine rater {self.name} in {self.campaign}"


class Assignment(models.Model):
    """A campaign item leased to one rater: the unit the rating queue hands out."""

    class Status(models.TextChoices):
        LEASED = "leased", "Leased"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"

    class Flag(models.TextChoices):
        NONE = "", "No flag"
        BROKEN = "broken", "Broken"
        UNSAFE = "unsafe", "Unsafe"
        NEEDS_EXPERT = "needs_expert", "Needs an expert"

    # An assignment records what its rater did with the item (when they were served it and submitted, what they
    # skipped or flagged and why), which adjudication reads: deleting the item, campaign or rater is refused.
    # No single-column indexes on the item and the rater: the indexes below begin with each, and every index
    # costs each lease and submit a write.
    campaign_item = models.ForeignKey(
        CampaignItem, on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    # The campaign item's campaign, kept on the row so a rater's assignments in a campaign are read from one
    # index (see repeat_key); a campaign item never changes campaign.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LEASED)
    leased_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.TextField(blank=True)
    flag = models.CharField(max_length=12, choices=Flag.choices, default=Flag.NONE, blank=True)
    flag_note = models.TextField(blank=True)
    # How the item was shown, e.g. {"left": "b"} when the pairwise outputs were swapped on screen.
    presentation = models.JSONField(default=dict, blank=True)
    is_repeat = models.BooleanField(default=False)
    # The rater's count of submitted items when this one was submitted (1 for their first).
    submitted_seq = models.PositiveIntegerField(null=True, blank=True)
    # Set on a submitted first-time rating of a data item while it may still come back as a repeat: the item's
    # place in the rater's own repeat order. Cleared once the repeat is served, so the repeat pick reads the
    # front of a short index range instead of the rater's whole history.
    repeat_key = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["campaign_item", "rater"]
        constraints = [
            # Each (campaign item, rater) pair is at most one assignment (a test-retest repeat aside).
            models.UniqueConstraint(
                fields=["campaign_item", "rater", "is_repeat"], name="assignment_one_per_item_rater"
            ),
        ]
        indexes = [
            # A rater's assignments in a campaign (leases, the queue state's rebuild). Led by the campaign: an
            # index led by the rater would tempt the planner, when its statistics do not know a new rater yet,
            # to read that rater's whole history for each "given this item?" probe.
            models.Index(fields=["campaign", "rater", "status"], name="assignment_campaign_rater"),
            models.Index(fields=["campaign_item", "status"], name="assignment_item_status"),
            # Leases are few (one per rater at a time), so finding the expired ones stays cheap.
            models.Index(fields=["expires_at"], condition=Q(status="leased"), name="assignment_lease_expiry"),
            # The repeat pick: the rater's items that may come back, in their repeat order.
            models.Index(
                fields=["campaign", "rater", "repeat_key"],
                condition=Q(repeat_key__isnull=False),
                name="assignment_repeat_pick",
            ),
        ]

    def __str__(self) -> str:
        return f"assignment {self.pk}: {self.campaign_item_id} to {self.rater_id} ({self.status})"

    def save(self, *args: object, **kwargs: object) -> None:
        # The queue sets the campaign itself; this covers an assignment added one by one.
        if self.campaign_id is None and self.campaign_item_id is not None:
            self.campaign_id = self.campaign_item.campaign_id
        super().save(*args, **kwargs)


class TaskRun(models.Model):
    """Work a task does for someone (an import, an export): who started it, its task and how it stands.

    annotate.services.task_runs records one and enqueues its task, and marks it running when the task starts.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    # Unguessable: the progress page's (and the API's) URL carries it.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class ImportRun(TaskRun):
    """A file import that runs as a task: who started it, what it reads, how far it got and how it ended."""

    class Kind(models.TextChoices):
        ITEMS = "items", "items"
        RATINGS = "ratings", "ratings"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The dataset imported into (set once an import into a new dataset has created it), or the campaign.
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    # The uploaded file, kept until the task has read it (annotate.services.pending_uploads).
    path = models.CharField(max_length=1024)
    # The import's arguments, as the page or the API chose them.
    options = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["dataset", "status"], name="importrun_dataset_status")]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.filename}"


class ApiToken(models.Model):
    """A named credential for scripts: `Authorization: Bearer <token>` acts as its user, with the user's roles.

    Only a hash of the token is kept (SHA-256 of its secret): it is shown once, when created. `prefix` is its
    first characters, to tell tokens apart on the account page and in the admin.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(revoked_at__isnull=True), name="api_token_live_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"token {self.prefix}… ({self.name}) of {self.user_id}"
