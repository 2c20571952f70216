"""Mark a campaign's gold items, with their expected answers, from a CSV, JSONL or Parquet file."""

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotate.models import Campaign
from ratings.gold import campaign_gold_import


class Command(BaseCommand):
    help = (
        "Mark gold items of a campaign from a file with an id column and one column per criterion holding the "
        "expected value (blank: none; multi-label values separated by |). All or nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The campaign's slug.")
        parser.add_argument("file", help="Path to a .csv, .jsonl/.ndjson or .parquet file.")
        parser.add_argument("--id-field", default="id", help="Column holding each item's external id (default: id).")
        parser.add_argument("--format", choices=["jsonl", "csv", "parquet"], help="Override the file extension.")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.select_related("rubric_version").filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"slug: no campaign {options['slug']!r}")
        try:
            n = campaign_gold_import(
                campaign=campaign, source=options["file"], fmt=options["format"], id_field=options["id_field"]
            )
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        total = campaign.items.filter(is_gold=True).count()
        self.stdout.write(self.style.SUCCESS(f"Marked {n} gold items in {campaign.slug} ({total} gold items in all)."))
