"""The diary by week and by day, for one therapist or a team, and making, editing and
cancelling appointments from it with the conflict checks."""

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    ClinicalContact,
    DiaryChange,
    DiaryChangeKind,
    Source,
    Team,
)
from tests.conftest import Clinic, logged_in
from tests.factories import AppointmentFactory, PatientFactory, TherapistFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
WEDNESDAY_9 = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


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


@pytest.fixture
def team(clinic: Clinic) -> Team:
    team = Team.objects.create(service=clinic.service, name="North")
    team.therapists.set(clinic.therapists)
    return team


@pytest.fixture
def admin(clinic: Clinic) -> Client:
    return logged_in(clinic.admin)


# Views


def test_the_day_view_shows_one_days_appointments_for_the_therapist(
    clinic: Clinic, admin: Client
) -> None:
    tuesday = appointment_at(clinic, TUESDAY_11)
    wednesday = appointment_at(clinic, WEDNESDAY_9)
    page = text(
        admin.get(
            "/diary/",
            {"therapist": clinic.therapists[0].pk, "view": "day", "date": "2026-12-08"},
        )
    )
    assert "Tuesday 8 December 2026" in page
    assert f'id="appt-{tuesday.pk}-summary"' in page
    assert f'id="appt-{wednesday.pk}-summary"' not in page
    assert "← Previous day" in page and "date=2026-12-07" in page and "date=2026-12-09" in page


def test_the_team_week_shows_every_member_with_their_appointments(
    clinic: Clinic, team: Team, admin: Client
) -> None:
    first = appointment_at(clinic, TUESDAY_11, 0)
    second = appointment_at(clinic, TUESDAY_11, 1)
    outsider = TherapistFactory(service=clinic.service, name="Not Inteam")
    page = text(admin.get("/diary/", {"team": team.pk, "date": "2026-12-08"}))
    assert "Diary: team North" in page
    for therapist in clinic.therapists:
        assert f'<th scope="row"><a href="?therapist={therapist.pk}' in page
    assert f'id="appt-{first.pk}-summary"' in page and f'id="appt-{second.pk}-summary"' in page
    assert outsider.name not in page.split("<tbody>")[1]
    assert "07 Dec – 13 Dec 2026" in page


def test_the_team_day_shows_a_column_per_member(clinic: Clinic, team: Team, admin: Client) -> None:
    appointment_at(clinic, TUESDAY_11, 1)
    page = text(admin.get("/diary/", {"team": team.pk, "view": "day", "date": "2026-12-08"}))
    for therapist in clinic.therapists:
        assert f'aria-label="{therapist.name}, Tue 08 Dec"' in page
    assert "11:00–12:00" in page


def test_another_services_team_is_never_shown(
    clinic: Clinic, other_clinic: Clinic, admin: Client
) -> None:
    theirs = Team.objects.create(service=other_clinic.service, name="Elsewhere")
    theirs.therapists.set(other_clinic.therapists)
    page = text(admin.get("/diary/", {"team": theirs.pk}))
    assert "Elsewhere" not in page
    assert other_clinic.therapists[0].name not in page


def test_leave_and_extra_sessions_show_on_their_days(clinic: Clinic, admin: Client) -> None:
    therapist = clinic.therapists[0]
    DiaryChange.objects.create(
        therapist=therapist,
        kind=DiaryChangeKind.LEAVE,
        start=datetime(2026, 12, 9, 0, 0, tzinfo=UTC),
        end=datetime(2026, 12, 10, 0, 0, tzinfo=UTC),
    )
    DiaryChange.objects.create(
        therapist=therapist,
        kind=DiaryChangeKind.EXTRA,
        start=datetime(2026, 12, 10, 18, 0, tzinfo=UTC),
        end=datetime(2026, 12, 10, 20, 0, tzinfo=UTC),
    )
    page = text(admin.get("/diary/", {"therapist": therapist.pk}))
    assert '<p class="week__note">Leave all day</p>' in page
    assert '<p class="week__note">Extra session 18:00–20:00</p>' in page


