""" "Do not contact by SMS" stops every text to the patient, not only booking links: nothing is
queued for them (a text is recorded as not sent, with the reason), what was queued before the
flag is cancelled when it is set and checked again as it leaves, and each one is in the audit
log. Staff see why on the outbox, the link's history and the Care pathway. Emails are another
channel: the flag does not cover them."""

import html
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.manage.services import manage_send_code
from slotlink.booking.models import LINK_ABOUT, ManageLink
from slotlink.clinic.models import Appointment, Patient
from slotlink.messaging.backends import OutboxBackend, Outgoing
from slotlink.messaging.models import Channel, MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import NOT_BY_SMS, message_queue, messages_send_due
from slotlink.records.services.appointments import appointment_save
from tests.conftest import Clinic, logged_in
from tests.factories import AppointmentFactory, patient_identity_form

pytestmark = pytest.mark.usefixtures("frozen_now")


class CountingBackend(OutboxBackend):
    sent: list[str] = []

    def send(self, message: Outgoing) -> str:
        CountingBackend.sent.append(message.to)
        return super().send(message)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    CountingBackend.sent = []
    monkeypatch.setattr(
        "slotlink.messaging.services.providers.sms_backend", lambda service: CountingBackend()
    )
    return CountingBackend.sent


@pytest.fixture
def reminders(clinic: Clinic) -> Clinic:
    clinic.service.reminder_hours_before = [48, 2]
    clinic.service.save()
    return clinic


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def flag_in_the_database(clinic: Clinic) -> None:
    """The flag set however it was set (an import, the API): only the database knows."""
    Patient.objects.filter(pk=clinic.patient.pk).update(do_not_sms=True)


def tick_the_box(clinic: Clinic) -> Any:
    return logged_in(clinic.admin).post(
        f"/patients/{clinic.patient.pk}/edit/",
        {
            **patient_identity_form(clinic.patient),
            "mobile": clinic.patient.mobile,
            "email": "",
            "do_not_sms": "on",
        },
    )


def book(clinic: Clinic) -> Appointment:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    start = rule_available_times(clinic.rule, timezone.now())[10]
    return booking_link_book(link=link, start=start)


def not_sent_audits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.MESSAGE_NOT_SENT))


def assert_recorded_not_sent(message: OutboundMessage) -> None:
    message.refresh_from_db()
    assert (message.status, message.error) == (MessageStatus.CANCELLED, NOT_BY_SMS)
    assert message.sent_at is None
    audit = AuditEvent.objects.get(action=AuditAction.MESSAGE_NOT_SENT, object_id=message.pk)
    assert audit.details == {"kind": message.kind, "reason": NOT_BY_SMS}
    assert audit.patient_id == message.patient_id


def send_everything_due(provider: list[str]) -> None:
    messages_send_due(now=timezone.now() + timedelta(days=30))


# Nothing is queued for them


@pytest.mark.parametrize("kind", [MessageKind.CONFIRMATION, MessageKind.VERIFICATION])
def test_a_text_for_a_do_not_sms_patient_is_recorded_as_not_sent_and_never_sent(
    clinic: Clinic, provider: list[str], kind: MessageKind
) -> None:
    flag_in_the_database(clinic)
    clinic.patient.refresh_from_db()

    message = message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="Hello",
        kind=kind,
        patient=clinic.patient,
        urgent=True,
    )
    send_everything_due(provider)

    assert_recorded_not_sent(message)
    assert provider == []


