"""Reads about booking links: a service's links and rules, the appointment a link stands for,
the text that carried it. Staff screens and the FHIR API both start from the service id."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from slotlink.booking.links.reads import link_appointment_rows
from slotlink.booking.models import (
    LINK_ABOUT,
    BookingLink,
    BroadcastRule,
)
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
)
from slotlink.messaging.models import MessageKind, OutboundMessage


def rules_for(service_id: int) -> QuerySet[BroadcastRule]:
    """The rules links can be sent for: the kinds of appointment that can be booked."""
    return (
        BroadcastRule.objects.filter(service_id=service_id, active=True)
        .select_related("appointment_type", "service")
        .prefetch_related("therapists")
        .order_by("pk")
    )


def links_for(service_id: int) -> QuerySet[BookingLink]:
    return (
        BookingLink.objects.filter(service_id=service_id)
        .select_related(
            "rule__appointment_type", "rule__service", "service", "patient__service", "sent_by"
        )
        .prefetch_related("rule__therapists")
    )


def link_appointments(links: list[BookingLink]) -> dict[int, Appointment]:
    """Link id -> the appointment the link stands for now: the latest that holds its time
    (after any reschedule), else the latest of all (e.g. the one cancelled). One query."""
    rows = (
        Appointment.objects.filter(booking_link__in=links)
        .select_related("therapist", "appointment_type")
        .order_by("created_at", "pk")
    )
    return _standing(rows)


def _standing(appointments: Iterable[Appointment]) -> dict[int, Appointment]:
    """link_appointments' choice among `appointments`, oldest first."""
    chosen: dict[int, Appointment] = {}
    for appointment in appointments:
        assert appointment.booking_link_id is not None  # noqa: S101 - read by their link
        held = chosen.get(appointment.booking_link_id)
        if held is None or held.status not in TIME_HOLDING or appointment.status in TIME_HOLDING:
            chosen[appointment.booking_link_id] = appointment
    return chosen


def link_appointment(link: BookingLink) -> Appointment | None:
    """link_appointments, for one link: read in written-out SQL (reads.py), as the booked
    page reads it for every booking."""
    return _standing(link_appointment_rows(link.pk)).get(link.pk)


def link_texts(links: list[BookingLink]) -> dict[int, OutboundMessage]:
    """Link id -> the text that carried it, in one query."""
    texts = OutboundMessage.objects.filter(
        about_kind=LINK_ABOUT,
        about_id__in=[link.pk for link in links],
        kind=MessageKind.BOOKING_LINK,
    ).order_by("created_at")
    return {message.about_id: message for message in texts if message.about_id is not None}


def link_messages(link: BookingLink) -> QuerySet[OutboundMessage]:
    """Every message about the link: those carrying it, and the confirmations and reminders of
    the appointments booked through it."""
    return OutboundMessage.objects.filter(
        Q(about_kind=LINK_ABOUT, about_id=link.pk) | Q(appointment__booking_link=link)
    ).order_by("created_at", "pk")
