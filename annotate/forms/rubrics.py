"""Forms for writing a rubric as YAML or JSON, pasted or uploaded."""

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError

from accord.limits import quoted
from annotate.models import Rubric, RubricVersion
from annotate.rubrics import MAX_RUBRIC_BYTES, RubricSpec, guess_format, parse_rubric

VERSION_NUMBER_RE = re.compile(r"[0-9]{1,9}")
EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "examples" / "rubrics"
# Slug -> title of the example rubrics offered on the "new rubric" page.
RUBRIC_EXAMPLES = {
    "hhh": "Helpful, honest, harmless (1–5 scales)",
    "pairwise": "Pairwise preference (A / tie / B)",
    "safety_flags": "Safety flags (multi-label + yes/no)",
}

STARTER_TEMPLATE = """\
name: My rubric
description: One sentence on what raters judge.
guidelines: |
  ## What you are rating

  Explain what the item shows and what the rater should focus on.

  ## How to decide

  - Describe what separates a low score from a high one.
  - Say what to do when unsure.
criteria:
  - key: quality
    type: likert
    label: Overall quality
    help: How good is the response overall?
    scale: {min: 1, max: 5}
    anchors:
      1: Very poor
      3: Acceptable
      5: Excellent
  - key: rationale
    type: free_text
    label: Rationale
    help: Optional. Why did you choose this score?
"""


def rubric_example_text(slug: str) -> str | None:
    """The YAML of a bundled example rubric, or None for an unknown slug."""
    if slug not in RUBRIC_EXAMPLES:
        return None
    return (EXAMPLES_DIR / f"{slug}.yaml").read_text(encoding="utf-8")


def version_fingerprint(version: RubricVersion | None) -> str:
    """A short hash of a version's content, to notice that someone else saved it meanwhile."""
    if version is None:
        return ""
    content = [version.pk, version.guidelines, version.criteria, version.source]
    payload = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _code_area() -> forms.Textarea:
    return forms.Textarea(attrs={"class": "code", "rows": 28, "spellcheck": "false", "autocapitalize": "off"})


def _parse(text: str, fmt: str | None) -> RubricSpec:
    # Re-raise as a plain list so the form shows every problem as its own line.
    try:
        return parse_rubric(text, fmt)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None


class RubricSourceForm(forms.Form):
    """A new rubric: paste YAML/JSON into the textarea, or upload a .yaml/.yml/.json file."""

    text = forms.CharField(label="Rubric (YAML or JSON)", required=False, widget=_code_area(), strip=False)
    file = forms.FileField(
        label="…or upload a file", required=False, help_text="A .yaml, .yml or .json file; it replaces the text above."
    )

    def clean(self) -> dict:
        """Read the upload or the text and parse it into cleaned_data["spec"]."""
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > MAX_RUBRIC_BYTES:
                raise ValidationError(f"file: {upload.name} is larger than {MAX_RUBRIC_BYTES // 1024} KB")
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(f"file: {upload.name} is not UTF-8 text") from None
            # Show the uploaded text in the textarea, so a rejected file can be fixed in place.
            self.data = self.data.copy()
            self.data["text"] = text
            fmt = guess_format(text, upload.name)
        else:
            text, fmt = cleaned.get("text") or "", None
            if not text.strip():
                raise ValidationError("Paste a rubric into the text box or choose a file to upload.")
        cleaned["spec"] = _parse(text, fmt)
        cleaned["source"] = text
        return cleaned


class RubricEditForm(forms.Form):
    """Edit a rubric's latest version as YAML (or JSON); the name must stay the same."""

    text = forms.CharField(label="Rubric (YAML or JSON)", widget=_code_area(), strip=False)
    base = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, rubric: Rubric, latest: RubricVersion | None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.rubric, self.latest = rubric, latest
        self.fields["base"].initial = version_fingerprint(latest)

    def clean(self) -> dict:
        """Parse the text, keep the name, and refuse to overwrite a version someone saved meanwhile."""
        cleaned = super().clean()
        if "text" not in cleaned:
            return cleaned
        if cleaned.get("base", "") != version_fingerprint(self.latest):
            raise ValidationError(
                "Someone saved this rubric after you opened the page. Copy your changes, reload, and apply them again."
            )
        spec = _parse(cleaned["text"], None)
        # Loading a file matches a rubric's name ignoring case, so its text may spell the name differently.
        if spec.name.lower() != self.rubric.name.lower():
            raise ValidationError(
                f"name: this page edits {self.rubric.name!r}, so the name must stay the same (got {spec.name!r}); "
                "to start a separate rubric, use New rubric"
            )
        cleaned["spec"] = spec
        cleaned["source"] = cleaned["text"]
        return cleaned


class RubricVersionPairForm(forms.Form):
    """Two versions of one rubric to compare, from and to (any two, in either order); the last two by default."""

    def __init__(self, query: Mapping[str, str], *, versions: list[tuple[int, str]]) -> None:
        self.numbers = sorted(number for number, _ in versions)
        defaults = {"from": self.numbers[max(len(self.numbers) - 2, 0)], "to": self.numbers[-1]}
        super().__init__({name: query.get(name, default) for name, default in defaults.items()})
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.CharField(label=label, widget=forms.Select(choices=versions))

    def _number(self, name: str) -> int:
        text = self.cleaned_data[name]
        if VERSION_NUMBER_RE.fullmatch(text) and int(text) in self.numbers:
            return int(text)
        listed = ", ".join(str(n) for n in self.numbers)
        raise ValidationError(f"{name}: no version {quoted(text)} of this rubric (its versions: {listed})")

    def clean_from(self) -> int:
        """The version to compare from."""
        return self._number("from")

    def clean_to(self) -> int:
        """The version to compare to."""
        return self._number("to")
