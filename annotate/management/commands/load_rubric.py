"""Load rubric files (YAML or JSON): create each rubric, add a version when it changed, or leave it unchanged."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.rubrics import guess_format, parse_rubric
from annotate.selectors.rubrics import rubric_name_exists
from annotate.services.rubrics import rubric_load


class Command(BaseCommand):
    help = "Load rubric files (.yaml, .yml or .json). Loading an unchanged file again does nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="rubric files to load")

    def handle(self, *args: object, files: list[str], **options: object) -> None:
        failures = 0
        for name in files:
            try:
                self.stdout.write(self._load(Path(name)))
            except CommandError as exc:
                failures += 1
                self.stderr.write(str(exc))
        if failures:
            raise CommandError(f"{failures} of {len(files)} rubric file{'s' if len(files) != 1 else ''} failed to load")

    def _load(self, path: Path) -> str:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the file ({exc})") from None
        fmt = guess_format(text, path.name)
        try:
            existed = rubric_name_exists(parse_rubric(text, fmt).name)
            version, changed = rubric_load(text=text, fmt=fmt)
        except ValidationError as exc:
            raise CommandError("\n".join(f"{path}: {message}" for message in exc.messages)) from None
        outcome = "unchanged" if not changed else ("updated" if existed else "created")
        return f"Loaded rubric {version.rubric.name} version {version.number} ({outcome})"
