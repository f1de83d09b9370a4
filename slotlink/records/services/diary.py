"""Making and cancelling appointments from the diary."""

from functools import partial

from django.db import transaction

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import Appointment, AppointmentStatus, ClinicalContact, User
from slotlink.questionnaires.services import appointment_forms_send
from slotlink.records.services.appointments import (
    STAFF_CANCELLED,
    appointment_save,
    appointment_taken_away,
)


@transaction.atomic
def appointment_create(*, appointment: Appointment, user: User) -> Appointment:
    """A new staff appointment, with its clinical contact (every appointment has one).
    Raises DiaryConflict when it would overlap another in the therapist's diary. Forms due
    with the booking go once it is committed (housekeeping's sweep would send them within
    the minute anyway)."""
    appointment_save(appointment=appointment, user=user)
    ClinicalContact.objects.create(appointment=appointment)
    transaction.on_commit(partial(appointment_forms_send, appointment_id=appointment.pk))
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str, user: User | None = None) -> bool:
    """Cancel, keeping the appointment in the diary (struck through) with the reason. Its
    time is free again at once (see appointment_taken_away for the rest). Returns False if it
    was already cancelled."""
    changed = (
        Appointment.objects.filter(pk=appointment.pk)
        .exclude(status=AppointmentStatus.CANCELLED)
        .update(status=AppointmentStatus.CANCELLED, cancellation_reason=reason[:200])
    )
    if changed:
        appointment.refresh_from_db(fields=["status", "cancellation_reason"])
        audit_record(
            action=AuditAction.APPOINTMENT_CANCELLED,
            by=user or Who.SYSTEM,
            subject=appointment,
            patient_id=appointment.patient_id,
            service_id=appointment.service_id,
        )
        appointment_taken_away(appointment=appointment, user=user, reason=STAFF_CANCELLED)
    return bool(changed)
