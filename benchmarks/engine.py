"""Time the availability engine on a synthetic service.

    python -m benchmarks.engine

Prints one JSON object per line: {"name": "engine", "therapists": ..., "weeks": ...,
"median_ms": ..., "p95_ms": ..., "runs": ...}. Seeded, so every run times the same data.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slotlink.domain.availability import SlotQuery, TherapistDiary, WeeklyShift, available_times

LONDON = ZoneInfo("Europe/London")
START = date(2026, 3, 2)  # a Monday; the window crosses the 29 March clock change
BANK_HOLIDAYS = frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25)})
CONFIGS = [(10, 8), (50, 8), (200, 12), (1000, 12)]
BUDGET_SECONDS = 6.0  # per configuration, so the whole script stays well under a minute
BOOK_PROBABILITY = 0.5  # with 60/30-minute appointments this books about 60% of working time


def _shifts(rng: random.Random) -> tuple[WeeklyShift, ...]:
    since = START - timedelta(days=rng.randrange(30, 400))
    kind = rng.random()
    if kind < 0.55:  # full time, standard hours
        return tuple(WeeklyShift(day, time(9), time(17), since) for day in range(5))
    if kind < 0.70:  # full time, early or late
        begin = rng.choice([time(8), time(8, 30), time(9, 30), time(10)])
        end = time(begin.hour + 8, begin.minute) if begin.hour < 10 else time(17, 30)
        return tuple(WeeklyShift(day, begin, end, since) for day in range(5))
    if kind < 0.85:  # part time
        days = sorted(rng.sample(range(5), 3))
        return tuple(WeeklyShift(day, time(9), time(17), since) for day in days)
    if kind < 0.95:  # split around lunch, and a change of hours part-way through the window
        change = START + timedelta(weeks=rng.randrange(1, 6))
        before = [
            WeeklyShift(day, begin, end, since, change - timedelta(days=1))
            for day in range(5)
            for begin, end in ((time(9), time(12, 30)), (time(13, 30), time(17)))
        ]
        after = [WeeklyShift(day, time(8, 30), time(16, 30), change) for day in range(5)]
        return tuple(before + after)
    # Monday to Thursday, and alternate Fridays
    return (
        *(WeeklyShift(day, time(9), time(17), since) for day in range(4)),
        WeeklyShift(4, time(9), time(17), since, every_weeks=2),
    )


def _local(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, LONDON)


def _diary(therapist_id: int, weeks: int, rng: random.Random) -> tuple[TherapistDiary, int, int]:
    shifts = _shifts(rng)
    end = START + timedelta(weeks=weeks)
    absences: list[tuple[datetime, datetime]] = []
    if rng.random() < 0.3:  # a week's leave
        monday = START + timedelta(weeks=rng.randrange(weeks))
        absences.append((_local(monday, time(0)), _local(monday + timedelta(days=5), time(0))))
    if rng.random() < 0.1:  # a sick day
        sick = START + timedelta(days=rng.randrange(weeks * 7))
        absences.append((_local(sick, time(0)), _local(sick + timedelta(days=1), time(0))))
    extra: list[tuple[datetime, datetime]] = []
    if rng.random() < 0.1:  # a Saturday morning clinic
        saturday = START + timedelta(weeks=rng.randrange(weeks), days=5)
        extra.append((_local(saturday, time(9)), _local(saturday, time(13))))

    sessions: list[tuple[datetime, datetime]] = list(extra)
    day = START
    while day < end:
        if day not in BANK_HOLIDAYS:
            for shift in shifts:
                weeks_in = ((day - shift.effective_from).days + shift.effective_from.weekday()) // 7
                if (
                    shift.weekday == day.weekday()
                    and shift.effective_from <= day
                    and (shift.effective_to is None or day <= shift.effective_to)
                    and weeks_in % shift.every_weeks == 0
                ):
                    sessions.append((_local(day, shift.start), _local(day, shift.end)))
        day += timedelta(days=1)

    busy: list[tuple[datetime, datetime]] = []
    worked = booked = 0
    online: dict[date, int] = {}
    for begin, finish in sessions:
        moment = begin.astimezone(UTC)
        finish = finish.astimezone(UTC)
        worked += int((finish - moment).total_seconds()) // 60
        while moment + timedelta(minutes=30) <= finish:
            if rng.random() < BOOK_PROBABILITY:
                length = (
                    60 if rng.random() < 0.6 and moment + timedelta(minutes=60) <= finish else 30
                )
                busy.append((moment, moment + timedelta(minutes=length)))
                booked += length
                if rng.random() < 0.3:
                    local_day = moment.astimezone(LONDON).date()
                    online[local_day] = online.get(local_day, 0) + 1
                moment += timedelta(minutes=length)
            else:
                moment += timedelta(minutes=30)
    busy.sort()  # in start order, as the query layer fetches them
    diary = TherapistDiary(
        therapist_id=therapist_id,
        shifts=shifts,
        extra=tuple(extra),
        absences=tuple(absences),
        busy=tuple(busy),
        online_bookings_by_day=online,
    )
    return diary, worked, booked


def _query(weeks: int) -> SlotQuery:
    return SlotQuery(
        zone=LONDON,
        duration=timedelta(minutes=60),
        step_minutes=30,
        earliest=_local(START, time(0)),
        latest=_local(START + timedelta(weeks=weeks), time(0)),
        closed_days=BANK_HOLIDAYS,
        daily_cap=4,
    )


def run(therapists: int, weeks: int) -> dict[str, object]:
    rng = random.Random(f"slotlink-{therapists}-{weeks}")
    built = [_diary(i, weeks, rng) for i in range(therapists)]
    diaries = [diary for diary, _, _ in built]
    booked_share = sum(b for _, _, b in built) / max(1, sum(w for _, w, _ in built))
    query = _query(weeks)

    available_times(diaries, query)  # warm up
    timings: list[float] = []
    deadline = clock.perf_counter() + BUDGET_SECONDS
    while len(timings) < 5 or (clock.perf_counter() < deadline and len(timings) < 200):
        began = clock.perf_counter()
        available_times(diaries, query)
        timings.append((clock.perf_counter() - began) * 1000)
    timings.sort()
    print(f"# {therapists}x{weeks}: {booked_share:.0%} of working time booked", file=sys.stderr)
    return {
        "name": "engine",
        "therapists": therapists,
        "weeks": weeks,
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[min(len(timings) - 1, -(-95 * len(timings) // 100) - 1)], 3),
        "runs": len(timings),
    }


def main() -> None:
    for therapists, weeks in CONFIGS:
        print(json.dumps(run(therapists, weeks)), flush=True)


if __name__ == "__main__":
    main()
