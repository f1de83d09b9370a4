"""Numbers and dates as people type them, URLs carry them and command lines give them: read
strictly and only within stated bounds, else None. Every such input in Slotlink goes through
here (forms through slotlink/lib/fields.py).

Python's own parsers are wider than they look. int() takes "١٢" (Arabic-Indic digits), "1_0"
and " 12 "; "²".isdigit() is True yet int("²") raises; date.fromisoformat takes 0001-01-01
and 9999-12-31, where a day or an hour more no longer exists. So: the digits 0 to 9 only, and
bounds on every value."""

import argparse
import re
from collections.abc import Callable
from datetime import date, datetime

import nhs_number
import phonenumbers

_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# 2026-12-08T11:00:00+00:00 and the like: digits, separators and an offset, nothing wider.
_ISO_INSTANT = re.compile(r"[0-9T:.+\-]{16,32}")

# The largest primary key (a BigAutoField): a bigger "id" names no record.
MAX_ID = 2**63 - 1


def whole_number(raw: object, low: int, high: int) -> int | None:
    """A whole number written with the digits 0 to 9 (and a minus sign), from low to high."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def record_id(raw: object) -> int | None:
    """A primary key given in a URL, a form or a provider's callback."""
    return whole_number(raw, 1, MAX_ID)


def iso_day(raw: object, earliest: date, latest: date) -> date | None:
    """A day written as 2026-12-08, from earliest to latest."""
    if not isinstance(raw, str) or not _ISO_DAY.fullmatch(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:  # 2026-02-30
        return None
    return day if earliest <= day <= latest else None


def iso_instant(raw: object, earliest: datetime, latest: datetime) -> datetime | None:
    """An instant with its UTC offset (2026-12-08T11:00:00+00:00), from earliest to latest."""
    if not isinstance(raw, str) or not _ISO_INSTANT.fullmatch(raw):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment if earliest <= moment <= latest else None


def bounded_argument(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type` for a whole number from low to high, refused saying the range."""

    def parse(raw: str) -> int:
        number = whole_number(raw, low, high)
        if number is None:
            raise argparse.ArgumentTypeError(f"give a whole number from {low} to {high}")
        return number

    return parse


_NHS_NUMBER = re.compile(r"[0-9]{10}")
_SPACING = re.compile(r"[\s-]")


def nhs_number_of(raw: str) -> str | None:
    """Ten digits with the right check digit (spaces and hyphens allowed between them)."""
    digits = _SPACING.sub("", raw)
    if not _NHS_NUMBER.fullmatch(digits) or not nhs_number.is_valid(digits):
        return None
    return digits


def uk_mobile(raw: str) -> str | None:
    """A UK mobile number in E.164 (+447700900123) from the ways people write one."""
    try:
        number = phonenumbers.parse(raw.strip()[:30], "GB")
    except phonenumbers.NumberParseException:
        return None
    # "Possible", not "valid": the drama range used in demos is not issued, so not valid.
    if (
        number.country_code != 44
        or not str(number.national_number).startswith("7")
        or not phonenumbers.is_possible_number(number)
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PERSON_DAY = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")


def person_day(raw: str, earliest: date, latest: date) -> date | None:
    """A day as people and spreadsheets write it in the UK (8/12/2026, 08-12-2026) or as ISO
    (2026-12-08), from earliest to latest."""
    text = raw.strip()
    if found := _PERSON_DAY.fullmatch(text):
        day, month, year = (int(part) for part in found.groups())
        try:
            value = date(year, month, day)
        except ValueError:
            return None
        return value if earliest <= value <= latest else None
    return iso_day(text, earliest, latest)
