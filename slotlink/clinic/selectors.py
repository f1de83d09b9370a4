"""Read-side queries for the clinic. Every one is scoped to the user's service."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import nhs_number
from django.db.models import Exists, OuterRef, Q, QuerySet

from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    AppointmentType,
    DiaryChange,
    DiaryChangeKind,
    Patient,
    PatientAlert,
    Team,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.lib.formatting import mobile_text, nhs_number_text
from slotlink.lib.planning import planned_with_values


def patients_for(user: User) -> QuerySet[Patient]:
    """With the service (its zone heads every page) and whether the patient has open alerts,
    so that patient_details reads them only then."""
    open_alerts = PatientAlert.objects.filter(patient=OuterRef("pk"), acknowledged_at__isnull=True)
    return (
        Patient.objects.filter(service_id=service_id_of(user))
        .select_related("service")
        .annotate(has_open_alerts=Exists(open_alerts))
    )


def therapists_for(user: User) -> QuerySet[Therapist]:
    return Therapist.objects.filter(service_id=service_id_of(user), active=True)


def all_therapists_for(user: User) -> QuerySet[Therapist]:
    """Active and inactive: the set-up pages show both."""
    return Therapist.objects.filter(service_id=service_id_of(user))


def teams_for(user: User) -> QuerySet[Team]:
    return Team.objects.filter(service_id=service_id_of(user))


def appointment_types_for(user: User) -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(service_id=service_id_of(user)).order_by("name")


def patterns_for(user: User) -> QuerySet[WorkingPattern]:
    return WorkingPattern.objects.filter(therapist__service_id=service_id_of(user))


def diary_changes_for(user: User) -> QuerySet[DiaryChange]:
    return DiaryChange.objects.filter(therapist__service_id=service_id_of(user))


def appointments_in_change(change: DiaryChange) -> QuerySet[Appointment]:
    """The appointments still holding the therapist's time during the change: after leave is
    added, the ones staff need to move."""
    return (
        Appointment.objects.filter(
            therapist_id=change.therapist_id,
            status__in=TIME_HOLDING,
            start__lt=change.end,
            end__gt=change.start,
        )
        .select_related("patient", "appointment_type")
        .order_by("start")
    )


def appointments_off_shift(therapist: Therapist, since: datetime) -> list[Appointment]:
    """The therapist's appointments from `since` still holding time that no shift and no
    extra session covers: after a shift is changed or ended, the ones staff need to move (or
    keep, knowingly)."""
    booked = list(
        Appointment.objects.filter(therapist=therapist, status__in=TIME_HOLDING, start__gte=since)
        .select_related("patient", "appointment_type")
        .order_by("start")
    )
    if not booked:
        return []
    patterns = list(therapist.working_patterns.all())
    extras = [
        (change.start, change.end)
        for change in therapist.diary_changes.filter(kind=DiaryChangeKind.EXTRA, end__gt=since)
    ]
    zone = therapist.service.zone
    return [
        appointment
        for appointment in booked
        if not any(start <= appointment.start and appointment.end <= end for start, end in extras)
        and not _on_shift(appointment, patterns, zone)
    ]


def _on_shift(appointment: Appointment, patterns: list[WorkingPattern], zone: ZoneInfo) -> bool:
    start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
    if start.date() != end.date():
        return False
    day = start.date()
    # Back-to-back shifts (09:00-12:30, 12:30-17:00) hold an appointment across the join.
    reach = start.time()
    for pattern in sorted(patterns, key=lambda p: p.start_time):
        if pattern.start_time <= reach < pattern.end_time and pattern.works_on(day):
            reach = pattern.end_time
    return reach >= end.time() > start.time()


def patients_alike(
    service_id: int, first_name: str, last_name: str, born: date, other_than: int | None
) -> QuerySet[Patient]:
    """Patients with the same name and date of birth: perhaps the same person twice."""
    return Patient.objects.filter(
        service_id=service_id,
        first_name__iexact=first_name.strip(),
        last_name__iexact=last_name.strip(),
        date_of_birth=born,
    ).exclude(pk=other_than or 0)


def appointments_for(user: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(service_id=service_id_of(user)).select_related(
        "patient", "therapist", "appointment_type", "booking_link"
    )


_NHS_NUMBER = re.compile(r"[0-9]{10}")


def _as_date(text: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def patient_search(user: User, text: str, *, limit: int = 50) -> list[Patient]:
    """By NHS number (spaces allowed), date of birth (dd/mm/yyyy) or name (any words): the
    first `limit` by name."""
    # PostgreSQL text cannot hold NUL, and no name has one.
    text = text.replace("\x00", "").strip()[:100]
    patients = patients_for(user)
    if not text:
        return []
    digits = re.sub(r"[\s-]", "", text)
    if _NHS_NUMBER.fullmatch(digits):
        return list(patients.filter(nhs_number=digits)[:limit])
    born = _as_date(text) if text.isascii() else None
    if born is not None:
        return list(patients.filter(date_of_birth=born)[:limit])
    for word in text.split()[:4]:
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    # Whether walking the patients in name order or reading the name indexes is quicker
    # depends on how many have the name: only a plan made for the words knows.
    with planned_with_values():
        return list(patients[:limit])


def is_valid_nhs_number(text: str) -> bool:
    """Ten digits 0 to 9 with the right check digit."""
    return bool(_NHS_NUMBER.fullmatch(text)) and bool(nhs_number.is_valid(text))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


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
    alerts: tuple["AlertDetails", ...] = ()  # not yet acknowledged, newest first


@dataclass(frozen=True)
class AlertDetails:
    pk: int
    summary: str
    raised: str  # local date and time


def patient_details(patient: Patient, *, with_alerts: bool = True) -> PatientDetails:
    """The patient as every staff page heads him or her: clinic's own pages, the record, the
    link history (one read model, so that no app reaches into another's presenters). Lists
    that show no alerts pass `with_alerts=False`: the alerts are a query per patient."""
    discharged_at = patient.discharged_at
    return PatientDetails(
        pk=patient.pk,
        name=patient.full_name,
        first_name=patient.first_name,
        date_of_birth=f"{patient.date_of_birth:%d/%m/%Y}",
        nhs_number=nhs_number_text(patient.nhs_number),
        mobile=mobile_text(patient.mobile),
        email=patient.email,
        discharged=(
            f"{discharged_at.astimezone(patient.service.zone):%d/%m/%Y}" if discharged_at else ""
        ),
        do_not_sms=patient.do_not_sms,
        alerts=_open_alerts(patient) if with_alerts else (),
    )


def _open_alerts(patient: Patient) -> tuple[AlertDetails, ...]:
    # patients_for says whether there are any; a patient read some other way is asked.
    if not getattr(patient, "has_open_alerts", True):
        return ()
    return tuple(
        AlertDetails(
            pk=alert.pk,
            summary=alert.summary,
            raised=f"{alert.raised_at.astimezone(patient.service.zone):%d/%m/%Y %H:%M}",
        )
        for alert in PatientAlert.objects.filter(patient=patient, acknowledged_at__isnull=True)
    )
