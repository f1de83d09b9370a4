"""Inserting one new row as Model.save() does, with the statement made once per model.

Confirming a booking inserts five rows; through the ORM, building each INSERT (the compiler
quotes every column and assembles every placeholder anew) cost more CPU than the database
spent running it. Here the statement is made once per process from the model's own fields,
and each value is prepared through its field as the ORM prepares it (pre_save, then
get_db_prep_save), so the row is the one save() would write and follows the model as it
changes. Only for plain models: no parent model, no field with a placeholder of its own, no
save() of its own, and nothing listening to its save signals (none is sent)."""

from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Model, signals


@cache
def _statement(model: type[Model], vendor: str) -> tuple[str, list[Field[Any, Any]], Any]:
    """The INSERT for a new row of `model`, the fields whose values it takes (every concrete
    field but the generated id, as save() inserts them) and the id field it returns
    (`vendor` keys the cache)."""
    meta = model._meta
    pk = meta.auto_field
    fields = [field for field in meta.local_concrete_fields if field is not pk]
    plain = (
        not meta.parents
        and model.save is Model.save
        and not any(hasattr(field, "get_placeholder") for field in fields)
        and not signals.pre_save.has_listeners(model)
        and not signals.post_save.has_listeners(model)
    )
    if pk is None or not plain:
        raise TypeError(f"{meta.label} is not a plain model: insert it with save()")
    quote = connection.ops.quote_name
    # Only the model's own table and column names go into the text; values are parameters.
    template = "INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {pk}"
    sql = template.format(  # nosec B608
        table=quote(meta.db_table),
        columns=", ".join(quote(field.column) for field in fields),
        values=", ".join(["%s"] * len(fields)),
        pk=quote(pk.column),
    )
    return sql, fields, pk


def row_insert(obj: Model) -> None:
    """Insert the new `obj` (its id unset) and set its id, as obj.save() would."""
    if obj.pk is not None:
        raise ValueError("row_insert inserts new rows only")
    sql, fields, pk = _statement(type(obj), connection.vendor)
    # As save(): refuses an unsaved related object rather than write a null for it.
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    values = []
    for field in fields:
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"{field.name}: an expression; insert it with save()")
        values.append(field.get_db_prep_save(value, connection))
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    setattr(obj, pk.attname, row[0])
    obj._state.adding = False
    obj._state.db = connection.alias
