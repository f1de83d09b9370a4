"""Staff change an appointment's status only as the appointment life cycle's table allows."""

from datetime import UTC, datetime, timedelta

import pytest

from slotlink.clinic.models import AppointmentStatus
from slotlink.records.services.appointments import DiaryConflict, appointment_save
from slotlink.records.services.diary import appointment_cancel
from tests.conftest import Clinic
from tests.factories import AppointmentFactory

START = datetime(2026, 3, 10, 11, tzinfo=UTC)


def _cancelled(clinic: Clinic):
    appointment = AppointmentFactory(
        service=clinic.service,
        therapist=clinic.therapists[0],
        patient=clinic.patient,
        start=START,
        end=START + timedelta(hours=1),
    )
    assert appointment_cancel(appointment=appointment, reason="Unwell", user=clinic.admin)
    return appointment


@pytest.mark.parametrize("to", [AppointmentStatus.ATTENDED, AppointmentStatus.DNA])
def test_a_cancelled_appointment_cannot_be_marked_attended_or_missed(clinic: Clinic, to) -> None:
    appointment = _cancelled(clinic)
    appointment.status = to
    with pytest.raises(DiaryConflict, match="must be booked again"):
        appointment_save(appointment=appointment, user=clinic.admin)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_a_cancelled_appointment_booked_again_can_then_be_marked_attended(clinic: Clinic) -> None:
    appointment = _cancelled(clinic)
    appointment.status = AppointmentStatus.BOOKED
    appointment_save(appointment=appointment, user=clinic.admin)
    appointment.status = AppointmentStatus.ATTENDED
    appointment_save(appointment=appointment, user=clinic.admin)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ATTENDED


def test_the_staff_page_says_why_a_cancelled_appointment_cannot_be_marked_attended(
    clinic: Clinic,
) -> None:
    from tests.conftest import logged_in

    appointment = _cancelled(clinic)
    page = logged_in(clinic.admin).post(
        f"/appointments/{appointment.pk}/",
        {
            "therapist": appointment.therapist_id,
            "appointment_type": appointment.appointment_type_id,
            "medium": appointment.medium,
            "location": "",
            "status": AppointmentStatus.ATTENDED,
            "date": "10/03/2026",
            "start_time": "11:00",
            "duration_minutes": 60,
        },
    )
    assert page.status_code == 200
    assert "must be booked again" in page.content.decode()
