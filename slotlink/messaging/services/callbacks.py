"""Provider callbacks (delivery receipts): whose messages a receipt may speak of, and
recording what it says once, never moving a status backwards."""

import hmac
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from slotlink.clinic.models import Service, SmsProvider
from slotlink.lib.crypto import token_hash
from slotlink.lib.fields import fit
from slotlink.messaging.models import MessageEvent, MessageStatus, OutboundMessage

logger = logging.getLogger(__name__)


NOTIFY_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "permanent-failure": MessageStatus.FAILED,
    "temporary-failure": MessageStatus.FAILED,
    "technical-failure": MessageStatus.FAILED,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "created": MessageStatus.SENT,
    "pending": MessageStatus.SENT,
}
TWILIO_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "sent": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "accepted": MessageStatus.SENT,
}


# Messages handed to a provider: only these have receipts.
HANDED_OVER = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED)


def notify_callback_scope(token: str) -> Q | None:
    """Whose messages a Notify receipt carrying this bearer token may speak of: those of the
    service whose own callback token it is; for the deployment's token, those of services
    sending through the deployment's own Notify account. None: nobody's."""
    if not token:
        return None
    own = Service.objects.filter(notify_callback_token_hash=token_hash(token)).first()
    if own is not None:
        return Q(service_id=own.pk)
    shared = settings.NOTIFY_CALLBACK_TOKEN
    if shared and hmac.compare_digest(token.encode(), shared.encode()):
        return ~Q(service__sms_provider=SmsProvider.NOTIFY)
    return None


def message_status_callback(
    *, message: OutboundMessage, provider_status: str, status: MessageStatus, detail: str = ""
) -> bool:
    """Record what the provider said. A repeated callback is recorded once; a status never
    moves backwards. A receipt for a message not handed over (still queued, e.g. to be tried
    again, or being sent) is ignored: it cannot be about an attempt we know of, and taking it
    would keep the message from ever being sent. Returns whether anything changed."""
    now = timezone.now()
    if not OutboundMessage.objects.filter(pk=message.pk, status__in=HANDED_OVER).exists():
        logger.info("Receipt for message %s ignored: it has not been sent", message.pk)
        return False
    try:
        with transaction.atomic():
            MessageEvent.objects.create(
                message=message,
                provider_status=fit(MessageEvent, "provider_status", provider_status),
                detail=fit(MessageEvent, "detail", detail),
                occurred_at=now,
            )
    except IntegrityError:
        return False
    fields: dict[str, object] = {}
    if status == MessageStatus.DELIVERED:
        fields["delivered_at"] = now
    if status == MessageStatus.FAILED:
        fields["error"] = fit(OutboundMessage, "error", detail or provider_status)
    # From "sent" only, in the same compare-and-set: a message queued again since the check
    # above is left to be sent.
    return status != MessageStatus.SENT and bool(
        OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(
            status=status, **fields
        )
    )
