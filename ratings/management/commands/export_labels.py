"""Export a campaign's labels, one row per rating or per item, as CSV, JSONL or Parquet, or its pairwise items
as preference pairs for training."""

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from annotate.models import Campaign
from ratings.exports import (
    FORMATS,
    PAIR_SCOPE,
    SCOPES,
    ExportError,
    ExportSpec,
    export_filename,
    export_spec,
    export_write,
)
from ratings.preference_export import PreferenceTally, preference_write


class _TextOut:
    """A text stream taking the export's bytes (each chunk ends on a whole row, so decodes on its own)."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data.decode(), ending="")


class Command(BaseCommand):
    help = (
        "Export a campaign's labels: per rating (every rater's answers, raters by pseudonym) or per item (the final "
        "label per criterion, how it was reached, the distribution and the adjudication), as CSV, JSONL or Parquet; "
        "or --format preference: one JSONL row per pairwise item (prompt, chosen, rejected, votes) for training."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The campaign's slug.")
        parser.add_argument("--format", default="csv", help=f"One of {', '.join(FORMATS)} (default csv).")
        parser.add_argument("--per", default="rating", help=f"One row per {' or per '.join(SCOPES)} (default rating).")
        parser.add_argument("--criterion", help="Only this criterion key.")
        parser.add_argument("--names", action="store_true", help="Add the raters' usernames beside their pseudonyms.")
        parser.add_argument(
            "--include-ties", action="store_true", help="Preference: keep ties (tie true, chosen and rejected as A, B)."
        )
        parser.add_argument(
            "--include-ambiguous",
            action="store_true",
            help="Preference: keep items adjudicated as genuinely ambiguous.",
        )
        parser.add_argument(
            "--prompt-field", help="Preference: the content field holding the prompt, where items have several."
        )
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
                include_ties=options["include_ties"],
                include_ambiguous=options["include_ambiguous"],
                prompt_field=options["prompt_field"],
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        output = options["output"]
        if output is None and not spec.format.is_text:
            example = export_filename(campaign, spec)
            raise CommandError(f"{spec.fmt} is a binary format: name the file to write with -o, e.g. -o {example}")
        tally = PreferenceTally()
        try:
            rows = self._write(campaign, spec, output, tally)
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        except BrokenPipeError:
            # The reader stopped reading (`| head`): what it read is all it wanted. Python's own flush of
            # standard output at exit would fail the same way, so point it at nothing.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        except OSError as exc:
            raise CommandError(f"cannot write {output or 'standard output'}: {exc.strerror or exc}") from None
        if spec.scope == PAIR_SCOPE:
            # Said on standard error even when the rows go to standard output: what was left out, and how to keep it.
            self.stderr.write(f"Wrote {f'to {output}: ' if output else ''}{tally.summary()}")
            if tally.left_out["tie"] or tally.left_out["ambiguous"]:
                self.stderr.write("--include-ties and --include-ambiguous keep ties and genuinely ambiguous items.")
        elif output is not None:
            self.stderr.write(f"Wrote {rows:,} rows to {output}")

    def _write(self, campaign: Campaign, spec: ExportSpec, output: str | None, tally: PreferenceTally) -> int:
        if output is None:
            self.stdout.flush()
            return self._write_to(campaign, spec, getattr(self.stdout, "buffer", None) or _TextOut(self.stdout), tally)
        # Written under another name and renamed once complete, so a failed export leaves no partial file.
        path = Path(output)
        partial = path.with_name(f".{path.name}.partial")
        try:
            with open(partial, "wb") as handle:
                rows = self._write_to(campaign, spec, handle, tally)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return rows

    def _write_to(self, campaign: Campaign, spec: ExportSpec, handle: Any, tally: PreferenceTally) -> int:
        if spec.scope != PAIR_SCOPE:
            return export_write(campaign, spec, handle)
        return preference_write(campaign, spec, handle, tally=tally).written
