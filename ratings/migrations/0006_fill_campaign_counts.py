from django.db import migrations

# Existing campaigns get their kept counts (annotate 0014) from their items and ratings, as campaign_items_recount and
# campaign_counts_recount would write them.
FILL_RATED = """
UPDATE annotate_campaignitem SET n_rated = (
    SELECT COUNT(*) FROM ratings_rating r WHERE r.campaign_item_id = annotate_campaignitem.id AND NOT r.is_repeat
) WHERE NOT is_gold"""

FILL_COUNTS = """
INSERT INTO annotate_campaigncounts (campaign_id, n_data_items, n_gold_items, n_complete)
SELECT c.id,
    (SELECT COUNT(*) FROM annotate_campaignitem ci WHERE ci.campaign_id = c.id AND NOT ci.is_gold),
    (SELECT COUNT(*) FROM annotate_campaignitem ci WHERE ci.campaign_id = c.id AND ci.is_gold),
    (SELECT COUNT(*) FROM annotate_campaignitem ci WHERE ci.campaign_id = c.id AND NOT ci.is_gold
        AND ci.n_rated >= c.overlap)
FROM annotate_campaign c"""


class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0014_campaign_counts'),
        ('ratings', '0005_queue_indexes'),
    ]

    operations = [
        migrations.RunSQL(FILL_RATED, migrations.RunSQL.noop),
        migrations.RunSQL(["DELETE FROM annotate_campaigncounts", FILL_COUNTS], "DELETE FROM annotate_campaigncounts"),
    ]
