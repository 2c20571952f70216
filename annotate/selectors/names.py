"""Datasets and rubrics by the name an operator's command gives.

Names are unique per owner, so one name may belong to several owners' datasets or rubrics. A command
runs with the operator's full access: it takes the named owner's, or the only one of that name, and
asks for an owner when several share it.
"""

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from annotate.models import Dataset, Rubric

Named = TypeVar("Named", Dataset, Rubric)


ASK_FOR_OWNER = "give --owner to choose"


def named_among(
    candidates: QuerySet[Named], name: str, owner: AbstractBaseUser | None, noun: str, hint: str = ASK_FOR_OWNER
) -> Named | None:
    """The owner's one of the candidates, else the only candidate; several and none the owner's is an error."""
    found = list(candidates.select_related("created_by"))
    if owner is not None:
        own = [thing for thing in found if thing.created_by_id == owner.pk]
        if own:
            return own[0]
    if len(found) <= 1:
        return found[0] if found else None
    owners = ", ".join(sorted(t.created_by.get_username() if t.created_by else "(no owner)" for t in found))
    raise ValidationError(f"{len(found)} {noun}s are named {name!r} (owners: {owners}); {hint}")


def dataset_named(name: str, owner: AbstractBaseUser | None = None) -> Dataset | None:
    """The dataset of this exact name: the owner's, or the only one; several and none the owner's is an error."""
    return named_among(Dataset.objects.filter(name=name).defer("summary"), name, owner, "dataset")


def rubric_named(name: str, owner: AbstractBaseUser | None = None) -> Rubric | None:
    """The rubric of this name (any case): the owner's, or the only one; several and none the owner's is an error."""
    return named_among(Rubric.objects.filter(name__iexact=name), name, owner, "rubric")
