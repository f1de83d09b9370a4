from django.db.models import QuerySet

from slotlink.audit.models import AuditEvent


def patient_audit_trail(*, patient_id: int, service_id: int) -> QuerySet[AuditEvent]:
    """What happened to one patient's records, newest first, as recorded within a service."""
    return AuditEvent.objects.filter(patient_id=patient_id, service_id=service_id).order_by(
        "-occurred_at", "-pk"
    )
