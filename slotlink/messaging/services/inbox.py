"""The staff inbox ("Messages"): internal messages between colleagues."""

from django.utils import timezone

from slotlink.clinic.models import Appointment, InternalMessage, User
from slotlink.lib.fields import fit


def internal_message_send(
    *, recipient: User, subject: str, body: str, appointment: Appointment | None = None
) -> InternalMessage | None:
    """A message in a colleague's "Messages" inbox, if their service uses Messages."""
    service = recipient.service
    if service is None or not service.uses_messages:
        return None
    return InternalMessage.objects.create(
        service=service,
        recipient=recipient,
        subject=fit(InternalMessage, "subject", subject),
        body=body,
        appointment=appointment,
        created_at=timezone.now(),
    )


def internal_message_read(*, message: InternalMessage) -> None:
    InternalMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
