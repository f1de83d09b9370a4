"""Write-side operations on the diary."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.booking.appointments.services import booking_link_delete_for_appointment
from slotlink.booking.links.services import Actor
from slotlink.booking.models import ActorKind
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    AppointmentStatus,
    User,
)
from slotlink.domain.appointment_lifecycle import (
    StatusChangeNotAllowed,
    appointment_status_change,
    can_change,
)
from slotlink.messaging.services import appointment_reminders_refresh
from slotlink.questionnaires.models import FormRequest
from slotlink.questionnaires.services import form_requests_withdraw


class DiaryConflict(Exception):
    """The change cannot go into the diary: it would put two appointments in one therapist's
    time, or change a status as the appointment life cycle does not allow."""


def _overlaps(appointment: Appointment) -> bool:
    return (
        Appointment.objects.filter(
            therapist_id=appointment.therapist_id,
            status__in=TIME_HOLDING,
            start__lt=appointment.end,
            end__gt=appointment.start,
        )
        .exclude(pk=appointment.pk)
        .exists()
    )


@transaction.atomic
def appointment_save(*, appointment: Appointment, user: User) -> Appointment:
    """Create or update an appointment from a staff form, refusing overlaps. The check gives a
    clear message; the database constraint is what makes it hold under concurrency."""
    if appointment.status in TIME_HOLDING and _overlaps(appointment):
        raise DiaryConflict("The therapist already has an appointment at that time.")
    if appointment.pk is None:
        appointment.created_by = user
    before = _audited_values(appointment)
    if before is not None and not can_change(str(before["status"]), appointment.status):
        raise DiaryConflict(str(StatusChangeNotAllowed(str(before["status"]), appointment.status)))
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError:
        raise DiaryConflict("The therapist already has an appointment at that time.") from None
    _audit_save(appointment, before, user)
    if (
        before is not None
        and before["status"] in TIME_HOLDING
        and appointment.status == AppointmentStatus.CANCELLED
    ):
        appointment_taken_away(appointment=appointment, user=user, reason=STAFF_CANCELLED)
    else:
        appointment_reminders_refresh(appointment=appointment)
    return appointment


# Why a booking link ended, in its history, when staff took its appointment away.
STAFF_CANCELLED = "Appointment cancelled by staff"
STAFF_DELETED = "Appointment deleted from the diary"


@transaction.atomic
def appointment_taken_away(
    *, appointment: Appointment, user: User | None, reason: str, now: datetime | None = None
) -> None:
    """The one rule for an appointment staff have just taken out of the diary, whichever way:
    cancelled from the diary, its status set to cancelled on its page, or deleted. Call it
    when the appointment held its time until this change. Its reminders stop, and the booking
    link that made it (if it was booked online) moves to "deleted" with `reason` in its
    history: DOMAIN.md deletes the link of an appointment deleted from the diary, and a
    cancelled appointment has left the diary just the same, so the patient's link shows that
    it cannot be used rather than a booking that no longer stands. Its unfinished
    questionnaires are withdrawn. (An appointment that held
    no time already, e.g. the one a patient moved away from, is not taken away: its link
    stands for the moved appointment.)"""
    now = now or timezone.now()
    appointment_reminders_refresh(appointment=appointment, now=now)
    form_requests_withdraw(requests=FormRequest.objects.filter(appointment=appointment), now=now)
    actor = Actor.staff(user, reason) if user is not None else Actor(ActorKind.SYSTEM, None, reason)
    booking_link_delete_for_appointment(appointment=appointment, actor=actor, now=now)


_AUDITED_FIELDS = (
    "start",
    "end",
    "therapist_id",
    "status",
    "appointment_type_id",
    "medium",
    "location",
    "location_cy",
    "patient_id",
)
_MOVE_FIELDS = {"start", "end", "therapist_id"}


def _audited_values(appointment: Appointment) -> dict[str, object] | None:
    """The saved values, before this change (None for a new appointment)."""
    if appointment.pk is None:
        return None
    return Appointment.objects.filter(pk=appointment.pk).values(*_AUDITED_FIELDS).first()


def _audit_save(appointment: Appointment, before: dict[str, object] | None, user: User) -> None:
    if before is None:
        action, changed = AuditAction.APPOINTMENT_CREATED, []
    else:
        changed = [f for f in _AUDITED_FIELDS if getattr(appointment, f) != before[f]]
        if not changed:
            return
        if "status" in changed and appointment.status == AppointmentStatus.CANCELLED:
            action = AuditAction.APPOINTMENT_CANCELLED
        elif _MOVE_FIELDS & set(changed):
            action = AuditAction.APPOINTMENT_MOVED
        else:
            action = AuditAction.APPOINTMENT_UPDATED
    audit_record(
        action=action,
        by=user,
        subject=appointment,
        patient_id=appointment.patient_id,
        service_id=appointment.service_id,
        details={"fields": [f.removesuffix("_id") for f in changed]} if changed else {},
    )


@transaction.atomic
def appointment_delete(*, appointment: Appointment, user: User) -> None:
    """Take an appointment out of the diary. It stays on record as cancelled (its clinical
    contact and history must survive); see appointment_taken_away for the rest."""
    was = (
        Appointment.objects.select_for_update()
        .values_list("status", flat=True)
        .get(pk=appointment.pk)
    )
    appointment.status = appointment_status_change(was, AppointmentStatus.CANCELLED)
    appointment.cancellation_reason = "Deleted from the diary"
    appointment.save(update_fields=["status", "cancellation_reason"])
    audit_record(
        action=AuditAction.APPOINTMENT_DELETED,
        by=user,
        subject=appointment,
        patient_id=appointment.patient_id,
        service_id=appointment.service_id,
    )
    if was in TIME_HOLDING:
        appointment_taken_away(appointment=appointment, user=user, reason=STAFF_DELETED)