def test_online_bookings_keep_their_keyboard_reachable_summary_in_every_view(
    clinic: Clinic, team: Team, admin: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    for params in (
        {"therapist": appointment.therapist_id},
        {"therapist": appointment.therapist_id, "view": "day", "date": "2026-12-08"},
        {"team": team.pk},
        {"team": team.pk, "view": "day", "date": "2026-12-08"},
    ):
        page = text(admin.get("/diary/", params))
        assert f'aria-describedby="appt-{appointment.pk}-summary"' in page
        summary = page[page.index(f'id="appt-{appointment.pk}-summary"') :]
        assert "<span>Booked online</span>" in summary[: summary.index("</div>")]


# New appointments


def new_form(clinic: Clinic, **changes: Any) -> dict[str, Any]:
    data = {
        "patient": clinic.patient.pk,
        "therapist": clinic.therapists[0].pk,
        "appointment_type": clinic.rule.appointment_type_id,
        "medium": "telephone",
        "location": "",
        "date": "2026-12-08",
        "start_time": "11:00",
        "duration_minutes": 50,
    }
    data.update(changes)
    return data


def test_the_new_appointment_page_finds_patients_by_nhs_number_or_name(
    clinic: Clinic, other_clinic: Clinic, admin: Client
) -> None:
    other = PatientFactory(service=clinic.service, first_name="Robin", last_name="Unrelated")
    empty = text(admin.get("/appointments/new/"))
    assert "Find a patient first" in empty and clinic.patient.full_name not in empty
    by_number = text(admin.get("/appointments/new/", {"q": clinic.patient.nhs_number}))
    # The only match is chosen already.
    assert f'<option value="{clinic.patient.pk}" selected>{clinic.patient.full_name} (' in by_number
    assert other.full_name not in by_number
    by_name = text(admin.get("/appointments/new/", {"q": "Robin"}))
    assert other.full_name in by_name and clinic.patient.full_name not in by_name
    stranger = text(admin.get("/appointments/new/", {"q": other_clinic.patient.nhs_number}))
    assert other_clinic.patient.full_name not in stranger


def test_new_from_a_diary_day_starts_with_its_therapist_and_date(
    clinic: Clinic, admin: Client
) -> None:
    page = text(
        admin.get(
            "/appointments/new/", {"therapist": clinic.therapists[1].pk, "date": "2026-12-09"}
        )
    )
    assert f'<option value="{clinic.therapists[1].pk}" selected>' in page
    assert 'value="2026-12-09"' in page
    diary = text(admin.get("/diary/", {"therapist": clinic.therapists[1].pk}))
    assert f"/appointments/new/?therapist={clinic.therapists[1].pk}&date=2026-12-09" in diary


def test_booking_a_new_appointment_puts_it_in_the_diary_with_a_clinical_contact(
    clinic: Clinic, admin: Client
) -> None:
    response = admin.post("/appointments/new/", new_form(clinic))
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/diary/?therapist={clinic.therapists[0].pk}&date=2026-12-08"
    assert (appointment.start, appointment.end) == (TUESDAY_11, TUESDAY_11 + timedelta(minutes=50))
    assert appointment.source == Source.STAFF and appointment.status == AppointmentStatus.BOOKED
    assert appointment.created_by == clinic.admin and appointment.service == clinic.service
    assert ClinicalContact.objects.filter(appointment=appointment).exists()
    assert "Appointment booked." in text(admin.get(response["Location"]))


def test_a_new_appointment_that_overlaps_is_refused(clinic: Clinic, admin: Client) -> None:
    appointment_at(clinic, TUESDAY_11 + timedelta(minutes=30))
    response = admin.post("/appointments/new/", new_form(clinic))
    assert response.status_code == 400
    assert "The therapist already has an appointment at that time." in text(response)
    assert Appointment.objects.count() == 1
    assert not ClinicalContact.objects.exists()
    # With the other therapist, the same time is free.
    response = admin.post("/appointments/new/", new_form(clinic, therapist=clinic.therapists[1].pk))
    assert response.status_code == 302


def test_a_new_appointment_for_another_services_patient_or_therapist_is_refused(
    clinic: Clinic, other_clinic: Clinic, admin: Client
) -> None:
    for changes in (
        {"patient": other_clinic.patient.pk},
        {"therapist": other_clinic.therapists[0].pk},
        {"appointment_type": other_clinic.rule.appointment_type_id},
        {"patient": "junk"},
        {"patient": ""},
    ):
        response = admin.post("/appointments/new/", new_form(clinic, **changes))
        assert response.status_code == 400, changes
    assert not Appointment.objects.exists()


def test_therapists_can_book_appointments_too(clinic: Clinic) -> None:
    response = logged_in(clinic.therapist_user).post("/appointments/new/", new_form(clinic))
    assert response.status_code == 302
    assert Client().get("/appointments/new/").status_code == 302


# Cancelling


def test_cancelling_keeps_the_appointment_with_its_reason_and_frees_the_time(
    clinic: Clinic, admin: Client
) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    response = admin.post(
        f"/appointments/{appointment.pk}/cancel/", {"reason": "Patient unwell"}, follow=True
    )
    assert "Appointment cancelled." in text(response)
    assert "Cancelled: Patient unwell." in text(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancellation_reason == "Patient unwell"
    diary = text(admin.get("/diary/", {"therapist": clinic.therapists[0].pk}))
    assert "appt--cancelled" in diary
    assert admin.post("/appointments/new/", new_form(clinic)).status_code == 302


def test_cancelling_needs_a_reason_and_happens_once(clinic: Clinic, admin: Client) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    response = admin.post(f"/appointments/{appointment.pk}/cancel/", {"reason": ""}, follow=True)
    assert "Give a reason for cancelling." in text(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    admin.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "First"})
    again = admin.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "Second"}, follow=True)
    assert "That appointment was already cancelled." in text(again)
    appointment.refresh_from_db()
    assert appointment.cancellation_reason == "First"


def test_another_services_staff_cannot_cancel(clinic: Clinic, other_clinic: Clinic) -> None:
    appointment = appointment_at(clinic, TUESDAY_11)
    for stranger in (other_clinic.superuser, other_clinic.admin, other_clinic.therapist_user):
        response = logged_in(stranger).post(
            f"/appointments/{appointment.pk}/cancel/", {"reason": "Stranger"}
        )
        assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_the_diary_is_for_every_role_but_only_their_services_therapists(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    for user in (clinic.therapist_user, clinic.admin, clinic.superuser):
        page = text(logged_in(user).get("/diary/"))
        assert clinic.therapists[0].name in page
        assert other_clinic.therapists[0].name not in page
