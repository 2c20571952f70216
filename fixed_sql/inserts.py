"""A one-row INSERT with one fixed statement per model, for the writes every rated item makes."""

from functools import cache

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.fields import AutoFieldMixin


def insert_one(instance: Model) -> None:
    """Insert a new instance and set its primary key, as `instance.save()` would, without building ORM queries.

    Building the ORM's insert cost more than running it. Fields still get their pre-save values (auto_now
    timestamps) and their database adaptation (JSON). The model's own save() and the save signals do not run:
    callers must set whatever such code would have set.
    """
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    fields, sql = _insert_statement(model, alias)
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if connection.features.can_return_columns_from_insert:
            instance.pk = cursor.fetchone()[0]
        else:
            instance.pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    instance._state.adding = False
    instance._state.db = alias


@cache
def _insert_statement(model: type[Model], alias: str) -> tuple[list[Field], str]:
    if not isinstance(model._meta.pk, AutoFieldMixin):
        raise TypeError(f"{model.__name__}: insert_one needs a primary key the database assigns")
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return fields, sql
