"""Links that look after themselves: discharging a patient or marking them "do not contact by
SMS" expires every link they could still book with, with the reason in its history; and a
discreet rule's text names neither the service nor the appointment."""

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import BookingError, booking_link_send
from slotlink.booking.models import LINK_ABOUT, ActorKind, BookingLink, BookingLinkEvent
from slotlink.clinic.models import Patient
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.messaging.models import OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.records.services.patients import DISCHARGED, DO_NOT_SMS
from tests.conftest import MONDAY, Clinic, logged_in
from tests.factories import BroadcastRuleFactory, patient_identity_form

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def record_form(patient: Patient, **changes: Any) -> dict[str, Any]:
    # The patient's own number unless a test changes it: a new number expires links too.
    data: dict[str, Any] = {
        **patient_identity_form(patient),
        "mobile": patient.mobile,
        "email": patient.email,
    }
    data.update({name: value for name, value in changes.items() if value is not None})
    return data


def edit_url(clinic: Clinic) -> str:
    return f"/patients/{clinic.patient.pk}/edit/"


def links(clinic: Clinic, count: int) -> list[BookingLink]:
    """Live links for the patient, each for a rule of its own (the same rule again within
    minutes would show the first link again: tests/booking/test_send_twice.py)."""
    return [
        booking_link_send(
            patient=clinic.patient,
            rule=BroadcastRuleFactory(service=clinic.service, therapists=clinic.therapists),
            sent_by=clinic.admin,
        )[0]
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("flag", "reason"), [("discharged", DISCHARGED), ("do_not_sms", DO_NOT_SMS)]
)
def test_the_flag_expires_every_live_link_with_the_reason_in_its_history(
    clinic: Clinic, flag: str, reason: str
) -> None:
    live = links(clinic, 3)
    booked = links(clinic, 1)[0]
    booking_link_book(link=booked, start=TUESDAY_11)
    client = logged_in(clinic.therapist_user)
    response = client.post(edit_url(clinic), record_form(clinic.patient, **{flag: "on"}))
    assert response.status_code == 302
    assert "Details saved. 3 booking links expired." in text(client.get(response["Location"]))
    for link in live:
        link.refresh_from_db()
        assert link.status == LinkStatus.EXPIRED
        event = link.events.order_by("pk").last()
        assert event is not None
        assert (event.actor_kind, event.actor, event.reason) == (
            ActorKind.STAFF,
            clinic.therapist_user,
            reason,
        )
    booked.refresh_from_db()
    assert booked.status == LinkStatus.BOOKED
    history = text(client.get(f"/booking-links/{live[0].pk}/history/"))
    assert reason in history


def test_both_flags_at_once_record_both_reasons(clinic: Clinic) -> None:
    (link,) = links(clinic, 1)
    logged_in(clinic.admin).post(
        edit_url(clinic), record_form(clinic.patient, discharged="on", do_not_sms="on")
    )
    event = BookingLinkEvent.objects.filter(link=link).order_by("pk").last()
    assert event is not None and event.reason == f"{DISCHARGED}; {DO_NOT_SMS}"


