"""The booking link life cycle: one explicit transition table (see DOMAIN.md)."""

from datetime import datetime
from enum import StrEnum


class LinkStatus(StrEnum):
    SENT = "sent"
    ACCESSED = "accessed"
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    EXPIRED = "expired"
    DELETED = "deleted"


class LinkAction(StrEnum):
    OPEN = "open"
    BOOK = "book"
    RESCHEDULE = "reschedule"
    EXPIRE = "expire"
    DELETE = "delete"


class TransitionNotAllowed(Exception):
    def __init__(self, status: LinkStatus, action: LinkAction) -> None:
        super().__init__(f"a {status} link cannot {action}")
        self.status = status
        self.action = action


# Links a patient can still book through.
LIVE = frozenset({LinkStatus.SENT, LinkStatus.ACCESSED})
# Links that made an appointment.
USED = frozenset({LinkStatus.BOOKED, LinkStatus.RESCHEDULED})

TRANSITIONS: dict[tuple[LinkStatus, LinkAction], LinkStatus] = {
    (LinkStatus.SENT, LinkAction.OPEN): LinkStatus.ACCESSED,
    (LinkStatus.SENT, LinkAction.BOOK): LinkStatus.BOOKED,
    (LinkStatus.ACCESSED, LinkAction.BOOK): LinkStatus.BOOKED,
    (LinkStatus.BOOKED, LinkAction.RESCHEDULE): LinkStatus.RESCHEDULED,
    (LinkStatus.RESCHEDULED, LinkAction.RESCHEDULE): LinkStatus.RESCHEDULED,
    (LinkStatus.SENT, LinkAction.EXPIRE): LinkStatus.EXPIRED,
    (LinkStatus.ACCESSED, LinkAction.EXPIRE): LinkStatus.EXPIRED,
    (LinkStatus.SENT, LinkAction.DELETE): LinkStatus.DELETED,
    (LinkStatus.ACCESSED, LinkAction.DELETE): LinkStatus.DELETED,
    (LinkStatus.BOOKED, LinkAction.DELETE): LinkStatus.DELETED,
    (LinkStatus.RESCHEDULED, LinkAction.DELETE): LinkStatus.DELETED,
}


def next_status(status: LinkStatus, action: LinkAction) -> LinkStatus:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionNotAllowed(status, action) from None


def can(status: LinkStatus, action: LinkAction) -> bool:
    return (status, action) in TRANSITIONS


def sources_of(action: LinkAction) -> frozenset[LinkStatus]:
    """Every status from which `action` is allowed: the WHERE clause of a compare-and-set."""
    return frozenset(status for (status, act) in TRANSITIONS if act == action)


def effective_status(status: LinkStatus, expires_at: datetime, now: datetime) -> LinkStatus:
    """A live link past its validity reads as expired even before the sweep records it."""
    if status in LIVE and now >= expires_at:
        return LinkStatus.EXPIRED
    return status
