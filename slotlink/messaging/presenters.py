from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slotlink.lib.formatting import staff_datetime
from slotlink.messaging.models import MessageStatus, OutboundMessage
from slotlink.messaging.services import message_body


@dataclass(frozen=True)
class MessageRow:
    pk: int
    at: str
    to: str
    kind: str
    channel: str
    status: str
    status_class: str
    detail: str
    text: str
    can_retry: bool

    @classmethod
    def of(
        cls, message: OutboundMessage, zone: ZoneInfo, *, show_text: bool = False
    ) -> "MessageRow":
        status = MessageStatus(message.status)
        if status == MessageStatus.QUEUED and message.attempts:
            detail = (
                f"Trying again after {staff_datetime(message.send_after, zone)}: {message.error}"
            )
        elif status == MessageStatus.QUEUED:
            detail = f"Due {staff_datetime(message.send_after, zone)}"
        else:
            detail = message.error
        return cls(
            pk=message.pk,
            at=staff_datetime(message.created_at, zone),
            to=message.to,
            kind=message.get_kind_display(),
            channel=message.get_channel_display(),
            status=status.label,
            status_class=status.value,
            detail=detail,
            text=message_body(message) if show_text else "",
            can_retry=status in (MessageStatus.FAILED, MessageStatus.SENDING),
        )
