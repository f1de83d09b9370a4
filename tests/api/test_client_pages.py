"""The superuser's API clients page: make, rotate and revoke, secrets shown once."""

import re

import pytest

from slotlink.api.models import ApiClient
from tests.api.conftest import make_client
from tests.conftest import Clinic, logged_in

pytestmark = pytest.mark.django_db


def test_a_superuser_makes_a_client_and_sees_its_secret_once(clinic: Clinic) -> None:
    page = logged_in(clinic.superuser)
    made = page.post(
        "/settings/api-clients/",
        {
            "name": "EPR",
            "scopes": ["system/Slot.read", "system/Appointment.write"],
            "requests_per_minute": 120,
        },
    )
    assert made.status_code == 200
    secret = re.search(r'id="client-secret" value="([^"]+)"', made.content.decode()).group(1)  # type: ignore[union-attr]
    client = ApiClient.objects.get(name="EPR", service=clinic.service)
    assert (client.scopes, client.requests_per_minute) == (
        "system/Appointment.write system/Slot.read",
        120,
    )
    listing = page.get("/settings/api-clients/").content.decode()
    assert "EPR" in listing and client.application.client_id in listing
    assert secret not in listing


def test_an_unknown_scope_or_a_repeated_name_is_refused_on_the_form(clinic: Clinic) -> None:
    make_client(clinic, name="EPR")
    page = logged_in(clinic.superuser)
    again = page.post(
        "/settings/api-clients/",
        {"name": "EPR", "scopes": ["system/Slot.read"], "requests_per_minute": 60},
    )
    assert again.status_code == 400
    assert "already has a client called" in again.content.decode()
    odd = page.post(
        "/settings/api-clients/",
        {"name": "X", "scopes": ["system/All.write"], "requests_per_minute": 60},
    )
    assert odd.status_code == 400
    assert ApiClient.objects.count() == 1


def test_rotate_shows_a_new_secret_and_revoke_ends_the_client(clinic: Clinic) -> None:
    client = make_client(clinic).client
    page = logged_in(clinic.superuser)
    rotated = page.post(f"/settings/api-clients/{client.pk}/rotate/")
    assert "new secret" in rotated.content.decode()
    assert page.post(f"/settings/api-clients/{client.pk}/revoke/").status_code == 302
    client.refresh_from_db()
    assert client.revoked_at is not None


def test_only_superusers_of_the_service_manage_its_clients(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    client = make_client(clinic).client
    assert logged_in(clinic.admin).get("/settings/api-clients/").status_code == 403
    stranger = logged_in(other_clinic.superuser)
    assert stranger.post(f"/settings/api-clients/{client.pk}/revoke/").status_code == 404
    assert stranger.post(f"/settings/api-clients/{client.pk}/rotate/").status_code == 404
    assert (
        client.application.client_id not in stranger.get("/settings/api-clients/").content.decode()
    )
    client.refresh_from_db()
    assert client.revoked_at is None


def test_a_clients_acting_account_is_on_no_staff_list_and_can_never_log_in(clinic: Clinic) -> None:
    client = make_client(clinic).client
    account = client.acting_user
    assert account.service_id is None and not account.is_active
    assert not account.has_usable_password()
    staff_page = logged_in(clinic.superuser).get("/staff/").content.decode()
    assert account.username not in staff_page
    assert account.get_full_name() not in staff_page
