"""Display-ready views of clinic models for staff pages."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    Medium,
    Patient,
    Service,
    SettingsChange,
    Source,
    WorkingPattern,
)
from slotlink.domain.weeks import in_working_week
from slotlink.lib.crypto import decrypt


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
    discharged: str = ""  # the date, when discharged
    do_not_sms: bool = False

    @classmethod
    def of(cls, patient: Patient) -> "PatientDetails":
        discharged_at = patient.discharged_at
        return cls(
            pk=patient.pk,
            name=patient.full_name,
            first_name=patient.first_name,
            date_of_birth=f"{patient.date_of_birth:%d/%m/%Y}",
            nhs_number=nhs_number_text(patient.nhs_number),
            mobile=mobile_text(patient.mobile),
            email=patient.email,
            discharged=(
                f"{discharged_at.astimezone(patient.service.zone):%d/%m/%Y}"
                if discharged_at
                else ""
            ),
            do_not_sms=patient.do_not_sms,
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
    notes: list[str] = field(default_factory=list)  # leave, sickness, extra sessions


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
    return in_working_week(day.toordinal(), pattern.effective_from.toordinal(), pattern.every_weeks)


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
    if online and appt.rescheduled_from_id is not None:
        summary.append("Rescheduled by patient")
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


def secret_hint(encrypted: str) -> str:
    """Enough for a superuser to recognise a saved key, never enough to use it."""
    if not encrypted:
        return "Not set"
    plain = decrypt(encrypted)
    if plain is None:
        return "Set, but unreadable with the current keys: enter it again"
    return f"Set, ending …{plain[-4:]}" if len(plain) >= 12 else "Set"


@dataclass(frozen=True)
class SettingsChangeRow:
    at: str
    by: str
    subject: str
    fields: str

    @classmethod
    def of(cls, change: SettingsChange, zone: ZoneInfo) -> "SettingsChangeRow":
        by = change.changed_by
        return cls(
            at=f"{change.changed_at.astimezone(zone):%d/%m/%Y %H:%M}",
            by=(by.get_full_name() or by.username) if by else "",
            subject=change.subject,
            fields=", ".join(_field_label(name) for name in change.fields),
        )


_EXTRA_LABELS = {
    "logo": "logo",
    # A label shown to people, not a key.
    "sms_secret": "SMS API key",  # nosec B105
    "reminder_hours_before": "reminder texts",
}


def _field_label(name: str) -> str:
    if name in _EXTRA_LABELS:
        return _EXTRA_LABELS[name]
    # Rule changes are recorded here too. By app label, not an import: clinic sits below
    # booking (docs/adr/0001).
    for model in (Service, apps.get_model("booking", "BroadcastRule")):
        try:
            found = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return str(getattr(found, "verbose_name", name))
    return name
