"""Staff pages of the clinic: logging in, finding a patient, the diary, appointments and their
clinical contacts."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import Appointment, AppointmentStatus, ClinicalContact
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.lib.formatting import nhs_number_text
from tests.conftest import Clinic, logged_in
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def text(response: Any) -> str:
    return response.content.decode()


def appointment_at(clinic: Clinic, start: datetime, therapist_index: int = 0) -> Appointment:
    appointment: Appointment = AppointmentFactory(
        service=clinic.service,
        therapist=clinic.therapists[therapist_index],
        patient=clinic.patient,
        appointment_type=clinic.rule.appointment_type,
        start=start,
        end=start + timedelta(hours=1),
    )
    return appointment


def edit_form(appointment: Appointment, **changes: Any) -> dict[str, Any]:
    data = {
        "therapist": appointment.therapist_id,
        "appointment_type": appointment.appointment_type_id,
        "medium": appointment.medium,
        "location": appointment.location,
        "status": appointment.status,
        "date": "2026-12-08",
        "start_time": "11:00",
        "duration_minutes": 60,
    }
    data.update(changes)
    return data


# Logging in


def test_staff_log_in_with_their_password_and_land_on_patient_search(clinic: Clinic) -> None:
    # A therapist: admins also need a code (tests/accounts/test_two_factor.py).
    client = Client()
    response = client.post(
        "/login/", {"username": clinic.therapist_user.username, "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"  # the staff home, which is patient search for staff
    assert client.get("/")["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(clinic: Clinic) -> None:
    client = Client()
    response = client.post("/login/", {"username": clinic.admin.username, "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in text(response)
    assert client.get("/patients/").status_code == 302


def test_home_sends_staff_to_patient_search(admin_client: Client) -> None:
    assert admin_client.get("/")["Location"] == "/patients/"


def test_a_user_without_a_service_is_forbidden(db: None) -> None:
    from tests.factories import UserFactory

    stray = UserFactory(service=None)
    assert logged_in(stray).get("/patients/").status_code == 403


# Finding a patient


@pytest.mark.parametrize("query", ["xampl", "alex", "ALEX EXAMPLE", "ale exam", "  Alex  "])
def test_search_finds_a_patient_by_partial_names_in_any_case(
    clinic: Clinic, admin_client: Client, query: str
) -> None:
    response = admin_client.get("/patients/", {"q": query})
    assert f'href="/patients/{clinic.patient.pk}/care-pathway/"' in text(response)


def test_search_costs_the_same_queries_for_one_patient_as_for_fifty(
    clinic: Clinic, admin_client: Client
) -> None:
    """The results list shows no alerts, so it reads none: one query per result was 50 more
    queries a search (issue 18's million patients)."""

    def queries(surname: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = text(admin_client.get("/patients/", {"q": surname}))
        assert surname in page
        return len(captured)

    PatientFactory(service=clinic.service, last_name="Onlyone")
    for _ in range(50):
        PatientFactory(service=clinic.service, last_name="Manyfold")
    queries("Onlyone")  # the session's first request: its own queries, not the search's
    assert queries("Manyfold") == queries("Onlyone")


def test_search_needs_every_word_to_match(clinic: Clinic, admin_client: Client) -> None:
    page = text(admin_client.get("/patients/", {"q": "Alex Nobody"}))
    assert clinic.patient.full_name not in page
    assert "No patients match" in page


@pytest.mark.parametrize("spaced", [True, False])
def test_search_finds_a_patient_by_nhs_number_with_or_without_spaces(
    clinic: Clinic, admin_client: Client, spaced: bool
) -> None:
    number = clinic.patient.nhs_number
    query = nhs_number_text(number) if spaced else number
    assert " " in nhs_number_text(number)
    page = text(admin_client.get("/patients/", {"q": query}))
    assert clinic.patient.full_name in page


def test_search_finds_patients_by_date_of_birth_in_uk_order(
    clinic: Clinic, admin_client: Client
) -> None:
    PatientFactory(service=clinic.service, first_name="Bea", date_of_birth=date(1985, 11, 3))
    page = text(admin_client.get("/patients/", {"q": "12/04/1990"}))
    assert clinic.patient.full_name in page
    assert "Bea" not in page


def test_search_never_shows_another_services_patients(
    clinic: Clinic, other_clinic: Clinic, admin_client: Client
) -> None:
    for query in ["Alex", "12/04/1990", other_clinic.patient.nhs_number]:
        page = text(admin_client.get("/patients/", {"q": query}))
        assert other_clinic.patient.last_name not in page


def test_search_with_no_match_says_so_and_suggests_other_ways(
    clinic: Clinic, admin_client: Client
) -> None:
    page = text(admin_client.get("/patients/", {"q": "Zebedee"}))
    assert "No patients match “Zebedee”" in page
    assert "NHS number or date of birth" in page


def test_search_escapes_what_was_typed(clinic: Clinic, admin_client: Client) -> None:
    page = text(admin_client.get("/patients/", {"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_empty_search_shows_the_form_only(clinic: Clinic, admin_client: Client) -> None:
    page = text(admin_client.get("/patients/", {"q": "   "}))
    assert "No patients match" not in page
    assert clinic.patient.full_name not in page


def test_patient_details_page_shows_the_patient(clinic: Clinic, admin_client: Client) -> None:
    page = text(admin_client.get(f"/patients/{clinic.patient.pk}/"))
    assert clinic.patient.full_name in page
    assert "12/04/1990" in page
    assert nhs_number_text(clinic.patient.nhs_number) in page


# The diary


def test_diary_shows_this_week_for_the_first_therapist(
    clinic: Clinic, admin_client: Client
) -> None:
    appointment_at(clinic, TUESDAY_11)
    first = min(clinic.therapists, key=lambda t: t.name)
    response = admin_client.get("/diary/", {"therapist": clinic.therapists[0].pk})
    page = text(response)
    assert response.status_code == 200
    assert "07 Dec – 13 Dec 2026" in page
    assert "11:00–12:00" in page
    assert clinic.patient.full_name in page
    assert "09:00–17:00" in page
    assert first.name in text(admin_client.get("/diary/"))


@pytest.mark.parametrize("junk", ["junk", "2026-13-01", "", "0000-00-00", "2026-12-07T10:00"])
def test_diary_with_a_junk_week_shows_this_week(admin_client: Client, junk: str) -> None:
    response = admin_client.get("/diary/", {"week": junk})
    assert response.status_code == 200
    assert "07 Dec – 13 Dec 2026" in text(response)


def test_diary_week_starts_on_the_monday_of_the_day_given(admin_client: Client) -> None:
    assert "14 Dec – 20 Dec 2026" in text(admin_client.get("/diary/", {"week": "2026-12-17"}))


def test_diary_ignores_another_services_therapist(
    clinic: Clinic, other_clinic: Clinic, admin_client: Client
) -> None:
    page = text(admin_client.get("/diary/", {"therapist": other_clinic.therapists[0].pk}))
    assert other_clinic.therapists[0].name not in page


def test_diary_marks_online_bookings_in_the_hover_summary(
    clinic: Clinic, admin_client: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    page = text(admin_client.get("/diary/", {"therapist": appointment.therapist_id}))
    summary = page[page.index(f'id="appt-{appointment.pk}-summary"') :]
    assert "<span>Booked online</span>" in summary[: summary.index("</div>")]
    assert "appt--online" in page


# Editing an appointment


def test_appointment_form_shows_the_local_date_and_time(
    clinic: Clinic, admin_client: Client
) -> None:
    appointment = appointment_at(clinic, datetime(2026, 7, 8, 10, tzinfo=UTC))  # 11:00 BST
    page = text(admin_client.get(f"/appointments/{appointment.pk}/"))
    assert 'value="2026-07-08"' in page
    assert 'value="11:00' in page
    assert 'value="60"' in page


def test_appointment_edit_saves_a_new_time_in_local_time(
    clinic: Clinic, admin_client: Client
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    response = admin_client.post(
        f"/appointments/{appointment.pk}/",
        edit_form(appointment, date="2027-06-02", start_time="14:30", duration_minutes=45),
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == datetime(2027, 6, 2, 13, 30, tzinfo=UTC)  # 14:30 BST
    assert appointment.end - appointment.start == timedelta(minutes=45)
    assert "Appointment saved." in text(admin_client.get(response["Location"]))


def test_appointment_edit_refuses_an_overlapping_time_with_a_form_error(
    clinic: Clinic, admin_client: Client
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    appointment_at(clinic, datetime(2026, 12, 8, 14, 30, tzinfo=UTC))
    response = admin_client.post(
        f"/appointments/{appointment.pk}/", edit_form(appointment, start_time="14:00")
    )
    assert response.status_code == 200
    assert "The therapist already has an appointment at that time." in text(response)
    appointment.refresh_from_db()
    assert appointment.start == TUESDAY_11


def test_appointment_edit_allows_moving_onto_a_cancelled_appointments_time(
    clinic: Clinic, admin_client: Client
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    cancelled = appointment_at(clinic, datetime(2026, 12, 8, 14, tzinfo=UTC))
    Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.CANCELLED)
    response = admin_client.post(
        f"/appointments/{appointment.pk}/", edit_form(appointment, start_time="14:00")
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == datetime(2026, 12, 8, 14, tzinfo=UTC)


def test_appointment_edit_refuses_a_time_in_the_march_clock_change_gap(
    clinic: Clinic, admin_client: Client
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    response = admin_client.post(
        f"/appointments/{appointment.pk}/",
        edit_form(appointment, date="2027-03-28", start_time="01:30"),
    )
    assert response.status_code == 200
    assert "does not exist on the day the clocks go forward" in text(response)
    appointment.refresh_from_db()
    assert appointment.start == TUESDAY_11


@pytest.mark.parametrize(
    ("day", "at", "utc"),
    [
        ("2027-03-28", "00:30", datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),  # before the gap
        ("2027-03-28", "03:00", datetime(2027, 3, 28, 2, 0, tzinfo=UTC)),  # after it, BST
        ("2027-10-31", "03:00", datetime(2027, 10, 31, 3, 0, tzinfo=UTC)),  # after the fall back
    ],
)
def test_appointment_edit_on_a_clock_change_day_saves_the_right_instant(
    clinic: Clinic, admin_client: Client, day: str, at: str, utc: datetime
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    response = admin_client.post(
        f"/appointments/{appointment.pk}/", edit_form(appointment, date=day, start_time=at)
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == utc


def test_appointment_edit_refuses_another_services_therapist(
    clinic: Clinic, other_clinic: Clinic, admin_client: Client
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    response = admin_client.post(
        f"/appointments/{appointment.pk}/",
        edit_form(appointment, therapist=other_clinic.therapists[0].pk),
    )
    assert response.status_code == 200
    assert "Choose a therapist." in text(response)
    appointment.refresh_from_db()
    assert appointment.therapist == clinic.therapists[0]


# Deleting from the diary


def test_delete_from_diary_cancels_the_appointment_and_returns_to_its_week(
    clinic: Clinic, admin_client: Client
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    response = admin_client.post(f"/appointments/{appointment.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == (f"/diary/?therapist={appointment.therapist_id}&week=2026-12-07")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancellation_reason == "Deleted from the diary"


def test_delete_from_diary_marks_the_online_bookings_link_deleted(
    clinic: Clinic, admin_client: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    admin_client.post(f"/appointments/{appointment.pk}/delete/")
    link.refresh_from_db()
    assert link.status == LinkStatus.DELETED
    assert link.events.get(to_status=LinkStatus.DELETED).actor == clinic.admin


def test_delete_from_diary_needs_a_post(clinic: Clinic, admin_client: Client) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    assert admin_client.get(f"/appointments/{appointment.pk}/delete/").status_code == 405
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


# Clinical contact


def test_clinical_contact_saves_the_outcome_and_notes(clinic: Clinic, admin_client: Client) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    url = f"/appointments/{appointment.pk}/clinical-contact/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"outcome": "Assessed", "notes": "Talked about sleep."})
    assert response.status_code == 302
    contact = ClinicalContact.objects.get(appointment=appointment)
    assert (contact.outcome, contact.notes) == ("Assessed", "Talked about sleep.")
    page = text(admin_client.get(url))
    assert "Clinical contact saved." in page
    assert "Talked about sleep." in page


def test_clinical_contact_of_an_online_booking_says_so(
    clinic: Clinic, admin_client: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    page = text(admin_client.get(f"/appointments/{appointment.pk}/clinical-contact/"))
    assert "Booked online" in page
    assert ClinicalContact.objects.filter(appointment=appointment).count() == 1
