"""Load rubric files (YAML or JSON): create each rubric, add a version when it changed, or leave it unchanged."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.rubrics import MAX_RUBRIC_BYTES, guess_format, parse_rubric
from annotate.selectors.rubrics import rubric_for_load
from annotate.services.rubrics import rubric_load


class Command(BaseCommand):
    help = "Load rubric files (.yaml, .yml or .json). Loading an unchanged file again does nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="rubric files to load")
        parser.add_argument(
            "--owner",
            metavar="USER",
            help="load as this user: a new rubric is theirs, and a name reaches only rubrics they may change "
            "(default: any rubric of that name; a new one has no owner)",
        )

    def handle(self, *args: object, files: list[str], owner: str | None = None, **options: object) -> None:
        user = self._owner(owner)
        failures = 0
        for name in files:
            try:
                self.stdout.write(self._load(Path(name), user))
            except CommandError as exc:
                failures += 1
                self.stderr.write(str(exc))
        if failures:
            raise CommandError(f"{failures} of {len(files)} rubric file{'s' if len(files) != 1 else ''} failed to load")

    def _owner(self, username: str | None) -> AbstractBaseUser | None:
        if username is None:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--owner: no user named {username!r}")
        return user

    def _load(self, path: Path, user: AbstractBaseUser | None) -> str:
        try:
            if path.stat().st_size > MAX_RUBRIC_BYTES:
                raise CommandError(f"{path}: larger than the {MAX_RUBRIC_BYTES // 1024} KB a rubric file may take")
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the file ({exc})") from None
        fmt = guess_format(text, path.name)
        try:
            existed = rubric_for_load(parse_rubric(text, fmt).name, user) is not None
            version, changed = rubric_load(text=text, fmt=fmt, user=user)
        except ValidationError as exc:
            raise CommandError("\n".join(f"{path}: {message}" for message in exc.messages)) from None
        outcome = "unchanged" if not changed else ("updated" if existed else "created")
        return f"Loaded rubric {version.rubric.name} version {version.number} ({outcome})"
