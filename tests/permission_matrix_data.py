"""The permission matrix: for every URL of Accord, what each role gets.

Rules read from the views (annotate/permissions.py and each view's first lines):
- Pages need a signed-in user (`login_required`): anonymous callers are redirected to the login page. API
  endpoints answer anonymous callers 401 with a `WWW-Authenticate: Bearer` challenge.
- Campaign pages fetch the campaign with `get_campaign_for(roles=...)`: a caller without one of the roles gets
  404, never 403, so a campaign's existence is not revealed. Staff act as owners. READERS (owner, adjudicator,
  viewer) read every label; DECIDERS (owner, adjudicator) adjudicate; OWNER_ONLY changes the campaign.
- The rating pages (`get_campaign_to_rate`) answer only members who rate in the campaign: raters (and owners or
  adjudicators who also rate); staff are not raters, so they get 404 there too.
- Datasets and rubrics are visible to their creator, to owners of campaigns that use them, and to staff
  (`datasets_visible_to`, `rubrics_visible_to`); anyone else gets 404. Creating or editing them needs
  `can_curate` (staff or the add_campaign permission): 403 otherwise, pages and API alike.
- An import's progress is visible to whoever started it, or may see its dataset, or owns its campaign; an
  export run to the readers of its campaign (runs with real names: to owners only).
"""

from dataclasses import dataclass, field

ROLES = ("anonymous", "rater", "rater_elsewhere", "adjudicator", "viewer", "owner", "other_owner", "staff")

# An expected outcome: a status code, LOGIN (302 to the login page with ?next=), or ("redirect", url_name_or_path).
LOGIN = "login"


def roles(
    *,
    anonymous: object,
    rater: object,
    rater_elsewhere: object,
    adjudicator: object,
    viewer: object,
    owner: object,
    other_owner: object,
    staff: object,
) -> dict[str, object]:
    """One outcome per role, every role named."""
    return {
        "anonymous": anonymous,
        "rater": rater,
        "rater_elsewhere": rater_elsewhere,
        "adjudicator": adjudicator,
        "viewer": viewer,
        "owner": owner,
        "other_owner": other_owner,
        "staff": staff,
    }


def same(anonymous: object, everyone: object) -> dict[str, object]:
    """Anonymous callers get one outcome, every signed-in role another."""
    return {role: (anonymous if role == "anonymous" else everyone) for role in ROLES}


def signed_in_405(anonymous: object = LOGIN) -> dict[str, object]:
    """A POST-only URL read with GET: 405 for signed-in callers."""
    return same(anonymous, 405)


# Campaign pages by the role list they pass to get_campaign_for.
READERS = roles(
    anonymous=LOGIN, rater=404, rater_elsewhere=404, adjudicator=200, viewer=200, owner=200, other_owner=404, staff=200
)
DECIDERS = roles(
    anonymous=LOGIN, rater=404, rater_elsewhere=404, adjudicator=200, viewer=404, owner=200, other_owner=404, staff=200
)
OWNER_ONLY = roles(
    anonymous=LOGIN, rater=404, rater_elsewhere=404, adjudicator=404, viewer=404, owner=200, other_owner=404, staff=200
)
MEMBERS = roles(
    anonymous=LOGIN, rater=200, rater_elsewhere=404, adjudicator=200, viewer=200, owner=200, other_owner=404, staff=200
)
RATERS = roles(
    anonymous=LOGIN, rater=200, rater_elsewhere=404, adjudicator=404, viewer=404, owner=404, other_owner=404, staff=404
)
# Writes refused: every role that may not make them (allowed roles are not sent destructive writes).
OWNER_ONLY_WRITE_REFUSED = {role: OWNER_ONLY[role] for role in ROLES if OWNER_ONLY[role] != 200}
DECIDERS_WRITE_REFUSED = {role: DECIDERS[role] for role in ROLES if DECIDERS[role] != 200}
READERS_WRITE_REFUSED = {role: READERS[role] for role in ROLES if READERS[role] != 200}
RATERS_WRITE_REFUSED = {role: RATERS[role] for role in ROLES if RATERS[role] != 200}
# Objects visible to their creator (the owner), owners of campaigns using them, and staff.
CREATOR_OR_STAFF = roles(
    anonymous=LOGIN, rater=404, rater_elsewhere=404, adjudicator=404, viewer=404, owner=200, other_owner=404, staff=200
)
# can_curate: staff, or granted the permission (both owners are curators).
CURATORS = roles(
    anonymous=LOGIN, rater=403, rater_elsewhere=403, adjudicator=403, viewer=403, owner=200, other_owner=200, staff=200
)
API_ANONYMOUS = 401
API_READERS = {**READERS, "anonymous": API_ANONYMOUS}
API_OWNER_ONLY = {**OWNER_ONLY, "anonymous": API_ANONYMOUS}
API_SIGNED_IN = same(API_ANONYMOUS, 200)
# Creating through the API needs can_curate, checked before anything is looked up.
API_CURATORS_WRITE_REFUSED = {**{r: 403 for r, v in CURATORS.items() if v == 403}, "anonymous": API_ANONYMOUS}


