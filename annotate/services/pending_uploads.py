"""Uploaded item files waiting for their field mapping (the upload page's second step), and their clean-up."""

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from annotate import importers

UPLOAD_MAX_AGE_SECONDS = 24 * 3600


def upload_dir() -> Path:
    """Where uploaded files wait for their field mapping."""
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_save(*, chunks: Iterator[bytes], filename: str) -> tuple[str, Path]:
    """Store an uploaded file under an unguessable token; return the token and the path."""
    _upload_sweep()
    token = secrets.token_urlsafe(24)
    suffix = Path(filename).suffix.lower()
    path = upload_dir() / f"{token}{suffix if suffix in importers.EXTENSIONS else ''}"
    with open(path, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return token, path


def upload_discard(*, path: str | Path) -> None:
    """Delete an uploaded file once it has been imported or abandoned."""
    Path(path).unlink(missing_ok=True)


def _upload_sweep() -> None:
    # Uploads whose mapping was never finished would otherwise pile up in DATA_DIR.
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
