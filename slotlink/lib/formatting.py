"""Dates and times the way NHS pages write them, in the active language (lib/language.py):
"Tuesday 1 December 2026", "9am", "2:30pm"; in Welsh "Dydd Mawrth 1 Rhagfyr 2026", "9yb",
"2:30yh", as NHS Wales writes them.

Welsh is written here rather than taken from Django's locale data: strftime knows only the C
locale, and the month names and am/pm forms must not change under us with a Django release."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from slotlink.lib.language import in_welsh

WELSH_DAYS = (
    "Dydd Llun",
    "Dydd Mawrth",
    "Dydd Mercher",
    "Dydd Iau",
    "Dydd Gwener",
    "Dydd Sadwrn",
    "Dydd Sul",
)
WELSH_MONTHS = (
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
)


def _names(day: date) -> tuple[str, str]:
    """The day's weekday and month, asking for the language once (a times page names dozens
    of days)."""
    if in_welsh():
        return WELSH_DAYS[day.weekday()], WELSH_MONTHS[day.month - 1]
    return f"{day:%A}", f"{day:%B}"


def long_date(day: date) -> str:
    weekday, month = _names(day)
    return f"{weekday} {day.day} {month} {day.year}"


def day_month_year(day: date) -> str:
    return f"{day.day} {_names(day)[1]} {day.year}"


def short_date(day: date) -> str:
    weekday, month = _names(day)
    return f"{weekday} {day.day} {month}"


def clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    # Welsh: y bore, yr hwyr.
    morning_evening = ("yb", "yh") if in_welsh() else ("am", "pm")
    suffix = morning_evening[moment.hour >= 12]
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    # "am" is Welsh for "at" here; it mutates nothing that follows it (a number).
    at = "am" if in_welsh() else "at"
    return f"{long_date(local.date())} {at} {clock(local)}"


def staff_datetime(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%d/%m/%Y %H:%M}"


def duration_text(minutes: int) -> str:
    welsh = in_welsh()
    if minutes % 60 == 0:
        hours = minutes // 60
        if welsh:
            return "1 awr" if hours == 1 else f"{hours} awr"
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} munud" if welsh else f"{minutes} minutes"


def nhs_number_text(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def mobile_text(e164: str) -> str:
    if e164.startswith("+44") and len(e164) == 13:
        national = "0" + e164[3:]
        return f"{national[:5]} {national[5:]}"
    return e164
