"""Display-ready views of clinic models for staff pages."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    Medium,
    Patient,
    Source,
    WorkingPattern,
)


def nhs_number_text(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def mobile_text(e164: str) -> str:
    if e164.startswith("+44") and len(e164) == 13:
        national = "0" + e164[3:]
        return f"{national[:5]} {national[5:]}"
    return e164


@dataclass(frozen=True)
class PatientDetails:
    pk: int
    name: str
    first_name: str
    date_of_birth: str
    nhs_number: str
    mobile: str
    email: str

    @classmethod
    def of(cls, patient: Patient) -> "PatientDetails":
        return cls(
            pk=patient.pk,
            name=patient.full_name,
            first_name=patient.first_name,
            date_of_birth=f"{patient.date_of_birth:%d/%m/%Y}",
            nhs_number=nhs_number_text(patient.nhs_number),
            mobile=mobile_text(patient.mobile),
            email=patient.email,
        )


@dataclass(frozen=True)
class DiaryEntry:
    pk: int
    time: str
    patient: str
    appointment_type: str
    status: str
    cancelled: bool
    online: bool
    summary: list[str]


@dataclass
class DiaryDay:
    day: date
    label: str
    working: list[str] = field(default_factory=list)
    entries: list[DiaryEntry] = field(default_factory=list)
    today: bool = False


@dataclass
class DiaryWeek:
    monday: date
    label: str
    days: list[DiaryDay]

    @classmethod
    def build(
        cls,
        monday: date,
        zone: ZoneInfo,
        appointments: list[Appointment],
        patterns: list[WorkingPattern],
        today: date | None = None,
    ) -> "DiaryWeek":
        days = [
            DiaryDay(day=monday + timedelta(days=i), label=f"{monday + timedelta(days=i):%a %d %b}")
            for i in range(7)
        ]
        for day in days:
            day.today = day.day == today
            for p in sorted(patterns, key=lambda p: p.start_time):
                if _pattern_applies(p, day.day):
                    day.working.append(f"{p.start_time:%H:%M}–{p.end_time:%H:%M}")
        for appt in appointments:
            local_start = appt.start.astimezone(zone)
            index = (local_start.date() - monday).days
            if 0 <= index < 7:
                days[index].entries.append(_entry(appt, zone))
        sunday = monday + timedelta(days=6)
        return cls(monday=monday, label=f"{monday:%d %b} – {sunday:%d %b %Y}", days=days)


def _pattern_applies(pattern: WorkingPattern, day: date) -> bool:
    if day.weekday() != pattern.weekday or day < pattern.effective_from:
        return False
    if pattern.effective_to and day > pattern.effective_to:
        return False
    first_monday = pattern.effective_from - timedelta(days=pattern.effective_from.weekday())
    weeks = (day - first_monday).days // 7
    return weeks % pattern.every_weeks == 0


def _entry(appt: Appointment, zone: ZoneInfo) -> DiaryEntry:
    start = appt.start.astimezone(zone)
    end = appt.end.astimezone(zone)
    online = appt.source == Source.ONLINE
    summary = [
        f"{start:%H:%M}–{end:%H:%M}",
        appt.patient.full_name,
        appt.appointment_type.name,
        Medium(appt.medium).label + (f", {appt.location}" if appt.location else ""),
        AppointmentStatus(appt.status).label,
    ]
    if online:
        summary.append("Booked online")
    return DiaryEntry(
        pk=appt.pk,
        time=f"{start:%H:%M}–{end:%H:%M}",
        patient=appt.patient.full_name,
        appointment_type=appt.appointment_type.name,
        status=AppointmentStatus(appt.status).label,
        cancelled=appt.status == AppointmentStatus.CANCELLED,
        online=online,
        summary=summary,
    )
