"""A booking link with its rule, appointment type, service and patient, by its id (the link
behind a patient's session) or its token's hash: every patient page reads one, so it is read
in one written-out query.

Built through the ORM (a five-table select_related, about 70 columns), compiling the query to
SQL cost more CPU than anything else on a patient page. Here the SQL is made once per process
from the models' own fields, so it follows the models as they change, and each row becomes
model instances as the ORM would make them (the same converters for each column). And the time
a link's patient is holding (slot_hold_of), read on the review pages, and the
appointments booked through a link (link_appointment_rows), read on the booked page, so
written out the same way."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from inspect import getattr_static
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.expressions import Col
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from slotlink.booking.models import BookingLink, BroadcastRule, SlotHold
from slotlink.clinic.models import Appointment, AppointmentType, Patient, Service, Therapist
from slotlink.lib.sqlnames import quoted_names

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Table:
    model: type[Model]
    attnames: list[str]
    # (column's place among this model's, the expression, its converters): the few columns
    # the database adapter does not hand over as the model wants them
    converted: list[tuple[int, Col, list[Converter]]]
    # Whether an instance may be made by storing the values (see _from_db)
    plain: bool


@dataclass(frozen=True)
class _Read:
    sql: str
    tables: list[_Table]


# The link first; then each related model, the alias it is joined as, and how it is joined.
_JOINS: list[tuple[type[Model], str, str]] = [
    (BroadcastRule, "r", "r.id = l.rule_id"),
    (AppointmentType, "t", "t.id = r.appointment_type_id"),
    (Service, "s", "s.id = l.service_id"),
    (Patient, "p", "p.id = l.patient_id"),
]


def _table(model: type[Model], alias: str) -> tuple[_Table, list[str]]:
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    converted = []
    for place, field in enumerate(fields):
        col = field.get_col(alias)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            converted.append((place, col, converters))
    columns = [f"{alias}.{quote(field.column)}" for field in fields]
    attnames = [field.attname for field in fields]
    return _Table(model, attnames, converted, _plain(model, attnames)), columns


# The descriptors Model.__init__ sets fields through that, for a new instance, only store the
# value: plain attributes', foreign keys' and files'.
_STORING = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)


def _plain(model: type[Model], attnames: list[str]) -> bool:
    """Whether Model.from_db would do no more for `model` than store each value."""
    return (
        model.__init__ is Model.__init__
        and getattr(model.from_db, "__func__", None) is getattr(Model.from_db, "__func__", None)
        and all(type(getattr_static(model, name, None)) in _STORING for name in attnames)
    )


def _select(
    model: type[Model], alias: str, joins: list[tuple[type[Model], str, str]], where: str
) -> _Read:
    """`model`'s rows (as `alias`) with those `joins` gives each, and how to read them.
    `where` follows the joins as it is: only the models' own names go into it."""
    quote = connection.ops.quote_name
    first, columns = _table(model, alias)
    tables = [first]
    joined = []
    for other, other_alias, on in joins:
        table, more = _table(other, other_alias)
        tables.append(table)
        columns += more
        joined.append(f"JOIN {quote(other._meta.db_table)} {other_alias} ON {on}")
    # Only the models' own table and column names go into the text; values are parameters.
    template = "SELECT {columns} FROM {table} {alias} {joins} {where}"
    sql = template.format(  # nosec B608
        columns=", ".join(columns),
        table=quote(model._meta.db_table),
        alias=alias,
        joins=" ".join(joined),
        where=where,
    )
    return _Read(sql, tables)


@cache
def _read(vendor: str, column: str) -> _Read:
    """The query finding the link by `column`, and how to read its rows, for this database
    (`vendor` keys the cache)."""
    return _select(
        BookingLink, "l", _JOINS, f"WHERE l.{quoted_names(BookingLink).columns[column]} = %s"
    )


def _instances(read: _Read, row: tuple[Any, ...]) -> list[Model]:
    # The connection behind the `connection` proxy, looked up once: through the proxy, each
    # use is a lookup in the thread's connections.
    database = connections[DEFAULT_DB_ALIAS]
    made = []
    offset = 0
    for table in read.tables:
        values = list(row[offset : offset + len(table.attnames)])
        offset += len(table.attnames)
        for place, col, converters in table.converted:
            for convert in converters:
                values[place] = convert(values[place], col, database)
        made.append(_from_db(table, values, database.alias))
    return made


