"""The appointment life cycle: one explicit table of which status may follow which.

Statuses are compared by value, so the clinic's model choices (same values) pass straight in."""

from enum import StrEnum
from typing import TypeVar


class Status(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    DNA = "dna"  # did not attend
    CANCELLED = "cancelled"


# Appointments that occupy the therapist's time.
TIME_HOLDING = frozenset({Status.BOOKED, Status.ATTENDED, Status.DNA})

# Staff may correct attended / DNA / booked either way, and take any appointment out of the
# diary. A cancelled appointment only comes back as booked (its time checked again): it was
# never seen, so it cannot be marked attended or missed without first being re-booked.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.BOOKED: frozenset({Status.ATTENDED, Status.DNA, Status.CANCELLED}),
    Status.ATTENDED: frozenset({Status.BOOKED, Status.DNA, Status.CANCELLED}),
    Status.DNA: frozenset({Status.BOOKED, Status.ATTENDED, Status.CANCELLED}),
    Status.CANCELLED: frozenset({Status.BOOKED}),
}


class StatusChangeNotAllowed(Exception):
    def __init__(self, status: str, to: str) -> None:
        super().__init__(
            "A cancelled appointment must be booked again before it can be marked "
            f"{Status(to).name if to == Status.DNA else to}."
            if status == Status.CANCELLED
            else f"A {status} appointment cannot become {to}."
        )
        self.status = status
        self.to = to


def can_change(status: str, to: str) -> bool:
    """Whether `status` may become `to` (staying the same is always allowed)."""
    return status == to or Status(to) in TRANSITIONS[Status(status)]


S = TypeVar("S", bound=str)


def appointment_status_change(status: str, to: S) -> S:
    """`to`, when the table allows it after `status`; otherwise StatusChangeNotAllowed."""
    if not can_change(status, to):
        raise StatusChangeNotAllowed(status, to)
    return to
