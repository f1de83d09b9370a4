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


def _as_date(text: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def patient_search(user: User, text: str) -> QuerySet[Patient]:
    """By NHS number (spaces allowed), date of birth (dd/mm/yyyy) or name (any words)."""
    text = text.strip()[:100]
    patients = patients_for(user)
    if not text:
        return patients.none()
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit() and len(digits) == 10:
        return patients.filter(nhs_number=digits)
    born = _as_date(text)
    if born is not None:
        return patients.filter(date_of_birth=born)
    for word in text.split()[:4]:
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return patients


def is_valid_nhs_number(text: str) -> bool:
    return bool(nhs_number.is_valid(text))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
