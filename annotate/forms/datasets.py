"""Forms for uploading item files, mapping their fields, and browsing a dataset."""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import QueryDict

from accord import limits
from accord.input_checks import parse_row_id
from accord.limits import shown
from annotate.forms.imports import ImportFileForm
from annotate.models import Dataset
from annotate.permissions import datasets_visible_to
from annotate.services.datasets import FieldPreview

ROLE_CHOICES = [("id", "Id"), ("content", "Content"), ("metadata", "Metadata"), ("ignore", "Ignore")]
# Field names that usually hold an item's id, the likeliest first.
ID_NAMES = (
    "id", "uid", "uuid", "guid", "_id", "item_id", "itemid", "example_id", "sample_id", "record_id", "row_id",
    "doc_id", "document_id",
)  # fmt: skip
# Field names that usually describe an item rather than hold what raters read.
METADATA_NAMES = frozenset({
    "source", "model", "model_name", "language", "lang", "locale", "topic", "topics", "category", "categories",
    "split", "subset", "domain", "task", "tag", "tags", "difficulty", "level", "dataset", "genre", "author",
    "annotator", "license", "url", "version", "country", "region", "date", "timestamp", "created_at", "seed",
    "temperature", "kind", "type", "group",
})  # fmt: skip
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


def _normal(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _id_field(names: list[str]) -> str | None:
    """The field that most likely holds the items' ids, by its name; None when no name says so."""
    normal = {_normal(name): name for name in reversed(names)}
    return next((normal[candidate] for candidate in ID_NAMES if candidate in normal), None)


def _looks_like_metadata(name: str) -> bool:
    normal = _normal(name)
    base, _sep, tail = normal.rpartition("_")
    # "model_a", "source_2", "model_name": a metadata name with a short or naming suffix.
    named = normal in METADATA_NAMES or (base in METADATA_NAMES and (len(tail) <= 2 or tail == "name"))
    return named or normal.endswith(("_id", "_at", "_date"))


def default_roles(preview: FieldPreview, dataset: Dataset | None = None) -> dict[str, str]:
    """A first guess at each field's role: the id and metadata by name or the dataset's roles, text as content."""
    # Numbers, flags and empty values are metadata: they are for filtering and slicing, not for reading.
    id_field = _id_field(preview.fields)
    known = {name: "content" for name in dataset.content_fields} if dataset else {}
    known |= {name: "metadata" for name in dataset.metadata_fields} if dataset else {}
    roles = {}
    for name in preview.fields:
        if name == id_field:
            roles[name] = "id"
        elif name in known:
            roles[name] = known[name]
        elif _looks_like_metadata(name) or name not in preview.text_fields:
            roles[name] = "metadata"
        else:
            roles[name] = "content"
    return roles


class FieldMappingForm(forms.Form):
    """Each field's role (the id, content, metadata or ignored) and its place in the order raters see fields in."""

    def __init__(self, *args: object, preview: FieldPreview, dataset: Dataset | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.preview = preview
        roles = default_roles(preview, dataset)
        for index, name in enumerate(preview.fields):
            self.fields[f"role_{index}"] = forms.ChoiceField(
                choices=ROLE_CHOICES, initial=roles[name], widget=forms.RadioSelect, label=f"Role of {name}"
            )
            # Left blank, a field keeps its place in the file.
            self.fields[f"order_{index}"] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=limits.MAX_COLUMNS,
                initial=index + 1,
                label=f"Place of {name}",
                widget=forms.NumberInput(attrs={"class": "order-input"}),
            )

    @property
    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField, list[str]]]:
        """(field name, its role choice, its place in the order, sample values) for the template."""
        return [
            (name, self[f"role_{i}"], self[f"order_{i}"], self.preview.samples.get(name, []))
            for i, name in enumerate(self.preview.fields)
        ]

    def clean(self) -> dict:
        data = super().clean()
        roles = self._roles(data)
        ids = [name for name, role in roles if role == "id"]
        if len(ids) > 1:
            quoted = " and ".join(f"'{shown(name)}'" for name in ids[:2])
            raise ValidationError(f"Only one field can be the id, but {quoted} are both marked Id.")
        if len(roles) == len(self.preview.fields):
            if not ids:
                raise ValidationError("Mark one field as the id: each item needs a stable, unique id.")
            if not any(role == "content" for _name, role in roles):
                raise ValidationError("Mark at least one field as content: it is what raters read.")
        return data

    def _roles(self, data: dict) -> list[tuple[str, str]]:
        """(name, role) of every field with a valid role, in the chosen order (ties keep the file's order)."""
        places = []
        for index, name in enumerate(self.preview.fields):
            role, place = data.get(f"role_{index}"), data.get(f"order_{index}")
            if role:
                places.append((place if place is not None else index + 1, index, name, role))
        return [(name, role) for _place, _index, name, role in sorted(places)]

    def mapping(self) -> tuple[str, list[str], list[str]]:
        """The id field, then the content fields and the metadata fields, each in the chosen order."""
        roles = self._roles(self.cleaned_data)
        id_field = next(name for name, role in roles if role == "id")
        content = [name for name, role in roles if role == "content"]
        metadata = [name for name, role in roles if role == "metadata"]
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
