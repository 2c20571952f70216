"""Import existing labels from a JSONL, CSV or Parquet file as ratings of a campaign, all or nothing."""

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotate.models import Campaign
from annotate.services.machine_raters import MAX_PROMPT_LENGTH, Provenance
from ratings.importers import REPEATS, Layout
from ratings.services import MAX_NEW_RATERS, ImportRatingsResult, ratings_import

MACHINE_OPTIONS = ("machine_model", "machine_prompt", "machine_prompt_file", "machine_version")


class Command(BaseCommand):
    help = (
        "Import existing labels as ratings of a campaign, all or nothing. Long layout: one row per label "
        "(item id, rater, criterion, value, optional comment). Wide layout (--wide --criterion KEY): one row per "
        "item, one column per rater. Each rater name becomes an external rater of the campaign (NAME@SLUG, an "
        f"account without a login), at most {MAX_NEW_RATERS:,} new ones per import; with --as-members, a name that "
        "is the username of one of the campaign's raters is that rater. With --machine NAME every label is that "
        "automatic judge's (a machine rater, no member, taking no rater's place in the queue): the rater column "
        "may be left out, and a file naming two raters (two rater columns, in the wide layout) is refused. "
        "The n-th label of an (item, rater, criterion) is the rater's n-th rating of the item: --repeats says "
        "what a second one means. Refused once the campaign is closed."
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
        parser.add_argument(
            "--repeats",
            choices=REPEATS,
            default="error",
            help="A second label of the same item, rater and criterion: error (default) refuses the file naming "
            "both rows; first or last keeps that one and drops the others (counted); keep stores each further "
            "label as a test-retest repeat, and a label of an item the rater already rated here as a repeat too.",
        )
        machine = parser.add_argument_group("machine judge")
        machine.add_argument(
            "--machine",
            metavar="NAME",
            help="Every label is this machine rater's (created if new). The rater column is not needed.",
        )
        machine.add_argument("--machine-model", default="", help="The model behind the judge, e.g. gpt-4o-mini.")
        prompt = machine.add_mutually_exclusive_group()
        prompt.add_argument("--machine-prompt", default="", help="The prompt the judge was given.")
        prompt.add_argument(
            "--machine-prompt-file", type=Path, help=f"A UTF-8 file holding the prompt (at most {MAX_PROMPT_LENGTH:,})."
        )
        machine.add_argument("--machine-version", default="", help="The judge's version, e.g. a date or a tag.")

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
                repeats=options["repeats"],
                machine=options["machine"],
                provenance=_provenance(options),
            )
        except ValidationError as exc:
            # CommandError prints just the message on stderr and exits with status 1, without a traceback.
            raise CommandError(" ".join(exc.messages)) from None
        seconds = time.perf_counter() - start
        self._report(result, campaign, seconds)

    def _report(self, result: ImportRatingsResult, campaign: Campaign, seconds: float) -> None:
        judge = f" as machine rater {result.machine}" if result.machine else ""
        self.stdout.write(
            f"Imported {result.n_ratings} ratings ({result.n_labels} labels) on {result.n_items} items "
            f"into campaign {campaign.slug}{judge} in {seconds:.1f} s; "
            f"{result.n_replaced} replaced, {result.n_items_added} items added to the sample."
        )
        if result.n_repeats:
            self.stdout.write(f"Stored as test-retest repeats: {result.n_repeats} ratings.")
        if result.n_dropped:
            self.stdout.write(f"Repeated labels left out (kept the {result.repeats}): {result.n_dropped}.")
        if result.machine_created:
            self.stdout.write(f"New machine rater: {result.machine}")
        if result.raters_created:
            created = ", ".join(f"{rater.name} (as {rater.username})" for rater in result.raters_created)
            self.stdout.write(f"New external raters without a login: {created}")
        if result.members_matched:
            self.stdout.write(f"Credited to the campaign's raters: {', '.join(result.members_matched)}")


def _provenance(options: dict[str, Any]) -> Provenance | None:
    """The machine judge's provenance from the options, or None without --machine (which the others need)."""
    if options["machine"] is None:
        given = [f"--{name.replace('_', '-')}" for name in MACHINE_OPTIONS if options[name]]
        if given:
            raise CommandError(f"{', '.join(given)} describe a machine judge: give its name with --machine.")
        return None
    prompt = options["machine_prompt"]
    path = options["machine_prompt_file"]
    if path is not None:
        try:
            # A prompt longer than the cap is refused by the service; a huge file is not read to learn that.
            if path.stat().st_size > 4 * MAX_PROMPT_LENGTH:
                raise CommandError(
                    f"--machine-prompt-file '{path}': a prompt has at most {MAX_PROMPT_LENGTH:,} characters."
                )
            prompt = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"--machine-prompt-file '{path}': cannot read it as UTF-8 text ({exc}).") from None
    return Provenance(
        model=options["machine_model"].strip(), prompt=prompt.strip(), version=options["machine_version"].strip()
    )
