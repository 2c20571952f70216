"""Export a campaign's labels, one row per rating or per item, as CSV, JSONL or Parquet."""

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from annotate.models import Campaign
from ratings.exports import FORMATS, SCOPES, ExportError, ExportSpec, export_filename, export_spec, export_write


class _TextOut:
    """A text stream taking the export's bytes (each chunk ends on a whole row, so decodes on its own)."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data.decode(), ending="")


class Command(BaseCommand):
    help = (
        "Export a campaign's labels: per rating (every rater's answers, raters by pseudonym) or per item (the final "
        "label per criterion, how it was reached, the distribution and the adjudication), as CSV, JSONL or Parquet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The campaign's slug.")
        parser.add_argument("--format", default="csv", help=f"One of {', '.join(FORMATS)} (default csv).")
        parser.add_argument("--per", default="rating", help=f"One row per {' or per '.join(SCOPES)} (default rating).")
        parser.add_argument("--criterion", help="Only this criterion key.")
        parser.add_argument("--names", action="store_true", help="Add the raters' usernames beside their pseudonyms.")
        parser.add_argument("-o", "--output", help="The file to write; standard output when left out (CSV and JSONL).")

    def handle(self, *args: Any, **options: Any) -> None:
        """Check the options, then write the export a chunk at a time."""
        campaign = Campaign.objects.select_related("dataset", "rubric_version").filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {options['slug']!r}")
        try:
            spec = export_spec(
                campaign,
                scope=options["per"],
                fmt=options["format"],
                criterion_key=options["criterion"],
                names=options["names"],
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        output = options["output"]
        if output is None and not spec.format.is_text:
            example = export_filename(campaign, spec)
            raise CommandError(f"{spec.fmt} is a binary format: name the file to write with -o, e.g. -o {example}")
        try:
            rows = self._write(campaign, spec, output)
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        except BrokenPipeError:
            # The reader stopped reading (`| head`): what it read is all it wanted. Python's own flush of
            # standard output at exit would fail the same way, so point it at nothing.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        except OSError as exc:
            raise CommandError(f"cannot write {output or 'standard output'}: {exc.strerror or exc}") from None
        if output is not None:
            self.stderr.write(f"Wrote {rows:,} rows to {output}")

    def _write(self, campaign: Campaign, spec: ExportSpec, output: str | None) -> int:
        if output is None:
            self.stdout.flush()
            return export_write(campaign, spec, getattr(self.stdout, "buffer", None) or _TextOut(self.stdout))
        # Written under another name and renamed once complete, so a failed export leaves no partial file.
        path = Path(output)
        partial = path.with_name(f".{path.name}.partial")
        try:
            with open(partial, "wb") as handle:
                rows = export_write(campaign, spec, handle)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return rows
