"""The demo outbox page: the texts the outbox backend kept, for admins, only in demo mode."""

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from slotlink.booking.links.services import booking_link_send
from tests.conftest import Clinic, logged_in

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def sent_token(clinic: Clinic) -> str:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    return token


@pytest.mark.parametrize("role", ["admin", "superuser"])
def test_outbox_shows_admins_the_texts_with_their_links(
    clinic: Clinic, sent_token: str, role: str
) -> None:
    response = logged_in(getattr(clinic, role)).get("/outbox/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"http://127.0.0.1:8000/b/{sent_token}" in page
    assert f"Hello {clinic.patient.first_name}" in page
    assert "Booking link" in page


def test_outbox_is_forbidden_to_therapists(clinic: Clinic, sent_token: str) -> None:
    response = logged_in(clinic.therapist_user).get("/outbox/")
    assert response.status_code == 403
    assert sent_token not in response.content.decode()


def test_outbox_never_shows_the_texts_outside_demo_mode(
    clinic: Clinic, sent_token: str, admin_client: Client, settings: Settings
) -> None:
    settings.DEMO_MODE = False
    response = admin_client.get("/outbox/")
    page = response.content.decode()
    assert response.status_code in {200, 404}
    assert sent_token not in page
    assert f"Hello {clinic.patient.first_name}" not in page


def test_outbox_shows_only_the_staff_members_own_services_texts(
    clinic: Clinic, other_clinic: Clinic, sent_token: str
) -> None:
    page = logged_in(other_clinic.admin).get("/outbox/").content.decode()
    assert sent_token not in page
    assert clinic.patient.mobile not in page
    assert clinic.patient.first_name not in page


def test_outbox_link_is_hidden_from_therapists_navigation(clinic: Clinic) -> None:
    therapist_page = logged_in(clinic.therapist_user).get("/patients/").content.decode()
    admin_page = logged_in(clinic.admin).get("/patients/").content.decode()
    assert 'href="/outbox/"' not in therapist_page
    assert 'href="/outbox/"' in admin_page


def test_outbox_needs_a_login(clinic: Clinic) -> None:
    response = Client().get("/outbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