def _from_db(table: _Table, values: list[Any], alias: str) -> Model:
    """What Model.from_db makes of a whole row, for a quarter of its CPU: Model.__init__ sets
    each field through its descriptor, which (for a plain model) only stores the value. The
    model's own way for any other, or with a pre_init or post_init receiver anywhere, so that
    it is told."""
    if not table.plain or pre_init.receivers or post_init.receivers:
        return table.model.from_db(alias, table.attnames, values)
    state = ModelState()
    state.adding = False
    state.db = alias
    instance = Model.__new__(table.model)
    instance._state = state
    instance.__dict__.update(zip(table.attnames, values, strict=True))
    return instance


def session_link(link_id: int) -> BookingLink | None:
    """The link with its rule (and the rule's appointment type), service and patient loaded,
    or None when there is no such link."""
    return _link("id", link_id)


def link_with_token_hash(token_hash: str) -> BookingLink | None:
    """As session_link, the link whose token hashes to `token_hash`."""
    return _link("token_hash", token_hash)


def _link(column: str, value: int | str) -> BookingLink | None:
    read = _read(connection.vendor, column)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, [value])
        row = cursor.fetchone()
    if row is None:
        return None
    link, rule, appointment_type, service, patient = _instances(read, row)
    assert isinstance(link, BookingLink)  # noqa: S101 - the first table read is the link's
    BroadcastRule.appointment_type.field.set_cached_value(rule, appointment_type)
    BookingLink.rule.field.set_cached_value(link, rule)
    BookingLink.service.field.set_cached_value(link, service)
    BookingLink.patient.field.set_cached_value(link, patient)
    # The rule's service is the link's (booking_link_send links only a rule of the patient's
    # own service): loaded once for both.
    if rule.service_id == link.service_id:  # type: ignore[attr-defined]
        BroadcastRule.service.field.set_cached_value(rule, service)
    return link


# The appointment's therapist and type: what the booked page shows.
_APPOINTMENT_JOINS: list[tuple[type[Model], str, str]] = [
    (Therapist, "th", "th.id = a.therapist_id"),
    (AppointmentType, "t", "t.id = a.appointment_type_id"),
]


@cache
def _appointments_read(vendor: str) -> _Read:
    """The query of link_appointment_rows, made once from the models (`vendor` keys the
    cache)."""
    column = quoted_names(Appointment).columns
    where = "WHERE a.{link} = %s ORDER BY a.{created_at}, a.{id}".format(
        link=column["booking_link"], created_at=column["created_at"], id=column["id"]
    )
    return _select(Appointment, "a", _APPOINTMENT_JOINS, where)


def link_appointment_rows(link_id: int) -> list[Appointment]:
    """Every appointment booked through the link, oldest first (created_at, then id), each
    with its therapist and appointment type loaded: the booked page's read, which through the
    ORM cost more to compile than everything else that page does."""
    read = _appointments_read(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, [link_id])
        rows = cursor.fetchall()
    appointments = []
    for row in rows:
        appointment, therapist, appointment_type = _instances(read, row)
        assert isinstance(appointment, Appointment)  # noqa: S101 - the first table read
        Appointment.therapist.field.set_cached_value(appointment, therapist)
        Appointment.appointment_type.field.set_cached_value(appointment, appointment_type)
        appointments.append(appointment)
    return appointments


def slot_hold_of(link: BookingLink, now: datetime) -> SlotHold | None:
    """The time held for the link's patient, unless the hold has lapsed. Read on the review
    page of every booking: written out, as a raw query set spent more on reading the cursor's
    description and matching columns to fields than on the rest of the read."""
    read = _hold_read(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, [link.pk, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return None
    (hold,) = _instances(read, row)
    assert isinstance(hold, SlotHold)  # noqa: S101 - the one table read
    return hold


@cache
def _hold_read(vendor: str) -> _Read:
    """The query of slot_hold_of, made once from the model (`vendor` keys the cache)."""
    column = quoted_names(SlotHold).columns
    where = "WHERE h.{link} = %s AND h.{expires_at} > %s ORDER BY h.{id} LIMIT 1".format(
        link=column["link"], expires_at=column["expires_at"], id=column["id"]
    )
    return _select(SlotHold, "h", [], where)
