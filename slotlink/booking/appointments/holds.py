"""The statements that make, clear and take a link's hold, written out: every booking chooses
a time (clear the way, insert the hold) and confirms it (take the hold), and through the ORM
building these statements cost more CPU than anything else those two pages do (a queryset's
delete() also collects what the rows might cascade to, and there is nothing).

The SQL is made once per process from the model's own table and column names, and values
are prepared through the model's fields, as the ORM prepares them; so it follows the model as
it changes. The database constraints still decide who gets a time (see SlotHold)."""

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from slotlink.booking.models import SlotHold
from slotlink.lib.inserts import row_insert
from slotlink.lib.sqlnames import quoted_names


def _quoted() -> dict[str, str]:
    names = quoted_names(SlotHold)
    return {"holds": names.table, **names.columns}


def _moment(value: datetime) -> Any:
    return SlotHold._meta.get_field("start").get_db_prep_value(value, connection)


@cache
def _clear_sql(vendor: str, therapists: int) -> str:
    """holds_clear's statement for that many therapists (`vendor` keys the cache)."""
    names = _quoted()
    # Only the model's own table and column names go into the text; values are parameters.
    template = (
        "DELETE FROM {holds} WHERE {link} = %s OR ({therapist} IN ({some}) "
        "AND {start} < %s AND {end} > %s AND {expires_at} <= %s)"
        if therapists
        else "DELETE FROM {holds} WHERE {link} = %s"
    )
    return template.format(**names, some=", ".join(["%s"] * therapists))  # nosec B608


def holds_clear(
    *, link_id: int, therapist_ids: list[int], start: datetime, end: datetime, now: datetime
) -> None:
    """Delete the link's own hold, and the lapsed holds of `therapist_ids` overlapping `start`
    to `end` (lapsed holds keep their rows until whoever next needs the time clears them)."""
    params: list[Any] = [link_id]
    if therapist_ids:
        params += [*therapist_ids, _moment(end), _moment(start), _moment(now)]
    with connection.cursor() as cursor:
        cursor.execute(_clear_sql(connection.vendor, len(therapist_ids)), params)


def hold_insert(hold: SlotHold) -> bool:
    """Insert the new `hold` (setting its id), or nothing when another hold has the time
    (PostgreSQL's exclusion constraint, or either database's unique ones) or the link already
    holds one: whether it was inserted."""
    return row_insert(hold, or_nothing=True)


@cache
def _take_sql(vendor: str) -> str:
    """hold_take's statement (`vendor` keys the cache)."""
    names = _quoted()
    columns = ", ".join(names[field.name] for field in SlotHold._meta.concrete_fields)
    template = "DELETE FROM {holds} WHERE {link} = %s AND {expires_at} > %s RETURNING {columns}"
    return template.format(**names, columns=columns)  # nosec B608


def hold_take(*, link_id: int, now: datetime) -> SlotHold | None:
    """The time held for the link's patient, unless the hold has lapsed, deleted as it is read:
    its appointment takes the time in the same transaction (which rolls back, hold and all, if
    the appointment cannot be made)."""
    taken = list(SlotHold.objects.raw(_take_sql(connection.vendor), [link_id, _moment(now)]))
    return taken[0] if taken else None
