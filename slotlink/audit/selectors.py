from django.db.models import QuerySet

from slotlink.audit.models import AuditEvent


def patient_audit_trail(*, patient_id: int, service_id: int) -> QuerySet[AuditEvent]:
    """What happened to one patient's records, newest first, as recorded within a service."""
    return AuditEvent.objects.filter(patient_id=patient_id, service_id=service_id).order_by(
        "-occurred_at", "-pk"
    )


def record_audit_trail(
    *, object_type: str, object_id: int, service_id: int
) -> QuerySet[AuditEvent]:
    """What happened to one record of a service (a staff account, the service itself), newest
    first."""
    return AuditEvent.objects.filter(
        service_id=service_id, object_type=object_type, object_id=str(object_id)
    ).order_by("-occurred_at", "-pk")
