"""Staff cancelling or deleting an online booking's appointment, from whichever page, ends the
link's booking too."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.booking.appointments.services import appointment_reschedule, booking_link_book
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink, BookingLinkEvent
from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.records.services.appointments import appointment_delete, appointment_save
from tests.conftest import Clinic, logged_in
from tests.factories import AppointmentFactory

DAY = timedelta(days=1)


def test_a_cancelled_online_booking_marks_its_link_deleted_and_the_patient_sees_it(
    clinic, frozen_now
):
    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = Client()
    patient.get(f"/b/{token}")
    appointment = booking_link_book(
        link=link, start=rule_available_times(clinic.rule, timezone.now())[0]
    )

    appointment.status = AppointmentStatus.CANCELLED
    appointment_save(appointment=appointment, user=clinic.admin)

    link = BookingLink.objects.get(pk=link.pk)
    assert link.status == "deleted"
    assert link.events.filter(reason="Appointment cancelled by staff").exists()
    page = patient.get("/book/booked/", follow=True)
    assert page.status_code == 404
    assert "This link cannot be used" in page.content.decode()
    # Deleting it from the diary afterwards records nothing more and does not fail.
    appointment_delete(appointment=appointment, user=clinic.admin)
    assert link.events.count() == 4  # sent, accessed, booked, deleted


# One rule for every way staff take an online booking's appointment away (DOMAIN.md: the
# link of an appointment deleted from the diary is "deleted"): cancelling it from the diary,
# deleting it, or setting its status to cancelled on its page all end the link the same way.

TUESDAY_11 = "2026-12-08T11:00:00+00:00"


def _booked_online(clinic: Clinic) -> tuple[BookingLink, Appointment, Client]:
    clinic.service.reminder_hours_before = [2]
    clinic.service.save()
    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = Client()
    patient.get(f"/b/{token}")
    appointment = booking_link_book(link=link, start=datetime.fromisoformat(TUESDAY_11))
    return link, appointment, patient


def _cancel_from_the_diary(client: Client, appointment: Appointment) -> None:
    client.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "Therapist unwell"})


def _delete_from_the_diary(client: Client, appointment: Appointment) -> None:
    client.post(f"/appointments/{appointment.pk}/delete/")


def _set_status_cancelled(client: Client, appointment: Appointment) -> None:
    client.post(
        f"/appointments/{appointment.pk}/",
        {
            "therapist": appointment.therapist_id,
            "appointment_type": appointment.appointment_type_id,
            "medium": appointment.medium,
            "location": appointment.location,
            "status": AppointmentStatus.CANCELLED,
            "date": "2026-12-08",
            "start_time": "11:00",
            "duration_minutes": 60,
        },
    )


@pytest.mark.parametrize(
    ("take_away", "reason"),
    [
        (_cancel_from_the_diary, "Appointment cancelled by staff"),
        (_set_status_cancelled, "Appointment cancelled by staff"),
        (_delete_from_the_diary, "Appointment deleted from the diary"),
    ],
)
def test_every_way_staff_take_an_online_booking_away_marks_its_link_deleted(
    clinic: Clinic,
    frozen_now: object,
    take_away: Callable[[Client, Appointment], None],
    reason: str,
) -> None:
    link, appointment, patient = _booked_online(clinic)
    reminders = OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.REMINDER, status=MessageStatus.QUEUED
    )
    assert reminders.exists()

    take_away(logged_in(clinic.admin), appointment)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    link.refresh_from_db()
    assert link.status == LinkStatus.DELETED
    event = link.events.order_by("pk").last()
    assert event is not None
    assert (event.from_status, event.actor, event.reason) == ("booked", clinic.admin, reason)
    assert AuditEvent.objects.filter(action=AuditAction.LINK_DELETED, object_id=link.pk).exists()
    page = patient.get("/book/booked/", follow=True)
    assert page.status_code == 404
    assert "This link cannot be used" in page.content.decode()
    assert not reminders.exists()


def test_taking_away_an_appointment_the_patient_already_moved_leaves_the_booking_alone(
    clinic: Clinic, frozen_now: object
) -> None:
    link, first, _ = _booked_online(clinic)
    moved = appointment_reschedule(link=link, start=datetime.fromisoformat(TUESDAY_11) + DAY)

    # The first appointment is cancelled already (moved by the patient): deleting it from the
    # diary must not end the booking, which now stands for the moved one.
    _delete_from_the_diary(logged_in(clinic.admin), first)

    link.refresh_from_db()
    assert link.status == LinkStatus.RESCHEDULED
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.BOOKED


def test_a_staff_appointment_has_no_link_to_end(clinic: Clinic, frozen_now: object) -> None:
    appointment = AppointmentFactory(
        service=clinic.service,
        therapist=clinic.therapists[0],
        patient=clinic.patient,
        start=datetime.fromisoformat(TUESDAY_11),
        end=datetime.fromisoformat(TUESDAY_11) + timedelta(hours=1),
    )
    _cancel_from_the_diary(logged_in(clinic.admin), appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert not BookingLinkEvent.objects.exists()
