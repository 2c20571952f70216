"""Model instances from fixed SQL: what `Model.objects.raw()` returns, without its per-call setup."""

from functools import cache
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)

# Row ids are 64-bit integers: a larger number names no row (and SQLite could not even bind it).
MAX_ROW_ID = 2**63 - 1


def models_from_sql(model: type[M], sql: str, params: Any) -> list[M]:
    """Run a SELECT of `model`'s columns and return one instance per row, as `model.objects.raw()` would.

    Columns named like a field fill it, through the field's converters (dates and JSON on SQLite); fields not
    selected are deferred; any other column becomes an attribute, as selected. raw() works out that mapping
    again on every call, which on the rating page's reads cost more than running them; here it is kept per
    model and column list.
    """
    alias = router.db_for_read(model)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = tuple(column[0] for column in cursor.description)
        rows = cursor.fetchall()
    attnames, fields, extras = _column_plan(model, alias, columns)
    instances = []
    for row in rows:
        values = []
        for index, column, converters in fields:
            value = row[index]
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        instance = model.from_db(alias, attnames, values)
        for index, name in extras:
            setattr(instance, name, row[index])
        instances.append(instance)
    return instances


@cache
def _column_plan(
    model: type[Model], alias: str, columns: tuple[str, ...]
) -> tuple[list[str], list[tuple[int, Col, list]], list[tuple[int, str]]]:
    """Which columns fill which fields (in the model's field order, with their converters) and which are extra."""
    connection = connections[alias]
    position = {name: index for index, name in enumerate(columns)}
    fields = []
    for field in model._meta.concrete_fields:
        if field.column in position:
            column = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            fields.append((position.pop(field.column), column, converters))
    if model._meta.pk.column not in columns:
        raise ValueError(f"{model.__name__}: the SELECT must include the primary key")
    attnames = [column.target.attname for _index, column, _converters in fields]
    extras = sorted((index, name) for name, index in position.items())
    return attnames, fields, extras
