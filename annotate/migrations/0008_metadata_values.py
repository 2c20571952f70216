"""Metadata values in a table of their own; ItemMetadata rows become (item, value) pairs of integers."""

import django.db.models.deletion
from django.db import migrations, models

COPY_VALUES = """
INSERT INTO annotate_metadatavalue (dataset_id, field, value)
SELECT DISTINCT dataset_id, field, value FROM annotate_itemmetadata
"""
LINK_ROWS = """
UPDATE annotate_itemmetadata SET value_ref_id = (
    SELECT v.id FROM annotate_metadatavalue v
    WHERE v.dataset_id = annotate_itemmetadata.dataset_id
      AND v.field = annotate_itemmetadata.field
      AND v.value = annotate_itemmetadata.value
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0007_item_metadata_without_constraints"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetadataValue",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("field", models.CharField(max_length=255)),
                ("value", models.CharField(max_length=255)),
                (
                    "dataset",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="annotate.dataset",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("dataset", "field", "value"), name="metadata_value_unique")
                ],
            },
        ),
        migrations.RunSQL(COPY_VALUES),
        migrations.AddField(
            model_name="itemmetadata",
            name="value_ref",
            field=models.ForeignKey(
                null=True,
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="annotate.metadatavalue",
            ),
        ),
        migrations.RunSQL(LINK_ROWS),
        migrations.RemoveIndex(model_name="itemmetadata", name="item_metadata_lookup"),
        migrations.RemoveField(model_name="itemmetadata", name="dataset"),
        migrations.RemoveField(model_name="itemmetadata", name="field"),
        migrations.RemoveField(model_name="itemmetadata", name="value"),
        migrations.RenameField(model_name="itemmetadata", old_name="value_ref", new_name="value"),
        migrations.AlterField(
            model_name="itemmetadata",
            name="value",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="annotate.metadatavalue",
            ),
        ),
        migrations.AddIndex(
            model_name="itemmetadata",
            index=models.Index(fields=["value", "item"], name="item_metadata_lookup"),
        ),
    ]
