"""Reads for the FHIR API, each starting from the client's service, as the staff screens
start from theirs."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo

from django.db.models import Max, QuerySet

from slotlink.api.models import ApiClient
from slotlink.audit.models import AuditAction
from slotlink.audit.selectors import last_changed
from slotlink.booking.availability.selectors import rule_therapist_times
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


FreeSlot = tuple[datetime, int, BroadcastRule]  # start, therapist id, rule


def free_slots(
    rules: list[BroadcastRule],
    now: datetime,
    since: datetime,
    until: datetime,
    *,
    zone: tzinfo,
    therapist_id: int | None = None,
    wanted: int | None = None,
) -> list[FreeSlot]:
    """The free slots from `since` until before `until`, by start, therapist and rule: at
    least the first `wanted` of them, or all when `wanted` is None.

    The window is read a piece at a time, a day, then two, four and so on, each piece ending
    at the service's midnight (so a day's diary and daily cap are read whole), until enough
    are found: a first page costs what its days do, not the whole window."""
    found: list[FreeSlot] = []
    days, start = 1, since
    while start < until and (wanted is None or len(found) < wanted):
        last_day = start.astimezone(zone).date() + timedelta(days=days)
        end = until if wanted is None else min(until, datetime.combine(last_day, time(), zone))
        piece = [
            (at, therapist, rule)
            for rule in rules
            for at, therapist in rule_therapist_times(rule, now, start, end)
            if therapist_id is None or therapist == therapist_id
        ]
        # Pieces follow one another in time, so sorting each sorts the whole.
        found.extend(sorted(piece, key=lambda slot: (slot[0], slot[1], slot[2].pk)))
        days, start = days * 2, end
    return found
