"""Reads for the FHIR API, each starting from the client's service, as the staff screens
start from theirs."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Max, QuerySet

from slotlink.api.models import ApiClient
from slotlink.audit.models import AuditAction
from slotlink.audit.selectors import last_changed
from slotlink.booking.models import BookingLink, BookingLinkEvent, BroadcastRule
from slotlink.clinic.models import Appointment, Patient, Therapist

PATIENT_CHANGES = [AuditAction.PATIENT_CREATED, AuditAction.PATIENT_UPDATED]
APPOINTMENT_CHANGES = [
    AuditAction.APPOINTMENT_CREATED,
    AuditAction.APPOINTMENT_MOVED,
    AuditAction.APPOINTMENT_UPDATED,
    AuditAction.APPOINTMENT_CANCELLED,
    AuditAction.APPOINTMENT_DELETED,
]


def api_patients(client: ApiClient) -> QuerySet[Patient]:
    return Patient.objects.filter(service_id=client.service_id).order_by("pk")


def api_therapists(client: ApiClient) -> QuerySet[Therapist]:
    # Every therapist, active or not: a record system may hold appointments with either.
    return Therapist.objects.filter(service_id=client.service_id).order_by("pk")


def api_appointments(client: ApiClient) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(service_id=client.service_id)
        .select_related("patient", "therapist", "appointment_type")
        .order_by("start", "pk")
    )


def rules_by_therapist(rules: Iterable[BroadcastRule]) -> dict[int, list[BroadcastRule]]:
    """Therapist id -> the rules offering their diary (a rule's own therapists; see
    reads.rule_therapist_ids for a team's, which Schedule leaves out)."""
    offered: dict[int, list[BroadcastRule]] = {}
    for rule in rules:
        for therapist in rule.therapists.all():
            offered.setdefault(therapist.pk, []).append(rule)
    return offered


def patients_last_changed(client: ApiClient, patients: list[Patient]) -> dict[str, datetime]:
    return last_changed(
        service_id=client.service_id,
        patient_ids=[p.pk for p in patients],
        object_type="patient",
        actions=list(PATIENT_CHANGES),
    )


def appointments_last_changed(
    client: ApiClient, appointments: list[Appointment]
) -> dict[str, datetime]:
    return last_changed(
        service_id=client.service_id,
        patient_ids=sorted({a.patient_id for a in appointments}),
        object_type="appointment",
        actions=list(APPOINTMENT_CHANGES),
    )


def link_last_changed(link: BookingLink) -> datetime:
    latest = BookingLinkEvent.objects.filter(link=link).aggregate(at=Max("occurred_at"))["at"]
    return latest or link.created_at
