"""Import existing labels from a JSONL, CSV or Parquet file as ratings of a campaign, all or nothing."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotate.models import Campaign
from ratings.importers import Layout
from ratings.services import MAX_NEW_RATERS, ratings_import


class Command(BaseCommand):
    help = (
        "Import existing labels as ratings of a campaign, all or nothing. Long layout: one row per label "
        "(item id, rater, criterion, value, optional comment). Wide layout (--wide --criterion KEY): one row per "
        "item, one column per rater. Each rater name becomes an external rater of the campaign (NAME@SLUG, an "
        f"account without a login), at most {MAX_NEW_RATERS:,} new ones per import; with --as-members, a name that "
        "is the username of one of the campaign's raters is that rater. Refused once the campaign is closed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="Path to a .jsonl/.ndjson, .csv or .parquet file.")
        parser.add_argument("--campaign", required=True, help="Slug of the campaign the ratings belong to.")
        parser.add_argument("--format", choices=["jsonl", "csv", "parquet"], help="Override the file extension.")
        parser.add_argument("--item-field", default="item_id", help="Column of the item ids (default: item_id).")
        parser.add_argument("--rater-field", default="rater", help="Long layout: column of raters (default: rater).")
        parser.add_argument(
            "--criterion-field", default="criterion", help="Long layout: column of criterion keys (default: criterion)."
        )
        parser.add_argument("--value-field", default="value", help="Long layout: column of values (default: value).")
        parser.add_argument(
            "--comment-field", default="comment", help="Long layout: optional column of comments (default: comment)."
        )
        parser.add_argument("--wide", action="store_true", help="One row per item, one column per rater.")
        parser.add_argument(
            "--criterion", help="Criterion key of every value: required with --wide, replaces the criterion column."
        )
        parser.add_argument(
            "--add-missing-items", action="store_true", help="Sample dataset items the campaign has not drawn yet."
        )
        parser.add_argument(
            "--replace", action="store_true", help="Overwrite existing ratings, keeping their old versions."
        )
        parser.add_argument(
            "--as-members",
            action="store_true",
            help="Credit a rater name that is the username of one of the campaign's raters to that rater.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.select_related("dataset", "rubric_version").filter(slug=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"No campaign with slug '{options['campaign']}'.")
        layout = Layout(
            wide=options["wide"],
            item_field=options["item_field"],
            rater_field=options["rater_field"],
            criterion_field=options["criterion_field"],
            value_field=options["value_field"],
            comment_field=options["comment_field"],
            criterion=options["criterion"],
        )
        start = time.perf_counter()
        try:
            result = ratings_import(
                campaign=campaign,
                source=options["file"],
                fmt=options["format"],
                layout=layout,
                add_missing_items=options["add_missing_items"],
                replace=options["replace"],
                match_members=options["as_members"],
            )
        except ValidationError as exc:
            # CommandError prints just the message on stderr and exits with status 1, without a traceback.
            raise CommandError(" ".join(exc.messages)) from None
        seconds = time.perf_counter() - start
        self.stdout.write(
            f"Imported {result.n_ratings} ratings ({result.n_labels} labels) on {result.n_items} items "
            f"into campaign {campaign.slug} in {seconds:.1f} s; "
            f"{result.n_replaced} replaced, {result.n_items_added} items added to the sample."
        )
        if result.raters_created:
            created = ", ".join(f"{rater.name} (as {rater.username})" for rater in result.raters_created)
            self.stdout.write(f"New external raters without a login: {created}")
        if result.members_matched:
            self.stdout.write(f"Credited to the campaign's raters: {', '.join(result.members_matched)}")