@dataclass(frozen=True)
class Entry:
    """What one URL pattern answers: its kwargs (world attribute names) and per method, per role, the outcome."""

    kwargs: dict[str, str] = field(default_factory=dict)
    get: dict[str, object] | None = None
    # POST cases: only roles that must not write, unless the POST is harmless.
    post: dict[str, object] | None = None


SLUG = {"slug": "slug"}

# The pages, keyed by the URL name with its namespace ("ratings:agreement").
PAGES: dict[str, Entry] = {
    "home": Entry(get=same(LOGIN, 200)),
    "favicon": Entry(get=same(200, 200)),
    "password_reset": Entry(get=same(200, 200)),
    "password_reset_done": Entry(get=same(200, 200)),
    "api-schema": Entry(get=same(200, 200)),
    "api-docs": Entry(get=same(200, 200)),
    # Datasets, imports, rubrics.
    "annotate:dataset-list": Entry(get=same(LOGIN, 200)),
    "annotate:dataset-upload": Entry(get=CURATORS, post={r: v for r, v in CURATORS.items() if v != 200}),
    "annotate:dataset-upload-map": Entry(
        kwargs={"token": "upload_token"},
        get={**CURATORS, "owner": 404, "other_owner": 404, "staff": 404},
    ),
    "annotate:dataset-import": Entry(kwargs={"pk": "items_import_pk"}, get=CREATOR_OR_STAFF),
    "annotate:dataset-detail": Entry(kwargs={"pk": "dataset_pk"}, get=CREATOR_OR_STAFF),
    "annotate:dataset-summary": Entry(kwargs={"pk": "dataset_pk"}, get=CREATOR_OR_STAFF),
    "annotate:item-detail": Entry(kwargs={"pk": "dataset_pk", "item_pk": "dataset_item_pk"}, get=CREATOR_OR_STAFF),
    "annotate:rubric-list": Entry(get=same(LOGIN, 200)),
    "annotate:rubric-create": Entry(get=CURATORS, post={r: v for r, v in CURATORS.items() if v != 200}),
    "annotate:rubric-detail": Entry(kwargs={"pk": "rubric_pk"}, get=CREATOR_OR_STAFF),
    "annotate:rubric-edit": Entry(
        kwargs={"pk": "rubric_pk"}, get=CREATOR_OR_STAFF, post={r: v for r, v in CREATOR_OR_STAFF.items() if v != 200}
    ),
    "annotate:rubric-version-detail": Entry(
        kwargs={"pk": "rubric_pk", "number": "rubric_number"}, get=CREATOR_OR_STAFF
    ),
    "ratings:rubric-compare": Entry(kwargs={"pk": "rubric_pk"}, get=CREATOR_OR_STAFF),
    # An invitation for a user who has no account yet: anyone may read it; a signed-in other user is refused.
    # API tokens: every signed-in user manages their own; another user's token is not found.
    "annotate:api-tokens": Entry(get=same(LOGIN, 200)),
    "annotate:api-token-revoke": Entry(
        kwargs={"pk": "owner_token_pk"},
        get={**CREATOR_OR_STAFF, "staff": 404},
        post={r: v for r, v in CREATOR_OR_STAFF.items() if r != "owner"} | {"staff": 404},
    ),
    "annotate:invitation": Entry(kwargs={"token": "invitation_token"}, get=same(200, 403)),
    # Campaigns.
    "ratings:campaign-create": Entry(get=CURATORS, post={r: v for r, v in CURATORS.items() if v != 200}),
    "ratings:campaign-detail": Entry(kwargs=SLUG, get=MEMBERS),
    "ratings:campaign-status": Entry(kwargs=SLUG, get=signed_in_405(), post=OWNER_ONLY_WRITE_REFUSED),
    "ratings:campaign-settings": Entry(kwargs=SLUG, get=OWNER_ONLY, post=OWNER_ONLY_WRITE_REFUSED),
    "ratings:campaign-member-add": Entry(kwargs=SLUG, get=OWNER_ONLY, post=OWNER_ONLY_WRITE_REFUSED),
    "ratings:campaign-member-update": Entry(
        kwargs={"slug": "slug", "membership_pk": "rater_membership_pk"},
        get=signed_in_405(),
        post=OWNER_ONLY_WRITE_REFUSED,
    ),
    "ratings:campaign-rates": Entry(kwargs=SLUG, get=signed_in_405(), post=OWNER_ONLY_WRITE_REFUSED),
    "ratings:campaign-gold": Entry(kwargs=SLUG, get=OWNER_ONLY, post=OWNER_ONLY_WRITE_REFUSED),
    "ratings:campaign-gold-remove": Entry(kwargs=SLUG, get=signed_in_405(), post=OWNER_ONLY_WRITE_REFUSED),
    # Rating.
    "ratings:rate": Entry(kwargs=SLUG, get=RATERS),
    "ratings:rate-submit": Entry(kwargs=SLUG, get=signed_in_405(), post=RATERS_WRITE_REFUSED),
    "ratings:rate-skip": Entry(kwargs=SLUG, get=signed_in_405(), post=RATERS_WRITE_REFUSED),
    "ratings:rate-flag": Entry(kwargs=SLUG, get=signed_in_405(), post=RATERS_WRITE_REFUSED),
    # Back from the rating page: to the revision page of the rater's last rating.
    "ratings:rate-back": Entry(kwargs=SLUG, get={**RATERS, "rater": 302}),
    "ratings:my-ratings": Entry(kwargs=SLUG, get=RATERS),
    "ratings:rating-revise": Entry(
        kwargs={"slug": "slug", "rating_pk": "rater_rating_pk"}, get=RATERS, post=RATERS_WRITE_REFUSED
    ),
    # Agreement, leaderboard, data card.
    "ratings:agreement": Entry(kwargs=SLUG, get=READERS),
    "ratings:agreement-items": Entry(kwargs=SLUG, get=READERS),
    "ratings:agreement-item": Entry(kwargs={"slug": "slug", "item_pk": "campaign_item_pk"}, get=READERS),
    "ratings:leaderboard": Entry(kwargs=SLUG, get=READERS),
    "ratings:data-card": Entry(kwargs=SLUG, get=READERS),
    # Adjudication.
    "ratings:adjudicate": Entry(kwargs=SLUG, get=READERS),
    "ratings:adjudicate-next": Entry(kwargs=SLUG, get={**DECIDERS, "adjudicator": 302, "owner": 302, "staff": 302}),
    "ratings:adjudicate-settings": Entry(kwargs=SLUG, get=signed_in_405(), post=OWNER_ONLY_WRITE_REFUSED),
    "ratings:adjudicate-item": Entry(
        kwargs={"slug": "slug", "item_pk": "campaign_item_pk"},
        get=READERS,
        # A viewer reads the item but may not decide: the POST is refused as if the page did not exist.
        post={**READERS_WRITE_REFUSED, "viewer": 404},
    ),
    "ratings:adjudicate-send": Entry(
        kwargs={"slug": "slug", "item_pk": "campaign_item_pk"}, get=signed_in_405(), post=DECIDERS_WRITE_REFUSED
    ),
    "ratings:campaign-flags": Entry(kwargs=SLUG, get=DECIDERS),
    # Exports.
    "ratings:export": Entry(kwargs=SLUG, get=READERS, post=READERS_WRITE_REFUSED),
    "ratings:export-progress": Entry(kwargs={"slug": "slug", "pk": "export_pk"}, get=READERS),
    "ratings:export-download": Entry(kwargs={"slug": "slug", "pk": "export_pk"}, get=READERS),
    # Existing labels imported into a campaign.
    "ratings-upload:ratings-import": Entry(kwargs=SLUG, get=OWNER_ONLY, post=OWNER_ONLY_WRITE_REFUSED),
    "ratings-upload:ratings-import-progress": Entry(kwargs={"slug": "slug", "pk": "ratings_import_pk"}, get=OWNER_ONLY),
}


