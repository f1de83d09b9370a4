"""The reads behind every times page a patient opens, written in SQL.

Built through the ORM, each of these queries cost more time in Python than the database spent
answering it (about 0.7 ms of query building each, for a page whose whole budget is 40 ms).
Written out here they cost nothing to build, and every column comes back in a form the
database adapter hands over at C speed, turned into dates, times and datetimes once per
distinct value. They only read; every write goes through the models."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from django.db import connection
from django.db.models import Model

from slotlink.booking.models import BroadcastRule, SlotHold
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    DiaryChange,
    Team,
    Therapist,
    WorkingPattern,
)
from slotlink.domain.availability import WeeklyShift
from slotlink.lib.sqlnames import quoted_names

# (therapist id, start, end, as instant_sql gives them)
Instant = str | int
AppointmentRow = tuple[int, Instant, Instant, str]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant_sql(column: str) -> str:
    """A datetime column as SQLite's own UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]") or as
    PostgreSQL's microseconds since the epoch (formatting text there costs the server more
    than the arithmetic). Either adapter would otherwise build each datetime in Python code,
    which for the thousands of appointments behind a large service's times page was most of
    the page's time; see instant()."""
    if connection.vendor == "postgresql":
        return f'(EXTRACT(EPOCH FROM "{column}") * 1000000)::bigint'
    return f'CAST("{column}" AS TEXT)'


# Appointments start and end on the same few hundred instants page after page, and building a
# datetime costs more than finding one (they are immutable, so one serves every page).
@lru_cache(maxsize=4096)
def instant(value: Instant) -> datetime:
    if isinstance(value, int):  # PostgreSQL: microseconds since the epoch
        return _EPOCH + timedelta(microseconds=value)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


_PATTERN_COLUMNS = ("start_time", "end_time", "effective_from", "effective_to")


def _plain(column: str) -> str:
    """A date or time column as psycopg hands it over (in C), or as SQLite's text, which
    Django would otherwise parse in Python code for every row."""
    return column if connection.vendor == "postgresql" else f"CAST({column} AS TEXT)"


def _tables() -> dict[str, str]:
    """Each table by the name its model gives it, quoted, so the reads follow the models."""
    models: dict[str, type[Model]] = {
        "therapists": Therapist,
        "rule_therapists": BroadcastRule.therapists.through,
        "team_therapists": Team.therapists.through,
        "patterns": WorkingPattern,
        "changes": DiaryChange,
        "holds": SlotHold,
        "appointments": Appointment,
    }
    return {name: quoted_names(model).table for name, model in models.items()}


def _sql(
    template: str, parts: Mapping[str, str] = MappingProxyType({}), **lists: Sequence[object]
) -> str:
    """`template` with a placeholder for each value of each list named in it ({ids} for
    `ids`), tables by their models' names ({appointments}, see _tables), and columns read as
    this database needs them: {start_instant} and {end_instant} as instant_sql gives them,
    pattern dates and times as _plain does, and typed empty columns (_NULLS); then `parts`
    (SQL of the caller's own, already filled in). Only the number of placeholders varies:
    values always travel as parameters."""
    marks = {name: ", ".join(["%s"] * len(values)) for name, values in lists.items()}
    columns = {column: _plain(column) for column in _PATTERN_COLUMNS}
    return template.format(
        start_instant=instant_sql("start"),
        end_instant=instant_sql("end"),
        **_tables(),
        **columns,
        **_NULLS,
        **marks,
        **parts,
    )


# Empty columns of a given type ({no_int}, …), for parts of a UNION that have no such value.
_NULLS = {
    "no_int": "CAST(NULL AS integer)",
    "no_time": "CAST(NULL AS time)",
    "no_date": "CAST(NULL AS date)",
    "no_text": "CAST(NULL AS varchar)",
    "no_instant": "CAST(NULL AS bigint)",
}


