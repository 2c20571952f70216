"""Uploaded item files waiting for their field mapping (the upload page's second step), and their clean-up.

A pending upload is its file plus a small JSON record beside it (who uploaded it, its name, format and target),
both in DATA_DIR/uploads, which every web server shares. Its mapping page is reached by a signed token that
names the uploader and the upload time: the same user reaches it from any session or browser, anyone else gets
a 404, and an upload that is no longer waiting (expired, discarded, or imported) is told apart from one that
never existed.
"""

import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing

from annotate import importers

UPLOAD_MAX_AGE_SECONDS = 24 * 3600
TOKEN_SALT = "accord.pending-upload"
RECORD_SUFFIX = ".pending.json"


@dataclass(frozen=True)
class PendingUpload:
    """An uploaded file waiting for its field mapping; `import_run_id` is set once its import has started."""

    token: str
    key: str
    path: Path
    filename: str
    fmt: str
    name: str
    dataset_id: int | None
    import_run_id: str | None = None


class UploadUnknown(Exception):
    """The token was never issued to this user: answer as if nothing were there."""


class UploadGone(Exception):
    """The user's upload is no longer waiting: it expired (`expired`), or was discarded."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "discarded")
        self.expired = expired


def upload_dir() -> Path:
    """Where uploaded files wait for their field mapping."""
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_save(*, chunks: Iterator[bytes], filename: str) -> tuple[str, Path]:
    """Store an uploaded file under an unguessable key; return the key and the path."""
    _upload_sweep()
    key = secrets.token_urlsafe(24)
    suffix = Path(filename).suffix.lower()
    path = upload_dir() / f"{key}{suffix if suffix in importers.EXTENSIONS else ''}"
    with open(path, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return key, path


def pending_upload_create(
    *, chunks: Iterator[bytes], filename: str, fmt: str, name: str, dataset_id: int | None, user: AbstractBaseUser
) -> str:
    """Store an uploaded file until its fields are mapped; return the token of its mapping page."""
    key, path = upload_save(chunks=chunks, filename=filename)
    record = {"user": user.pk, "path": str(path), "filename": filename, "fmt": fmt, "name": name}
    _write_record(key, record | {"dataset": dataset_id, "run": None})
    return signing.TimestampSigner(salt=TOKEN_SALT).sign(f"{key}.{user.pk}")


def pending_upload_get(*, token: str, user: AbstractBaseUser) -> PendingUpload:
    """The user's upload behind a token; UploadUnknown for a token not theirs, UploadGone once it stopped waiting."""
    key, issued = _unsign(token, user)
    try:
        record = json.loads(_record_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    if record is None or record.get("user") != user.pk:
        raise UploadGone(expired=time.time() - issued > UPLOAD_MAX_AGE_SECONDS)
    upload = PendingUpload(
        token=token,
        key=key,
        path=Path(record["path"]),
        filename=record["filename"],
        fmt=record["fmt"],
        name=record["name"],
        dataset_id=record["dataset"],
        import_run_id=record["run"],
    )
    if upload.import_run_id is None and not upload.path.is_file():
        raise UploadGone(expired=True)
    return upload


def pending_upload_started(*, upload: PendingUpload, import_run_id: str) -> None:
    """Record that the upload's import has started: the import owns the file, the token leads to its progress."""
    record = json.loads(_record_path(upload.key).read_text(encoding="utf-8"))
    _write_record(upload.key, record | {"run": import_run_id})


def pending_upload_discard(*, upload: PendingUpload) -> None:
    """Delete an upload that will not be imported, with its record."""
    upload_discard(path=upload.path)
    _record_path(upload.key).unlink(missing_ok=True)


def upload_discard(*, path: str | Path) -> None:
    """Delete an uploaded file once it has been imported or abandoned."""
    Path(path).unlink(missing_ok=True)


def _unsign(token: str, user: AbstractBaseUser) -> tuple[str, float]:
    """The upload key and issue time of a token signed for this user."""
    signer = signing.TimestampSigner(salt=TOKEN_SALT)
    try:
        value = signer.unsign(token)
        issued = signing.b62_decode(token.rsplit(signer.sep, 2)[-2])
    except (signing.BadSignature, ValueError):
        raise UploadUnknown from None
    key, _dot, owner = value.rpartition(".")
    if not key or owner != str(user.pk):
        raise UploadUnknown
    return key, float(issued)


def _record_path(key: str) -> Path:
    return upload_dir() / f"{key}{RECORD_SUFFIX}"


def _write_record(key: str, record: dict[str, Any]) -> None:
    # Replaced whole, so a reader in another request never sees half a record.
    path = _record_path(key)
    partial = path.with_name(path.name + ".new")
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, path)


def _upload_sweep() -> None:
    # Uploads whose mapping was never finished would otherwise pile up in DATA_DIR.
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
