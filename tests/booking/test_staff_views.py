"""The "Online appointment booking" section of the Care pathway tab, as staff use it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import booking_link_open, booking_link_send
from slotlink.booking.models import ActorKind, BookingLink
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.messaging.models import MessageKind, OutboundMessage
from tests.conftest import Clinic, logged_in
from tests.factories import BroadcastRuleFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

HTMX = {"HX-Request": "true"}
TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def care_pathway_url(clinic: Clinic) -> str:
    return f"/patients/{clinic.patient.pk}/care-pathway/"


def send_url(clinic: Clinic) -> str:
    return f"/patients/{clinic.patient.pk}/booking-links/"


def text(response: Any) -> str:
    return response.content.decode()


# The section


def test_care_pathway_shows_the_online_booking_section_with_the_services_rules(
    clinic: Clinic, admin_client: Client
) -> None:
    response = admin_client.get(care_pathway_url(clinic))
    assert response.status_code == 200
    assert 'id="online-booking"' in text(response)
    assert f'<option value="{clinic.rule.pk}">{clinic.rule.title}</option>' in text(response)
    assert "No booking links have been sent to this patient." in text(response)


def test_care_pathway_hides_the_section_when_the_service_switch_is_off(
    clinic: Clinic, admin_client: Client
) -> None:
    clinic.service.online_booking_enabled = False
    clinic.service.save()
    response = admin_client.get(care_pathway_url(clinic))
    assert response.status_code == 200
    assert 'id="online-booking"' not in text(response)
    assert "switched off" in text(response)


def test_care_pathway_offers_only_this_services_active_rules(
    clinic: Clinic, other_clinic: Clinic, admin_client: Client
) -> None:
    retired = BroadcastRuleFactory(service=clinic.service, active=False, title="Retired rule")
    page = text(admin_client.get(care_pathway_url(clinic)))
    assert clinic.rule.title in page
    assert other_clinic.rule.title not in page
    assert retired.title not in page


def test_care_pathway_says_why_it_cannot_send_to_a_patient_without_a_mobile(
    clinic: Clinic, admin_client: Client
) -> None:
    clinic.patient.mobile = ""
    clinic.patient.save()
    page = text(admin_client.get(care_pathway_url(clinic)))
    assert "This patient has no mobile number" in page
    assert "Send appointment booking SMS" not in page


def test_therapists_can_send_links_too(clinic: Clinic) -> None:
    response = logged_in(clinic.therapist_user).post(send_url(clinic), {"rule": clinic.rule.pk})
    assert response.status_code == 302
    assert BookingLink.objects.get().sent_by == clinic.therapist_user


# Sending


def test_plain_post_sends_the_link_and_returns_to_the_section(
    clinic: Clinic, admin_client: Client
) -> None:
    response = admin_client.post(send_url(clinic), {"rule": clinic.rule.pk})
    assert response.status_code == 302
    assert response["Location"] == care_pathway_url(clinic) + "#online-booking"
    link = BookingLink.objects.get()
    assert (link.patient, link.rule, link.sent_by) == (clinic.patient, clinic.rule, clinic.admin)
    assert OutboundMessage.objects.get().kind == MessageKind.BOOKING_LINK
    page = text(admin_client.get(response["Location"]))
    assert f"Booking link for {clinic.rule.title} sent to {clinic.patient.first_name}" in page
    assert "Expire link" in page


def test_htmx_post_sends_the_link_and_returns_just_the_section_with_the_live_link(
    clinic: Clinic, admin_client: Client
) -> None:
    response = admin_client.post(send_url(clinic), {"rule": clinic.rule.pk}, headers=HTMX)
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<section id="online-booking"')
    assert "<html" not in page
    assert f"sent to {clinic.patient.first_name}" in page
    assert "http://127.0.0.1:8000/b/" in page  # the live link staff can copy again
    assert BookingLink.objects.count() == 1


@pytest.mark.parametrize("rule_value", ["", "abc", "0", "999999999", "1.5", "-1"])
def test_sending_without_a_valid_rule_is_refused_with_a_clear_error(
    clinic: Clinic, admin_client: Client, rule_value: str
) -> None:
    response = admin_client.post(send_url(clinic), {"rule": rule_value}, headers=HTMX)
    assert response.status_code == 400
    assert "Choose the type of appointment to send a link for." in text(response)
    assert not BookingLink.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_sending_with_no_rule_field_at_all_is_refused(clinic: Clinic, admin_client: Client) -> None:
    response = admin_client.post(send_url(clinic), {}, headers=HTMX)
    assert response.status_code == 400
    assert not BookingLink.objects.exists()


def test_sending_another_services_rule_is_refused_and_sends_nothing(
    clinic: Clinic, other_clinic: Clinic, admin_client: Client
) -> None:
    response = admin_client.post(send_url(clinic), {"rule": other_clinic.rule.pk}, headers=HTMX)
    assert response.status_code == 400
    assert "Choose the type of appointment" in text(response)
    assert not BookingLink.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_sending_an_inactive_rule_is_refused(clinic: Clinic, admin_client: Client) -> None:
    clinic.rule.active = False
    clinic.rule.save()
    response = admin_client.post(send_url(clinic), {"rule": clinic.rule.pk}, headers=HTMX)
    assert response.status_code == 400
    assert not BookingLink.objects.exists()


def test_sending_to_a_patient_without_a_mobile_is_refused_with_the_reason(
    clinic: Clinic, admin_client: Client
) -> None:
    clinic.patient.mobile = ""
    clinic.patient.save()
    response = admin_client.post(send_url(clinic), {"rule": clinic.rule.pk}, headers=HTMX)
    assert response.status_code == 400
    assert "no mobile number" in text(response)
    assert not OutboundMessage.objects.exists()


def test_sending_when_the_switch_is_off_is_refused(clinic: Clinic, admin_client: Client) -> None:
    clinic.service.online_booking_enabled = False
    clinic.service.save()
    response = admin_client.post(send_url(clinic), {"rule": clinic.rule.pk}, headers=HTMX)
    assert response.status_code == 400
    assert not BookingLink.objects.exists()


def test_a_refused_plain_post_shows_its_error_on_the_page_it_returns_to(
    clinic: Clinic, admin_client: Client
) -> None:
    response = admin_client.post(send_url(clinic), {"rule": "abc"}, follow=True)
    assert "Choose the type of appointment to send a link for." in text(response)
    assert not BookingLink.objects.exists()


def test_sending_needs_a_post(clinic: Clinic, admin_client: Client) -> None:
    assert admin_client.get(send_url(clinic), {"rule": clinic.rule.pk}).status_code == 405
    assert not BookingLink.objects.exists()


# Expiring


def test_expire_link_stops_the_link_and_records_the_staff_member(
    clinic: Clinic, admin_client: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    response = admin_client.post(f"/booking-links/{link.pk}/expire/", headers=HTMX)
    assert response.status_code == 200
    assert "can no longer be used to book" in text(response)
    assert "Expire link" not in text(response)  # no live panel any more
    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED
    expired = link.events.get(to_status=LinkStatus.EXPIRED)
    assert (expired.actor_kind, expired.actor, expired.reason) == (
        ActorKind.STAFF,
        clinic.admin,
        "Expired by staff",
    )


def test_expiring_a_booked_link_changes_nothing_and_says_so(
    clinic: Clinic, admin_client: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    booking_link_book(link=link, start=TUESDAY_11)
    response = admin_client.post(f"/booking-links/{link.pk}/expire/", follow=True)
    assert "could no longer be used already" in text(response)
    link.refresh_from_db()
    assert link.status == LinkStatus.BOOKED


def test_history_table_shows_a_live_link_past_its_validity_as_expired(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days, minutes=1))
    page = text(logged_in(clinic.admin).get(care_pathway_url(clinic)))
    assert 'class="tag tag--expired">Expired<' in page
    assert "Expire link" not in page


def test_history_table_says_until_when_a_text_sent_at_night_waits(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    frozen_now.move_to(datetime(2026, 12, 7, 22, 30, tzinfo=UTC))  # quiet hours, 21:00-08:00
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    page = text(logged_in(clinic.admin).get(care_pathway_url(clinic)))
    assert "Queued until 08/12 08:00" in page

    frozen_now.move_to(datetime(2026, 12, 8, 8, 1, tzinfo=UTC))  # due now, not yet sent
    page = text(logged_in(clinic.admin).get(care_pathway_url(clinic)))
    assert ">Queued<" in page


# Full history


def test_full_history_has_a_plain_title_and_one_table_of_texts(clinic: Clinic) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    page = text(logged_in(clinic.admin).get(f"/booking-links/{link.pk}/history/"))
    title = page[page.index("<title>") : page.index("</title>")]
    assert "<table" not in title
    assert "Booking link history" in title
    assert page.count("<caption>Texts and emails</caption>") == 1


def test_full_history_lists_every_change_with_who_made_it(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    frozen_now.shift(timedelta(hours=1))
    booking_link_open(link=link)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    response = logged_in(clinic.admin).get(f"/booking-links/{link.pk}/history/")
    assert response.status_code == 200
    page = text(response)
    for change in ["Sent", "Accessed", "Booked"]:
        assert f"<td>{change}</td>" in page
    assert clinic.admin.get_full_name() in page
    assert "<td>Patient</td>" in page
    assert f'href="/appointments/{appointment.pk}/"' in page
    assert "07/12/2026 10:00" in page and "07/12/2026 11:00" in page
    assert (
        page.index("<td>Sent</td>")
        < page.index("<td>Accessed</td>")
        < page.index("<td>Booked</td>")
    )


def test_history_row_links_to_the_clinical_contact_of_the_booked_appointment(
    clinic: Clinic, admin_client: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    page = text(admin_client.get(care_pathway_url(clinic)))
    assert f'href="/appointments/{appointment.pk}/clinical-contact/"' in page
    assert f'href="/booking-links/{link.pk}/history/"' in page
    assert "08/12/2026 11:00" in page


def test_a_text_being_retried_reads_the_same_in_the_links_history_and_the_outbox(
    clinic: Clinic,
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    OutboundMessage.objects.filter(kind=MessageKind.BOOKING_LINK).update(
        attempts=1,
        error="Provider busy",
        send_after=datetime(2026, 12, 7, 10, 5, tzinfo=UTC),
    )
    said = "Trying again after 07/12/2026 10:05: Provider busy"
    admin = logged_in(clinic.admin)
    assert said in text(admin.get(f"/booking-links/{link.pk}/history/"))
    assert said in text(admin.get("/outbox/"))