def _rows(sql: str, params: Sequence[int | str | list[int] | None]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _moment(value: datetime) -> str | None:
    """A datetime parameter as the ORM would pass it (SQLite: UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _time(value: str | time) -> time:
    return time.fromisoformat(value) if isinstance(value, str) else value


def _date(value: str | date) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class DiaryRows:
    """What rule_diary_rows reads of a rule's therapists, apart from their appointments."""

    therapist_ids: list[int]  # ascending
    # Each therapist's shifts in order of weekday and start; therapists on the same shifts
    # share one tuple of them (the engine then reads it once).
    shifts: dict[int, tuple[WeeklyShift, ...]]
    changes: list[tuple[int, str, datetime, datetime]]  # therapist, kind, start, end
    holds: list[tuple[int, datetime, datetime]]


# Each part of the one query below, by the number it starts its rows with.
_THERAPIST, _SHIFT, _CHANGE, _HOLD = range(4)
_PART, _THERAPIST_ID = itemgetter(0), itemgetter(1)
_SHIFT_COLUMNS = itemgetter(2, 3, 4, 5, 6, 7)  # weekday, start, end, from, to, every weeks


@lru_cache(maxsize=4)
def _diary_sql(vendor: str) -> str:
    """The query of rule_diary_rows, made once (`vendor` keys the cache), as
    _appointments_sql is: filling in its template took a few percent of a times page."""
    return _sql(
        """
        WITH chosen AS (
            SELECT id FROM {therapists}
            WHERE active AND service_id = %s AND (
                id IN (SELECT therapist_id FROM {rule_therapists} WHERE broadcastrule_id = %s)
                OR id IN (SELECT therapist_id FROM {team_therapists} WHERE team_id = %s)
            )
        )
        SELECT 0, id, {no_int}, {no_time}, {no_time}, {no_date}, {no_date}, {no_int},
               {no_text}, {no_instant}, {no_instant}
        FROM chosen
        UNION ALL
        SELECT 1, therapist_id, weekday, {start_time}, {end_time}, {effective_from},
               {effective_to}, every_weeks, {no_text}, {no_instant}, {no_instant}
        FROM {patterns}
        WHERE therapist_id IN (SELECT id FROM chosen) AND online_bookable
          AND effective_from <= %s AND (effective_to IS NULL OR effective_to >= %s)
        UNION ALL
        SELECT 2, therapist_id, {no_int}, {no_time}, {no_time}, {no_date}, {no_date}, {no_int},
               kind, {start_instant}, {end_instant}
        FROM {changes}
        WHERE therapist_id IN (SELECT id FROM chosen) AND start < %s AND "end" > %s
        UNION ALL
        SELECT 3, therapist_id, {no_int}, {no_time}, {no_time}, {no_date}, {no_date}, {no_int},
               {no_text}, {start_instant}, {end_instant}
        FROM {holds}
        WHERE therapist_id IN (SELECT id FROM chosen) AND expires_at > %s AND start < %s
          AND "end" > %s AND link_id <> %s
        ORDER BY 1, 2, 3, 4
        """
    )


def rule_diary_rows(
    rule_id: int,
    service_id: int,
    team_id: int | None,
    *,
    first: date,
    last: date,
    since: datetime,
    until: datetime,
    now: datetime,
    other_than_link: int | None,
) -> DiaryRows:
    """In one query (a round trip, not four): the rule's own therapists and its team's,
    active and in the rule's service; their weekly patterns in effect on any date from
    `first` to `last` that patients may book online (staff book into any shift, without the
    engine); their one-off changes (extra sessions, leave, …) meeting [since, until); and the
    times other patients than `other_than_link`'s are holding while they confirm, meeting it.
    Every part has the same columns, those it has no use for empty (typed, so that the
    parts agree on each column's type)."""
    sql = _diary_sql(connection.vendor)
    until_param, since_param = _moment(until), _moment(since)  # each twice, made once
    params: list[int | str | None] = [
        service_id,
        rule_id,
        team_id,
        last.isoformat(),
        first.isoformat(),
        until_param,
        since_param,
        _moment(now),
        until_param,
        since_param,
        # No link has the id 0 (ids count from 1), so without a link every hold counts.
        other_than_link or 0,
    ]
    read = DiaryRows([], {}, [], [])
    # The rows come part by part, a therapist's shifts together: grouping them is a pass in C,
    # not a step of Python a row.
    for part, rows in groupby(_rows(sql, params), key=_PART):
        if part == _SHIFT:  # the most rows, by far
            for therapist_id, own in groupby(rows, key=_THERAPIST_ID):
                read.shifts[therapist_id] = _shifts(tuple(map(_SHIFT_COLUMNS, own)))
        elif part == _THERAPIST:
            read.therapist_ids.extend(map(_THERAPIST_ID, rows))
        elif part == _CHANGE:
            read.changes.extend((row[1], row[8], instant(row[9]), instant(row[10])) for row in rows)
        else:
            read.holds.extend((row[1], instant(row[9]), instant(row[10])) for row in rows)
    return read


# Most therapists work the same few shifts, page after page: each list of them is made (and
# checked) once, and therapists on the same shifts share it.
@lru_cache(maxsize=256)
def _shifts(rows: tuple[tuple[Any, ...], ...]) -> tuple[WeeklyShift, ...]:
    return tuple(
        WeeklyShift(
            weekday,
            _time(begins),
            _time(ends),
            _date(valid_from),
            None if valid_to is None else _date(valid_to),
            every_weeks,
        )
        for weekday, begins, ends, valid_from, valid_to, every_weeks in rows
    )


@lru_cache(maxsize=64)
def _appointments_sql(vendor: str, ids: int) -> str:
    """The query of appointment_rows with `ids` parameters for the therapists, made once
    (`vendor` keys the cache). On PostgreSQL they travel as one array, so that any number of
    them is one statement, prepared once per connection; the order comes straight from the
    index on (therapist, end)."""
    among = "= ANY(%s)" if vendor == "postgresql" else f"IN ({', '.join(['%s'] * ids)})"
    return _sql(
        """
        SELECT therapist_id, {start_instant}, {end_instant}, source
        FROM {appointments}
        WHERE therapist_id {among} AND status IN ({statuses}) AND start < %s AND "end" > %s
        ORDER BY therapist_id, "end"
        """,
        {"among": among},
        statuses=TIME_HOLDING,
    )


def appointment_rows(
    therapist_ids: Sequence[int], since: datetime, until: datetime
) -> list[AppointmentRow]:
    """The appointments holding the therapists' time in [since, until), one therapist's
    after another's (in ascending id), each therapist's in order of their end."""
    ids: Sequence[int | list[int]] = therapist_ids
    if connection.vendor == "postgresql":
        ids = [list(therapist_ids)]
    sql = _appointments_sql(connection.vendor, len(ids))
    return _rows(sql, [*ids, *map(str, TIME_HOLDING), _moment(until), _moment(since)])
