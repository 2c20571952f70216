"""An upload handler that stops storing a request's files once they pass ACCORD_MAX_UPLOAD_BYTES.

Django's own handlers write every uploaded byte to a temporary file before a form or serializer sees the
file's size. This handler comes first in FILE_UPLOAD_HANDLERS: it passes each chunk on until the request's
files together pass the limit, then deletes what the later handlers stored of that file and drops the rest of
it as it arrives (Django still reads the body to the end, so the client gets the answer instead of a reset
connection). The file then reaches the form as an empty OversizedUpload whose `size` is the number of bytes
that were sent, and the form's or API's size check refuses it with a clear message.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest


class OversizedUpload(UploadedFile):
    """A file that passed the upload limit: its name and the size it was sent with, and no content."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(BytesIO(), name=name, content_type=content_type, size=size)


class UploadLimitHandler(FileUploadHandler):
    """Counts the bytes of a request's files and stops storing them at ACCORD_MAX_UPLOAD_BYTES."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = settings.ACCORD_MAX_UPLOAD_BYTES
        self.received = 0
        self.over = False

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received <= self.limit:
            return raw_data
        if not self.over:
            self.over = True
            for handler in self._later_handlers():
                handler.upload_interrupted()
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.over:
            return None
        return OversizedUpload(self.file_name, file_size, self.content_type)

    def _later_handlers(self) -> list[FileUploadHandler]:
        handlers = list(getattr(self.request, "upload_handlers", []))
        return handlers[handlers.index(self) + 1 :] if self in handlers else []
