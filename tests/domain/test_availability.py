"""The availability engine: examples for the rules, and properties checked against a
brute-force oracle that walks the window minute by minute through zoneinfo."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotlink.domain.availability import (
    SlotQuery,
    TherapistDiary,
    WeeklyShift,
    _Calendar,
    _cut,
    available_times,
    each_therapists_times,
    first_offered,
    free_therapists,
    offered_days,
    offered_days_and_first,
)

LONDON = ZoneInfo("Europe/London")
T = TypeVar("T")
SINCE = date(2025, 1, 6)  # a Monday, long before every window below


def local(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, fold=fold), LONDON)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def day_query(
    day: date, *, minutes: int = 60, step: int = 60, days: int = 1, **kwargs: object
) -> SlotQuery:
    return SlotQuery(
        zone=LONDON,
        duration=timedelta(minutes=minutes),
        step_minutes=step,
        earliest=local(day, 0),
        latest=local(day + timedelta(days=days), 0),
        **kwargs,  # type: ignore[arg-type]
    )


def weekly(day: date, start: time, end: time, **kwargs: object) -> WeeklyShift:
    return WeeklyShift(day.weekday(), start, end, SINCE, **kwargs)  # type: ignore[arg-type]


def diary(*shifts: WeeklyShift, therapist_id: int = 1, **kwargs: object) -> TherapistDiary:
    return TherapistDiary(therapist_id, shifts, **kwargs)  # type: ignore[arg-type]


def london_wall(times: list[datetime]) -> list[str]:
    return [moment.astimezone(LONDON).strftime("%d %H:%M %Z") for moment in times]


# --- examples: clock changes ---------------------------------------------------------------


@pytest.mark.parametrize("change_day", [date(2026, 3, 29), date(2027, 3, 28)])
def test_spring_change_day_morning_shift_gives_exactly_the_local_hours(change_day: date) -> None:
    times = available_times([diary(weekly(change_day, time(9), time(12)))], day_query(change_day))
    y, m, d = change_day.year, change_day.month, change_day.day
    assert times == [utc(y, m, d, 8), utc(y, m, d, 9), utc(y, m, d, 10)]
    assert london_wall(times) == [f"{d} 09:00 BST", f"{d} 10:00 BST", f"{d} 11:00 BST"]


@pytest.mark.parametrize("change_day", [date(2026, 10, 25), date(2027, 10, 31)])
def test_autumn_change_day_morning_shift_gives_exactly_the_local_hours(change_day: date) -> None:
    times = available_times([diary(weekly(change_day, time(9), time(12)))], day_query(change_day))
    y, m, d = change_day.year, change_day.month, change_day.day
    assert times == [utc(y, m, d, 9), utc(y, m, d, 10), utc(y, m, d, 11)]


@pytest.mark.parametrize("change_day", [date(2026, 3, 29), date(2027, 3, 28)])
def test_shift_across_the_skipped_spring_hour_loses_it_and_offers_no_phantom_0130(
    change_day: date,
) -> None:
    shift = weekly(change_day, time(0, 30), time(3))
    times = available_times([diary(shift)], day_query(change_day, minutes=30, step=30))
    d = change_day.day
    # 00:30 GMT, then the clocks jump from 01:00 GMT to 02:00 BST: 01:30 local never exists.
    assert london_wall(times) == [f"{d} 00:30 GMT", f"{d} 02:00 BST", f"{d} 02:30 BST"]
    y, m = change_day.year, change_day.month
    assert times == [utc(y, m, d, 0, 30), utc(y, m, d, 1), utc(y, m, d, 1, 30)]


@pytest.mark.parametrize("change_day", [date(2026, 10, 25), date(2027, 10, 31)])
def test_shift_across_the_repeated_autumn_hour_keeps_both_hours_without_duplicates(
    change_day: date,
) -> None:
    shift = weekly(change_day, time(0, 30), time(3))
    times = available_times([diary(shift)], day_query(change_day, minutes=60, step=30))
    y, m, d = change_day.year, change_day.month, change_day.day
    # 00:30 BST to 03:00 GMT is three and a half hours of real time.
    assert times == [
        utc(y, m, d, 0, 30) - timedelta(hours=1),
        utc(y, m, d, 0),
        utc(y, m, d, 0, 30),
        utc(y, m, d, 1),
        utc(y, m, d, 1, 30),
        utc(y, m, d, 2),
    ]
    assert len(set(times)) == len(times)
    assert london_wall(times) == [
        f"{d} 00:30 BST",
        f"{d} 01:00 BST",
        f"{d} 01:30 BST",
        f"{d} 01:00 GMT",
        f"{d} 01:30 GMT",
        f"{d} 02:00 GMT",
    ]


def test_shift_inside_the_repeated_hour_covers_both_passes_of_the_wall_clock() -> None:
    change_day = date(2026, 10, 25)
    shift = weekly(change_day, time(1, 15), time(1, 45))
    times = available_times([diary(shift)], day_query(change_day, minutes=30, step=15))
    assert london_wall(times) == ["25 01:15 BST", "25 01:15 GMT"]


def test_week_across_the_spring_change_keeps_0900_local_on_both_sides() -> None:
    monday = date(2026, 3, 23)
    shifts = [WeeklyShift(day, time(9), time(10), SINCE) for day in range(5)]
    query = day_query(monday, days=14)
    times = available_times([diary(*shifts)], query)
    assert {moment.astimezone(LONDON).time() for moment in times} == {time(9)}
    assert times[0] == utc(2026, 3, 23, 9)  # GMT
    assert times[5] == utc(2026, 3, 30, 8)  # BST


def test_slots_align_to_local_midnight_in_a_zone_with_a_half_hour_offset() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30
    day = date(2026, 6, 1)
    query = SlotQuery(
        zone=kolkata,
        duration=timedelta(minutes=60),
        step_minutes=60,
        earliest=datetime.combine(day, time(0), kolkata),
        latest=datetime.combine(day, time(23), kolkata),
    )
    times = available_times([diary(weekly(day, time(9), time(12)))], query)
    assert [moment.astimezone(kolkata).time() for moment in times] == [time(9), time(10), time(11)]
    assert times[0] == utc(2026, 6, 1, 3, 30)


# --- examples: the other rules ---------------------------------------------------------------


def test_alternate_weeks_count_from_the_monday_of_the_effective_from_week() -> None:
    # effective_from is a Wednesday; its week (Monday 2 March) is an "on" week.
    shift = WeeklyShift(0, time(9), time(10), date(2026, 3, 4), every_weeks=2)
    times = available_times([diary(shift)], day_query(date(2026, 3, 2), days=29))
    assert [moment.date() for moment in times] == [date(2026, 3, 16), date(2026, 3, 30)]


def test_shift_applies_from_effective_from_to_effective_to_inclusive() -> None:
    shift = WeeklyShift(0, time(9), time(10), date(2026, 3, 9), effective_to=date(2026, 3, 16))
    times = available_times([diary(shift)], day_query(date(2026, 3, 2), days=28))
    assert [moment.date() for moment in times] == [date(2026, 3, 9), date(2026, 3, 16)]


def test_closed_days_offer_nothing_even_in_extra_sessions() -> None:
    monday = date(2026, 5, 4)  # a bank holiday
    extra = ((local(monday, 13), local(monday, 15)),)
    query = day_query(monday, days=2, closed_days=frozenset({monday}))
    mondays_and_tuesdays = [
        weekly(monday, time(9), time(11)),
        weekly(monday + timedelta(days=1), time(9), time(10)),
    ]
    times = available_times([diary(*mondays_and_tuesdays, extra=extra)], query)
    assert times == [local(monday + timedelta(days=1), 9)]


def test_queries_over_the_same_days_differing_in_closed_days_or_step_each_get_their_own() -> None:
    # The calendar's tables of local days are worked out once for the same days: what a
    # query's closed days and step change in them must not carry over to the next query.
    monday = date(2026, 5, 4)
    extra = ((local(monday, 13), local(monday, 15)),)
    worker = diary(weekly(monday, time(9), time(11)), extra=extra)
    closed = day_query(monday, days=2, closed_days=frozenset({monday}))
    assert available_times([worker], closed) == []
    assert london_wall(available_times([worker], replace(closed, closed_days=frozenset()))) == [
        "04 09:00 BST",
        "04 10:00 BST",
        "04 13:00 BST",
        "04 14:00 BST",
    ]
    assert available_times([worker], closed) == []
    halves = available_times([worker], replace(closed, closed_days=frozenset(), step_minutes=30))
    assert len(halves) == 6


def test_extra_session_adds_time_and_joins_onto_a_shift() -> None:
    day = date(2026, 6, 3)
    extra = ((local(day, 10), local(day, 12)),)
    times = available_times(
        [diary(weekly(day, time(9), time(10)), extra=extra)], day_query(day, minutes=90, step=30)
    )
    assert london_wall(times) == ["03 09:00 BST", "03 09:30 BST", "03 10:00 BST", "03 10:30 BST"]


def test_absence_removes_working_time() -> None:
    day = date(2026, 6, 3)
    absences = ((local(day, 10), local(day, 11, 30)),)
    times = available_times(
        [diary(weekly(day, time(9), time(13)), absences=absences)], day_query(day)
    )
    assert london_wall(times) == ["03 09:00 BST", "03 12:00 BST"]


def test_busy_time_and_its_buffers_block_slots() -> None:
    day = date(2026, 6, 3)
    busy = ((local(day, 11), local(day, 12)),)
    query = day_query(
        day, step=30, buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=15)
    )
    times = available_times([diary(weekly(day, time(9), time(15)), busy=busy)], query)
    # 09:30 ends at 10:30, its buffer at 10:45: fine. 10:00's buffer would reach 11:15.
    assert london_wall(times) == [
        "03 09:00 BST",
        "03 09:30 BST",
        "03 12:30 BST",
        "03 13:00 BST",
        "03 13:30 BST",
        "03 14:00 BST",
    ]


def test_empty_or_reversed_busy_intervals_hold_no_time() -> None:
    day = date(2026, 6, 3)
    busy = ((local(day, 9, 30), local(day, 9, 30)), (local(day, 10, 30), local(day, 10)))
    times = available_times([diary(weekly(day, time(9), time(11)), busy=busy)], day_query(day))
    assert times == [local(day, 9), local(day, 10)]


@pytest.mark.parametrize(("absence_start", "expected_hours"), [((10, 0), [9, 11]), ((9, 59), [11])])
def test_a_slot_may_end_exactly_as_an_absence_begins_but_not_a_minute_into_it(
    absence_start: tuple[int, int], expected_hours: list[int]
) -> None:
    day = date(2026, 6, 3)
    absences = ((local(day, *absence_start), local(day, 10, 30)),)
    times = available_times(
        [diary(weekly(day, time(9), time(12)), absences=absences)], day_query(day)
    )
    assert times == [local(day, hour) for hour in expected_hours]


@pytest.mark.parametrize(
    ("early_end", "late_start", "taken"),
    [
        ((11, 25), (15, 10), []),  # just clear of 11:30 and 14:30 with their buffers
        ((11, 26), (15, 9), [(11, 30), (14, 30)]),  # a minute into each
    ],
)
def test_a_later_therapist_covers_times_an_earlier_one_is_booked_at_up_to_the_buffer_minute(
    early_end: tuple[int, int], late_start: tuple[int, int], taken: list[tuple[int, int]]
) -> None:
    day = date(2026, 6, 3)
    query = day_query(
        day,
        minutes=30,
        step=30,
        buffer_before=timedelta(minutes=5),
        buffer_after=timedelta(minutes=10),
    )
    shift = weekly(day, time(9), time(17))
    first = diary(
        shift,
        therapist_id=1,
        busy=(
            (utc(2026, 6, 3, 11), utc(2026, 6, 3, 11, 30)),
            (utc(2026, 6, 3, 13), utc(2026, 6, 3, 13, 30)),
        ),
    )
    # Appointments in order, as the database returns them: only the times the first
    # therapist cannot take are checked against this diary.
    second = diary(
        shift,
        therapist_id=2,
        busy=(
            (local(day, 11, 10).astimezone(UTC), local(day, *early_end).astimezone(UTC)),
            (local(day, *late_start).astimezone(UTC), local(day, 15, 20).astimezone(UTC)),
        ),
    )
    assert second.busy_in_order
    every_half_hour = [local(day, 9) + timedelta(minutes=30 * n) for n in range(16)]
    expected = [
        moment for moment in every_half_hour if moment not in [local(day, *t) for t in taken]
    ]
    assert available_times([first, second], query) == expected


def test_a_later_therapist_booked_at_a_time_in_another_zone_whose_date_differs_stays_booked() -> (
    None
):
    day = date(2026, 6, 3)
    query = replace(
        day_query(day), zone=ZoneInfo("UTC"), earliest=utc(2026, 6, 3, 0), latest=utc(2026, 6, 4, 0)
    )
    shift = WeeklyShift(day.weekday(), time(0), time(6), SINCE)
    first = diary(shift, therapist_id=1, busy=((utc(2026, 6, 3, 1), utc(2026, 6, 3, 2)),))
    new_york = ZoneInfo("America/New_York")
    # 01:00 UTC on 3 June is 21:00 on 2 June in New York; out of order, so no bisection.
    busy = [(utc(2026, 6, 3, 4), utc(2026, 6, 3, 5)), (utc(2026, 6, 3, 1), utc(2026, 6, 3, 2))]
    second = diary(
        shift,
        therapist_id=2,
        busy=tuple((a.astimezone(new_york), b.astimezone(new_york)) for a, b in busy),
    )
    assert available_times([first, second], query) == [
        utc(2026, 6, 3, hour) for hour in (0, 2, 3, 4, 5)
    ]


def test_a_third_therapist_on_the_same_shifts_covers_a_time_the_first_two_are_booked_at() -> None:
    day = date(2026, 6, 3)
    shift = weekly(day, time(9), time(12))
    booked = ((local(day, 10), local(day, 11)),)
    diaries = [
        diary(shift, therapist_id=1, busy=booked),
        diary(shift, therapist_id=2, busy=booked),
        diary(shift, therapist_id=3),
    ]
    assert available_times(diaries, day_query(day)) == [
        local(day, 9),
        local(day, 10),
        local(day, 11),
    ]
    assert free_therapists(diaries, day_query(day), local(day, 10)) == [3]


def test_daily_cap_silences_a_therapist_for_that_local_day_only() -> None:
    monday = date(2026, 6, 1)
    shifts = [
        weekly(monday, time(9), time(10)),
        weekly(monday + timedelta(days=1), time(9), time(10)),
    ]
    counts = {monday: 3, monday + timedelta(days=1): 2}
    capped = diary(*shifts, online_bookings_by_day=counts)
    times = available_times([capped], day_query(monday, days=2, daily_cap=3))
    assert times == [local(monday + timedelta(days=1), 9)]
    assert available_times([capped], day_query(monday, days=2, daily_cap=0)) == []
    assert len(available_times([capped], day_query(monday, days=2))) == 2


def test_times_are_unique_across_therapists_and_free_therapists_lists_them_in_input_order() -> None:
    day = date(2026, 6, 3)
    diaries = [diary(weekly(day, time(9), time(11)), therapist_id=i) for i in (7, 3, 5)]
    busy_three = replace(diaries[1], busy=((local(day, 9), local(day, 10)),))
    diaries[1] = busy_three
    times = available_times(diaries, day_query(day))
    assert times == [local(day, 9), local(day, 10)]
    assert free_therapists(diaries, day_query(day), local(day, 9)) == [7, 5]
    assert free_therapists(diaries, day_query(day), local(day, 10)) == [7, 3, 5]


def test_window_bounds_apply_to_slot_start_and_end() -> None:
    day = date(2026, 6, 3)
    query = replace(day_query(day, step=30), earliest=local(day, 9, 10), latest=local(day, 11, 30))
    times = available_times([diary(weekly(day, time(9), time(17)))], query)
    assert london_wall(times) == ["03 09:30 BST", "03 10:00 BST", "03 10:30 BST"]


# --- bad input -------------------------------------------------------------------------------


def test_no_diaries_offer_nothing() -> None:
    assert available_times([], day_query(date(2026, 6, 3))) == []


@pytest.mark.parametrize("hours", [0, -5])
def test_empty_or_reversed_window_offers_nothing(hours: int) -> None:
    day = date(2026, 6, 3)
    query = replace(
        day_query(day), earliest=local(day, 12), latest=local(day, 12) + timedelta(hours=hours)
    )
    assert available_times([diary(weekly(day, time(9), time(17)))], query) == []
    assert free_therapists([diary(weekly(day, time(9), time(17)))], query, local(day, 12)) == []


def test_window_shorter_than_the_appointment_offers_nothing() -> None:
    day = date(2026, 6, 3)
    query = replace(day_query(day), earliest=local(day, 10), latest=local(day, 10, 59))
    assert available_times([diary(weekly(day, time(9), time(17)))], query) == []


def test_therapist_without_shifts_contributes_nothing() -> None:
    day = date(2026, 6, 3)
    diaries = [diary(therapist_id=1), diary(weekly(day, time(9), time(10)), therapist_id=2)]
    assert available_times(diaries, day_query(day)) == [local(day, 9)]
    assert free_therapists(diaries, day_query(day), local(day, 9)) == [2]


@pytest.mark.parametrize("minutes", [0, -30])
def test_zero_or_negative_duration_is_rejected_with_a_clear_message(minutes: int) -> None:
    with pytest.raises(ValueError, match="duration must be positive"):
        day_query(date(2026, 6, 3), minutes=minutes)


def test_other_malformed_queries_and_shifts_are_rejected() -> None:
    day = date(2026, 6, 3)
    with pytest.raises(ValueError, match="step_minutes"):
        day_query(day, step=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(day_query(day), earliest=datetime(2026, 6, 3, 9))
    with pytest.raises(ValueError, match="buffer_before"):
        day_query(day, buffer_before=timedelta(minutes=-5))
    with pytest.raises(ValueError, match="end after it starts"):
        WeeklyShift(0, time(17), time(9), SINCE)
    with pytest.raises(ValueError, match="weekday"):
        WeeklyShift(7, time(9), time(17), SINCE)
    with pytest.raises(ValueError, match="every_weeks"):
        WeeklyShift(0, time(9), time(17), SINCE, every_weeks=0)
    with pytest.raises(ValueError, match="busy of therapist 4"):
        TherapistDiary(4, (), busy=((datetime(2026, 6, 3, 9), datetime(2026, 6, 3, 10)),))


@pytest.mark.parametrize(
    "busy",
    [
        ((datetime(2026, 6, 3, 9), datetime(2026, 6, 3, 10)),),  # naive, in order
        ((local(date(2026, 6, 3), 9), datetime(2026, 6, 3, 10)),),  # naive end
        (
            (local(date(2026, 6, 3), 9), local(date(2026, 6, 3), 10)),
            (datetime(2026, 6, 3, 11), datetime(2026, 6, 3, 12)),
        ),  # naive among aware
        (
            (local(date(2026, 6, 3), 11), local(date(2026, 6, 3), 12)),
            (datetime(2026, 6, 3, 9), datetime(2026, 6, 3, 10)),
        ),  # naive and out of order
    ],
)
def test_naive_busy_datetimes_are_rejected_wherever_they_are(
    busy: tuple[tuple[datetime, datetime], ...],
) -> None:
    with pytest.raises(ValueError, match="busy of therapist 1 needs timezone-aware"):
        TherapistDiary(1, (), busy=busy)


@pytest.mark.parametrize("name", ["extra", "absences"])
def test_naive_extra_sessions_and_absences_are_rejected(name: str) -> None:
    naive = ((datetime(2026, 6, 3, 9), datetime(2026, 6, 3, 10)),)
    with pytest.raises(ValueError, match=f"{name} of therapist 1 needs timezone-aware"):
        diary(**{name: naive})
    with pytest.raises(ValueError, match=f"{name} of therapist 1 needs timezone-aware"):
        diary(**{name: naive}, busy=((utc(2026, 6, 3, 9), utc(2026, 6, 3, 10)),))


def test_diary_notes_whether_busy_time_is_in_order_of_start_and_end() -> None:
    first, second = (
        (utc(2026, 6, 3, 9), utc(2026, 6, 3, 10)),
        (utc(2026, 6, 3, 11), utc(2026, 6, 3, 12)),
    )
    nested = (utc(2026, 6, 3, 9, 15), utc(2026, 6, 3, 9, 45))
    assert diary(busy=(first, second)).busy_in_order
    assert diary(busy=[first, second]).busy == (first, second)  # a list becomes a tuple
    assert not diary(busy=(second, first)).busy_in_order
    assert not diary(busy=(first, nested)).busy_in_order
    assert diary(busy=[]).busy_in_order  # nothing to be out of order
    assert diary(busy=[]).busy == ()


def test_busy_time_in_the_repeated_autumn_hour_is_ordered_by_instant_not_wall_clock() -> None:
    day = date(2026, 10, 25)
    # By wall clock 01:10 GMT comes before 01:30 BST; in real time it is forty minutes after.
    late = (local(day, 1, 10, fold=1), local(day, 1, 20, fold=1))
    early = (local(day, 1, 30), local(day, 1, 45))
    booked = diary(weekly(day, time(0), time(3)), busy=(late, early))
    assert not booked.busy_in_order
    times = available_times([booked], day_query(day, minutes=15, step=15))
    blocked = [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1), utc(2026, 10, 25, 1, 15)]
    assert [moment for moment in blocked if moment in times] == []
    assert len(times) == 4 * 4 - len(blocked)  # 00:00 BST to 03:00 GMT is four hours


def test_free_therapists_rejects_off_grid_and_out_of_window_starts() -> None:
    day = date(2026, 6, 3)
    diaries = [diary(weekly(day, time(9), time(17)))]
    query = day_query(day, step=30)
    assert free_therapists(diaries, query, local(day, 9, 30)) == [1]
    assert free_therapists(diaries, query, local(day, 9, 15)) == []
    assert free_therapists(diaries, query, local(day, 9, 30) + timedelta(seconds=1)) == []
    assert free_therapists(diaries, query, local(day, 23, 30)) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        free_therapists(diaries, query, datetime(2026, 6, 3, 9, 30))


# --- the oracle ------------------------------------------------------------------------------


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def at_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def shift_runs_on(shift: WeeklyShift, day: date) -> bool:
    if day.weekday() != shift.weekday or day < shift.effective_from:
        return False
    if shift.effective_to is not None and day > shift.effective_to:
        return False
    cadence_monday = shift.effective_from - timedelta(days=shift.effective_from.weekday())
    return ((day - cadence_monday).days // 7) % shift.every_weeks == 0


class Oracle:
    """Reads every minute's local date and wall time straight off zoneinfo."""

    def __init__(self, query: SlotQuery) -> None:
        self.query = query
        self.duration = int(query.duration / timedelta(minutes=1))
        self.before = int(query.buffer_before / timedelta(minutes=1))
        self.after = int(query.buffer_after / timedelta(minutes=1))
        self.first = minute_of(query.earliest)
        self.last = minute_of(query.latest) - self.duration
        self.wall: dict[int, tuple[date, int]] = {}
        for minute in range(self.first, self.last + self.duration):
            moment = datetime.fromtimestamp(minute * 60, query.zone)
            self.wall[minute] = (moment.date(), moment.hour * 60 + moment.minute)
        self._working: dict[int, set[int]] = {}

    def working_minutes(self, diary: TherapistDiary) -> set[int]:
        if id(diary) not in self._working:
            self._working[id(diary)] = {
                minute for minute in self.wall if self.working(diary, minute)
            }
        return self._working[id(diary)]

    def working(self, diary: TherapistDiary, minute: int) -> bool:
        day, wall = self.wall[minute]
        if day in self.query.closed_days:
            return False
        instant = at_minute(minute)
        if any(start <= instant < end for start, end in diary.absences):
            return False
        in_shift = any(
            shift_runs_on(shift, day)
            and shift.start.hour * 60 + shift.start.minute
            <= wall
            < shift.end.hour * 60 + shift.end.minute
            for shift in diary.shifts
        )
        return in_shift or any(start <= instant < end for start, end in diary.extra)

    def can_take(self, diary: TherapistDiary, start: int) -> bool:
        if not self.first <= start <= self.last:
            return False
        day, wall = self.wall[start]
        if wall % self.query.step_minutes:
            return False
        cap = self.query.daily_cap
        if cap is not None and (diary.online_bookings_by_day or {}).get(day, 0) >= cap:
            return False
        working = self.working_minutes(diary)
        if not all(minute in working for minute in range(start, start + self.duration)):
            return False
        reach_from = at_minute(start - self.before)
        reach_to = at_minute(start + self.duration + self.after)
        # An empty or reversed busy interval holds no time, so it overlaps nothing. (Compared
        # as timestamps: datetimes sharing a zone compare by wall clock, blind to fold.)
        return not any(
            busy_start < reach_to
            and busy_end > reach_from
            and busy_start.timestamp() < busy_end.timestamp()
            for busy_start, busy_end in diary.busy
        )

    def times(self, diaries: list[TherapistDiary]) -> list[datetime]:
        return [
            at_minute(start)
            for start in range(self.first, self.last + 1)
            if any(self.can_take(diary, start) for diary in diaries)
        ]


