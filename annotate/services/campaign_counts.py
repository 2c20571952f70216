"""A campaign's kept counts (CampaignCounts): data items, gold items and complete items, kept by the writes.

The rating page shows them with every item; recounting them from the ratings took half a second at a million
items, so the writes that change them keep them instead (a submit adds one; bulk changes recount).
"""

from django.db import connection

from annotate.models import Campaign

# The campaign's kept counts and its number of raters, as columns of a statement that reads the campaign as
# `c` and joins CAMPAIGN_COUNTS_JOIN (raters: the members who rate). get_campaign_to_rate selects
# them with the campaign, which then carries them as these attributes, in _campaign_counts' order.
COUNTED_ATTRIBUTES = ("counted_items", "counted_gold", "counted_complete", "counted_raters")
CAMPAIGN_COUNTS_COLUMNS = """n.n_data_items AS counted_items, n.n_gold_items AS counted_gold,
    n.n_complete AS counted_complete,
    (SELECT COUNT(*) FROM annotate_membership r WHERE r.campaign_id = c.id AND r.rates) AS counted_raters"""
CAMPAIGN_COUNTS_JOIN = "LEFT JOIN annotate_campaigncounts n ON n.campaign_id = c.id"


def campaign_counts_add_complete(*, campaign: Campaign) -> None:
    """A data item got its k-th first-time rating. Call it last in the transaction: it locks the count row."""
    _execute(
        "UPDATE annotate_campaigncounts SET n_complete = n_complete + 1 WHERE campaign_id = %(campaign)s",
        {"campaign": campaign.pk},
    )


_COUNTS_RECOUNT_SQL = """
INSERT INTO annotate_campaigncounts (campaign_id, n_data_items, n_gold_items, n_complete)
SELECT %(campaign)s,
    COUNT(*) FILTER (WHERE NOT ci.is_gold),
    COUNT(*) FILTER (WHERE ci.is_gold),
    COUNT(*) FILTER (WHERE NOT ci.is_gold AND ci.n_rated >= %(overlap)s)
FROM annotate_campaignitem ci WHERE ci.campaign_id = %(campaign)s
ON CONFLICT (campaign_id) DO UPDATE SET n_data_items = excluded.n_data_items,
    n_gold_items = excluded.n_gold_items, n_complete = excluded.n_complete"""


def campaign_counts_recount(*, campaign: Campaign) -> None:
    """Write the campaign's counts (CampaignCounts) from its items' rows: after a change to many items at once.

    The items' n_rated must be current (campaign_items_recount sets it), and the caller's transaction must be
    the last to lock the count row, as a submit's is.
    """
    _execute(_COUNTS_RECOUNT_SQL, {"campaign": campaign.pk, "overlap": campaign.overlap})


def _execute(sql: str, params: dict[str, object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
