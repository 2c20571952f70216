"""The part every import form shares: a file within the upload limit, and its format."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from accord import limits
from annotate import importers

FORMAT_CHOICES = [("", "From the file extension"), ("jsonl", "JSONL"), ("csv", "CSV"), ("parquet", "Parquet")]


class ImportFileForm(forms.Form):
    """A JSONL, CSV or Parquet file to import; subclasses add what the import needs and call clean_format."""

    file = forms.FileField(help_text="JSONL (.jsonl, .ndjson), CSV (.csv) or Parquet (.parquet).")
    fmt = forms.ChoiceField(choices=FORMAT_CHOICES, required=False, label="Format")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"JSONL (.jsonl, .ndjson), CSV (.csv) or Parquet (.parquet), up to {limits.size(limits.upload_bytes())}; "
            f"a record (a line or row) may take up to {limits.size(limits.record_bytes())}."
        )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        # An upload past the limit arrives empty, with the size it was sent with (accord/uploads.py).
        error = limits.upload_size_error(upload.size)
        if error:
            raise ValidationError(error)
        return upload

    def clean_format(self, data: dict) -> None:
        """Set data["fmt"] from the chosen format or the file's name; an unknown one is an error on the file."""
        if data.get("file") is None:
            return
        try:
            data["fmt"] = importers.detect_format(data["file"].name, data.get("fmt") or None)
        except ValidationError as exc:
            self.add_error("file", exc)
