"""Reminders: queued through message_queue for each of the service's reminder times before
an appointment, and brought in line whenever the appointment moves or is cancelled."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.lib.formatting import when
from slotlink.lib.language import language_of
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services.queueing import APPOINTMENT_CHANGED, message_queue
from slotlink.messaging.services.quiet_hours import quiet_hours_end


def appointment_reminders_refresh(
    *, appointment: Appointment, now: datetime | None = None, new: bool = False
) -> None:
    """Bring the appointment's reminders in line with it: drop those written for another start
    (or for a cancelled appointment) and queue the service's schedule for the current one.
    Sending checks again, so a reminder that slips through this is still never sent stale.
    `new`: the appointment was made in the caller's transaction, so it has no reminders yet
    and there is nothing to drop or to look for (two queries fewer on every booking)."""
    now = now or timezone.now()
    if not new:
        OutboundMessage.objects.filter(
            appointment=appointment, kind=MessageKind.REMINDER, status=MessageStatus.QUEUED
        ).exclude(
            for_start=appointment.start if appointment.status == AppointmentStatus.BOOKED else None
        ).update(status=MessageStatus.CANCELLED, error=APPOINTMENT_CHANGED)
    patient = appointment.patient
    if appointment.status != AppointmentStatus.BOOKED or not patient.mobile:
        return
    service = appointment.service
    for hours in sorted({int(h) for h in service.reminder_hours_before if int(h) > 0}):
        due = quiet_hours_end(service, appointment.start - timedelta(hours=hours))
        if due <= now or due >= appointment.start:
            continue
        if not new and _reminder_queued(appointment, hours):
            continue
        message_queue(
            service=service,
            to=patient.mobile,
            body=reminder_text(appointment),
            kind=MessageKind.REMINDER,
            patient=patient,
            appointment=appointment,
            not_before=due,
            for_start=appointment.start,
            reminder_hours=hours,
            now=now,
        )


def _reminder_queued(appointment: Appointment, hours: int) -> bool:
    return OutboundMessage.objects.filter(
        appointment=appointment,
        kind=MessageKind.REMINDER,
        for_start=appointment.start,
        reminder_hours=hours,
    ).exists()


def reminder_text(appointment: Appointment) -> str:
    # First name, date and time only: the text may be read by someone else.
    with language_of(appointment.patient.preferred_language):
        return _(
            "Hello %(name)s, a reminder of your appointment on %(when)s. "
            "To change it, call %(phone)s."
        ) % {
            "name": appointment.patient.first_name,
            "when": when(appointment.start, appointment.service.zone),
            "phone": appointment.service.phone,
        }
