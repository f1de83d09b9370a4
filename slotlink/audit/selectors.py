from datetime import datetime

from django.db.models import Max, QuerySet

from slotlink.audit.models import AuditEvent


def patient_audit_trail(*, patient_id: int, service_id: int) -> QuerySet[AuditEvent]:
    """What happened to one patient's records, newest first, as recorded within a service."""
    return AuditEvent.objects.filter(patient_id=patient_id, service_id=service_id).order_by(
        "-occurred_at", "-pk"
    )


def last_changed(
    *, service_id: int, patient_ids: list[int], object_type: str, actions: list[str]
) -> dict[str, datetime]:
    """Object id -> when one of `actions` last happened to it, for objects of `object_type`
    concerning these patients (found through the patient index)."""
    rows = (
        AuditEvent.objects.filter(
            service_id=service_id,
            patient_id__in=patient_ids,
            object_type=object_type,
            action__in=actions,
        )
        .values("object_id")
        .annotate(latest=Max("occurred_at"))
        .order_by()
    )
    return {row["object_id"]: row["latest"] for row in rows}


def record_audit_trail(
    *, object_type: str, object_id: int, service_id: int
) -> QuerySet[AuditEvent]:
    """What happened to one record of a service (a staff account, the service itself), newest
    first."""
    return AuditEvent.objects.filter(
        service_id=service_id, object_type=object_type, object_id=str(object_id)
    ).order_by("-occurred_at", "-pk")
