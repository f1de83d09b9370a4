"""Dates and times on patient pages and in texts, written the Welsh way when Welsh is active
(lib/formatting.py), and the English way otherwise. Pure functions: no database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import dates, translation

from slotlink.lib.formatting import (
    WELSH_DAYS,
    WELSH_MONTHS,
    clock,
    day_month_year,
    duration_text,
    long_date,
    short_date,
    when,
)
from slotlink.lib.language import Localised, language_of, localised

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def welsh():
    with translation.override("cy"):
        yield


@pytest.mark.parametrize(
    ("day", "english", "welsh"),
    [
        (date(2026, 12, 1), "Tuesday 1 December 2026", "Dydd Mawrth 1 Rhagfyr 2026"),
        (date(2026, 7, 6), "Monday 6 July 2026", "Dydd Llun 6 Gorffennaf 2026"),
        (date(2026, 2, 4), "Wednesday 4 February 2026", "Dydd Mercher 4 Chwefror 2026"),
        (date(2026, 3, 29), "Sunday 29 March 2026", "Dydd Sul 29 Mawrth 2026"),
        (date(2026, 10, 31), "Saturday 31 October 2026", "Dydd Sadwrn 31 Hydref 2026"),
    ],
)
def test_long_dates_in_each_language(day: date, english: str, welsh: str) -> None:
    assert long_date(day) == english
    with translation.override("cy"):
        assert long_date(day) == welsh


def test_every_month_and_day_has_its_welsh_name(welsh: None) -> None:
    months = [day_month_year(date(2027, m, 1)).split(" ")[1] for m in range(1, 13)]
    assert months == list(WELSH_MONTHS)
    monday = date(2026, 11, 30)
    days = [short_date(monday + timedelta(days=d)).rsplit(" ", 2)[0] for d in range(7)]
    assert days == list(WELSH_DAYS)


def test_july_is_gorffennaf_although_djangos_own_welsh_spells_it_otherwise(welsh: None) -> None:
    # Why the names live in lib/formatting: Django's catalogue has "Gorffenaf".
    assert str(dates.MONTHS[7]) != "Gorffennaf"
    assert short_date(date(2026, 7, 1)) == "Dydd Mercher 1 Gorffennaf"


@pytest.mark.parametrize(
    ("hour", "minute", "english", "welsh"),
    [
        (0, 0, "12am", "12yb"),
        (9, 0, "9am", "9yb"),
        (11, 59, "11:59am", "11:59yb"),
        (12, 0, "12pm", "12yh"),
        (14, 30, "2:30pm", "2:30yh"),
        (19, 5, "7:05pm", "7:05yh"),
    ],
)
def test_times_say_am_and_pm_or_yb_and_yh(hour: int, minute: int, english: str, welsh: str) -> None:
    moment = datetime(2026, 12, 1, hour, minute, tzinfo=LONDON)
    assert clock(moment) == english
    with translation.override("cy"):
        assert clock(moment) == welsh


def test_when_joins_date_and_time_in_the_services_zone_across_the_clock_change() -> None:
    summer = datetime(2026, 10, 24, 13, 0, tzinfo=UTC)  # 2pm BST
    winter = datetime(2026, 10, 26, 14, 0, tzinfo=UTC)  # 2pm GMT
    assert when(summer, LONDON) == "Saturday 24 October 2026 at 2pm"
    with language_of("cy"):
        assert when(summer, LONDON) == "Dydd Sadwrn 24 Hydref 2026 am 2yh"
        assert when(winter, LONDON) == "Dydd Llun 26 Hydref 2026 am 2yh"


@pytest.mark.parametrize(
    ("minutes", "english", "welsh"),
    [(60, "1 hour", "1 awr"), (120, "2 hours", "2 awr"), (30, "30 minutes", "30 munud")],
)
def test_durations(minutes: int, english: str, welsh: str) -> None:
    assert duration_text(minutes) == english
    with language_of("cy"):
        assert duration_text(minutes) == welsh


def test_outside_any_request_texts_are_english() -> None:
    # A worker making a text activates nothing: English unless the patient's language says.
    assert translation.get_language() in {"en-gb", None}
    assert short_date(date(2026, 12, 1)) == "Tuesday 1 December"


@pytest.mark.parametrize(
    ("english", "welsh", "active", "expected"),
    [
        ("Hello", "Helo", "en-gb", Localised("Hello")),
        ("Hello", "Helo", "cy", Localised("Helo")),
        ("Hello", "", "cy", Localised("Hello", "en-GB")),  # English, marked as such
        ("Hello", "  ", "cy", Localised("Hello", "en-GB")),
        ("", "", "cy", Localised("")),
        ("", "Helo", "en-gb", Localised("")),  # Welsh only ever for Welsh pages
    ],
)
def test_a_services_words_fall_back_to_english_saying_so(
    english: str, welsh: str, active: str, expected: Localised
) -> None:
    with translation.override(active):
        assert localised(english, welsh) == expected
