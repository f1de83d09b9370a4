"""A new mobile number ends the links texted to the old one: every live link expires, with
"Mobile number changed" in its history, in the transaction that changes the number. "Send
again" then refuses plainly, a new link goes to the new number, and texts still queued follow
the number on record (a link's text is withdrawn with its link)."""

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import LINK_ABOUT, ActorKind, BookingLink
from slotlink.clinic.models import Patient
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import (
    LINK_EXPIRED_WITH_NUMBER,
    message_queue,
    messages_send_due,
)
from slotlink.records.services.patients import MOBILE_CHANGED
from tests.conftest import Clinic, logged_in
from tests.factories import BroadcastRuleFactory, patient_identity_form

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
NEW_NUMBER = "07700 900777"
NEW_E164 = "+447700900777"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def change_number(clinic: Clinic, mobile: str = NEW_NUMBER) -> Any:
    return logged_in(clinic.admin).post(
        f"/patients/{clinic.patient.pk}/edit/",
        {**patient_identity_form(clinic.patient), "mobile": mobile, "email": ""},
        follow=True,
    )


def live_links(clinic: Clinic, count: int) -> list[BookingLink]:
    return [
        booking_link_send(
            patient=clinic.patient,
            rule=BroadcastRuleFactory(service=clinic.service, therapists=clinic.therapists),
            sent_by=clinic.admin,
        )[0]
        for _ in range(count)
    ]


def test_a_new_number_expires_every_live_link_with_the_reason(clinic: Clinic) -> None:
    live = live_links(clinic, 2)
    booked = live_links(clinic, 1)[0]
    booking_link_book(link=booked, start=TUESDAY_11)

    page = change_number(clinic)

    assert "Details saved. 2 booking links expired." in text(page)
    assert Patient.objects.get(pk=clinic.patient.pk).mobile == NEW_E164
    for link in live:
        link.refresh_from_db()
        assert link.status == LinkStatus.EXPIRED
        event = link.events.order_by("pk").last()
        assert event is not None
        assert (event.actor_kind, event.actor, event.reason) == (
            ActorKind.STAFF,
            clinic.admin,
            MOBILE_CHANGED,
        )
    booked.refresh_from_db()
    assert booked.status == LinkStatus.BOOKED  # the appointment stands; no link to misuse
    history = text(logged_in(clinic.admin).get(f"/booking-links/{live[0].pk}/history/"))
    assert "Mobile number changed" in history


def test_removing_the_number_expires_the_links_too(clinic: Clinic) -> None:
    (link,) = live_links(clinic, 1)
    change_number(clinic, mobile="")
    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED
    assert link.events.filter(reason=MOBILE_CHANGED).exists()


def test_the_same_number_written_differently_is_no_change(clinic: Clinic) -> None:
    (link,) = live_links(clinic, 1)
    national = "0" + clinic.patient.mobile[3:6] + " " + clinic.patient.mobile[6:]
    page = change_number(clinic, mobile=national)
    assert "Details saved." in text(page) and "expired" not in text(page)
    link.refresh_from_db()
    assert link.status == LinkStatus.SENT


def test_send_again_is_refused_plainly_and_sends_nothing(clinic: Clinic) -> None:
    (link,) = live_links(clinic, 1)
    change_number(clinic)

    client = logged_in(clinic.admin)
    response = client.post(f"/booking-links/{link.pk}/resend/", {"channel": "sms"}, follow=True)

    assert (
        "This link can no longer be used (Mobile number changed), so it cannot be sent again. "
        "Send a new link instead." in text(response)
    )
    assert (
        OutboundMessage.objects.filter(about_kind=LINK_ABOUT, about_id=link.pk).count() == 1
    )  # the first text only
    refused = client.post(f"/booking-links/{link.pk}/resend/", {"channel": "sms"})
    assert refused.status_code == 302  # no HTMX: back to the section, with the message


def test_a_new_link_goes_to_the_new_number_at_once(clinic: Clinic) -> None:
    (old,) = live_links(clinic, 1)
    change_number(clinic)
    clinic.patient.refresh_from_db()

    new, _ = booking_link_send(patient=clinic.patient, rule=old.rule, sent_by=clinic.admin)

    assert new.pk != old.pk  # the expired link is not "shown again"
    assert OutboundMessage.objects.get(about_kind=LINK_ABOUT, about_id=new.pk).to == NEW_E164


def test_texts_still_queued_follow_the_number_and_a_links_text_goes_with_its_link(
    clinic: Clinic,
) -> None:
    # Quiet hours hold every text until the morning, so all of them are still queued.
    clinic.service.quiet_from, clinic.service.quiet_until = (
        datetime(2026, 1, 1, 0, 0).time(),
        datetime(2026, 1, 1, 23, 59).time(),
    )
    clinic.service.save()
    (link,) = live_links(clinic, 1)
    reminder = message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="A reminder",
        kind=MessageKind.REMINDER,
        patient=clinic.patient,
    )

    change_number(clinic)

    link_text = OutboundMessage.objects.get(about_kind=LINK_ABOUT, about_id=link.pk)
    assert link_text.status == MessageStatus.CANCELLED
    assert link_text.error == LINK_EXPIRED_WITH_NUMBER
    assert AuditEvent.objects.filter(
        action=AuditAction.MESSAGE_NOT_SENT, object_id=link_text.pk
    ).exists()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.to) == (MessageStatus.QUEUED, NEW_E164)


def test_a_text_queued_for_the_old_number_after_the_change_is_never_sent(clinic: Clinic) -> None:
    stale = clinic.patient.mobile  # e.g. a page that loaded the record before the change
    change_number(clinic)
    message = message_queue(
        service=clinic.service,
        to=stale,
        body="Your appointment is booked",
        kind=MessageKind.CONFIRMATION,
        patient=clinic.patient,
        urgent=True,
    )

    messages_send_due(now=message.send_after + timedelta(seconds=1))

    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    assert message.sent_at is None
    assert "mobile number changed" in message.error