# The REST API, by area. Each endpoint also answers anonymous callers 401.
API_DATASETS: dict[str, Entry] = {
    "api:dataset-list": Entry(get=API_SIGNED_IN, post=API_CURATORS_WRITE_REFUSED),
    "api:dataset-detail": Entry(kwargs={"pk": "dataset_pk"}, get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS}),
    "api:dataset-items-import": Entry(
        kwargs={"pk": "dataset_pk"},
        get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS},
        # Non-curators are refused before the dataset is looked up; another curator does not find it.
        post={**API_CURATORS_WRITE_REFUSED, "other_owner": 404},
    ),
    "api:dataset-item-detail": Entry(
        kwargs={"pk": "dataset_pk", "item_pk": "dataset_item_pk"}, get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS}
    ),
    "api:dataset-summary": Entry(kwargs={"pk": "dataset_pk"}, get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS}),
    "api:import-detail": Entry(kwargs={"pk": "items_import_pk"}, get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS}),
}
API_RUBRICS: dict[str, Entry] = {
    "api:rubric-list": Entry(get=API_SIGNED_IN, post=API_CURATORS_WRITE_REFUSED),
    "api:rubric-detail": Entry(kwargs={"pk": "rubric_pk"}, get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS}),
    "api:rubric-version-detail": Entry(
        kwargs={"pk": "rubric_pk", "number": "rubric_number"}, get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS}
    ),
    "ratings-api:rubric-compare": Entry(
        kwargs={"pk": "rubric_pk"}, get={**CREATOR_OR_STAFF, "anonymous": API_ANONYMOUS}
    ),
}
API_CAMPAIGNS: dict[str, Entry] = {
    # Creating needs can_curate, checked before the body is read.
    "ratings-api:campaign-list": Entry(get=API_SIGNED_IN, post=API_CURATORS_WRITE_REFUSED),
    "ratings-api:campaign-detail": Entry(kwargs=SLUG, get={**MEMBERS, "anonymous": API_ANONYMOUS}),
    "ratings-api:campaign-activate": Entry(
        kwargs=SLUG,
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={r: v for r, v in API_OWNER_ONLY.items() if v != 200},
    ),
    "ratings-api:campaign-close": Entry(
        kwargs=SLUG,
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={r: v for r, v in API_OWNER_ONLY.items() if v != 200},
    ),
    "ratings-api:campaign-progress": Entry(kwargs=SLUG, get=API_READERS),
    "ratings-api:campaign-member-list": Entry(
        kwargs=SLUG, get=API_OWNER_ONLY, post={r: v for r, v in API_OWNER_ONLY.items() if v != 200}
    ),
    # PATCH and DELETE only: a GET or POST is 405 for anyone signed in.
    "ratings-api:campaign-member-detail": Entry(
        kwargs={"slug": "slug", "pk": "rater_membership_pk"},
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
    ),
}
API_RATING: dict[str, Entry] = {
    # A rater's own queue and ratings (get_campaign_to_rate): raters of the campaign only, POST-only actions.
    "ratings-api:assignment-next": Entry(
        kwargs=SLUG,
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={**RATERS_WRITE_REFUSED, "anonymous": API_ANONYMOUS},
    ),
    **{
        f"ratings-api:assignment-{action}": Entry(
            kwargs={"slug": "slug", "pk": "rater_assignment_pk"},
            get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
            post={**RATERS_WRITE_REFUSED, "anonymous": API_ANONYMOUS},
        )
        for action in ("submit", "skip", "flag")
    },
    "ratings-api:my-rating-list": Entry(kwargs=SLUG, get={**RATERS, "anonymous": API_ANONYMOUS}),
    "ratings-api:my-rating-detail": Entry(
        kwargs={"slug": "slug", "pk": "rater_rating_pk"},
        get={**RATERS, "anonymous": API_ANONYMOUS},
        # GET and PATCH only.
        post={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
    ),
    # Every rating of the campaign, for readers.
    "ratings-api:campaign-rating-list": Entry(kwargs=SLUG, get=API_READERS),
}
API_ADJUDICATION: dict[str, Entry] = {
    "ratings-api:adjudication-list": Entry(kwargs=SLUG, get=API_READERS),
    "ratings-api:adjudication-detail": Entry(kwargs={"slug": "slug", "item": "campaign_item_pk"}, get=API_READERS),
    # POST only: deciders record, everyone else is refused before the body is read (viewers get 404, as on the page).
    "ratings-api:adjudication-decisions-create": Entry(
        kwargs={"slug": "slug", "item": "campaign_item_pk"},
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={**DECIDERS_WRITE_REFUSED, "anonymous": API_ANONYMOUS},
    ),
    "ratings-api:adjudication-send-back": Entry(
        kwargs={"slug": "slug", "item": "campaign_item_pk"},
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={**DECIDERS_WRITE_REFUSED, "anonymous": API_ANONYMOUS},
    ),
    "ratings-api:adjudication-send": Entry(
        kwargs={"slug": "slug", "item": "campaign_item_pk"},
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={**DECIDERS_WRITE_REFUSED, "anonymous": API_ANONYMOUS},
    ),
    "ratings-api:data-card-detail": Entry(kwargs=SLUG, get=API_READERS),
}
API_MEASURES: dict[str, Entry] = {
    "ratings-api:campaign-agreement": Entry(kwargs=SLUG, get=API_READERS),
    "ratings-api:campaign-leaderboard": Entry(kwargs=SLUG, get=API_READERS),
    "ratings-api:campaign-export": Entry(kwargs=SLUG, get=API_READERS),
    "ratings-api:campaign-machine-ratings": Entry(
        kwargs=SLUG,
        get={**API_SIGNED_IN, **{r: 405 for r in ROLES if r != "anonymous"}},
        post={r: v for r, v in API_OWNER_ONLY.items() if v != 200},
    ),
    "ratings-api:campaign-machine-raters": Entry(kwargs=SLUG, get=API_READERS),
    "ratings-api:export-detail": Entry(kwargs={"pk": "export_pk"}, get=API_READERS),
    "ratings-api:export-file": Entry(kwargs={"pk": "export_pk"}, get=API_READERS),
}

# Every name the resolver lists must be here.
MATRIX: dict[str, Entry] = {
    **PAGES,
    **API_DATASETS,
    **API_RUBRICS,
    **API_CAMPAIGNS,
    **API_RATING,
    **API_ADJUDICATION,
    **API_MEASURES,
}

# Objects of this campaign reached through another campaign the caller belongs to (a guessed id): always 404.
# (role, url name, kwargs as world attribute names)
CROSS_CAMPAIGN = [
    ("other_owner", "ratings:agreement-item", {"slug": "other_slug", "item_pk": "campaign_item_pk"}),
    ("other_owner", "ratings:adjudicate-item", {"slug": "other_slug", "item_pk": "campaign_item_pk"}),
    ("other_owner", "ratings:export-progress", {"slug": "other_slug", "pk": "export_pk"}),
    ("other_owner", "ratings:export-download", {"slug": "other_slug", "pk": "export_pk"}),
    ("other_owner", "ratings-upload:ratings-import-progress", {"slug": "other_slug", "pk": "ratings_import_pk"}),
    ("other_owner", "annotate:item-detail", {"pk": "other_dataset_pk", "item_pk": "dataset_item_pk"}),
    ("rater_elsewhere", "ratings:rating-revise", {"slug": "other_slug", "rating_pk": "rater_rating_pk"}),
    # A rater of this campaign guessing another rater's rating.
    ("rater", "ratings:rating-revise", {"slug": "slug", "rating_pk": "other_rater_rating_pk"}),
    # The rating API: a rater guessing another rater's rating, a rater or owner of another campaign guessing ids.
    ("rater", "ratings-api:my-rating-detail", {"slug": "slug", "pk": "other_rater_rating_pk"}),
    ("rater_elsewhere", "ratings-api:my-rating-detail", {"slug": "other_slug", "pk": "rater_rating_pk"}),
    ("other_owner", "ratings-api:my-rating-detail", {"slug": "other_slug", "pk": "rater_rating_pk"}),
]

# An export run with real rater names: only owners (and staff) reach it, through the pages and the API.
NAMED_EXPORT = {
    "ratings:export-progress": ({"slug": "slug", "pk": "named_export_pk"}, OWNER_ONLY),
    "ratings:export-download": ({"slug": "slug", "pk": "named_export_pk"}, OWNER_ONLY),
    "ratings-api:export-detail": ({"pk": "named_export_pk"}, API_OWNER_ONLY),
    "ratings-api:export-file": ({"pk": "named_export_pk"}, API_OWNER_ONLY),
}
