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
from slotlink.lib.formatting import staff_datetime


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


@dataclass(frozen=True)
class PreviewShift:
    text: str
    new: bool
    online: bool


@dataclass(frozen=True)
class PreviewDay:
    label: str
    shifts: list[PreviewShift]
    notes: list[str]


@dataclass(frozen=True)
class PreviewWeek:
    label: str
    days: list[PreviewDay]


def pattern_weeks(
    monday: date,
    count: int,
    zone: ZoneInfo,
    patterns: list[WorkingPattern],
    changes: list[DiaryChange],
    proposed: WorkingPattern | None = None,
) -> list[PreviewWeek]:
    """`count` weeks of a therapist's working time from `monday`, as the diary and the slot
    engine see it (the same rule for which days a shift falls on), with `proposed` marked
    as new: what saving it would give."""
    shifts = sorted([*patterns, *([proposed] if proposed else [])], key=lambda p: p.start_time)
    weeks = []
    for week in range(count):
        first = monday + timedelta(weeks=week)
        days = []
        for offset in range(7):
            day = first + timedelta(days=offset)
            days.append(
                PreviewDay(
                    label=f"{day:%a %d %b}",
                    shifts=[
                        PreviewShift(
                            text=f"{p.start_time:%H:%M}–{p.end_time:%H:%M}",
                            new=p is proposed,
                            online=p.online_bookable,
                        )
                        for p in shifts
                        if p.works_on(day)
                    ],
                    notes=_notes(changes, day, zone),
                )
            )
        weeks.append(PreviewWeek(label=f"Week of {first:%d %b %Y}", days=days))
    return weeks


def shift_text(pattern: WorkingPattern) -> str:
    return f"{pattern.get_weekday_display()} {pattern.start_time:%H:%M}–{pattern.end_time:%H:%M}"


@dataclass(frozen=True)
class PatternRow:
    pk: int
    day: str
    hours: str
    repeats: str
    dates: str
    online: str
    ended: bool


def pattern_rows(patterns: list[WorkingPattern], today: date) -> list[PatternRow]:
    rows = []
    for p in sorted(patterns, key=lambda p: (p.weekday, p.start_time, p.effective_from)):
        to = p.effective_to
        rows.append(
            PatternRow(
                pk=p.pk,
                day=p.get_weekday_display(),
                hours=f"{p.start_time:%H:%M}–{p.end_time:%H:%M}",
                repeats=_repeats(p.every_weeks, p.effective_from),
                dates=f"{p.effective_from:%d/%m/%Y} – {to:%d/%m/%Y}"
                if to
                else f"From {p.effective_from:%d/%m/%Y}",
                online="Yes" if p.online_bookable else "No (staff only)",
                ended=to is not None and to < today,
            )
        )
    return rows


def _repeats(every_weeks: int, since: date) -> str:
    if every_weeks == 1:
        return "Every week"
    monday = since - timedelta(days=since.weekday())
    return f"Every {every_weeks} weeks, from the week of {monday:%d/%m/%Y}"


@dataclass(frozen=True)
class ChangeRow:
    pk: int
    kind: str
    start: str
    end: str
    note: str

    @classmethod
    def of(cls, change: DiaryChange, zone: ZoneInfo) -> "ChangeRow":
        return cls(
            pk=change.pk,
            kind=DiaryChangeKind(change.kind).label,
            start=staff_datetime(change.start, zone),
            end=staff_datetime(change.end, zone),
            note=change.note,
        )


@dataclass(frozen=True)
class AppointmentToMove:
    pk: int
    when: str
    patient: str
    appointment_type: str

    @classmethod
    def of(cls, appointment: Appointment, zone: ZoneInfo) -> "AppointmentToMove":
        return cls(
            pk=appointment.pk,
            when=f"{staff_datetime(appointment.start, zone)}–"
            f"{appointment.end.astimezone(zone):%H:%M}",
            patient=appointment.patient.full_name,
            appointment_type=appointment.appointment_type.name,
        )
