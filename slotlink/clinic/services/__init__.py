"""Write-side operations on the diary that stay within the clinic."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.models import (
    Appointment,
    ClinicalContact,
    PatientAlert,
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


def patient_alert_acknowledge(
    *, alert: PatientAlert, user: User, now: datetime | None = None
) -> bool:
    """A clinician has seen the alert: it leaves the record's banner, with who and when kept.
    False if someone acknowledged it first (theirs is the name kept)."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = PatientAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=user
        )
        if changed:
            audit_record(
                action=AuditAction.ALERT_ACKNOWLEDGED,
                by=user,
                object_type="patient_alert",
                object_id=alert.pk,
                patient_id=alert.patient_id,
                service_id=alert.service_id,
                now=now,
            )
    return bool(changed)
