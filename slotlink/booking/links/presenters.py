"""The staff view of a patient's booking links: each link's row, its live panel, its history."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slotlink.booking.models import BookingLink, BookingLinkEvent, BroadcastRule
from slotlink.clinic.models import Appointment
from slotlink.domain.link_lifecycle import LinkStatus, effective_status
from slotlink.lib.formatting import duration_text, staff_datetime
from slotlink.messaging.models import MessageStatus, OutboundMessage


@dataclass(frozen=True)
class RuleDetails:
    """What a member of staff needs to know about what a link lets the patient book."""

    pk: int
    title: str
    appointment_type: str
    duration: str
    therapists: str
    window: str
    validity: str

    @classmethod
    def of(cls, rule: BroadcastRule) -> "RuleDetails":
        names = [t.name for t in rule.therapists.all() if t.active]
        return cls(
            pk=rule.pk,
            title=rule.title,
            appointment_type=rule.appointment_type.name,
            duration=duration_text(rule.duration_minutes),
            therapists=", ".join(names) or "No therapists",
            window=(
                f"From {rule.min_notice_hours} hours to {rule.horizon_days} days ahead, "
                f"starting every {rule.slot_step_minutes} minutes"
            ),
            validity=f"{rule.link_valid_days} days",
        )


STATUS_LABELS = {s: s.value.capitalize() for s in LinkStatus}


def _message_status(message: OutboundMessage | None, now: datetime, zone: ZoneInfo) -> str:
    """ "Queued until 08:00" for a text held back (quiet hours, a retry), and "Not sent: …"
    with the reason for one that never went, so nobody has to guess why it has not gone."""
    if message is None:
        return ""
    if message.status == MessageStatus.CANCELLED and message.error:
        return f"Not sent: {message.error[0].lower()}{message.error[1:]}"
    if message.status != MessageStatus.QUEUED or message.send_after <= now:
        return message.get_status_display()
    due = message.send_after.astimezone(zone)
    same_day = due.date() == now.astimezone(zone).date()
    return f"Queued until {due:%H:%M}" if same_day else f"Queued until {due:%d/%m %H:%M}"


@dataclass(frozen=True)
class LinkRow:
    pk: int
    rule: str
    sent_at: str
    sent_by: str
    status: str
    status_class: str
    expires_at: str
    appointment_pk: int | None
    appointment_when: str
    message_status: str
    message_status_class: str
    message_detail: str

    @classmethod
    def of(
        cls,
        link: BookingLink,
        now: datetime,
        appointment: Appointment | None,
        message: OutboundMessage | None = None,
    ) -> "LinkRow":
        zone = link.service.zone
        status = effective_status(LinkStatus(link.status), link.expires_at, now)
        return cls(
            message_status=_message_status(message, now, zone),
            message_status_class=message.status if message else "",
            message_detail=message.error if message else "",
            pk=link.pk,
            rule=link.rule.title,
            sent_at=staff_datetime(link.created_at, zone),
            sent_by=link.sent_by.get_full_name() or link.sent_by.username if link.sent_by else "",
            status=STATUS_LABELS[status],
            status_class=status.value,
            expires_at=staff_datetime(link.expires_at, zone),
            appointment_pk=appointment.pk if appointment else None,
            appointment_when=staff_datetime(appointment.start, zone) if appointment else "",
        )


@dataclass(frozen=True)
class LivePanel:
    """A live link, shown above the history with its address and what it offers."""

    pk: int
    url: str
    rule: RuleDetails
    sent_at: str
    expires_at: str
    status: str

    @classmethod
    def of(cls, link: BookingLink, url: str, zone: ZoneInfo) -> "LivePanel":
        return cls(
            pk=link.pk,
            url=url,
            rule=RuleDetails.of(link.rule),
            sent_at=staff_datetime(link.created_at, zone),
            expires_at=staff_datetime(link.expires_at, zone),
            status=link.status.capitalize(),
        )


@dataclass(frozen=True)
class EventRow:
    """One change in a link's history: when, to what, by whom, why."""

    at: str
    change: str
    by: str
    reason: str
    appointment_pk: int | None
    appointment_when: str

    @classmethod
    def of(cls, event: BookingLinkEvent, zone: ZoneInfo) -> "EventRow":
        actor, appointment = event.actor, event.appointment
        by = (actor.get_full_name() or actor.username) if actor else event.get_actor_kind_display()
        return cls(
            at=staff_datetime(event.occurred_at, zone),
            change=event.to_status.capitalize(),
            by=by,
            reason=event.reason,
            appointment_pk=event.appointment_id,
            appointment_when=staff_datetime(appointment.start, zone) if appointment else "",
        )
