"""Cross-site request forgery: every state-changing form needs the CSRF token, for staff and
patients alike; only the SMS providers' callbacks are exempt, and they prove who they are by
signature instead."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client

from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink
from slotlink.clinic.models import Appointment
from slotlink.domain.link_lifecycle import LinkStatus
from tests.conftest import Clinic, logged_in

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def strict(client: Client) -> Client:
    client.handler.enforce_csrf_checks = True
    return client


def test_a_staff_action_without_the_token_is_refused(clinic: Clinic) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    admin = strict(logged_in(clinic.admin))

    forged = admin.post(f"/booking-links/{link.pk}/expire/")
    assert forged.status_code == 403
    assert BookingLink.objects.get(pk=link.pk).status == LinkStatus.SENT

    admin.get(f"/patients/{clinic.patient.pk}/care-pathway/")  # a page with the form
    token = admin.cookies[settings.CSRF_COOKIE_NAME].value
    genuine = admin.post(f"/booking-links/{link.pk}/expire/", HTTP_X_CSRFTOKEN=token)
    assert genuine.status_code == 302
    assert BookingLink.objects.get(pk=link.pk).status == LinkStatus.EXPIRED


def test_a_patients_booking_without_the_token_is_refused(clinic: Clinic) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = strict(Client())
    patient.get(f"/b/{token}")
    patient.get("/book/times/")
    assert patient.post("/book/choose/", {"start": TUESDAY_11.isoformat()}).status_code == 403
    assert patient.post("/book/confirm/").status_code == 403
    assert not Appointment.objects.exists()


def test_a_forged_log_out_everywhere_is_refused(clinic: Clinic) -> None:
    admin = strict(logged_in(clinic.admin))
    assert admin.post("/account/logout-everywhere/").status_code == 403
    assert admin.get("/patients/").status_code == 200


def test_callbacks_are_exempt_but_refuse_anyone_without_the_providers_proof(db: None) -> None:
    sender = strict(Client())
    assert sender.post("/callbacks/notify/", {}, content_type="application/json").status_code in {
        401,
        403,
    }
    assert sender.post("/callbacks/twilio/", {"MessageSid": "x"}).status_code == 403
