"""Read-side queries for the clinic. Every one is scoped to the user's service."""

import re
from datetime import date, datetime, timedelta

import nhs_number
from django.db.models import Q, QuerySet

from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import Appointment, Patient, Therapist, User


def patients_for(user: User) -> QuerySet[Patient]:
    return Patient.objects.filter(service_id=service_id_of(user))


def therapists_for(user: User) -> QuerySet[Therapist]:
    return Therapist.objects.filter(service_id=service_id_of(user), active=True)


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


def patient_search(user: User, text: str) -> QuerySet[Patient]:
    """By NHS number (spaces allowed), date of birth (dd/mm/yyyy) or name (any words)."""
    # PostgreSQL text cannot hold NUL, and no name has one.
    text = text.replace("\x00", "").strip()[:100]
    patients = patients_for(user)
    if not text:
        return patients.none()
    digits = re.sub(r"[\s-]", "", text)
    if _NHS_NUMBER.fullmatch(digits):
        return patients.filter(nhs_number=digits)
    born = _as_date(text) if text.isascii() else None
    if born is not None:
        return patients.filter(date_of_birth=born)
    for word in text.split()[:4]:
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return patients


def is_valid_nhs_number(text: str) -> bool:
    """Ten digits 0 to 9 with the right check digit."""
    return bool(_NHS_NUMBER.fullmatch(text)) and bool(nhs_number.is_valid(text))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