def test_saving_again_with_the_flag_already_set_expires_nothing_more(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    client.post(edit_url(clinic), record_form(clinic.patient, discharged="on"))
    discharged_at = Patient.objects.get(pk=clinic.patient.pk).discharged_at
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        client.post(edit_url(clinic), record_form(clinic.patient, discharged="on"))
    assert Patient.objects.get(pk=clinic.patient.pk).discharged_at == discharged_at


def test_links_past_their_validity_are_left_to_the_overdue_job(clinic: Clinic) -> None:
    (link,) = links(clinic, 1)
    with time_machine.travel(link.expires_at + timedelta(minutes=1), tick=False):
        logged_in(clinic.admin).post(edit_url(clinic), record_form(clinic.patient, do_not_sms="on"))
    link.refresh_from_db()
    assert link.status == LinkStatus.SENT  # "Validity ended" is recorded by expire_links
    assert not link.events.filter(reason=DO_NOT_SMS).exists()


def test_no_new_link_can_be_sent_to_a_discharged_or_do_not_sms_patient(clinic: Clinic) -> None:
    Patient.objects.filter(pk=clinic.patient.pk).update(do_not_sms=True)
    clinic.patient.refresh_from_db()
    with pytest.raises(BookingError, match="not to contact them by SMS"):
        booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    Patient.objects.filter(pk=clinic.patient.pk).update(do_not_sms=False, discharged_at=MONDAY)
    clinic.patient.refresh_from_db()
    with pytest.raises(BookingError, match="has been discharged"):
        booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    assert not BookingLink.objects.exists()
    response = logged_in(clinic.admin).post(
        f"/patients/{clinic.patient.pk}/booking-links/", {"rule": clinic.rule.pk}, follow=True
    )
    assert "This patient has been discharged." in text(response)


def test_unticking_discharged_clears_it_but_expired_links_stay_expired(clinic: Clinic) -> None:
    (link,) = links(clinic, 1)
    client = logged_in(clinic.admin)
    client.post(edit_url(clinic), record_form(clinic.patient, discharged="on"))
    client.post(edit_url(clinic), record_form(clinic.patient))
    assert Patient.objects.get(pk=clinic.patient.pk).discharged_at is None
    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED


def test_the_record_shows_the_flags(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    client.post(edit_url(clinic), record_form(clinic.patient, discharged="on", do_not_sms="on"))
    page = text(client.get(f"/patients/{clinic.patient.pk}/"))
    assert "Discharged 07/12/2026" in page
    assert '<span class="tag tag--alert">Do not contact by SMS</span>' in page


def test_the_mobile_is_saved_in_international_form_and_checked(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    client.post(edit_url(clinic), record_form(clinic.patient, mobile="07700 900 456"))
    assert Patient.objects.get(pk=clinic.patient.pk).mobile == "+447700900456"
    response = client.post(edit_url(clinic), record_form(clinic.patient, mobile="0113 496 0500"))
    assert response.status_code == 400
    assert "Enter a UK mobile number, for example 07700 900123." in text(response)
    assert Patient.objects.get(pk=clinic.patient.pk).mobile == "+447700900456"


def test_the_edit_form_shows_the_current_details(clinic: Clinic) -> None:
    page = text(logged_in(clinic.therapist_user).get(edit_url(clinic)))
    assert f'value="0{clinic.patient.mobile[3:]}"' in page
    assert 'name="discharged"' in page and 'name="do_not_sms"' in page


def test_another_services_staff_get_404_and_change_nothing(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    (link,) = links(clinic, 1)
    for stranger in (other_clinic.superuser, other_clinic.admin, other_clinic.therapist_user):
        client = logged_in(stranger)
        assert client.get(edit_url(clinic)).status_code == 404
        response = client.post(edit_url(clinic), record_form(clinic.patient, discharged="on"))
        assert response.status_code == 404
    link.refresh_from_db()
    assert link.status == LinkStatus.SENT
    assert Patient.objects.get(pk=clinic.patient.pk).discharged_at is None
    assert Client().get(edit_url(clinic)).status_code == 302


# The discreet text


def test_a_discreet_rules_text_names_neither_the_service_nor_the_appointment(
    clinic: Clinic,
) -> None:
    rule = BroadcastRuleFactory(
        service=clinic.service,
        therapists=clinic.therapists,
        title="Trauma-focused CBT",
        discreet_sms=True,
        sms_template="Hello {first_name}, {service_name} here: {link}",
    )
    link, token = booking_link_send(patient=clinic.patient, rule=rule, sent_by=clinic.admin)
    body = message_body(OutboundMessage.objects.get(about_kind=LINK_ABOUT, about_id=link.pk))
    assert token in body
    for revealing in (clinic.service.name, "Therapies", rule.title, "CBT", "Assessment"):
        assert revealing not in body
    assert clinic.patient.first_name not in body


def test_an_ordinary_rule_uses_its_own_text(clinic: Clinic) -> None:
    rule = BroadcastRuleFactory(
        service=clinic.service, sms_template="Hi {first_name} from {service_name}: {link}"
    )
    link, _ = booking_link_send(patient=clinic.patient, rule=rule, sent_by=clinic.admin)
    body = message_body(OutboundMessage.objects.get(about_kind=LINK_ABOUT, about_id=link.pk))
    assert body.startswith(f"Hi {clinic.patient.first_name} from {clinic.service.name}: ")
