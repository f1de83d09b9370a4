from django.db.models import QuerySet

from slotlink.audit.models import AuditEvent
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import Patient, User


def patient_audit_trail(user: User, patient: Patient) -> QuerySet[AuditEvent]:
    """What happened to one patient's records, newest first, within the user's service."""
    return AuditEvent.objects.filter(patient=patient, service_id=service_id_of(user)).order_by(
        "-occurred_at", "-pk"
    )
