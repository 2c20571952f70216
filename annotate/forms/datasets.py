"""Forms for uploading item files, mapping their fields, and browsing a dataset."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import QueryDict

from accord import limits
from accord.input_checks import parse_row_id
from annotate.forms.imports import ImportFileForm
from annotate.models import Dataset
from annotate.permissions import datasets_visible_to
from annotate.services.datasets import FieldPreview

ROLE_CHOICES = [("content", "Content"), ("metadata", "Metadata"), ("ignore", "Ignore")]
MAX_FILTERS = 8


class DatasetUploadForm(ImportFileForm):
    """A file plus where its items go: a new dataset, or one the user can already see."""

    field_order = ["file", "name", "dataset", "fmt"]
    name = forms.CharField(max_length=200, required=False, label="New dataset name")
    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(), required=False, label="…or add to dataset", empty_label="(new dataset)"
    )

    def __init__(self, *args: object, user: AbstractBaseUser, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["dataset"].queryset = datasets_visible_to(user).defer("summary").order_by("name")
        self.fields["file"].help_text += f" A dataset may have up to {limits.max_fields():,} fields."

    def clean(self) -> dict:
        data = super().clean()
        name, dataset = (data.get("name") or "").strip(), data.get("dataset")
        if bool(name) == bool(dataset):
            raise ValidationError("Either name a new dataset or pick an existing one.")
        if name and Dataset.objects.filter(name=name, created_by=self.user).exists():
            self.add_error("name", f"You already have a dataset named '{name}'.")
        self.clean_format(data)
        data["name"] = name
        return data


class FieldMappingForm(forms.Form):
    """Which field is the id, and whether each other field is content, metadata or ignored."""

    id_field = forms.ChoiceField(label="Id field")

    def __init__(self, *args: object, preview: FieldPreview, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.preview = preview
        names = preview.fields
        self.fields["id_field"].choices = [(n, n) for n in names]
        self.fields["id_field"].initial = "id" if "id" in names else names[0]
        for index, name in enumerate(names):
            self.fields[f"role_{index}"] = forms.ChoiceField(
                choices=ROLE_CHOICES, initial="content", widget=forms.RadioSelect, label=name
            )

    @property
    def rows(self) -> list[tuple[str, forms.BoundField, list[str]]]:
        """(field name, its role choice, sample values) for the template."""
        return [(n, self[f"role_{i}"], self.preview.samples.get(n, [])) for i, n in enumerate(self.preview.fields)]

    def mapping(self) -> tuple[str, list[str], list[str]]:
        """The id field, content fields and metadata fields chosen."""
        id_field = self.cleaned_data["id_field"]
        roles = {n: self.cleaned_data[f"role_{i}"] for i, n in enumerate(self.preview.fields)}
        content = [n for n, role in roles.items() if role == "content" and n != id_field]
        metadata = [n for n, role in roles.items() if role == "metadata" and n != id_field]
        return id_field, content, metadata


@dataclass(frozen=True)
class BrowseParams:
    """The dataset browser's query string, parsed leniently: bad values are ignored, never an error."""

    query: str
    filters: list[tuple[str, str]]
    after: int | None
    before: int | None

    @classmethod
    def from_query(cls, params: QueryDict, dataset: Dataset) -> "BrowseParams":
        """Read q, field/value pairs and the page cursor from a GET query."""
        known = set(dataset.metadata_fields)
        pairs = zip(params.getlist("field"), params.getlist("value"), strict=False)
        filters = [(f, v.strip()) for f, v in pairs if f in known and v.strip()][:MAX_FILTERS]
        return cls(
            query=params.get("q", "").strip()[:200],
            filters=filters,
            after=parse_row_id(params.get("after")),
            before=parse_row_id(params.get("before")),
        )

    @property
    def querystring(self) -> str:
        """The search and filters as a query string (without the page cursor), ending in & when not empty."""
        pairs = [("q", self.query)] if self.query else []
        for name, value in self.filters:
            pairs += [("field", name), ("value", value)]
        encoded = urlencode(pairs)
        return f"{encoded}&" if encoded else ""

    @property
    def is_filtered(self) -> bool:
        return bool(self.query or self.filters)
