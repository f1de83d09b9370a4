"""The availability engine: at which instants can at least one therapist take an appointment?

Pure Python, no Django. Internally every instant is an integer count of minutes
since the Unix epoch (UTC). Wall-clock times are turned into UTC through a
per-query table of the zone's offsets, so zoneinfo is consulted a few hundred
times per query rather than once per slot or per shift.

Working time on a local date is the set of instants whose local wall clock reads
within a shift on that date. So a shift across the skipped spring hour is an hour
shorter, a shift across the repeated autumn hour is an hour longer, and slot
starts are distinct UTC instants either way.

Speed comes from the question being a union: a time needs one free therapist. Each
distinct set of shifts becomes "runs" of grid-aligned start minutes, worked out once;
a bytearray marks the starts already offered; and a therapist's appointments are only
consulted for starts nobody offers yet. When few remain, only the appointments near
them are converted to minutes, found by bisection when the diary's busy time is in order.
Given an outline (the diaries without appointments: the most they could offer), the engine
stops reading diaries as soon as the rest cannot change the answer asked for: every time,
a time on each date, or the earliest time.
"""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from itertools import chain, compress, islice
from zoneinfo import ZoneInfo

from .intervals import Interval, normalise, subtract, union
from .weeks import first_working_day

__all__ = [
    "SlotQuery",
    "TherapistDiary",
    "WeeklyShift",
    "available_times",
    "first_offered",
    "free_therapists",
    "offered_days",
    "offered_days_and_first",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MINUTE = timedelta(minutes=1)
_DAY = 24 * 60
# Real zones never change offset twice within six hours, so probing that often finds every change.
_PROBE = 6 * 60
# Looking up appointments near a start costs about as much as converting a few hours' worth,
# so starts closer together than this are looked up together.
_NEARBY = 4 * 60
_tzinfo_of = operator.attrgetter("tzinfo")
_first = operator.itemgetter(0)
_second = operator.itemgetter(1)
_timestamp = datetime.timestamp
_ordinal = datetime.toordinal

Span = tuple[datetime, datetime]
_Piece = tuple[int, int, int]  # (utc start, utc end, offset or alignment anchor)
_ShiftKey = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class WeeklyShift:
    """A recurring working session in the service's local wall-clock time."""

    weekday: int  # 0 = Monday … 6 = Sunday
    start: time  # local wall time
    end: time  # local wall time, > start (no overnight shifts)
    effective_from: date
    effective_to: date | None = None  # inclusive; None = open-ended
    # 2 = alternate weeks, counted from the week (Monday) containing effective_from
    every_weeks: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(
                f"WeeklyShift.weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}"
            )
        if self.end <= self.start:
            raise ValueError(
                "WeeklyShift must end after it starts (no overnight shifts), "
                f"got {self.start}-{self.end}"
            )
        if self.every_weeks < 1:
            raise ValueError(
                f"WeeklyShift.every_weeks must be at least 1, got {self.every_weeks!r}"
            )


@dataclass(frozen=True, slots=True)
class TherapistDiary:
    therapist_id: int
    shifts: tuple[WeeklyShift, ...]
    extra: tuple[Span, ...] = ()  # one-off extra working sessions (aware datetimes)
    absences: tuple[Span, ...] = ()  # leave, sickness, training (aware)
    busy: tuple[Span, ...] = ()  # existing time-holding appointments (aware)
    # local date -> online bookings already that day (for the cap)
    online_bookings_by_day: dict[date, int] | None = None
    # Set on construction: busy is in order of both start and end (as appointments fetched in
    # start order usually are), so the engine can find the few it needs by bisection.
    busy_in_order: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A naive datetime would silently be read as the server's local time.
        if self.extra and None in map(_tzinfo_of, chain.from_iterable(self.extra)):
            raise self._naive("extra")
        if self.absences and None in map(_tzinfo_of, chain.from_iterable(self.absences)):
            raise self._naive("absences")
        busy = tuple(self.busy)
        if not busy:  # as most of the diaries an outline is made of
            object.__setattr__(self, "busy", busy)
            object.__setattr__(self, "busy_in_order", True)
            return
        starts = list(map(_first, busy))
        ends = list(map(_second, busy))
        zones = set(map(_tzinfo_of, chain(starts, ends)))
        if None in zones:
            raise self._naive("busy")
        # Datetimes sharing a zone compare by wall clock, which misorders the repeated autumn
        # hour, so the order is only vouched for in fixed-offset zones such as UTC.
        fixed = all(type(zone) is timezone for zone in zones)
        object.__setattr__(self, "busy", busy)
        object.__setattr__(self, "busy_in_order", fixed and _ascending(starts) and _ascending(ends))

    def _naive(self, name: str) -> ValueError:
        return ValueError(
            f"TherapistDiary.{name} of therapist {self.therapist_id} needs timezone-aware datetimes"
        )


@dataclass(frozen=True, slots=True)
class SlotQuery:
    zone: ZoneInfo
    duration: timedelta
    step_minutes: int  # starts fall on multiples of this many minutes past local midnight
    earliest: datetime  # aware; now + minimum notice
    latest: datetime  # aware; slots must END at or before this
    buffer_before: timedelta = timedelta(0)  # the slot plus buffers must not touch busy time
    buffer_after: timedelta = timedelta(0)
    closed_days: frozenset[date] = frozenset()  # local dates the service is shut (bank holidays)
    daily_cap: int | None = None  # max online bookings per therapist per local day

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError(f"SlotQuery.duration must be positive, got {self.duration!r}")
        if self.step_minutes < 1:
            raise ValueError(
                f"SlotQuery.step_minutes must be at least 1, got {self.step_minutes!r}"
            )
        for name in ("earliest", "latest"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"SlotQuery.{name} must be timezone-aware")
        for name in ("buffer_before", "buffer_after"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(
                    f"SlotQuery.{name} must not be negative, got {getattr(self, name)!r}"
                )
        if self.daily_cap is not None and self.daily_cap < 0:
            raise ValueError(f"SlotQuery.daily_cap must not be negative, got {self.daily_cap!r}")


def available_times(
    diaries: Iterable[TherapistDiary],
    query: SlotQuery,
    *,
    outline: Iterable[TherapistDiary] | None = None,
) -> list[datetime]:
    """Sorted, unique UTC-aware start instants at which at least one therapist can take
    the appointment.

    `outline`, if given, is the same therapists' diaries without their appointments, which
    offer every start the full diaries could: `diaries` (an iterator, say) is then read only
    until it offers all of those."""
    calendar = _Calendar.for_query(query)
    if calendar is None:
        return []
    if outline is None:
        return calendar.collect(calendar.offer(diaries))
    ceiling = calendar.offer(outline)
    if ceiling.find(1) < 0:
        return []
    return calendar.collect(calendar.offer(diaries, until=ceiling.__eq__))


def each_therapists_times(
    diaries: Iterable[TherapistDiary], query: SlotQuery
) -> Iterator[tuple[int, list[datetime]]]:
    """(therapist id, available_times([diary], query)) for each diary in turn: the starts each
    therapist could take on their own, from one calendar built once for all of them."""
    calendar = _Calendar.for_query(query)
    for diary in diaries:
        yield (
            diary.therapist_id,
            [] if calendar is None else calendar.collect(calendar.offer([diary])),
        )


def offered_days(
    diaries: Iterable[TherapistDiary],
    query: SlotQuery,
    *,
    outline: Iterable[TherapistDiary],
    exclude: datetime | None = None,
) -> list[date]:
    """The local dates on which available_times(diaries, query) offers a start other than
    `exclude`, in order. A date needs one free start, not every one, so `diaries` is read only
    until each date the outline (as for available_times) offers a start on has one."""
    return offered_days_and_first(diaries, query, outline=outline, exclude=exclude)[0]


def offered_days_and_first(
    diaries: Iterable[TherapistDiary],
    query: SlotQuery,
    *,
    outline: Iterable[TherapistDiary],
    exclude: datetime | None = None,
) -> tuple[list[date], datetime | None]:
    """offered_days, and first_offered when the diaries read for the days already show it
    (the outline's earliest start is offered), else None: then only first_offered can tell,
    reading the diaries again (over the first day, say)."""
    calendar = _Calendar.for_query(query)
    if calendar is None:
        return [], None
    skip = calendar.index_of(exclude)
    ceiling = calendar.offer(outline)
    unsettled = calendar.days_offering(ceiling, skip)
    if not unsettled:
        return [], None

    def settled(found: bytearray) -> bool:
        nonlocal unsettled
        unsettled = [day for day in unsettled if not calendar.offers_on(found, day, skip)]
        return not unsettled

    found = calendar.offer(diaries, until=settled)
    days = [calendar.date_of(day) for day in calendar.days_offering(found, skip)]
    # No diary offers a start the outline does not, so none comes before its earliest.
    earliest = calendar.first_index(ceiling, skip)
    shown = found[earliest] == 1
    return days, _to_datetime(calendar.first_start + earliest) if shown else None


def first_offered(
    diaries: Iterable[TherapistDiary],
    query: SlotQuery,
    *,
    outline: Iterable[TherapistDiary],
    exclude: datetime | None = None,
) -> datetime | None:
    """The earliest start available_times(diaries, query) offers other than `exclude`.
    `diaries` is read only until that is the earliest the outline (as for available_times)
    offers; a narrow window keeps the worst case, reading them all, cheap."""
    calendar = _Calendar.for_query(query)
    if calendar is None:
        return None
    skip = calendar.index_of(exclude)
    earliest = calendar.first_index(calendar.offer(outline), skip)
    if earliest < 0:
        return None
    found = calendar.offer(diaries, until=lambda found: found[earliest] == 1)
    first = calendar.first_index(found, skip)
    return None if first < 0 else _to_datetime(calendar.first_start + first)


def free_therapists(
    diaries: Sequence[TherapistDiary], query: SlotQuery, start: datetime
) -> list[int]:
    """Therapist ids who can take an appointment starting at `start` (same rules), in
    input order."""
    if start.utcoffset() is None:
        raise ValueError("free_therapists needs a timezone-aware start")
    if start.second or start.microsecond:
        return []
    end = start + timedelta(minutes=_minutes_up(query.duration))
    if start < query.earliest or end > query.latest:
        return []
    # A window holding just this start: each therapist's runs are [(start, start + 1)] when
    # the start is on the grid and in working time, and empty otherwise.
    calendar = _Calendar.for_query(replace(query, earliest=start, latest=end))
    if calendar is None:
        return []
    free: list[int] = []
    for diary in diaries:
        pattern, time_off = calendar.pattern(diary)
        runs = calendar.apply_cap(diary, _cut(pattern.runs, time_off, calendar.step))
        if calendar.free_runs(diary, runs):
            free.append(diary.therapist_id)
    return free


@dataclass(slots=True)
class _Pattern:
    """Where a working pattern lets slots start, before busy time and the daily cap.

    Runs are [first, stop) spans of start minutes whose whole slot is working time, inside the
    window; each begins on the grid, so its starts are range(first, stop, step).
    """

    runs: list[Interval]
    size: int  # how many starts the runs hold
    # The part of the runs whose starts nobody offers yet; it only shrinks during one pass
    # over the diaries (see _Calendar.offer).
    unoffered: list[Interval]

    @classmethod
    def of(cls, runs: list[Interval], step: int) -> _Pattern:
        return cls(runs, _count(runs, step), runs)


@dataclass(frozen=True, slots=True)
class _LocalDays:
    """A zone's local days from first to last, as a query's calendar reads them."""

    offsets: tuple[_Piece, ...]
    # Per local day: wall-clock minutes at its midnight, its UTC offset (None if the clocks
    # change that day) and the UTC spans whose local date it is.
    midnight: tuple[int, ...]
    day_offset: tuple[int | None, ...]
    day_spans: tuple[tuple[Interval, ...], ...]
    segments: tuple[_Piece, ...]  # (utc start, utc end, alignment anchor), in order
    closed_spans: tuple[Interval, ...]  # the UTC spans of the closed days, normalised


# Every page asks about one of a few stretches of days (they move on a day at a time), and
# working one out probes the zone over a hundred times: so each is worked out once.
@lru_cache(maxsize=64)
def _local_days(
    zone: tzinfo, first_day: int, last_day: int, step: int, closed_days: frozenset[date]
) -> _LocalDays:
    offsets = _offset_pieces(
        zone, (first_day - 2 - _EPOCH_ORDINAL) * _DAY, (last_day + 3 - _EPOCH_ORDINAL) * _DAY
    )
    closed = {day.toordinal() for day in closed_days}
    midnights: list[int] = []
    day_offset: list[int | None] = []
    day_spans: list[tuple[Interval, ...]] = []
    segments: list[_Piece] = []
    closed_spans: list[Interval] = []
    for ordinal in range(first_day, last_day + 1):
        midnight = (ordinal - _EPOCH_ORDINAL) * _DAY
        pieces = _wall_to_utc(offsets, midnight, midnight + _DAY)
        simple = len(pieces) == 1 and pieces[0][1] - pieces[0][0] == _DAY
        spans = tuple((u0, u1) for u0, u1, _ in pieces)
        midnights.append(midnight)
        day_offset.append(pieces[0][2] if simple else None)
        day_spans.append(spans)
        # Starts align on local wall-clock minutes since midnight, so each stretch of
        # constant offset has its own anchor: the UTC minute that reads as local midnight.
        segments.extend((u0, u1, midnight - offset) for u0, u1, offset in pieces)
        if ordinal in closed:
            closed_spans.extend(spans)
    segments.sort()
    # Days whose grids line up (the usual case: same offset, step divides a day) become one
    # segment, so a run of starts rarely needs splitting.
    merged: list[_Piece] = []
    for piece in segments:
        if merged and merged[-1][1] == piece[0] and (merged[-1][2] - piece[2]) % step == 0:
            merged[-1] = (merged[-1][0], piece[1], merged[-1][2])
        else:
            merged.append(piece)
    return _LocalDays(
        offsets,
        tuple(midnights),
        tuple(day_offset),
        tuple(day_spans),
        tuple(merged),
        tuple(normalise(closed_spans)),
    )


def _wall_to_utc(offsets: Sequence[_Piece], wall_start: int, wall_end: int) -> list[_Piece]:
    """(utc start, utc end, offset) of the instants whose wall clock reads within
    [wall_start, wall_end)."""
    out: list[_Piece] = []
    for t0, t1, offset in offsets:
        u0 = max(t0, wall_start - offset)
        u1 = min(t1, wall_end - offset)
        if u0 < u1:
            out.append((u0, u1, offset))
    return out


class _Calendar:
    """Per-query tables: the zone's offsets, each local day's UTC extent and the slot grid."""

    @classmethod
    def for_query(cls, query: SlotQuery) -> _Calendar | None:
        duration = _minutes_up(query.duration)
        first_start = _minute_up(query.earliest)
        last_start = _minute_down(query.latest) - duration
        if last_start < first_start:
            return None
        return cls(query, duration, first_start, last_start)

    def __init__(self, query: SlotQuery, duration: int, first_start: int, last_start: int) -> None:
        zone = query.zone
        self.step = query.step_minutes
        self.duration = duration
        self.before = _minutes_up(query.buffer_before)
        self.after = _minutes_up(query.buffer_after)
        self.daily_cap = query.daily_cap
        self.first_start = first_start
        self.last_start = last_start
        # A day of slack either side covers zones whose clocks jump back across midnight.
        self.first_day = _local_ordinal(zone, first_start) - 1
        self.last_day = _local_ordinal(zone, last_start + duration - 1) + 1
        self.closed = {day.toordinal() for day in query.closed_days}
        days = _local_days(zone, self.first_day, self.last_day, self.step, query.closed_days)
        self.offsets = days.offsets
        self.midnight = days.midnight
        self.day_offset = days.day_offset
        self.day_spans = days.day_spans
        self.segments = days.segments
        self.closed_spans = days.closed_spans
        self._expansions: dict[_ShiftKey, list[Interval]] = {}
        self._patterns: dict[tuple[_ShiftKey, ...], _Pattern] = {}
        # By the id of a diary's shifts, kept with them (so the id is not reused): callers
        # that give therapists on the same shifts one tuple have it keyed once.
        self._keys: dict[int, tuple[tuple[WeeklyShift, ...], tuple[_ShiftKey, ...]]] = {}

    def wall_to_utc(self, wall_start: int, wall_end: int) -> list[_Piece]:
        return _wall_to_utc(self.offsets, wall_start, wall_end)

    def shift_key(self, shift: WeeklyShift) -> _ShiftKey | None:
        """(first date, last date, days apart, start minute, end minute) of its dates in range.

        Shifts that differ only outside the query's dates share a key, and so their expansion.
        """
        start_time, end_time = shift.start, shift.end
        start = start_time.hour * 60 + start_time.minute
        if start_time.second or start_time.microsecond:
            start += 1
        end = end_time.hour * 60 + end_time.minute
        valid_from = shift.effective_from.toordinal()
        lo = valid_from if valid_from > self.first_day else self.first_day
        hi = self.last_day
        if shift.effective_to is not None:
            hi = min(hi, shift.effective_to.toordinal())
        every = shift.every_weeks
        day = first_working_day(lo, shift.weekday, valid_from, every)
        if start >= end or day > hi:
            return None
        return (day, hi, 7 * every, start, end)

    def expand(self, key: _ShiftKey) -> list[Interval]:
        cached = self._expansions.get(key)
        if cached is not None:
            return cached
        first, last, stride, start, end = key
        out: list[Interval] = []
        for ordinal in range(first, last + 1, stride):
            if ordinal in self.closed:
                continue
            i = ordinal - self.first_day
            midnight = self.midnight[i]
            offset = self.day_offset[i]
            if offset is not None:
                out.append((midnight + start - offset, midnight + end - offset))
            else:
                out.extend(
                    (u0, u1) for u0, u1, _ in self.wall_to_utc(midnight + start, midnight + end)
                )
        self._expansions[key] = out
        return out

    def working(
        self,
        diary: TherapistDiary,
        keys: tuple[_ShiftKey, ...] | None = None,
        *,
        personal: bool = True,
    ) -> list[Interval]:
        """Working time in UTC minutes: shifts, and if personal, extra sessions less absences."""
        if keys is None:
            keys = self.shift_keys(diary)
        work = normalise(chain.from_iterable(map(self.expand, keys)))
        if not personal:
            return work
        if diary.extra:
            work = union(
                work, subtract(normalise(_spans(diary.extra, inward=True)), self.closed_spans)
            )
        if diary.absences:
            work = subtract(work, normalise(_spans(diary.absences, inward=False)))
        return work

    def shift_keys(self, diary: TherapistDiary) -> tuple[_ShiftKey, ...]:
        shifts = diary.shifts
        known = self._keys.get(id(shifts))
        if known is not None and known[0] is shifts:
            return known[1]
        keys = tuple(sorted(filter(None, map(self.shift_key, shifts))))
        self._keys[id(shifts)] = (shifts, keys)
        return keys

    def pattern(self, diary: TherapistDiary) -> tuple[_Pattern, list[Interval]]:
        """The therapist's pattern, shared with everyone on the same shifts unless they have
        extra sessions, and the starts their absences rule out (sorted, may overlap)."""
        keys = self.shift_keys(diary)
        if diary.extra:
            return self._pattern_from(self.working(diary, keys)), []
        base = self._patterns.get(keys)
        if base is None:
            base = self._pattern_from(self.working(diary, keys, personal=False))
            self._patterns[keys] = base
        if not diary.absences:
            return base, []
        # A slot overlaps time off [x, y) exactly when it starts in [x - duration + 1, y).
        lead = self.duration - 1
        spans = _spans(diary.absences, inward=False)
        return base, sorted((x - lead, y) for x, y in spans if x < y)

    def _pattern_from(self, work: list[Interval]) -> _Pattern:
        duration = self.duration
        lowest = self.first_start
        highest = self.last_start + 1
        starts: list[Interval] = []
        for a, b in work:
            b -= duration - 1
            if a < lowest:
                a = lowest
            if b > highest:
                b = highest
            if a < b:
                starts.append((a, b))
        return _Pattern.of(self._runs(starts), self.step)

    def apply_cap(self, diary: TherapistDiary, runs: list[Interval]) -> list[Interval]:
        """Drop starts on local dates where the therapist already has a full cap of bookings."""
        cap = self.daily_cap
        if cap is None or not runs:
            return runs
        if cap <= 0:
            return []
        counts = diary.online_bookings_by_day
        if not counts:
            return runs
        spans: list[Interval] = []
        for day in [day for day, count in counts.items() if count >= cap]:
            i = day.toordinal() - self.first_day
            if 0 <= i < len(self.day_spans):
                spans.extend(self.day_spans[i])
        return _cut(runs, normalise(spans), self.step) if spans else runs

    def free_runs(
        self, diary: TherapistDiary, runs: list[Interval], *, skim: bool = False
    ) -> list[Interval]:
        """Narrow runs to the starts whose slot, with its buffers, misses every busy interval."""
        busy: Sequence[Span] = diary.busy
        if skim and busy and runs:
            busy = self._near(diary, runs)
        if not busy or not runs:
            return runs
        # map() over the C method keeps the per-datetime conversion, the hot spot, out of
        # the bytecode loop.
        stamps = list(map(_timestamp, chain.from_iterable(busy)))
        # [s - before, s + duration + after) meets [p, q) iff p - duration - after < s < q + before.
        reach_back = self.duration + self.after - 1
        reach_on = self.before
        blocked = [
            (int(p // 60) - reach_back, -int(-q // 60) + reach_on)
            for p, q in zip(stamps[::2], stamps[1::2], strict=True)
            if q > p
        ]
        if not diary.busy_in_order:
            blocked.sort()
        return _cut(runs, blocked, self.step)

    def _near(self, diary: TherapistDiary, runs: list[Interval]) -> Sequence[Span]:
        """A superset of the busy intervals that might touch a slot starting in `runs`,
        found without converting every datetime to minutes (the costly step)."""
        busy = diary.busy
        if diary.busy_in_order:
            # Busy [p, q) can touch a start in [a, b) only if q > a - before and
            # p < b - 1 + duration + after: with busy in order, a slice found by bisection.
            reach = self.duration + self.after - 1
            near: list[Span] = []
            taken = 0  # keeps the picks in order and each busy interval picked once
            for a, b in _windows(runs, _NEARBY):
                lo = bisect_right(busy, _to_datetime(a - self.before), taken, key=_second)
                hi = bisect_left(busy, _to_datetime(b + reach), lo, key=_first)
                near.extend(busy[lo:hi])
                taken = hi
            return near
        # Otherwise pick by date, which is cheap to read off a datetime, if all are in UTC:
        # in other zones dates and differences follow the wall clock.
        firsts = list(map(_first, busy))
        lasts = list(map(_second, busy))
        if set(map(_tzinfo_of, chain(firsts, lasts))) != {UTC}:
            return busy
        longest = max(timedelta(0), max(map(operator.sub, lasts, firsts)))
        back = self.before + _minutes_up(longest)
        on = self.duration + self.after
        # Busy [p, q) can touch a slot starting at s only if s - back < p < s + on.
        days: set[int] = set()
        for a, b in runs:
            days.update(
                range(
                    (a - back) // _DAY + _EPOCH_ORDINAL, (b - 1 + on) // _DAY + _EPOCH_ORDINAL + 1
                )
            )
        return list(compress(busy, map(days.__contains__, map(_ordinal, firsts))))

    def offer(
        self,
        diaries: Iterable[TherapistDiary],
        until: Callable[[bytearray], bool] | None = None,
    ) -> bytearray:
        """A byte per start minute from first_start, 1 where some diary's therapist is free;
        stops reading diaries as soon as `until` holds for what it has found."""
        found = bytearray(self.last_start - self.first_start + 1)
        for pattern in self._patterns.values():
            pattern.unoffered = pattern.runs
        for diary in diaries:
            pattern, time_off = self.pattern(diary)
            # Patients pick a time, not a therapist: a start someone already offers needs no
            # second proof, so only this therapist's still-unoffered starts meet their diary.
            pattern.unoffered = pending = self.unfound(pattern.unoffered, found)
            pending = self.apply_cap(diary, _cut(pending, time_off, self.step))
            if pending:
                # With few starts in question, first pick out the appointments near them.
                skim = 2 * _count(pending, self.step) < pattern.size
                self.mark(self.free_runs(diary, pending, skim=skim), found)
                if until is not None and until(found):
                    break
        return found

    def index_of(self, moment: datetime | None) -> int:
        """Where `moment` sits among the bytes of `offer`, or -1 if it is no start there."""
        if moment is None or moment.second or moment.microsecond:
            return -1
        index = _minute_down(moment) - self.first_start
        return index if 0 <= index <= self.last_start - self.first_start else -1

    def first_index(self, found: bytearray, skip: int) -> int:
        index = found.find(1)
        return found.find(1, index + 1) if index == skip >= 0 else index

    def offers_on(self, found: bytearray, day: int, skip: int) -> bool:
        """Whether `found` has a start other than at `skip` on the day-th local date."""
        origin = self.first_start
        for u0, u1 in self.day_spans[day]:
            lo = max(u0, origin) - origin
            hi = min(u1, self.last_start + 1) - origin
            if lo < hi:
                index = found.find(1, lo, hi)
                if index == skip >= 0:
                    index = found.find(1, index + 1, hi)
                if index >= 0:
                    return True
        return False

    def days_offering(self, found: bytearray, skip: int) -> list[int]:
        return [day for day in range(len(self.day_spans)) if self.offers_on(found, day, skip)]

    def date_of(self, day: int) -> date:
        return date.fromordinal(self.first_day + day)

    def unfound(self, runs: list[Interval], found: bytearray) -> list[Interval]:
        """The parts of runs whose starts nobody offers yet."""
        origin = self.first_start
        step = self.step
        out: list[Interval] = []
        for first, stop in runs:
            chunk = found[first - origin : stop - origin : step]
            lo = chunk.find(0)
            while lo >= 0:
                hi = chunk.find(1, lo)
                if hi < 0:
                    hi = len(chunk)
                out.append((first + lo * step, first + (hi - 1) * step + 1))
                lo = chunk.find(0, hi)
        return out

    def _runs(self, spans: Iterable[Interval]) -> list[Interval]:
        """(first aligned start, stop) for sorted, disjoint spans, split where the grid shifts."""
        segments = self.segments
        count = len(segments)
        step = self.step
        out: list[Interval] = []
        i = 0
        for a, b in spans:
            while i + 1 < count and segments[i][1] <= a:
                i += 1
            j = i
            while j < count:
                u0, u1, anchor = segments[j]
                lo = a if a > u0 else u0
                hi = b if b < u1 else u1
                first = lo + (anchor - lo) % step
                if first < hi:
                    out.append((first, hi))
                if b <= u1:
                    break
                j += 1
        return out

    def mark(self, runs: list[Interval], found: bytearray) -> None:
        origin = self.first_start
        step = self.step
        for first, stop in runs:
            found[first - origin : stop - origin : step] = b"\x01" * (
                (stop - first - 1) // step + 1
            )

    def collect(self, found: bytearray) -> list[datetime]:
        origin = self.first_start
        step = self.step
        minutes: list[int] = []
        for first, stop in self._runs([(self.first_start, self.last_start + 1)]):
            minutes.extend(
                compress(range(first, stop, step), found[first - origin : stop - origin : step])
            )
        return [_to_datetime(minute) for minute in minutes]


def _cut(runs: list[Interval], cuts: list[Interval], step: int) -> list[Interval]:
    """Remove non-empty cuts, sorted by start but free to overlap, from sorted runs; a run
    resumes after a cut at its next start on the grid."""
    if not cuts or not runs:
        return runs
    count = len(cuts)
    # Runs wholly before the first cut, or after the last, pass through as slices.
    i = max(bisect_left(runs, (cuts[0][0],)) - 1, 0)
    out = runs[:i]
    j = 0
    reach = runs[i][0]  # the furthest end of the cuts already passed
    while i < len(runs):
        first, stop = runs[i]
        i += 1
        while j < count and cuts[j][0] <= first:
            if cuts[j][1] > reach:
                reach = cuts[j][1]
            j += 1
        if reach > first:
            first = reach + (first - reach) % step
        elif j == count:
            out.append((first, stop))
            out.extend(runs[i:])
            break
        while j < count and first < stop:
            cut_start, cut_end = cuts[j]
            if cut_start >= stop:
                break
            if cut_start > first:
                out.append((first, cut_start))
            if cut_end > reach:
                reach = cut_end
            if cut_end > first:
                first = cut_end + (first - cut_end) % step
            j += 1
        if first < stop:
            out.append((first, stop))
    return out


def _windows(runs: list[Interval], gap: int) -> list[Interval]:
    """Sorted runs joined wherever fewer than `gap` minutes apart."""
    out: list[Interval] = []
    for first, stop in runs:
        if out and first - out[-1][1] < gap:
            out[-1] = (out[-1][0], stop)
        else:
            out.append((first, stop))
    return out


def _count(runs: list[Interval], step: int) -> int:
    return sum((stop - first - 1) // step + 1 for first, stop in runs)


def _ascending(items: list[datetime]) -> bool:
    return all(map(operator.le, items, islice(items, 1, None)))


def _offset_pieces(zone: tzinfo, lo: int, hi: int) -> tuple[_Piece, ...]:
    """(utc start, utc end, offset in minutes) for each stretch of constant offset in [lo, hi)."""
    pieces: list[_Piece] = []
    piece_start = lo
    offset = _offset_at(zone, lo)
    probe = lo
    while probe < hi:
        next_probe = min(probe + _PROBE, hi)
        next_offset = _offset_at(zone, next_probe)
        if next_offset != offset:
            before, after = probe, next_probe
            while after - before > 1:
                middle = (before + after) // 2
                if _offset_at(zone, middle) == offset:
                    before = middle
                else:
                    after = middle
            pieces.append((piece_start, after, offset))
            piece_start, offset = after, next_offset
        probe = next_probe
    pieces.append((piece_start, hi, offset))
    return tuple(pieces)


def _offset_at(zone: tzinfo, minute: int) -> int:
    offset = datetime.fromtimestamp(minute * 60, zone).utcoffset()
    return 0 if offset is None else offset // _MINUTE


def _local_ordinal(zone: tzinfo, minute: int) -> int:
    return datetime.fromtimestamp(minute * 60, zone).toordinal()


def _minutes_up(delta: timedelta) -> int:
    return -(-delta // _MINUTE)


def _minute_up(moment: datetime) -> int:
    return -int(-moment.timestamp() // 60)


def _minute_down(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _spans(pairs: Iterable[Span], *, inward: bool) -> list[Interval]:
    """Whole-minute intervals: rounded inward for working time, outward for time off."""
    if inward:
        return [(_minute_up(a), _minute_down(b)) for a, b in pairs]
    return [(_minute_down(a), _minute_up(b)) for a, b in pairs]


def _to_datetime(minute: int) -> datetime:
    return _EPOCH + _MINUTE * minute
