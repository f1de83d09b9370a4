"""Display-ready views of clinic models for staff pages."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    Medium,
    Service,
    SettingsChange,
    Source,
    Therapist,
    WorkingPattern,
)
from slotlink.clinic.onboarding import Row
from slotlink.lib.crypto import decrypt
from slotlink.lib.formatting import staff_datetime


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
                if p.works_on(day.day):
                    staff_only = "" if p.online_bookable else " (staff only)"
                    day.working.append(f"{p.start_time:%H:%M}–{p.end_time:%H:%M}{staff_only}")
        for appt in appointments:
            local_start = appt.start.astimezone(zone)
            index = (local_start.date() - monday).days
            if 0 <= index < 7:
                days[index].entries.append(_entry(appt, zone))
        sunday = monday + timedelta(days=6)
        return cls(monday=monday, label=f"{monday:%d %b} – {sunday:%d %b %Y}", days=days)


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


# The audit trail as the patient's record shows it (audit keeps the log; clinic shows it).
def _words(name: str) -> str:
    return name.replace("_", " ")


@dataclass(frozen=True)
class AuditRow:
    at: str
    who: str
    action: str
    record: str
    details: str

    @classmethod
    def of(cls, event: AuditEvent, zone: ZoneInfo) -> "AuditRow":
        who = event.actor_username if event.actor_kind == Who.STAFF else event.actor_kind
        record = f"{_words(event.object_type)} #{event.object_id}" if event.object_id else ""
        details = "; ".join(
            f"{_words(key)}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in sorted(event.details.items())
        )
        label = (
            AuditAction(event.action).label if event.action in AuditAction.values else event.action
        )
        return cls(
            at=staff_datetime(event.occurred_at, zone),
            who=who.capitalize() if event.actor_kind != Who.STAFF else who,
            action=label,
            record=record,
            details=details,
        )


@dataclass(frozen=True)
class ImportRowView:
    """One row of an uploaded CSV file as the preview shows it: its cells in the file's
    column order, and what will happen to it."""

    number: int
    cells: list[str]
    problems: list[str]
    warnings: list[str]

    @classmethod
    def of(cls, row: Row, keys: list[str]) -> "ImportRowView":
        return cls(
            number=row.number,
            cells=[row.cells.get(key, "") for key in keys],
            problems=row.problems,
            warnings=row.warnings,
        )


@dataclass(frozen=True)
class TherapistRow:
    pk: int
    name: str
    account: str
    teams: str
    active: bool

    @classmethod
    def of(cls, therapist: Therapist) -> "TherapistRow":
        return cls(
            pk=therapist.pk,
            name=therapist.name,
            account=therapist.user.username if therapist.user else "",
            teams=", ".join(team.name for team in therapist.teams.all()),
            active=therapist.active,
        )