# --- generated services ------------------------------------------------------------------------

ZONES = [
    "Europe/London",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
]
CHANGE_DAYS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 28),
    date(2027, 10, 31),
    date(2026, 3, 8),  # New York
    date(2026, 11, 1),  # New York
    date(2026, 4, 5),  # Lord Howe: clocks go back half an hour
    date(2026, 10, 4),  # Lord Howe: forward half an hour
]


@dataclass
class Scenario:
    diaries: list[TherapistDiary]
    query: SlotQuery


@st.composite
def scenarios(draw: st.DrawFn, max_therapists: int = 3) -> Scenario:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    anchor = draw(
        st.one_of(st.sampled_from(CHANGE_DAYS), st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    )
    # Times fall on a grid of this many minutes; a one-minute grid probes every boundary.
    grain = draw(st.sampled_from([1, 5, 15]))
    earliest = datetime.combine(anchor - timedelta(days=1), time(0), zone) + timedelta(
        minutes=draw(st.integers(0, 36 * 60))
    )
    earliest = earliest.astimezone(UTC)
    length = draw(st.one_of(st.integers(0, 10 * 60), st.integers(10 * 60, 3 * 24 * 60)))
    latest = earliest + timedelta(minutes=length)
    window_days = [anchor + timedelta(days=offset) for offset in range(-2, 5)]
    origin = datetime.combine(anchor - timedelta(days=1), time(0), zone).astimezone(UTC)

    def minutes(most: int) -> int:
        return grain * draw(st.integers(0, most // grain))

    def span(longest: int, in_zone: bool) -> tuple[datetime, datetime]:
        start = origin + timedelta(minutes=minutes(4 * 1440))
        end = start + timedelta(minutes=minutes(longest))
        return (start.astimezone(zone), end.astimezone(zone)) if in_zone else (start, end)

    def clock(minute: int) -> time:
        return time(minute // 60, minute % 60)

    def shift(day: date | None) -> WeeklyShift:
        start, end = sorted(
            draw(st.lists(st.integers(0, 1439 // grain), min_size=2, max_size=2, unique=True))
        )
        if day is not None:  # this week's shift on a window day
            return WeeklyShift(day.weekday(), clock(start * grain), clock(end * grain), day)
        return WeeklyShift(
            weekday=draw(st.integers(0, 6)),
            start=clock(start * grain),
            end=clock(end * grain),
            effective_from=anchor + timedelta(days=draw(st.integers(-21, 3))),
            effective_to=draw(
                st.one_of(st.none(), st.just(anchor + timedelta(days=draw(st.integers(-3, 4)))))
            ),
            every_weeks=draw(st.integers(1, 3)),
        )

    diaries = []
    for therapist_id in range(draw(st.integers(1, max_therapists))):
        # Usually a shift on each window day, so there is something to offer.
        shifts = [shift(day) for day in window_days if draw(st.integers(0, 3)) < 3]
        shifts += [shift(None) for _ in range(draw(st.integers(0, 2)))]
        # Appointments as the database returns them (in UTC, in order, not overlapping), or in
        # UTC, in the service's zone or mixed; in start order half the time.
        style = draw(st.sampled_from(["database", "utc", "zone", "mixed"]))
        if style == "database":
            busy, cursor = [], origin
            for _ in range(draw(st.integers(0, 12))):
                start = cursor + timedelta(minutes=minutes(600))
                cursor = start + timedelta(minutes=minutes(120))
                busy.append((start, cursor))
        else:
            busy = [
                span(180, style == "zone" or (style == "mixed" and draw(st.booleans())))
                for _ in range(draw(st.integers(0, 10)))
            ]
        diaries.append(
            TherapistDiary(
                therapist_id=therapist_id,
                shifts=tuple(shifts),
                extra=tuple(span(300, draw(st.booleans())) for _ in range(draw(st.integers(0, 2)))),
                absences=tuple(
                    span(600, draw(st.booleans())) for _ in range(draw(st.integers(0, 2)))
                ),
                busy=tuple(sorted(busy) if draw(st.booleans()) else busy),
                online_bookings_by_day={
                    day: draw(st.integers(0, 3)) for day in window_days if draw(st.booleans())
                },
            )
        )
    query = SlotQuery(
        zone=zone,
        duration=timedelta(minutes=draw(st.sampled_from([5, 7, 15, 30, 45, 50, 60, 90, 120]))),
        step_minutes=draw(st.sampled_from([1, 5, 7, 10, 15, 20, 30, 45, 60, 90])),
        earliest=earliest,
        latest=latest,
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 0, 1, 5, 15]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 0, 1, 10, 30]))),
        closed_days=frozenset(draw(st.sets(st.sampled_from(window_days), max_size=2))),
        daily_cap=draw(st.sampled_from([None, None, None, 1, 2, 3, 0])),
    )
    return Scenario(diaries, query)


oracle_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@oracle_settings
@given(scenarios())
def test_available_times_equal_the_minute_by_minute_oracle(scenario: Scenario) -> None:
    expected = Oracle(scenario.query).times(scenario.diaries)
    assert available_times(scenario.diaries, scenario.query) == expected


@oracle_settings
@given(scenarios(max_therapists=5))
def test_each_therapists_times_are_what_each_diary_offers_alone_and_together_all_times(
    scenario: Scenario,
) -> None:
    # The FHIR API's Slots: one therapist at a time, from one calendar shared by all.
    each = dict(each_therapists_times(scenario.diaries, scenario.query))
    oracle = Oracle(scenario.query)
    assert each == {d.therapist_id: oracle.times([d]) for d in scenario.diaries}
    together = sorted({start for starts in each.values() for start in starts})
    assert together == available_times(scenario.diaries, scenario.query)


@oracle_settings
@given(scenarios(max_therapists=8))
def test_many_therapists_equal_the_oracle_when_earlier_therapists_already_cover_most_times(
    scenario: Scenario,
) -> None:
    # Copies of one diary with different appointments exercise the engine's shortcut of not
    # re-proving times that an earlier therapist already offers.
    first, *others = scenario.diaries
    diaries = [first] + [
        replace(first, therapist_id=other.therapist_id, busy=other.busy) for other in others
    ]
    assert available_times(diaries, scenario.query) == Oracle(scenario.query).times(diaries)


@oracle_settings
@given(scenarios(), st.randoms(use_true_random=False))
def test_free_therapists_lists_exactly_those_the_oracle_frees_at_every_grid_time(
    scenario: Scenario, rng: random.Random
) -> None:
    oracle = Oracle(scenario.query)
    offered = set(available_times(scenario.diaries, scenario.query))
    grid = [
        start
        for start in range(oracle.first, oracle.last + 1)
        if oracle.wall[start][1] % scenario.query.step_minutes == 0
    ]
    for start in rng.sample(grid, min(len(grid), 40)):
        moment = at_minute(start)
        free = free_therapists(scenario.diaries, scenario.query, moment)
        assert free == [d.therapist_id for d in scenario.diaries if oracle.can_take(d, start)]
        assert bool(free) == (moment in offered)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_offered_times_are_in_window_on_the_local_grid_and_clear_of_busy_time_for_free_therapists(
    scenario: Scenario,
) -> None:
    query = scenario.query
    by_id = {d.therapist_id: d for d in scenario.diaries}
    times = available_times(scenario.diaries, query)
    assert times == sorted(set(times))
    for moment in times:
        assert moment.tzinfo is UTC
        assert query.earliest <= moment and moment + query.duration <= query.latest
        wall = moment.astimezone(query.zone)
        assert (wall.hour * 60 + wall.minute) % query.step_minutes == 0
        assert wall.date() not in query.closed_days
        free = free_therapists(scenario.diaries, query, moment)
        assert free
        for therapist_id in free:
            for busy_start, busy_end in by_id[therapist_id].busy:
                assert not (
                    busy_start < moment + query.duration + query.buffer_after
                    and busy_end > moment - query.buffer_before
                    and busy_start.timestamp() < busy_end.timestamp()
                )


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_removing_a_busy_interval_never_removes_a_slot(
    scenario: Scenario, data: st.DataObject
) -> None:
    with_busy = [d for d in scenario.diaries if d.busy]
    if not with_busy:
        return
    target = data.draw(st.sampled_from(with_busy))
    drop = data.draw(st.integers(0, len(target.busy) - 1))
    lighter = [
        replace(d, busy=d.busy[:drop] + d.busy[drop + 1 :]) if d is target else d
        for d in scenario.diaries
    ]
    before = set(available_times(scenario.diaries, scenario.query))
    assert before <= set(available_times(lighter, scenario.query))


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_order_of_diaries_shifts_or_intervals(
    scenario: Scenario, rng: random.Random
) -> None:
    def shuffled(items: tuple[T, ...]) -> tuple[T, ...]:
        return tuple(rng.sample(items, len(items)))

    reordered = [
        replace(
            d,
            shifts=shuffled(d.shifts),
            extra=shuffled(d.extra),
            absences=shuffled(d.absences),
            busy=shuffled(d.busy),
        )
        for d in rng.sample(scenario.diaries, len(scenario.diaries))
    ]
    assert available_times(reordered, scenario.query) == available_times(
        scenario.diaries, scenario.query
    )


# --- reading diaries only as far as needed ---------------------------------------------------


def outline_of(diaries: list[TherapistDiary]) -> list[TherapistDiary]:
    return [replace(d, busy=(), online_bookings_by_day=None) for d in diaries]


class Reading:
    """The diaries as an iterator that counts how many were taken."""

    def __init__(self, diaries: list[TherapistDiary]) -> None:
        self.diaries = diaries
        self.taken = 0

    def __iter__(self) -> Reading:
        return self

    def __next__(self) -> TherapistDiary:
        if self.taken == len(self.diaries):
            raise StopIteration
        self.taken += 1
        return self.diaries[self.taken - 1]


def some_offered_time_or_none(scenario: Scenario, data: st.DataObject) -> datetime | None:
    offered = available_times(scenario.diaries, scenario.query)
    return data.draw(st.sampled_from([None, *offered[:3], *offered[-2:]]))


@oracle_settings
@given(scenarios(max_therapists=5))
def test_times_read_against_an_outline_are_the_times_read_in_full(scenario: Scenario) -> None:
    every = available_times(scenario.diaries, scenario.query)
    reading = Reading(scenario.diaries)
    assert available_times(reading, scenario.query, outline=outline_of(scenario.diaries)) == every


@oracle_settings
@given(scenarios(max_therapists=5), st.data())
def test_offered_days_are_the_local_dates_of_the_times_offered_but_the_one_left_out(
    scenario: Scenario, data: st.DataObject
) -> None:
    exclude = some_offered_time_or_none(scenario, data)
    zone = scenario.query.zone
    expected = sorted(
        {
            start.astimezone(zone).date()
            for start in available_times(scenario.diaries, scenario.query)
            if start != exclude
        }
    )
    days = offered_days(
        Reading(scenario.diaries),
        scenario.query,
        outline=outline_of(scenario.diaries),
        exclude=exclude,
    )
    assert days == expected


@oracle_settings
@given(scenarios(max_therapists=5), st.data())
def test_the_first_offered_is_the_earliest_time_offered_but_the_one_left_out(
    scenario: Scenario, data: st.DataObject
) -> None:
    exclude = some_offered_time_or_none(scenario, data)
    offered = [t for t in available_times(scenario.diaries, scenario.query) if t != exclude]
    first = first_offered(
        Reading(scenario.diaries),
        scenario.query,
        outline=outline_of(scenario.diaries),
        exclude=exclude,
    )
    assert first == (offered[0] if offered else None)


@oracle_settings
@given(scenarios(max_therapists=5), st.data())
def test_the_first_shown_with_the_days_is_the_first_offered_when_there_is_one(
    scenario: Scenario, data: st.DataObject
) -> None:
    exclude = some_offered_time_or_none(scenario, data)
    offered = [t for t in available_times(scenario.diaries, scenario.query) if t != exclude]
    days, first = offered_days_and_first(
        Reading(scenario.diaries),
        scenario.query,
        outline=outline_of(scenario.diaries),
        exclude=exclude,
    )
    assert days == sorted({t.astimezone(scenario.query.zone).date() for t in offered})
    assert first is None or first == offered[0]
    if not offered:
        assert first is None


def test_the_days_show_the_first_time_when_the_diaries_read_for_them_offer_it() -> None:
    day = date(2026, 6, 3)
    shift = weekly(day, time(9), time(12))
    query = day_query(day)
    booked_at_nine = (local(day, 9), local(day, 10))
    free = diary(shift, therapist_id=2)
    busy = diary(shift, therapist_id=1, busy=(booked_at_nine,))
    outline = outline_of([busy, free])
    assert offered_days_and_first([free, busy], query, outline=outline) == ([day], local(day, 9))
    # Reading stops at the busy therapist, whose day offers ten o'clock: nine is unproven.
    assert offered_days_and_first([busy, free], query, outline=outline) == ([day], None)


@oracle_settings
@given(scenarios(max_therapists=5))
def test_diaries_sharing_one_tuple_of_shifts_offer_what_they_would_apart(
    scenario: Scenario,
) -> None:
    shared: dict[tuple[WeeklyShift, ...], tuple[WeeklyShift, ...]] = {}
    sharing = [
        replace(d, shifts=shared.setdefault(tuple(d.shifts), tuple(d.shifts)))
        for d in scenario.diaries
    ]
    assert available_times(sharing, scenario.query) == available_times(
        scenario.diaries, scenario.query
    )


def test_reading_stops_once_the_outline_is_matched_and_not_before() -> None:
    day = date(2026, 6, 3)
    shift = weekly(day, time(9), time(12))
    other_day = weekly(day + timedelta(days=1), time(9), time(12))
    query = day_query(day, days=2)
    booked_at_nine = (local(day, 9), local(day, 10))
    diaries = [
        diary(shift, other_day, therapist_id=1, busy=(booked_at_nine,)),
        diary(shift, other_day, therapist_id=2),
        diary(shift, other_day, therapist_id=3),
    ]
    outline = outline_of(diaries)

    reading = Reading(diaries)
    assert offered_days(reading, query, outline=outline) == [day, day + timedelta(days=1)]
    assert reading.taken == 1  # each day already has a time

    reading = Reading(diaries)
    assert first_offered(reading, query, outline=outline) == local(day, 9)
    assert reading.taken == 2  # the first therapist is busy at nine

    reading = Reading(diaries)
    assert len(available_times(reading, query, outline=outline)) == 6
    assert reading.taken == 2


def test_a_moment_that_is_no_start_excludes_nothing() -> None:
    day = date(2026, 6, 3)
    query = day_query(day)
    diaries = [diary(weekly(day, time(9), time(10)))]
    off_grid = local(day, 9) + timedelta(seconds=30)
    outside = local(day, 23)
    for exclude in (off_grid, outside):
        assert offered_days(diaries, query, outline=diaries, exclude=exclude) == [day]
        assert first_offered(diaries, query, outline=diaries, exclude=exclude) == local(day, 9)
    assert offered_days(diaries, query, outline=diaries, exclude=local(day, 9)) == []
    assert first_offered(diaries, query, outline=diaries, exclude=local(day, 9)) is None


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.data())
def test_picking_out_busy_time_near_the_starts_in_question_never_changes_free_runs(
    scenario: Scenario, data: st.DataObject
) -> None:
    # When only a few of a therapist's start times are still in question, the engine first
    # picks out the appointments near them; that shortcut must agree with the full check.
    calendar = _Calendar.for_query(scenario.query)
    if calendar is None:
        return
    for diary in scenario.diaries:
        runs = calendar.pattern(diary)[0].runs
        if not runs:
            continue
        few = sorted(data.draw(st.sets(st.sampled_from(runs), max_size=3)))
        # More appointments around those starts, some long enough to begin days before.
        around = []
        for first, stop in few:
            for _ in range(data.draw(st.integers(0, 3))):
                start = first + data.draw(
                    st.one_of(st.integers(-150, stop - first + 60), st.integers(-2 * 1440, 0))
                )
                length = data.draw(st.sampled_from([1, 5, 60, 600, 1500, 3000]))
                zone = data.draw(st.sampled_from([UTC, scenario.query.zone]))
                around.append(
                    (at_minute(start).astimezone(zone), at_minute(start + length).astimezone(zone))
                )
        busy = list(diary.busy) + around
        in_utc = [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in busy]
        for variant in (busy, in_utc, sorted(in_utc)):
            booked = replace(diary, busy=tuple(variant))
            assert calendar.free_runs(booked, few, skim=True) == calendar.free_runs(booked, few)


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=6),
    st.lists(st.tuples(st.integers(-20, 220), st.integers(1, 40)), max_size=8),
    st.integers(1, 7),
)
def test_cutting_runs_keeps_exactly_the_grid_starts_outside_overlapping_cuts(
    raw_runs: list[tuple[int, int]], raw_cuts: list[tuple[int, int]], step: int
) -> None:
    # Runs are disjoint, sorted and start on their own grid; cuts are sorted but may overlap.
    runs, last = [], -1
    for gap, length in raw_runs:
        runs.append((last + 1 + gap, last + 1 + gap + length))
        last = runs[-1][1]
    cuts = sorted((start, start + length) for start, length in raw_cuts)
    blocked = {x for start, end in cuts for x in range(start, end)}
    expected = {s for first, stop in runs for s in range(first, stop, step) if s not in blocked}
    result = _cut(runs, cuts, step)
    assert {s for first, stop in result for s in range(first, stop, step)} == expected
    assert all(first < stop for first, stop in result)
    assert all(a[1] <= b[0] for a, b in pairwise(result))
