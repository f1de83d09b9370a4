"""The alternate-week rule is one rule: the slot engine and the diary agree on every day."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from slotlink.clinic.models import WorkingPattern
from slotlink.domain.availability import SlotQuery, TherapistDiary, WeeklyShift, available_times
from slotlink.domain.weeks import first_working_day, in_working_week

UTC_ZONE = ZoneInfo("UTC")
DAYS = st.dates(date(2020, 1, 1), date(2030, 12, 31))
WINDOW = 56  # eight weeks: every cadence up to four weeks shows at least twice


def _engine_days(shift: WeeklyShift, first: date) -> set[date]:
    query = SlotQuery(
        zone=UTC_ZONE,
        duration=timedelta(hours=1),
        step_minutes=60,
        earliest=datetime.combine(first, time(0), UTC_ZONE),
        latest=datetime.combine(first + timedelta(days=WINDOW), time(0), UTC_ZONE),
    )
    times = available_times([TherapistDiary(therapist_id=1, shifts=(shift,))], query)
    return {moment.date() for moment in times}


# No deadline: an example works out eight weeks of the engine's tables afresh, which a busy
# machine (the suite's other worker, CI) can slow past Hypothesis's 200 ms.
@settings(deadline=None)
@given(
    anchor=DAYS,
    first=DAYS,
    weekday=st.integers(0, 6),
    every=st.integers(1, 4),
    weeks_to=st.none() | st.integers(0, 20),
)
def test_the_engine_and_the_diary_agree_which_days_a_pattern_works(
    anchor: date, first: date, weekday: int, every: int, weeks_to: int | None
) -> None:
    to = None if weeks_to is None else anchor + timedelta(weeks=weeks_to)
    shift = WeeklyShift(weekday, time(9), time(10), anchor, to, every_weeks=every)
    pattern = WorkingPattern(
        weekday=weekday,
        start_time=time(9),
        end_time=time(10),
        effective_from=anchor,
        effective_to=to,
        every_weeks=every,
    )
    window = [first + timedelta(days=n) for n in range(WINDOW)]
    assert _engine_days(shift, first) == {day for day in window if pattern.works_on(day)}


@given(anchor=DAYS, start=DAYS, weekday=st.integers(0, 6), every=st.integers(1, 4))
def test_the_first_working_day_is_the_first_day_in_a_working_week(
    anchor: date, start: date, weekday: int, every: int
) -> None:
    found = date.fromordinal(
        first_working_day(start.toordinal(), weekday, anchor.toordinal(), every)
    )
    day = start
    while not (
        day.weekday() == weekday and in_working_week(day.toordinal(), anchor.toordinal(), every)
    ):
        day += timedelta(days=1)
    assert found == day


def test_the_week_holding_the_first_day_is_a_working_week() -> None:
    wednesday = date(2026, 3, 4)
    monday = date(2026, 3, 2)
    assert in_working_week(monday.toordinal(), wednesday.toordinal(), 2)
    assert not in_working_week((monday + timedelta(days=7)).toordinal(), wednesday.toordinal(), 2)
