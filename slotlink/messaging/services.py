from datetime import datetime

from django.utils import timezone

from slotlink.booking.models import BookingLink
from slotlink.clinic.models import Patient, Service
from slotlink.crypto import decrypt, encrypt
from slotlink.messaging.backends import get_sms_backend
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage


def message_queue(
    *,
    service: Service,
    to: str,
    body: str,
    kind: MessageKind,
    patient: Patient | None = None,
    booking_link: BookingLink | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """Store the message and enqueue its sending in the caller's transaction, so a message
    exists exactly when the change that caused it does."""
    from slotlink.messaging.tasks import send_message

    message = OutboundMessage.objects.create(
        service=service,
        patient=patient,
        booking_link=booking_link,
        kind=kind,
        to=to,
        body_encrypted=encrypt(body),
        created_at=now or timezone.now(),
    )
    send_message.enqueue(message_id=message.pk)
    return message


def message_body(message: OutboundMessage) -> str:
    return decrypt(message.body_encrypted) or ""


def message_send(*, message_id: int) -> bool:
    """Send one queued message. Only the worker whose compare-and-set moves it out of "queued"
    sends it, so a task run twice never sends twice. Returns whether this call sent it."""
    backend = get_sms_backend()
    claimed = OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENDING, provider=backend.name
    )
    if not claimed:
        return False
    # The provider call happens outside any transaction: a slow provider must not hold locks.
    message = OutboundMessage.objects.get(pk=message_id)
    reference = backend.send(to=message.to, body=message_body(message), reference=str(message.pk))
    OutboundMessage.objects.filter(pk=message_id).update(
        status=MessageStatus.SENT, provider_reference=reference, sent_at=timezone.now()
    )
    return True
