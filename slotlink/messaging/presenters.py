from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from slotlink.messaging.models import MessageStatus, OutboundMessage
from slotlink.messaging.selectors import MessageState
from slotlink.messaging.services import message_body


@dataclass(frozen=True)
class MessageRow(MessageState):
    """A message in the outbox: its state, and what staff may do with it."""

    pk: int
    text: str
    can_retry: bool

    @classmethod
    def of(
        cls, message: OutboundMessage, zone: ZoneInfo, *, show_text: bool = False
    ) -> "MessageRow":
        return cls(
            **asdict(MessageState.of(message, zone)),
            pk=message.pk,
            text=message_body(message) if show_text else "",
            can_retry=message.status in (MessageStatus.FAILED, MessageStatus.SENDING),
        )
