"""Staff cancelling an online booking from the edit form ends the link's booking too."""

from django.test import Client
from django.utils import timezone

from slotlink.booking.models import BookingLink
from slotlink.booking.selectors import rule_available_times
from slotlink.booking.services import booking_link_book, booking_link_send
from slotlink.clinic.models import AppointmentStatus
from slotlink.clinic.services import appointment_delete, appointment_save


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
