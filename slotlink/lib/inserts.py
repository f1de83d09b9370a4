"""Inserting new rows as Model.save() or QuerySet.bulk_create() does, with the statement made
once per model (and number of rows).

Confirming a booking inserts seven rows; through the ORM, building each INSERT (the compiler
quotes every column and assembles every placeholder anew) cost more CPU than the database
spent running it. Here the statement is made once per process from the model's own fields,
and each value is prepared through its field as the ORM prepares it (pre_save, then
get_db_prep_save), so the row is the one the ORM would write and follows the model as it
changes. Only for models without a parent model or a field with a placeholder of its own;
row_insert, standing for save(), also only for models without a save() of their own or
anything listening to their save signals (none is sent)."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Model, signals

from slotlink.lib.sqlnames import quoted_names


@cache
def _statement(
    model: type[Model], vendor: str, rows: int, or_nothing: bool
) -> tuple[str, list[Field[Any, Any]], Any]:
    """The INSERT of that many new rows of `model` (`or_nothing`: inserting nothing where a
    row would break a unique or exclusion constraint), the fields whose values each row takes
    (every concrete field but the generated id, as the ORM inserts them) and the id field it
    returns (`vendor` keys the cache)."""
    meta = model._meta
    pk = meta.auto_field
    fields = [field for field in meta.local_concrete_fields if field is not pk]
    if pk is None or meta.parents or any(hasattr(field, "get_placeholder") for field in fields):
        raise TypeError(f"{meta.label} is not a plain model: insert it through the ORM")
    names = quoted_names(model)
    row = "({})".format(", ".join(["%s"] * len(fields)))
    template = "INSERT INTO {table} ({columns}) VALUES {rows}{or_nothing} RETURNING {pk}"
    sql = template.format(  # nosec B608
        table=names.table,
        columns=", ".join(names.columns[field.name] for field in fields),
        rows=", ".join([row] * rows),
        or_nothing=" ON CONFLICT DO NOTHING" if or_nothing else "",
        pk=names.columns[pk.name],
    )
    return sql, fields, pk


@cache
def _saves_plainly(model: type[Model]) -> bool:
    return (
        model.save is Model.save
        and not signals.pre_save.has_listeners(model)
        and not signals.post_save.has_listeners(model)
    )


def row_insert(obj: Model, *, or_nothing: bool = False) -> bool:
    """Insert the new `obj` (its id unset) and set its id, as obj.save() would: whether it was
    inserted. With `or_nothing`, a row that would break a unique or exclusion constraint is
    not inserted, rather than failing the transaction (so it needs no savepoint)."""
    if not _saves_plainly(type(obj)):
        raise TypeError(f"{obj._meta.label} saves with more than a row: use save()")
    return _insert([obj], or_nothing=or_nothing)


def rows_insert(objs: Sequence[Model]) -> None:
    """Insert the new `objs` (all of one model, their ids unset) in one statement, in their
    order, and set their ids, as bulk_create() would (neither calls save() nor sends a
    signal)."""
    if objs:
        _insert(objs, or_nothing=False)


def _insert(objs: Sequence[Model], *, or_nothing: bool) -> bool:
    model = type(objs[0])
    if any(obj.pk is not None for obj in objs):
        raise ValueError(f"{model._meta.label}: only new rows (no id yet) are inserted here")
    if any(type(obj) is not model for obj in objs):
        raise TypeError(f"{model._meta.label}: rows of one model at a time are inserted here")
    sql, fields, pk = _statement(model, connection.vendor, len(objs), or_nothing)
    values = []
    for obj in objs:
        # As the ORM: refuses an unsaved related row rather than write a null for it.
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        for field in fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{field.name}: an expression; insert it through the ORM")
            values.append(field.get_db_prep_save(value, connection))
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, values)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:  # or_nothing, and a constraint said no
        return False
    # Ids come from one sequence in the order the rows were given.
    for obj, made in zip(objs, sorted(ids), strict=True):
        setattr(obj, pk.attname, made)
        obj._state.adding = False
        obj._state.db = connection.alias
    return True
