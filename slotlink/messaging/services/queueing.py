"""Queueing: the one way a message enters the outbox, and cancelling queued texts a patient
must not get (with the reason, on the message and in the audit log)."""

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import Appointment, Patient, Service, User
from slotlink.lib.crypto import decrypt, encrypt
from slotlink.lib.inserts import row_insert
from slotlink.messaging.models import Channel, MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services.quiet_hours import quiet_hours_end
from slotlink.messaging.services.scheduling import enqueue


def message_queue(
    *,
    service: Service,
    to: str,
    body: str,
    kind: MessageKind,
    patient: Patient | None = None,
    about_kind: str = "",
    about_id: int | None = None,
    appointment: Appointment | None = None,
    channel: Channel = Channel.SMS,
    subject: str = "",
    urgent: bool = False,
    not_before: datetime | None = None,
    for_start: datetime | None = None,
    reminder_hours: int | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """Store a message and enqueue its sending, in the caller's transaction: every message
    to a patient is queued here. `about_kind` and `about_id` name what it is about, as the
    caller's app names it (e.g. "booking_link", 42), for finding it from there. A text to a
    patient who is not to be contacted by SMS, or any message of a service its operator has
    switched off, is recorded as not sent, with the reason, and goes nowhere (its text is not
    kept)."""
    now = now or timezone.now()
    due = max(not_before or now, now)
    if not service.active:
        refused = SERVICE_SWITCHED_OFF
    elif channel == Channel.SMS and patient is not None and patient.do_not_sms:
        refused = NOT_BY_SMS
    else:
        refused = ""
    message = OutboundMessage(
        service=service,
        patient=patient,
        about_kind=about_kind,
        about_id=about_id,
        appointment=appointment,
        kind=kind,
        channel=channel,
        to=to,
        subject=subject,
        body_encrypted="" if refused else encrypt(body),
        urgent=urgent,
        send_after=due if urgent else quiet_hours_end(service, due),
        for_start=for_start,
        reminder_hours=reminder_hours,
        created_at=now,
        status=MessageStatus.CANCELLED if refused else MessageStatus.QUEUED,
        error=refused,
    )
    row_insert(message)
    if refused:
        audit_not_sent(
            message.pk,
            kind,
            message.patient_id,
            service.pk,
            reason=refused,
            by=Who.SYSTEM,
            now=now,
        )
    else:
        enqueue(message)
    return message


def message_body(message: OutboundMessage) -> str:
    return decrypt(message.body_encrypted) or ""


# Why a text to a patient was not sent, as staff read it on the outbox and the link's history.
NOT_BY_SMS = "Patient asked not to be contacted by SMS"
SERVICE_SWITCHED_OFF = "The service is switched off in Slotlink"
LINK_EXPIRED_WITH_NUMBER = "The mobile number changed, so the link it carried was expired"
NO_MOBILE = "No mobile number on record"
NUMBER_CHANGED = "The patient's mobile number changed after it was queued"
APPOINTMENT_CHANGED = "The appointment moved or was cancelled"
# Texts carrying a booking link: they go with their link.
LINK_TEXTS = (MessageKind.BOOKING_LINK, MessageKind.AD_HOC)


def _not_sent(
    messages: QuerySet[OutboundMessage], *, reason: str, by: User | Who, now: datetime
) -> int:
    """Cancel the queued ones among `messages`, each recorded with the reason on the message
    and in the audit log. The rows are locked first, so no sender claims one meanwhile."""
    with transaction.atomic():
        held = list(
            messages.filter(status=MessageStatus.QUEUED)
            .select_for_update()
            .values_list("pk", "kind", "patient_id", "service_id")
        )
        OutboundMessage.objects.filter(pk__in=[pk for pk, *_ in held]).update(
            status=MessageStatus.CANCELLED, error=reason
        )
        for pk, kind, patient_id, service_id in held:
            audit_not_sent(pk, kind, patient_id, service_id, reason=reason, by=by, now=now)
    return len(held)


def audit_not_sent(
    pk: int,
    kind: str,
    patient_id: int | None,
    service_id: int,
    *,
    reason: str,
    by: User | Who,
    now: datetime,
) -> None:
    audit_record(
        action=AuditAction.MESSAGE_NOT_SENT,
        by=by,
        object_type="outbound_message",
        object_id=pk,
        patient_id=patient_id,
        service_id=service_id,
        details={"kind": kind, "reason": reason},
        now=now,
    )


def patient_texts_stop(*, patient: Patient, by: User, now: datetime) -> int:
    """The patient is not to be contacted by SMS any more: every text still queued for them
    is cancelled, with the reason. Returns how many."""
    queued = OutboundMessage.objects.filter(patient=patient, channel=Channel.SMS)
    return _not_sent(queued, reason=NOT_BY_SMS, by=by, now=now)


def patient_texts_follow_number(*, patient: Patient, by: User, now: datetime) -> None:
    """After the patient's mobile number changed: texts still queued for them go to the number
    on record now, never the old one. A booking link's text goes with its link (the change
    expired it), and with no number left nothing goes."""
    queued = OutboundMessage.objects.filter(
        patient=patient, channel=Channel.SMS, status=MessageStatus.QUEUED
    )
    _not_sent(queued.filter(kind__in=LINK_TEXTS), reason=LINK_EXPIRED_WITH_NUMBER, by=by, now=now)
    if patient.mobile:
        queued.exclude(kind__in=LINK_TEXTS).update(to=patient.mobile)
    else:
        _not_sent(queued, reason=NO_MOBILE, by=by, now=now)
