"""Booking-link services: sending, opening, booking, expiring and deleting, with their records."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import (
    Actor,
    BookingError,
    LinkNotUsable,
    SlotTaken,
    booking_link_expire,
    booking_link_open,
    booking_link_send,
    booking_links_expire_overdue,
)
from slotlink.booking.models import LINK_ABOUT, ActorKind, BookingLink, BookingLinkEvent
from slotlink.clinic.models import Appointment, AppointmentStatus, ClinicalContact, Source
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.lib.formatting import when
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.records.services.appointments import appointment_delete
from tests.conftest import MONDAY, Clinic, run_tasks
from tests.factories import AppointmentFactory, BroadcastRuleFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

# Tuesday 8 December 2026: with 24 hours' notice from Monday 10:00 the first bookable day.
TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
TUESDAY_14 = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)


def send(clinic: Clinic, **kwargs: object) -> tuple[BookingLink, str]:
    options = {"patient": clinic.patient, "rule": clinic.rule, "sent_by": clinic.admin, **kwargs}
    return booking_link_send(**options)  # type: ignore[arg-type]


def events(link: BookingLink) -> list[tuple[str, str]]:
    return list(link.events.order_by("pk").values_list("from_status", "to_status"))


def fill_slot(clinic: Clinic, start: datetime) -> None:
    """Another patient takes `start` with every therapist of the rule."""
    for therapist in clinic.therapists:
        AppointmentFactory(
            service=clinic.service,
            therapist=therapist,
            start=start,
            end=start + timedelta(hours=1),
        )


# Sending


def test_sent_link_stores_the_tokens_hash_and_ciphertext_but_never_the_token(
    clinic: Clinic,
) -> None:
    link, token = send(clinic)
    link.refresh_from_db()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in link.token_encrypted
    every_row = [
        repr(row) for model in apps.get_models() for row in model._default_manager.values_list()
    ]
    assert every_row, "the scan must look at something"
    assert not [row for row in every_row if token in row]


def test_sent_links_token_has_256_bits_and_is_url_safe(clinic: Clinic) -> None:
    tokens = {send(clinic, patient=PatientFactory(service=clinic.service))[1] for _ in range(5)}
    assert len(tokens) == 5
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 43 × 6 bits ≥ 256


def test_sent_link_expires_after_the_rules_validity(clinic: Clinic) -> None:
    clinic.rule.link_valid_days = 3
    clinic.rule.save()
    link, _ = send(clinic)
    assert link.created_at == MONDAY
    assert link.expires_at == MONDAY + timedelta(days=3)
    assert link.status == LinkStatus.SENT
    assert link.sent_by == clinic.admin


def test_sending_records_the_sent_event_with_the_staff_member(clinic: Clinic) -> None:
    link, _ = send(clinic)
    event = link.events.get()
    assert (event.from_status, event.to_status) == ("", LinkStatus.SENT)
    assert (event.actor_kind, event.actor) == (ActorKind.STAFF, clinic.admin)
    assert event.occurred_at == MONDAY


def test_sending_queues_an_sms_that_the_worker_sends_once(clinic: Clinic) -> None:
    link, _ = send(clinic)
    message = OutboundMessage.objects.get()
    assert (message.kind, message.status) == (MessageKind.BOOKING_LINK, MessageStatus.QUEUED)
    assert (message.to, message.patient, message.about_kind, message.about_id) == (
        clinic.patient.mobile,
        clinic.patient,
        LINK_ABOUT,
        link.pk,
    )
    run_tasks()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider == "outbox"
    assert message.sent_at is not None
    run_tasks()
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 1


def test_sms_text_is_the_rules_template_with_the_placeholders_filled_in(clinic: Clinic) -> None:
    clinic.rule.sms_template = (
        "Hi {first_name}, {service_name} invites you to book: {link} (until {expiry_date})"
    )
    clinic.rule.save()
    _, token = send(clinic)
    body = message_body(OutboundMessage.objects.get())
    assert body == (
        f"Hi {clinic.patient.first_name}, {clinic.service.name} invites you to book: "
        f"http://127.0.0.1:8000/b/{token} (until Monday 21 December)"
    )


def test_sms_body_is_stored_encrypted(clinic: Clinic) -> None:
    send(clinic)
    message = OutboundMessage.objects.get()
    assert clinic.patient.first_name not in message.body_encrypted
    assert clinic.patient.first_name in message_body(message)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("switch_off", "Online appointment booking is switched off"),
        ("other_services_rule", "Choose one of this service's appointment types"),
        ("inactive_rule", "Choose one of this service's appointment types"),
        ("no_mobile", "has no mobile number"),
    ],
)
def test_sending_refuses_with_a_clear_message_and_leaves_nothing_behind(
    clinic: Clinic, other_clinic: Clinic, breakage: str, message: str
) -> None:
    rule = clinic.rule
    if breakage == "switch_off":
        clinic.service.online_booking_enabled = False
        clinic.service.save()
    elif breakage == "other_services_rule":
        rule = other_clinic.rule
    elif breakage == "inactive_rule":
        rule.active = False
        rule.save()
    elif breakage == "no_mobile":
        clinic.patient.mobile = ""
        clinic.patient.save()
    with pytest.raises(BookingError, match=message):
        send(clinic, rule=rule)
    assert not BookingLink.objects.exists()
    assert not BookingLinkEvent.objects.exists()
    assert not OutboundMessage.objects.exists()


# Opening


def test_first_open_marks_the_link_accessed_and_records_it(clinic: Clinic) -> None:
    link, _ = send(clinic)
    booking_link_open(link=link)
    link.refresh_from_db()
    assert link.status == LinkStatus.ACCESSED
    opened = link.events.get(to_status=LinkStatus.ACCESSED)
    assert (opened.from_status, opened.actor_kind, opened.actor) == (
        LinkStatus.SENT,
        ActorKind.PATIENT,
        None,
    )


def test_later_opens_change_nothing(clinic: Clinic, frozen_now: time_machine.Traveller) -> None:
    link, _ = send(clinic)
    booking_link_open(link=link)
    frozen_now.shift(timedelta(hours=2))
    booking_link_open(link=link)
    booking_link_open(link=BookingLink.objects.get(pk=link.pk))
    assert events(link) == [("", "sent"), ("sent", "accessed")]


def test_opening_a_link_past_its_expiry_does_not_mark_it_accessed(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    link, _ = send(clinic)
    frozen_now.shift(timedelta(days=15))
    booking_link_open(link=link)
    link.refresh_from_db()
    assert link.status == LinkStatus.SENT
    assert events(link) == [("", "sent")]


# Booking


def test_booking_makes_one_online_appointment_with_a_free_therapist(clinic: Clinic) -> None:
    link, _ = send(clinic)
    booking_link_open(link=link)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    assert appointment.therapist in clinic.therapists
    assert (appointment.start, appointment.end) == (TUESDAY_11, TUESDAY_11 + timedelta(hours=1))
    assert appointment.patient == clinic.patient
    assert appointment.appointment_type == clinic.rule.appointment_type
    assert (appointment.source, appointment.status) == (Source.ONLINE, AppointmentStatus.BOOKED)
    assert appointment.booking_link == link
    link.refresh_from_db()
    assert link.status == LinkStatus.BOOKED
    assert Appointment.objects.count() == 1


def test_booking_creates_the_appointments_clinical_contact(clinic: Clinic) -> None:
    link, _ = send(clinic)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    assert ClinicalContact.objects.get().appointment == appointment


def test_booking_records_the_booked_event_with_its_appointment(clinic: Clinic) -> None:
    link, _ = send(clinic)
    booking_link_open(link=link)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    booked = link.events.get(to_status=LinkStatus.BOOKED)
    assert booked.from_status == LinkStatus.ACCESSED
    assert booked.actor_kind == ActorKind.PATIENT
    assert booked.appointment == appointment
    assert booked.occurred_at == MONDAY


def test_booking_queues_a_confirmation_sms_with_the_local_time(clinic: Clinic) -> None:
    link, _ = send(clinic)
    booking_link_book(link=link, start=TUESDAY_11)
    confirmation = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)
    assert confirmation.to == clinic.patient.mobile
    assert (confirmation.about_kind, confirmation.about_id) == (LINK_ABOUT, link.pk)
    body = message_body(confirmation)
    assert when(TUESDAY_11, clinic.service.zone) in body  # "Tuesday 8 December 2026 at 11am"
    assert clinic.patient.first_name in body


def test_booking_sends_no_confirmation_when_the_rule_turns_it_off(clinic: Clinic) -> None:
    clinic.rule.send_confirmation_sms = False
    clinic.rule.save()
    link, _ = send(clinic)
    booking_link_book(link=link, start=TUESDAY_11)
    assert not OutboundMessage.objects.filter(kind=MessageKind.CONFIRMATION).exists()
    assert Appointment.objects.count() == 1


def test_booking_again_returns_the_same_appointment_and_changes_nothing(clinic: Clinic) -> None:
    link, _ = send(clinic)
    first = booking_link_book(link=link, start=TUESDAY_11)
    again = booking_link_book(link=BookingLink.objects.get(pk=link.pk), start=TUESDAY_14)
    assert again == first
    assert Appointment.objects.count() == 1
    assert link.events.filter(to_status=LinkStatus.BOOKED).count() == 1
    assert OutboundMessage.objects.filter(kind=MessageKind.CONFIRMATION).count() == 1


def test_booking_a_taken_slot_raises_slot_taken_and_leaves_the_link_live(clinic: Clinic) -> None:
    link, _ = send(clinic)
    booking_link_open(link=link)
    fill_slot(clinic, TUESDAY_11)
    with pytest.raises(SlotTaken, match="just been taken"):
        booking_link_book(link=link, start=TUESDAY_11)
    link.refresh_from_db()
    assert link.status == LinkStatus.ACCESSED
    assert not link.appointments.exists()
    assert not OutboundMessage.objects.filter(kind=MessageKind.CONFIRMATION).exists()
    # The patient can still choose another time with the same link.
    assert booking_link_book(link=link, start=TUESDAY_14).start == TUESDAY_14


def test_booking_takes_the_therapist_who_is_still_free(clinic: Clinic) -> None:
    busy, free = clinic.therapists
    AppointmentFactory(
        service=clinic.service,
        therapist=busy,
        start=TUESDAY_11,
        end=TUESDAY_11 + timedelta(hours=1),
    )
    link, _ = send(clinic)
    assert booking_link_book(link=link, start=TUESDAY_11).therapist == free


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 12, 7, 15, 0, tzinfo=UTC),  # inside the 24 hours' notice
        datetime(2026, 12, 8, 7, 0, tzinfo=UTC),  # before anyone starts work
        datetime(2026, 12, 12, 11, 0, tzinfo=UTC),  # a Saturday
        datetime(2026, 12, 30, 11, 0, tzinfo=UTC),  # beyond the booking window
    ],
)
def test_booking_a_time_the_rule_does_not_offer_raises_slot_taken(
    clinic: Clinic, start: datetime
) -> None:
    link, _ = send(clinic)
    with pytest.raises(SlotTaken):
        booking_link_book(link=link, start=start)
    assert not Appointment.objects.exists()


def test_booking_through_an_expired_link_raises_link_not_usable(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    link, _ = send(clinic)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days))
    start = rule_available_times(clinic.rule, timezone.now())[0]
    with pytest.raises(LinkNotUsable):
        booking_link_book(link=link, start=start)
    assert not Appointment.objects.exists()


def test_booking_through_a_link_staff_expired_raises_link_not_usable(clinic: Clinic) -> None:
    link, _ = send(clinic)
    booking_link_expire(link=link, actor=Actor.staff(clinic.admin))
    with pytest.raises(LinkNotUsable):
        booking_link_book(link=link, start=TUESDAY_11)
    assert not Appointment.objects.exists()


def test_booking_through_a_deleted_link_raises_link_not_usable(clinic: Clinic) -> None:
    link, _ = send(clinic)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    appointment_delete(appointment=appointment, user=clinic.admin)
    with pytest.raises(LinkNotUsable):
        booking_link_book(link=BookingLink.objects.get(pk=link.pk), start=TUESDAY_14)
    assert not Appointment.objects.filter(status=AppointmentStatus.BOOKED).exists()


def test_a_stale_copy_of_a_booked_link_still_books_only_once(clinic: Clinic) -> None:
    link, _ = send(clinic)
    stale = BookingLink.objects.get(pk=link.pk)
    first = booking_link_book(link=link, start=TUESDAY_11)
    assert booking_link_book(link=stale, start=TUESDAY_14) == first
    assert Appointment.objects.count() == 1


def test_fair_assignment_spreads_a_days_bookings_across_therapists(clinic: Clinic) -> None:
    starts = [TUESDAY_11 + timedelta(hours=h) for h in range(4)]
    therapists = []
    for start in starts:
        patient = PatientFactory(service=clinic.service)
        link, _ = send(clinic, patient=patient)
        therapists.append(booking_link_book(link=link, start=start).therapist)
    assert {t: therapists.count(t) for t in clinic.therapists} == {
        clinic.therapists[0]: 2,
        clinic.therapists[1]: 2,
    }


def test_fair_assignment_ignores_staff_bookings_and_other_days(clinic: Clinic) -> None:
    first, _ = sorted(clinic.therapists, key=lambda t: t.pk)
    # The first therapist wins ties; an online booking on another day and a staff booking on
    # the same day must not count against them.
    wednesday = TUESDAY_11 + timedelta(days=1)
    for start, source in [(wednesday, Source.ONLINE), (TUESDAY_14, Source.STAFF)]:
        AppointmentFactory(
            service=clinic.service,
            therapist=first,
            start=start,
            end=start + timedelta(hours=1),
            source=source,
        )
    link, _ = send(clinic)
    assert booking_link_book(link=link, start=TUESDAY_11).therapist == first


def test_fair_assignment_prefers_the_therapist_with_fewer_online_bookings_that_day(
    clinic: Clinic,
) -> None:
    first, second = sorted(clinic.therapists, key=lambda t: t.pk)
    AppointmentFactory(
        service=clinic.service,
        therapist=first,
        start=TUESDAY_14,
        end=TUESDAY_14 + timedelta(hours=1),
        source=Source.ONLINE,
    )
    link, _ = send(clinic)
    assert booking_link_book(link=link, start=TUESDAY_11).therapist == second


def test_fair_assignment_counts_the_bookings_starting_on_that_local_day_to_its_edges(
    clinic: Clinic,
) -> None:
    first, second = sorted(clinic.therapists, key=lambda t: t.pk)
    tuesday = TUESDAY_11.replace(hour=0)  # London is on UTC in December
    hour = timedelta(hours=1)
    for therapist, start in [
        (first, tuesday),  # that day: they count
        (first, tuesday + 23 * hour),
        (second, tuesday - hour / 2),  # the day before and the day after: they do not
        (second, tuesday + 24 * hour),
    ]:
        AppointmentFactory(
            service=clinic.service,
            therapist=therapist,
            start=start,
            end=start + hour,
            source=Source.ONLINE,
        )
    link, _ = send(clinic)
    assert booking_link_book(link=link, start=TUESDAY_11).therapist == second


# Expiring


def test_staff_expiry_records_who_and_why(clinic: Clinic) -> None:
    link, _ = send(clinic)
    assert booking_link_expire(link=link, actor=Actor.staff(clinic.admin, "Booked by phone"))
    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED
    expired = link.events.get(to_status=LinkStatus.EXPIRED)
    assert (expired.from_status, expired.actor_kind, expired.actor, expired.reason) == (
        LinkStatus.SENT,
        ActorKind.STAFF,
        clinic.admin,
        "Booked by phone",
    )


def test_expiring_a_link_that_is_no_longer_live_does_nothing(clinic: Clinic) -> None:
    link, _ = send(clinic)
    booking_link_book(link=link, start=TUESDAY_11)
    assert not booking_link_expire(link=link, actor=Actor.staff(clinic.admin))
    link.refresh_from_db()
    assert link.status == LinkStatus.BOOKED
    expired_once, _ = send(clinic)
    assert booking_link_expire(link=expired_once, actor=Actor.staff(clinic.admin))
    assert not booking_link_expire(link=expired_once, actor=Actor.staff(clinic.admin))
    assert BookingLinkEvent.objects.filter(to_status=LinkStatus.EXPIRED).count() == 1


def test_overdue_sweep_expires_only_live_links_past_their_validity(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    short_rule = BroadcastRuleFactory(
        service=clinic.service, therapists=clinic.therapists, link_valid_days=2
    )
    patients = [PatientFactory(service=clinic.service) for _ in range(2)]
    overdue_sent, _ = send(clinic, rule=short_rule)
    overdue_accessed, _ = send(clinic, rule=short_rule, patient=patients[0])
    booking_link_open(link=overdue_accessed)
    overdue_booked, _ = send(clinic, rule=short_rule, patient=patients[1])
    booking_link_book(link=overdue_booked, start=TUESDAY_11)
    not_yet_due, _ = send(clinic)  # valid for 14 days

    frozen_now.shift(timedelta(days=1))
    assert booking_links_expire_overdue() == 0
    frozen_now.shift(timedelta(days=1))
    assert booking_links_expire_overdue() == 2
    assert booking_links_expire_overdue() == 0

    statuses = {
        link.pk: BookingLink.objects.get(pk=link.pk).status
        for link in (overdue_sent, overdue_accessed, overdue_booked, not_yet_due)
    }
    assert statuses == {
        overdue_sent.pk: LinkStatus.EXPIRED,
        overdue_accessed.pk: LinkStatus.EXPIRED,
        overdue_booked.pk: LinkStatus.BOOKED,
        not_yet_due.pk: LinkStatus.SENT,
    }
    swept = BookingLinkEvent.objects.filter(to_status=LinkStatus.EXPIRED)
    assert {(e.actor_kind, e.reason, e.occurred_at) for e in swept} == {
        (ActorKind.SYSTEM, "Validity ended", MONDAY + timedelta(days=2))
    }


# Deleting from the diary


def test_deleting_an_online_booking_from_the_diary_marks_its_link_deleted(clinic: Clinic) -> None:
    link, _ = send(clinic)
    appointment = booking_link_book(link=link, start=TUESDAY_11)
    appointment_delete(appointment=appointment, user=clinic.therapist_user)
    appointment.refresh_from_db()
    link.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert link.status == LinkStatus.DELETED
    deleted = link.events.get(to_status=LinkStatus.DELETED)
    assert (deleted.from_status, deleted.actor, deleted.reason) == (
        LinkStatus.BOOKED,
        clinic.therapist_user,
        "Appointment deleted from the diary",
    )
    # The time is free again for other patients.
    assert TUESDAY_11 in rule_available_times(clinic.rule, timezone.now())


def test_deleting_a_staff_appointment_touches_no_link(clinic: Clinic) -> None:
    link, _ = send(clinic)
    appointment = AppointmentFactory(
        service=clinic.service,
        therapist=clinic.therapists[0],
        patient=clinic.patient,
        start=TUESDAY_11,
        end=TUESDAY_11 + timedelta(hours=1),
    )
    appointment_delete(appointment=appointment, user=clinic.admin)
    link.refresh_from_db()
    assert link.status == LinkStatus.SENT
    assert events(link) == [("", "sent")]