def test_a_booking_made_before_the_flag_gets_no_confirmation_text_after_it(
    clinic: Clinic, provider: list[str]
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    flag_in_the_database(clinic)  # the link is still live: nothing expired it
    link.patient.refresh_from_db()

    appointment = booking_link_book(
        link=link, start=rule_available_times(clinic.rule, timezone.now())[10]
    )
    send_everything_due(provider)

    confirmation = OutboundMessage.objects.get(
        appointment=appointment, kind=MessageKind.CONFIRMATION
    )
    assert_recorded_not_sent(confirmation)
    assert clinic.patient.mobile not in provider


def test_a_new_appointment_for_a_do_not_sms_patient_queues_no_reminders(
    reminders: Clinic, provider: list[str]
) -> None:
    flag_in_the_database(reminders)
    start = timezone.now() + timedelta(days=4)
    appointment = AppointmentFactory.build(
        service=reminders.service,
        therapist=reminders.therapists[0],
        patient=Patient.objects.get(pk=reminders.patient.pk),
        appointment_type=reminders.rule.appointment_type,
        start=start,
        end=start + timedelta(hours=1),
    )
    appointment_save(appointment=appointment, user=reminders.admin)
    send_everything_due(provider)

    rows = OutboundMessage.objects.filter(appointment=appointment, kind=MessageKind.REMINDER)
    assert rows.count() == 2
    for row in rows:
        assert_recorded_not_sent(row)
    assert provider == []


def test_no_verification_code_is_texted_to_a_do_not_sms_patient(
    clinic: Clinic, provider: list[str]
) -> None:
    book(clinic)
    flag_in_the_database(clinic)

    assert manage_send_code(manage=ManageLink.objects.get()) is False
    send_everything_due(provider)

    # Refused before it reaches the outbox (the manage flow tells the patient to call), and
    # the refusal is on record with why.
    assert not OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).exists()
    refusal = AuditEvent.objects.get(action=AuditAction.VERIFICATION_CODE_REFUSED)
    assert refusal.details["can_be_texted"] is False
    assert provider == []


# What was queued before the flag


def test_ticking_the_box_cancels_every_text_still_queued_for_the_patient(
    reminders: Clinic, provider: list[str]
) -> None:
    book(reminders)
    queued = list(OutboundMessage.objects.filter(status=MessageStatus.QUEUED))
    # The link's text, the confirmation and two reminders, none sent yet.
    assert sorted(m.kind for m in queued) == sorted(
        [MessageKind.BOOKING_LINK, MessageKind.CONFIRMATION] + [MessageKind.REMINDER] * 2
    )

    tick_the_box(reminders)
    send_everything_due(provider)

    for message in queued:
        assert_recorded_not_sent(message)
    assert [a.actor for a in not_sent_audits()] == [reminders.admin] * 4
    assert provider == []


def test_a_text_queued_before_the_flag_is_checked_again_as_it_leaves(
    reminders: Clinic, provider: list[str]
) -> None:
    appointment = book(reminders)
    provider.clear()
    flag_in_the_database(reminders)  # nothing cancelled the queued reminders

    send_everything_due(provider)

    for reminder in OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.REMINDER
    ):
        assert_recorded_not_sent(reminder)
    assert provider == []


def test_emails_are_not_covered_by_the_flag(clinic: Clinic) -> None:
    """The flag says "by SMS": it is for someone else reading the patient's texts. An email
    staff choose to send goes to the address on the record."""
    flag_in_the_database(clinic)
    clinic.patient.refresh_from_db()
    message = message_queue(
        service=clinic.service,
        to="alex@example.com",
        body="Your link",
        kind=MessageKind.AD_HOC,
        channel=Channel.EMAIL,
        patient=clinic.patient,
        subject="Book your appointment",
    )
    messages_send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1


# Staff see why


def test_staff_see_why_nothing_was_sent(reminders: Clinic) -> None:
    link, _ = booking_link_send(
        patient=reminders.patient, rule=reminders.rule, sent_by=reminders.admin
    )
    # Held back by quiet hours, so still queued when the box is ticked.
    OutboundMessage.objects.filter(about_kind=LINK_ABOUT, about_id=link.pk).update(
        send_after=timezone.now() + timedelta(hours=8)
    )
    tick_the_box(reminders)
    staff = logged_in(reminders.admin)

    outbox = text(staff.get("/outbox/"))
    assert "Not sent" in outbox and NOT_BY_SMS in outbox
    history = text(staff.get(f"/booking-links/{link.pk}/history/"))
    assert NOT_BY_SMS in history
    care_pathway = text(staff.get(f"/patients/{reminders.patient.pk}/care-pathway/"))
    assert "Not sent: patient asked not to be contacted by SMS" in care_pathway
    assert "No texts are sent to this patient" in care_pathway
    assert "Send appointment booking SMS" not in care_pathway


def test_send_again_by_text_is_refused_for_a_do_not_sms_patient(clinic: Clinic) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    flag_in_the_database(clinic)  # the link is still live: nothing expired it

    response = logged_in(clinic.admin).post(
        f"/booking-links/{link.pk}/resend/", {"channel": "sms"}, follow=True
    )

    assert "not to contact them by SMS" in text(response)
    assert "sent again" not in text(response)
    assert OutboundMessage.objects.filter(about_kind=LINK_ABOUT, about_id=link.pk).count() == 1
