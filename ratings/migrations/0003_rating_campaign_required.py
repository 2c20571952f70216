"""A rating's campaign is required, and a rater's ratings in a campaign are one index range.

A migration of its own: on PostgreSQL the column cannot be altered in the transaction that filled it while
the filled rows' foreign-key checks are still pending.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0006_search_index_after_import"),
        ("ratings", "0002_rating_campaign"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rating",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="annotate.campaign",
            ),
        ),
        migrations.AddIndex(
            model_name="rating",
            index=models.Index(fields=["campaign", "rater"], name="rating_campaign_rater"),
        ),
    ]
