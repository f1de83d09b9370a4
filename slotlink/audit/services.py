"""The auditor: the one way anything is written to the audit log.

Called explicitly by the services and views that do or show the thing audited (not from
signals), inside their transaction, so an action and its audit row are committed together or
not at all."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.lib.inserts import rows_insert

# Details are for the reader of the trail, not a copy of the record: a few short values.
MAX_DETAIL_ITEMS = 12
MAX_DETAIL_TEXT = 200
# Keys that must never reach the log, whatever a caller passes.
FORBIDDEN_DETAILS = frozenset(
    {"date_of_birth", "born", "code", "token", "password", "secret", "body", "mobile", "email"}
)


def _object_type(subject: models.Model) -> str:
    """The model's name in words, joined: "booking_link", "clinical_contact"…"""
    return str(subject._meta.verbose_name).replace(" ", "_")


def _clean(details: dict[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in list((details or {}).items())[:MAX_DETAIL_ITEMS]:
        if key in FORBIDDEN_DETAILS:
            raise ValueError(f"{key!r} must not be written to the audit log")
        if isinstance(value, str):
            value = value[:MAX_DETAIL_TEXT]
        elif isinstance(value, list | tuple):
            value = [str(v)[:MAX_DETAIL_TEXT] for v in value][:MAX_DETAIL_ITEMS]
        elif not isinstance(value, bool | int | float) and value is not None:
            value = str(value)[:MAX_DETAIL_TEXT]
        clean[key] = value
    return clean


def audit_record(
    *,
    action: AuditAction,
    by: AbstractBaseUser | Who,
    subject: models.Model | None = None,
    object_type: str = "",
    object_id: int | str | None = None,
    patient_id: int | None = None,
    service_id: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Record that `by` (a member of staff, or the patient or the system) did `action` to
    `subject` (or to the record named by object_type and object_id), concerning a patient of a
    service. Raises ValueError for details that must never be logged (dates of birth, codes,
    tokens…)."""
    event = audit_event(
        action=action,
        by=by,
        subject=subject,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        service_id=service_id,
        details=details,
        now=now,
    )
    event.save()
    return event


def audit_event(
    *,
    action: AuditAction,
    by: AbstractBaseUser | Who,
    subject: models.Model | None = None,
    object_type: str = "",
    object_id: int | str | None = None,
    patient_id: int | None = None,
    service_id: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """The event audit_record would write, not yet written: for audit_record_all, when one
    action records several at once."""
    if subject is not None:
        object_type = object_type or _object_type(subject)
        object_id = subject.pk
    return _event(action, by, object_type, object_id, patient_id, service_id, details, now)


def audit_record_all(events: Sequence[AuditEvent]) -> None:
    """Write events made by audit_event in one statement, in the order given."""
    rows_insert(events)


def audit_record_each(
    *,
    action: AuditAction,
    by: AbstractBaseUser,
    subjects: Sequence[models.Model],
    service_id: int,
    are_patients: bool = False,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """audit_record for each of many records one member of staff acted on at once (an
    import), written in one statement: one row per record, as if recorded one by one."""
    moment = now or timezone.now()
    AuditEvent.objects.bulk_create(
        _event(
            action,
            by,
            _object_type(subject),
            subject.pk,
            subject.pk if are_patients else None,
            service_id,
            details,
            moment,
        )
        for subject in subjects
    )


def _event(
    action: AuditAction,
    by: AbstractBaseUser | Who,
    object_type: str,
    object_id: int | str | None,
    patient_id: int | None,
    service_id: int | None,
    details: dict[str, Any] | None,
    now: datetime | None,
) -> AuditEvent:
    if isinstance(by, AbstractBaseUser):
        actor: AbstractBaseUser | None = by
        kind = Who.STAFF
    else:
        actor, kind = None, by
        if kind == Who.STAFF:
            raise ValueError("A staff action must name the member of staff")
    return AuditEvent(
        occurred_at=now or timezone.now(),
        actor_kind=kind,
        actor_id=actor.pk if actor else None,
        actor_username=actor.get_username() if actor else "",
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        patient_id=patient_id,
        service_id=service_id if service_id is not None else _service_of(actor),
        details=_clean(details),
    )


def _service_of(actor: AbstractBaseUser | None) -> int | None:
    # Staff belong to a service (clinic.User.service); read by name, as this app imports none.
    service_id: int | None = getattr(actor, "service_id", None)
    return service_id
