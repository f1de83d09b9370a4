"""Read-side queries for booking: feeds the pure availability engine with plain data.

A fixed number of queries whatever the number of therapists or weeks, but for the pages that
stop reading appointments early: they read them in batches of therapists, a few more the more
therapists they need (see _DiaryInputs.diaries)."""

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import groupby
from operator import itemgetter
from zoneinfo import ZoneInfo

import holidays

from slotlink.booking.availability import reads
from slotlink.booking.availability.reads import AppointmentRow, instant
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import (
    DiaryChangeKind,
    Service,
    Source,
    Therapist,
)
from slotlink.domain.availability import (
    SlotQuery,
    TherapistDiary,
    WeeklyShift,
    available_times,
    each_therapists_times,
    first_offered,
    free_therapists,
    offered_days_and_first,
)

Span = tuple[datetime, datetime]


def rule_slot_query(rule: BroadcastRule, now: datetime) -> SlotQuery:
    service = rule.service
    earliest = now + timedelta(hours=rule.min_notice_hours)
    latest = now + timedelta(days=rule.horizon_days)
    return SlotQuery(
        zone=service.zone,
        duration=timedelta(minutes=rule.duration_minutes),
        step_minutes=rule.slot_step_minutes,
        earliest=earliest,
        latest=latest,
        buffer_before=timedelta(minutes=rule.buffer_before_minutes),
        buffer_after=timedelta(minutes=rule.buffer_after_minutes),
        closed_days=service_closed_days(service, earliest, latest),
        daily_cap=rule.daily_cap,
    )


def service_closed_days(service: Service, start: datetime, end: datetime) -> frozenset[date]:
    if not service.closed_on_bank_holidays or end <= start:
        return frozenset()
    first, last = start.astimezone(service.zone).date(), end.astimezone(service.zone).date()
    return frozenset(
        day
        for year in range(first.year, last.year + 1)
        for day in _bank_holidays(service.nation, year)
        if first <= day <= last
    )


@cache
def _bank_holidays(nation: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=nation, years=year))


_BUSY_DAY = 6  # appointments in a full day of therapy
# A query of appointments costs the app about 150 us of CPU whatever it reads, and about
# 0.4 us more a row (psycopg's C): so a round trip is worth about this many rows.
_ROUND_TRIP_ROWS = 400
_GROWTH = 2  # each batch of therapists read lazily is this many times the last
_THERAPIST, _START, _END = (itemgetter(n) for n in range(3))  # of an AppointmentRow


