"""Reminders follow every appointment, online or not, and never go out stale; nothing but
what a patient is waiting for is sent in the service's quiet hours."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import (
    message_body,
    message_queue,
    messages_send_due,
    quiet_hours_end,
)
from slotlink.records.services.appointments import appointment_delete, appointment_save
from tests.conftest import logged_in, run_tasks
from tests.factories import AppointmentFactory


@pytest.fixture
def reminders(clinic):
    clinic.service.reminder_hours_before = [48, 2]
    clinic.service.save()
    return clinic


def reminder_rows(appointment):
    return OutboundMessage.objects.filter(appointment=appointment, kind=MessageKind.REMINDER)


def book_online(clinic):
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    start = rule_available_times(clinic.rule, timezone.now())[10]
    return booking_link_book(link=link, start=start)


def test_an_online_booking_gets_the_services_reminders(reminders, frozen_now):
    appointment = book_online(reminders)

    due = sorted(r.send_after for r in reminder_rows(appointment))
    assert due == [appointment.start - timedelta(hours=48), appointment.start - timedelta(hours=2)]
    texts = [message_body(r) for r in reminder_rows(appointment)]
    assert all(reminders.patient.first_name in t and "reminder" in t for t in texts)


def test_a_staff_appointment_gets_reminders_too(reminders, frozen_now):
    start = datetime(2026, 12, 10, 14, tzinfo=UTC)
    appointment = AppointmentFactory.build(
        service=reminders.service,
        therapist=reminders.therapists[0],
        patient=reminders.patient,
        appointment_type=reminders.rule.appointment_type,
        start=start,
        end=start + timedelta(hours=1),
    )
    appointment_save(appointment=appointment, user=reminders.admin)

    assert reminder_rows(appointment).count() == 2


def test_moving_an_appointment_replaces_its_reminders(reminders, frozen_now):
    appointment = book_online(reminders)
    old = set(reminder_rows(appointment).values_list("pk", flat=True))

    appointment.start += timedelta(days=1)
    appointment.end += timedelta(days=1)
    appointment_save(appointment=appointment, user=reminders.admin)

    assert (
        set(
            reminder_rows(appointment)
            .filter(status=MessageStatus.CANCELLED)
            .values_list("pk", flat=True)
        )
        == old
    )
    live = reminder_rows(appointment).filter(status=MessageStatus.QUEUED)
    assert {r.for_start for r in live} == {appointment.start}


def test_cancelling_an_appointment_stops_its_reminders(reminders, frozen_now):
    appointment = book_online(reminders)

    appointment_delete(appointment=appointment, user=reminders.admin)

    assert not reminder_rows(appointment).filter(status=MessageStatus.QUEUED).exists()


def test_a_stale_reminder_is_never_sent_even_if_it_was_not_cancelled(reminders, frozen_now):
    appointment = book_online(reminders)
    # Moved behind the services' backs (e.g. a bulk edit): the reminder still says the old time.
    Appointment.objects.filter(pk=appointment.pk).update(
        start=appointment.start + timedelta(hours=3), end=appointment.end + timedelta(hours=3)
    )
    reminder = reminder_rows(appointment).earliest("send_after")
    frozen_now.move_to(reminder.send_after + timedelta(minutes=1))

    messages_send_due()

    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.CANCELLED


def test_reminders_are_sent_when_due_and_not_before(reminders, frozen_now):
    appointment = book_online(reminders)
    first = reminder_rows(appointment).earliest("send_after")

    run_tasks()
    first.refresh_from_db()
    assert first.status == MessageStatus.QUEUED

    frozen_now.move_to(first.send_after + timedelta(seconds=1))
    run_tasks()
    first.refresh_from_db()
    assert first.status == MessageStatus.SENT


def test_reminders_already_past_are_not_queued(reminders, frozen_now):
    start = timezone.now() + timedelta(hours=30)
    appointment = AppointmentFactory.build(
        service=reminders.service,
        therapist=reminders.therapists[0],
        patient=reminders.patient,
        appointment_type=reminders.rule.appointment_type,
        start=start,
        end=start + timedelta(hours=1),
    )
    appointment_save(appointment=appointment, user=reminders.admin)

    assert [r.reminder_hours for r in reminder_rows(appointment)] == [2]


def at_london(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at_london(datetime(2026, 12, 7).date(), 12), at_london(datetime(2026, 12, 7).date(), 12)),
        (at_london(datetime(2026, 12, 7).date(), 21), at_london(datetime(2026, 12, 8).date(), 8)),
        (
            at_london(datetime(2026, 12, 7).date(), 23, 30),
            at_london(datetime(2026, 12, 8).date(), 8),
        ),
        (at_london(datetime(2026, 12, 8).date(), 6), at_london(datetime(2026, 12, 8).date(), 8)),
        (at_london(datetime(2026, 12, 8).date(), 8), at_london(datetime(2026, 12, 8).date(), 8)),
        # The night the clocks go back: 08:00 is still 08:00 local.
        (at_london(datetime(2026, 10, 24).date(), 22), at_london(datetime(2026, 10, 25).date(), 8)),
    ],
)
def test_quiet_hours_hold_a_text_until_the_morning(clinic, moment, expected):
    assert quiet_hours_end(clinic.service, moment) == expected


def test_a_text_queued_at_night_waits_but_an_urgent_one_does_not(clinic):
    night = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    ordinary = message_queue(
        service=clinic.service,
        to="+447700900001",
        body="Hi",
        kind=MessageKind.BOOKING_LINK,
        now=night,
    )
    urgent = message_queue(
        service=clinic.service,
        to="+447700900001",
        body="123456",
        kind=MessageKind.VERIFICATION,
        urgent=True,
        now=night,
    )

    assert ordinary.send_after == datetime(2026, 12, 8, 8, tzinfo=UTC)
    assert urgent.send_after == night


def test_a_service_without_quiet_hours_sends_at_night(clinic):
    clinic.service.quiet_from = None
    clinic.service.save()
    night = datetime(2026, 12, 7, 23, tzinfo=UTC)
    assert quiet_hours_end(clinic.service, night) == night


def test_the_confirmation_text_is_sent_straight_away_and_names_the_time(clinic, frozen_now):
    appointment = book_online(clinic)
    confirmation = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)

    assert confirmation.urgent
    assert confirmation.appointment == appointment
    assert "booked" in message_body(confirmation)


def test_staff_see_the_texts_of_a_link_in_its_full_history(clinic, frozen_now):
    appointment = book_online(clinic)
    run_tasks()
    client = logged_in(clinic.admin)

    page = client.get(f"/booking-links/{appointment.booking_link_id}/history/").content.decode()

    assert "Booking link (text message)" in page
    assert "Confirmation (text message)" in page
    assert "Sent" in page
    assert appointment.status == AppointmentStatus.BOOKED
