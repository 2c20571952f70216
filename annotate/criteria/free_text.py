"""Free-text criteria: a rationale in the rater's words, shown in adjudication and never measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from accord.limits import quoted
from annotate.criteria.base import Criterion, Err, Post, is_int


@dataclass(frozen=True)
class FreeTextCriterion(Criterion):
    """Text (str); optional unless the rubric says otherwise; no gold answer and no agreement."""

    max_length: int | None = None
    placeholder: str = ""

    type: ClassVar[str] = "free_text"
    title: ClassVar[str] = "Free text (rationale)"
    file_fields: ClassVar[tuple[str, ...]] = ("max_length", "placeholder")
    levels: ClassVar[tuple[str, ...]] = ("none",)
    required_by_default: ClassVar[bool] = False
    value_kind: ClassVar[str] = "text"
    has_gold: ClassVar[bool] = False
    has_agreement: ClassVar[bool] = False
    template: ClassVar[str] = "ratings/criteria/_free_text.html"
    detail_template: ClassVar[str] = "annotate/criteria/_free_text.html"

    @classmethod
    def fields_from_dict(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Length cap and placeholder."""
        return {"max_length": data.get("max_length"), "placeholder": data.get("placeholder") or ""}

    def type_fields(self) -> dict[str, Any]:
        """Length cap and placeholder as stored."""
        return {"max_length": self.max_length, "placeholder": self.placeholder}

    @classmethod
    def parse_fields(cls, raw: dict, err: Err) -> dict[str, Any]:
        """An optional max_length of 1 or more and an optional placeholder."""
        max_length = raw.get("max_length")
        if max_length is not None and (not is_int(max_length) or max_length < 1):
            err(f"max_length: must be a whole number of 1 or more, got {quoted(max_length)}")
            return {}
        placeholder = raw.get("placeholder")
        if placeholder is None:
            placeholder = ""
        elif not isinstance(placeholder, str):
            err(f"placeholder: must be a string, got {quoted(placeholder)}")
            return {}
        return {"max_length": max_length, "placeholder": placeholder}

    def fields_to_file(self) -> dict[str, Any]:
        """The cap and placeholder where given."""
        out: dict[str, Any] = {}
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.placeholder:
            out["placeholder"] = self.placeholder
        return out

    @property
    def value_domain(self) -> list | None:
        """None: any text."""
        return None

    def check(self, value: Any) -> str:
        """Text within max_length."""
        if not isinstance(value, str):
            raise ValueError(f"{quoted(value)} is not text")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(f"at most {self.max_length} characters, got {len(value)}")
        return value

    def from_post(self, post: Post) -> Any:
        """The text without surrounding blanks, or None when blank."""
        raw = post.get(f"c-{self.key}", "").strip()
        return raw or None

    def import_limit(self, default: int) -> int | None:
        """max_length, else the default (a file has no bound of its own, unlike a form post)."""
        return self.max_length or default
