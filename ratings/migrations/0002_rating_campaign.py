"""Ratings carry their campaign item's campaign (filled in here for existing ratings)."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE ratings_rating SET campaign_id = (
    SELECT ci.campaign_id FROM annotate_campaignitem ci WHERE ci.id = ratings_rating.campaign_item_id
)"""


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0006_search_index_after_import"),
        ("ratings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="rating",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="annotate.campaign",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
