"""Reads about booking links: the user's links and rules, the appointment a link stands for,
the text that carried it."""

from django.db.models import QuerySet

from slotlink.booking.models import (
    BookingLink,
    BroadcastRule,
)
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    User,
)
from slotlink.messaging.models import MessageKind, OutboundMessage


def link_appointment(link: BookingLink) -> Appointment | None:
    """The appointment a used link currently stands for (the latest, after any reschedule)."""
    return (
        link.appointments.select_related("therapist", "appointment_type")
        .filter(status__in=TIME_HOLDING)
        .order_by("-created_at")
        .first()
    ) or link.appointments.order_by("-created_at").first()


def rules_for(user: User) -> QuerySet[BroadcastRule]:
    return (
        BroadcastRule.objects.filter(service_id=service_id_of(user), active=True)
        .select_related("appointment_type")
        .prefetch_related("therapists")
    )


def links_for(user: User) -> QuerySet[BookingLink]:
    return (
        BookingLink.objects.filter(service_id=service_id_of(user))
        .select_related("rule__appointment_type", "service", "patient__service", "sent_by")
        .prefetch_related("rule__therapists")
    )


def current_appointments(links: list[BookingLink]) -> dict[int, Appointment]:
    """Link id -> the appointment it stands for now (a live one if any, else the latest),
    in one query."""
    chosen: dict[int, Appointment] = {}
    rows = Appointment.objects.filter(booking_link__in=links).order_by("created_at", "pk")
    for appointment in rows:
        assert appointment.booking_link_id is not None  # noqa: S101 - filtered above
        held = chosen.get(appointment.booking_link_id)
        if held is None or held.status not in TIME_HOLDING or appointment.status in TIME_HOLDING:
            chosen[appointment.booking_link_id] = appointment
    return chosen


def link_texts(links: list[BookingLink]) -> dict[int, OutboundMessage]:
    """Link id -> the text that carried it, in one query."""
    texts = OutboundMessage.objects.filter(
        booking_link__in=links, kind=MessageKind.BOOKING_LINK
    ).order_by("created_at")
    return {message.booking_link_id: message for message in texts if message.booking_link_id}
