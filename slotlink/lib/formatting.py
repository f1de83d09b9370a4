"""Dates and times the way NHS pages write them: "Tuesday 1 December 2026", "9am", "2:30pm"."""

from datetime import date, datetime
from zoneinfo import ZoneInfo


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def day_month_year(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{long_date(local.date())} at {clock(local)}"


def staff_datetime(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%d/%m/%Y %H:%M}"


def duration_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


def nhs_number_text(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def mobile_text(e164: str) -> str:
    if e164.startswith("+44") and len(e164) == 13:
        national = "0" + e164[3:]
        return f"{national[:5]} {national[5:]}"
    return e164
