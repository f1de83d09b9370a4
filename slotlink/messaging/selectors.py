"""Reads of messages that other apps show: one wording of what happened to a message, for the
outbox here and for a link's history in booking (an app's presenters are its own)."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slotlink.lib.formatting import staff_datetime
from slotlink.messaging.models import MessageStatus, OutboundMessage


@dataclass(frozen=True)
class MessageState:
    """What happened to a message, as every staff page says it."""

    at: str
    to: str
    kind: str
    channel: str
    status: str
    status_class: str
    detail: str

    @classmethod
    def of(cls, message: OutboundMessage, zone: ZoneInfo) -> "MessageState":
        status = MessageStatus(message.status)
        if status == MessageStatus.QUEUED and message.attempts:
            when = staff_datetime(message.send_after, zone)
            detail = f"Trying again after {when}: {message.error}"
        elif status == MessageStatus.QUEUED:
            detail = f"Due {staff_datetime(message.send_after, zone)}"
        else:
            detail = message.error
        return MessageState(
            at=staff_datetime(message.created_at, zone),
            to=message.to,
            kind=message.get_kind_display(),
            channel=message.get_channel_display(),
            status=status.label,
            status_class=status.value,
            detail=detail,
        )
