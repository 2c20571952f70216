"""Request bodies read strictly: a key an operation does not take is refused, naming it, never silently ignored.

A misspelt option (`visible_field` for `visible_fields`) would otherwise fall back to its default without a word:
here it is a 400 whose `field` is the key and whose message lists the keys the operation takes.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

# Keys a browser's form adds to any body: Django's CSRF token.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})


class BodySerializer(serializers.Serializer):
    """A request body's fields; any other key is a 400 naming it."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in self.fields and key not in IGNORED_KEYS]
            if unknown:
                takes = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {str(key)[:100]: [f"Not a field this operation takes (it takes: {takes})."] for key in unknown[:20]}
                )
        return super().to_internal_value(data)
