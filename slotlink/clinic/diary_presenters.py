"""The diary for one therapist or a team, by week or by day."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slotlink.clinic.models import (
    Appointment,
    DiaryChange,
    DiaryChangeKind,
    Therapist,
    WorkingPattern,
)
from slotlink.clinic.presenters import DiaryDay, DiaryWeek


@dataclass(frozen=True)
class TherapistWeek:
    pk: int
    name: str
    week: DiaryWeek


@dataclass(frozen=True)
class TherapistDay:
    pk: int
    name: str
    day: DiaryDay


def therapist_weeks(
    monday: date,
    zone: ZoneInfo,
    therapists: list[Therapist],
    appointments: list[Appointment],
    patterns: list[WorkingPattern],
    changes: list[DiaryChange],
    today: date,
) -> list[TherapistWeek]:
    by_therapist: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        by_therapist[appointment.therapist_id].append(appointment)
    patterns_of: dict[int, list[WorkingPattern]] = defaultdict(list)
    for pattern in patterns:
        patterns_of[pattern.therapist_id].append(pattern)
    changes_of: dict[int, list[DiaryChange]] = defaultdict(list)
    for change in changes:
        changes_of[change.therapist_id].append(change)
    weeks = []
    for therapist in therapists:
        week = DiaryWeek.build(
            monday, zone, by_therapist[therapist.pk], patterns_of[therapist.pk], today
        )
        for day in week.days:
            day.notes.extend(_notes(changes_of[therapist.pk], day.day, zone))
        weeks.append(TherapistWeek(pk=therapist.pk, name=therapist.name, week=week))
    return weeks


def one_day(weeks: list[TherapistWeek], day: date) -> list[TherapistDay]:
    index = (day - weeks[0].week.monday).days if weeks else 0
    return [TherapistDay(pk=w.pk, name=w.name, day=w.week.days[index]) for w in weeks]


def _notes(changes: list[DiaryChange], day: date, zone: ZoneInfo) -> list[str]:
    """ "Leave all day", "Extra session 18:00–20:00": each change, clipped to the day."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    notes = []
    for change in sorted(changes, key=lambda c: c.start):
        if change.start >= end or change.end <= start:
            continue
        label = DiaryChangeKind(change.kind).label
        if change.start <= start and change.end >= end:
            notes.append(f"{label} all day")
        else:
            since = max(change.start, start).astimezone(zone)
            until = min(change.end, end).astimezone(zone)
            notes.append(f"{label} {since:%H:%M}–{until:%H:%M}")
    return notes


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"
