"""Write-side operations on the diary that stay within the clinic."""

from django.db import transaction

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.models import (
    Appointment,
    ClinicalContact,
    User,
)


@transaction.atomic
def clinical_contact_save(*, contact: ClinicalContact, user: User) -> ClinicalContact:
    """Save a clinical contact from its form, recording who changed it (not what it says)."""
    contact.save()
    appointment = contact.appointment
    audit_record(
        action=AuditAction.CLINICAL_CONTACT_UPDATED,
        by=user,
        subject=appointment,
        patient_id=appointment.patient_id,
        service_id=appointment.service_id,
    )
    return contact


def appointment_viewed(action: AuditAction, appointment: Appointment, user: User) -> None:
    """Record that staff opened an appointment or its clinical contact."""
    audit_record(
        action=action,
        by=user,
        subject=appointment,
        patient_id=appointment.patient_id,
        service_id=appointment.service_id,
    )
