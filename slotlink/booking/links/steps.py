"""What a patient may do through their link now, and if not, why not: the one rule behind
every patient page and every service that writes for a patient, so no page can show a step
the services would refuse and no caller of a service can skip a check a page makes.

A step needs, in this order: the service switched on (by its operator) with its "Online
appointment booking" switch on; a patient
who has not been discharged (they may still see an appointment they have, not make or change
one); and a link in a state that allows it, under its rule's limits."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from slotlink.booking.models import BookingLink, BookingLinkEvent
from slotlink.domain.link_lifecycle import LIVE, USED, LinkStatus

SWITCHED_OFF = "Booking and changing appointments is not available online at the moment."
DISCHARGED = "Your appointments can no longer be booked or changed online."


class Step(StrEnum):
    BOOK = "book"  # choose and confirm a time through a booking link
    SEE = "see"  # see the appointment the link stands for
    MOVE = "move"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Refusal:
    reason: str  # fit to show the patient
    link_ended: bool = False  # the link itself can no longer do this, whoever holds it


def link_can_book(link: BookingLink, now: datetime) -> bool:
    return link.status in LIVE and now < link.expires_at


def step_refusal(
    link: BookingLink, step: Step, now: datetime, start: datetime | None = None
) -> Refusal | None:
    """Why the link's patient may not take `step` now, or None when they may. `start` is the
    start of the appointment being moved or cancelled."""
    # A service switched off by an operator offers nothing, as with its own switch off.
    if not (link.service.active and link.service.online_booking_enabled):
        return Refusal(SWITCHED_OFF)
    if step is Step.SEE:
        return None
    if link.patient.discharged_at is not None:
        return Refusal(DISCHARGED)
    if step is Step.BOOK:
        if link_can_book(link, now):
            return None
        return Refusal("This link can no longer be used to book.", link_ended=True)
    if link.status not in USED or start is None:
        return Refusal("This booking cannot be changed online.", link_ended=True)
    limits = _cancel_refusal if step is Step.CANCEL else _move_refusal
    reason = limits(link, start, now)
    return Refusal(reason) if reason else None


def _too_late(link: BookingLink, start: datetime, now: datetime) -> bool:
    return start - now < timedelta(hours=link.rule.reschedule_cutoff_hours)


def _move_refusal(link: BookingLink, start: datetime, now: datetime) -> str:
    rule = link.rule
    if not rule.allow_reschedule:
        return "This kind of appointment cannot be changed online."
    if _too_late(link, start, now):
        return (
            f"Appointments can only be changed online up to {rule.reschedule_cutoff_hours} "
            "hours before they start."
        )
    if reschedules_so_far(link) >= rule.max_reschedules:
        return "This appointment has already been changed as many times as we allow online."
    return ""


def _cancel_refusal(link: BookingLink, start: datetime, now: datetime) -> str:
    rule = link.rule
    if not rule.allow_patient_cancel:
        return "This appointment cannot be cancelled online."
    # The same cut-off as for changing it: the service needs the time to offer it to someone.
    if _too_late(link, start, now):
        return (
            f"Appointments can only be cancelled online up to {rule.reschedule_cutoff_hours} "
            "hours before they start."
        )
    return ""


def reschedules_so_far(link: BookingLink) -> int:
    return BookingLinkEvent.objects.filter(link=link, to_status=LinkStatus.RESCHEDULED).count()


@dataclass(frozen=True)
class ChangeRights:
    """What the patient may do with their appointment now, and if not, why not."""

    can_reschedule: bool
    can_cancel: bool
    reason: str


def change_rights(link: BookingLink, start: datetime, now: datetime) -> ChangeRights:
    move = step_refusal(link, Step.MOVE, now, start)
    return ChangeRights(
        can_reschedule=move is None,
        can_cancel=step_refusal(link, Step.CANCEL, now, start) is None,
        reason=move.reason if move else "",
    )
