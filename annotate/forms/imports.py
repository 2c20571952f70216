"""The part every import form shares: a file within the upload limit, and its format."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from annotate import importers

FORMAT_CHOICES = [("", "From the file extension"), ("jsonl", "JSONL"), ("csv", "CSV"), ("parquet", "Parquet")]


class ImportFileForm(forms.Form):
    """A JSONL, CSV or Parquet file to import; subclasses add what the import needs and call clean_format."""

    file = forms.FileField(help_text="JSONL (.jsonl, .ndjson), CSV (.csv) or Parquet (.parquet).")
    fmt = forms.ChoiceField(choices=FORMAT_CHOICES, required=False, label="Format")

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.ACCORD_MAX_UPLOAD_BYTES:
            raise ValidationError(f"The file is larger than {settings.ACCORD_MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
        return upload

    def clean_format(self, data: dict) -> None:
        """Set data["fmt"] from the chosen format or the file's name; an unknown one is an error on the file."""
        if data.get("file") is None:
            return
        try:
            data["fmt"] = importers.detect_format(data["file"].name, data.get("fmt") or None)
        except ValidationError as exc:
            self.add_error("file", exc)