@dataclass(frozen=True)
class _DiaryInputs:
    """What the engine needs of a rule's therapists apart from their appointments: a few
    rows per therapist, read up front. Appointments, the bulk, are read separately."""

    therapist_ids: list[int]  # ascending, the order appointment rows come in
    zone: ZoneInfo
    since: datetime
    until: datetime
    counts_online: bool
    # Therapists on the same shifts share one tuple of them, which the engine then reads once.
    shifts: dict[int, tuple[WeeklyShift, ...]]
    extra: dict[int, tuple[Span, ...]]
    absences: dict[int, tuple[Span, ...]]
    holds: dict[int, list[Span]]

    def diary(
        self,
        therapist_id: int,
        appointments: Sequence[AppointmentRow] = (),
    ) -> TherapistDiary:
        """Rows are turned into busy time by map and zip, not row by row in a loop: a times
        page goes through hundreds (reads.instant keeps the datetimes they share)."""
        busy = list(self.holds.get(therapist_id, ()))
        online: Counter[date] | None = Counter() if self.counts_online else None
        if appointments:
            begins = list(map(instant, map(_START, appointments)))
            busy.extend(zip(begins, map(instant, map(_END, appointments)), strict=True))
            if online is not None:
                zone = self.zone
                online.update(
                    begins.astimezone(zone).date()
                    for begins, (*_, source) in zip(begins, appointments, strict=True)
                    if source == Source.ONLINE
                )
        return TherapistDiary(
            therapist_id=therapist_id,
            shifts=self.shifts.get(therapist_id, ()),
            extra=self.extra.get(therapist_id, ()),
            absences=self.absences.get(therapist_id, ()),
            busy=tuple(busy),
            online_bookings_by_day=None if online is None else dict(online),
        )

    def outline(self) -> list[TherapistDiary]:
        """Diaries without appointments offering every start the therapists' diaries could
        at most: all the engine needs to know that, so that it can stop reading them early.
        Only their union counts, so one therapist on a tuple of shifts with nothing of their
        own stands for all on it without extra sessions (absences and holds only take away):
        a large service's outline is then a diary or two, not one per therapist."""
        personal = self.extra.keys() | self.absences.keys() | self.holds.keys()
        no_shifts: tuple[WeeklyShift, ...] = ()
        plain = {
            id(self.shifts.get(therapist_id, no_shifts)): therapist_id
            for therapist_id in self.therapist_ids
            if therapist_id not in personal
        }
        outline: list[TherapistDiary] = []
        for therapist_id in self.therapist_ids:
            stand_in = plain.get(id(self.shifts.get(therapist_id, no_shifts)))
            if stand_in in (therapist_id, None) or therapist_id in self.extra:
                outline.append(self.diary(therapist_id))
        return outline

    def every_diary(self) -> list[TherapistDiary]:
        """Each therapist's diary, for a reader that needs them all: every appointment read
        in one round trip."""
        return list(self._each_diary(self.therapist_ids))

    def diaries(self) -> Iterator[TherapistDiary]:
        """Each therapist's diary in turn, reading appointments only as they are consumed, a
        batch of therapists at a time: an engine that stops early mostly stops within a few
        therapists, so the first batch is small, and each next one _GROWTH times bigger, so
        that reading them all takes a few round trips, not one per therapist. Each batch is
        a plain query, seeing the diaries as they are then: a page that only shows times needs
        no one snapshot across them (holding a time and confirming it check it is free)."""
        ids = self.therapist_ids
        done, size = 0, self.first_batch()
        while done < len(ids):
            yield from self._each_diary(ids[done : done + size])
            done += size
            size *= _GROWTH

    def first_batch(self) -> int:
        """About a round trip's worth of rows (_ROUND_TRIP_ROWS), counting a busy day's
        appointments for each therapist and day of the window, and at least one therapist:
        a whole window's reading mostly stops within the first few therapists, a day's may
        need them all."""
        days = (self.until - self.since) // timedelta(days=1) + 1
        return max(_ROUND_TRIP_ROWS // (_BUSY_DAY * days), 1)

    def _each_diary(self, therapist_ids: list[int]) -> Iterator[TherapistDiary]:
        """The diaries of `therapist_ids` (ascending), their appointments read in one query."""
        rows = reads.appointment_rows(therapist_ids, self.since, self.until)
        groups = groupby(rows, key=_THERAPIST)
        group = next(groups, None)
        for therapist_id in therapist_ids:
            own: list[AppointmentRow] = []
            if group is not None and group[0] == therapist_id:
                own = list(group[1])
                group = next(groups, None)
            yield self.diary(therapist_id, own)


def _diary_inputs(
    rule: BroadcastRule,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    for_link: int | None,
    last_day: date | None = None,
) -> _DiaryInputs | None:
    """What the engine needs of the diaries on the local dates from `start`'s to `end`'s (or
    to `last_day`)."""
    zone = rule.service.zone
    first_day: date = start.astimezone(zone).date()
    if last_day is None:
        last_day = end.astimezone(zone).date()
    since, until = _reading_window(rule, first_day, last_day)
    read = reads.rule_diary_rows(
        rule.pk,
        rule.service_id,
        rule.team_id,
        first=first_day,
        last=last_day,
        since=since,
        until=until,
        now=now,
        other_than_link=for_link,
    )
    therapist_ids = read.therapist_ids
    if not therapist_ids:
        return None
    extra: dict[int, list[Span]] = defaultdict(list)
    absences: dict[int, list[Span]] = defaultdict(list)
    for therapist_id, kind, change_start, change_end in read.changes:
        target = extra if kind == DiaryChangeKind.EXTRA else absences
        target[therapist_id].append((change_start, change_end))
    holds: dict[int, list[Span]] = defaultdict(list)
    for therapist_id, hold_start, hold_end in read.holds:
        holds[therapist_id].append((hold_start, hold_end))
    return _DiaryInputs(
        therapist_ids=therapist_ids,
        zone=zone,
        since=since,
        until=until,
        counts_online=rule.daily_cap is not None,
        shifts=read.shifts,
        extra={therapist_id: tuple(spans) for therapist_id, spans in extra.items()},
        absences={therapist_id: tuple(spans) for therapist_id, spans in absences.items()},
        holds=holds,
    )


def _reading_window(rule: BroadcastRule, first_day: date, last_day: date) -> Span:
    """Whole local days, widened by the buffers and by a slot starting just before the last
    midnight, so caps and buffers see all they need."""
    zone = rule.service.zone
    since = _local_midnight(first_day, zone) - timedelta(minutes=rule.buffer_before_minutes)
    until = _local_midnight(last_day + timedelta(days=1), zone) + timedelta(
        minutes=rule.duration_minutes + rule.buffer_after_minutes
    )
    return since, until


def rule_diaries(
    rule: BroadcastRule, start: datetime, end: datetime, *, now: datetime, for_link: int | None
) -> list[TherapistDiary]:
    """Every therapist of the rule with what the engine needs between `start` and `end`:
    working patterns, one-off changes, and what holds their time (appointments, and times
    other patients are holding). Two queries, whatever the number of therapists or weeks."""
    inputs = _diary_inputs(rule, start, end, now=now, for_link=for_link)
    if inputs is None:
        return []
    return inputs.every_diary()


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class Offer:
    """What the times page shows: the days with a time to choose, and the first of them all."""

    days: list[date]
    first: datetime | None


def rule_offer(
    rule: BroadcastRule,
    now: datetime,
    *,
    for_link: int | None = None,
    exclude: datetime | None = None,
) -> Offer:
    """The local dates with at least one time `for_link`'s patient may choose, and the first
    such time, leaving out `exclude` (a patient moving an appointment is not offered its own
    time). One read of the diaries' inputs serves both."""
    query = rule_slot_query(rule, now)
    if query.latest <= query.earliest:
        return Offer([], None)
    inputs = _diary_inputs(rule, query.earliest, query.latest, now=now, for_link=for_link)
    if inputs is None:
        return Offer([], None)
    outline = inputs.outline()
    days, first = offered_days_and_first(inputs.diaries(), query, outline=outline, exclude=exclude)
    if first is not None or not days:
        return Offer(days, first)
    # The first day alone, read again: a day's appointments are few.
    since, until = _reading_window(rule, days[0], days[0])
    first = first_offered(
        replace(inputs, since=since, until=until).diaries(),
        _day_query(query, days[0]),
        outline=outline,
        exclude=exclude,
    )
    return Offer(days, first)


def rule_available_times(
    rule: BroadcastRule, now: datetime, *, for_link: int | None = None, day: date | None = None
) -> list[datetime]:
    """The times `for_link`'s patient may choose (its own hold does not hide a time from it),
    only those starting on the local date `day` if one is given."""
    query = rule_slot_query(rule, now)
    if day is not None:
        query = _day_query(query, day)
    if query.latest <= query.earliest:
        return []
    # A day's query also lets in a start at the next midnight, which is dropped below: so the
    # diaries of the next day need not be read (the reading reaches past midnight by a slot).
    inputs = _diary_inputs(
        rule, query.earliest, query.latest, now=now, for_link=for_link, last_day=day
    )
    if inputs is None:
        return []
    starts = available_times(inputs.diaries(), query, outline=inputs.outline())
    if day is None:
        return starts
    return [start for start in starts if start.astimezone(query.zone).date() == day]


def _day_query(query: SlotQuery, day: date) -> SlotQuery:
    """`query` narrowed to the times starting on the local date `day`, give or take a slot
    starting late on `day` and ending after midnight (callers keep only `day`'s)."""
    zone = query.zone
    return replace(
        query,
        earliest=max(query.earliest, _local_midnight(day, zone)),
        latest=min(query.latest, _local_midnight(day + timedelta(days=1), zone) + query.duration),
    )


def rule_free_therapists(
    rule: BroadcastRule, now: datetime, start: datetime, *, for_link: int | None = None
) -> list[int]:
    """Therapists of the rule who can take an appointment at `start`, if it is bookable now."""
    query = rule_slot_query(rule, now)
    end = start + query.duration
    if start < query.earliest or end > query.latest:
        return []
    diaries = rule_diaries(rule, start, end, now=now, for_link=for_link)
    return free_therapists(diaries, query, start)


def rule_free_therapists_by_load(
    rule: BroadcastRule, now: datetime, start: datetime, *, for_link: int | None = None
) -> list[tuple[int, int]]:
    """As rule_free_therapists, each with the online bookings holding their time on the local
    date of `start` (what spreading the work fairly goes by), from the same reading: the
    diaries are read over whole local days anyway."""
    query = rule_slot_query(rule, now)
    end = start + query.duration
    if start < query.earliest or end > query.latest:
        return []
    inputs = _diary_inputs(rule, start, end, now=now, for_link=for_link)
    if inputs is None:
        return []
    diaries = replace(inputs, counts_online=True).every_diary()
    day = start.astimezone(query.zone).date()
    free = set(free_therapists(diaries, query, start))
    return [
        (diary.therapist_id, (diary.online_bookings_by_day or {}).get(day, 0))
        for diary in diaries
        if diary.therapist_id in free
    ]


def rule_day_therapists(
    rule: BroadcastRule, now: datetime, day: date, *, for_link: int | None = None
) -> dict[datetime, list[tuple[int, str]]]:
    """For a rule that lets patients choose who they see: each free time on `day` with the
    therapists free then, by name."""
    query = rule_slot_query(rule, now)
    zone = rule.service.zone
    since = max(_local_midnight(day, zone), query.earliest)
    until = min(_local_midnight(day + timedelta(days=1), zone), query.latest)
    if until <= since:
        return {}
    diaries = rule_diaries(rule, since, until, now=now, for_link=for_link)
    names = dict(
        Therapist.objects.filter(pk__in=[d.therapist_id for d in diaries]).values_list("pk", "name")
    )
    starts = [t for t in available_times(diaries, query) if since <= t < until]
    return {
        start: [(tid, names[tid]) for tid in free_therapists(diaries, query, start)]
        for start in starts
    }


def rule_therapist_times(
    rule: BroadcastRule, now: datetime, since: datetime, until: datetime
) -> list[tuple[datetime, int]]:
    """(start, therapist id) for every time from `since` until before `until` at which that
    therapist can take an appointment under the rule now: what the patient's times pages
    offer, one therapist at a time (the FHIR API's free Slots). Every patient's hold counts."""
    query = rule_slot_query(rule, now)
    query = replace(
        query, earliest=max(query.earliest, since), latest=min(query.latest, until + query.duration)
    )
    if query.latest <= query.earliest:
        return []
    inputs = _diary_inputs(rule, query.earliest, query.latest, now=now, for_link=None)
    if inputs is None:
        return []
    found: list[tuple[datetime, int]] = []
    for therapist_id, starts in each_therapists_times(inputs.diaries(), query):
        found.extend((start, therapist_id) for start in starts if start < until)
    found.sort()
    return found
