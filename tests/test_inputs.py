"""The shared readers of numbers and dates (slotlink/lib/inputs.py): whatever they are given they
answer a value within the bounds, written in the digits 0 to 9, or None; they never raise."""

import argparse
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotlink.lib.inputs import (
    MAX_ID,
    bounded_argument,
    iso_day,
    iso_instant,
    record_id,
    whole_number,
)

EARLIEST, LATEST = date(2025, 12, 6), date(2028, 12, 8)
FIRST, LAST = datetime(2025, 12, 6, tzinfo=UTC), datetime(2028, 12, 8, tzinfo=UTC)
ANYTHING = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(categories=["Nd", "No", "Pd", "Zs"]), max_size=25),
    st.integers().map(str),
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    st.none(),
    st.integers(),
)


@given(ANYTHING)
def test_whole_numbers_are_ascii_digits_within_the_bounds_or_none(raw):
    number = whole_number(raw, -5, 500)
    if number is not None:
        assert -5 <= number <= 500
        assert raw.isascii()
        assert int(raw) == number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("-5", -5),
        ("007", 7),
        ("500", 500),
        ("501", None),
        ("-6", None),
        ("²", None),  # isdigit() is True, int() raises
        ("١٢", None),  # int() takes Arabic-Indic digits
        ("1_0", None),  # int() takes underscores
        ("1e3", None),
        ("12.0", None),
        ("+12", None),
        ("", None),
        ("9" * 400, None),
    ],
)
def test_whole_numbers_examples(raw, expected):
    assert whole_number(raw, -5, 500) == expected


def test_record_ids_are_positive_and_fit_a_bigint():
    assert record_id("1") == 1
    assert record_id(str(MAX_ID)) == MAX_ID
    assert record_id(str(MAX_ID + 1)) is None
    assert record_id("0") is None
    assert record_id(None) is None


@given(ANYTHING)
def test_days_are_iso_within_the_bounds_or_none(raw):
    day = iso_day(raw, EARLIEST, LATEST)
    assert day is None or (EARLIEST <= day <= LATEST and day.isoformat() == raw)


@pytest.mark.parametrize(
    "raw", ["9999-12-31", "0001-01-01", "2026-02-30", "20261208", "٢٠٢٦-١٢-٠٨"]
)
def test_days_out_of_range_or_unreadable_are_none(raw):
    assert iso_day(raw, EARLIEST, LATEST) is None


@given(ANYTHING)
def test_instants_carry_an_offset_and_lie_within_the_bounds_or_none(raw):
    moment = iso_instant(raw, FIRST, LAST)
    assert moment is None or (moment.tzinfo is not None and FIRST <= moment <= LAST)
    if moment is not None:
        assert moment + timedelta(days=1) > moment  # far from the ends of the calendar


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+14:00",
        "2026-12-08T11:00:00",  # no offset
        "2026-12-08T11:00:00+00:00@1",
    ],
)
def test_instants_out_of_range_without_an_offset_or_with_more_are_none(raw):
    assert iso_instant(raw, FIRST, LAST) is None


def test_a_command_line_number_out_of_range_is_refused_naming_the_range():
    parse = bounded_argument(1, 104)
    assert parse("8") == 8
    for raw in ["0", "105", "²", "eight"]:
        with pytest.raises(argparse.ArgumentTypeError, match="from 1 to 104"):
            parse(raw)
