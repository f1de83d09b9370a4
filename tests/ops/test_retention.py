"""Retention: each class of record is deleted or anonymised once past its own period, and
the removal is itself audited. Tested by travelling in time."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client, override_settings

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.audit.services import audit_record
from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink, ClientThrottle, ManageLink
from slotlink.lib.crypto import decrypt
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.ops.retention import retention_apply
from tests.conftest import Clinic, logged_in, run_tasks
from tests.factories import PatientFactory
from tests.test_settings import production_env, start

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


@pytest.fixture
def history(clinic: Clinic, frozen_now: time_machine.Traveller) -> Clinic:
    """A booked link with its texts sent, a failed date of birth, a failed staff login."""
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    booking_link_book(link=link, start=TUESDAY_11)
    run_tasks()
    text = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)
    manage_token = re.search(r"/m/([A-Za-z0-9_\-]+)", message_body(text)).group(1)
    patient = Client()
    patient.get(f"/m/{manage_token}")
    patient.post("/manage/verify/", {"day": 1, "month": 1, "year": 1980})
    Client().post("/login/", {"username": clinic.admin.username, "password": "wrong"})
    assert ClientThrottle.objects.count() == 1
    assert AccessAttempt.objects.count() == 1
    return clinic


def removed_now(frozen_now: time_machine.Traveller, **shift: float) -> dict[str, int]:
    frozen_now.shift(timedelta(**shift))
    return {item.record: item.count for item in retention_apply()}


def test_nothing_is_removed_before_its_time(history: Clinic) -> None:
    before = AuditEvent.objects.count()
    assert retention_apply() == []
    assert AuditEvent.objects.count() == before  # and nothing to audit
    assert all(decrypt(link.token_encrypted) for link in BookingLink.objects.all())
    assert all(message_body(m) for m in OutboundMessage.objects.all())


def test_a_links_token_copy_is_blanked_a_month_after_its_validity_ended(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    link = BookingLink.objects.get()
    days_left = (link.expires_at - datetime.now(UTC)).days
    removed_now(frozen_now, days=days_left + 29)
    link.refresh_from_db()
    assert decrypt(link.token_encrypted)

    assert removed_now(frozen_now, days=2)["link_tokens"] == 1
    link.refresh_from_db()
    assert link.token_encrypted == ""
    assert link.token_hash  # still found by its hash, so the patient still sees "booked"


def test_a_manage_links_token_copy_stays_while_its_appointment_is_recent(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    removed_now(frozen_now, days=30)  # the appointment was 29 days and a bit ago
    assert decrypt(ManageLink.objects.get().token_encrypted)


def test_a_manage_links_token_copy_goes_a_month_after_its_appointment(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    removed_now(frozen_now, days=40)
    assert ManageLink.objects.get().token_encrypted == ""


def test_finished_message_texts_are_blanked_after_ninety_days_and_not_before(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    sent = OutboundMessage.objects.filter(status__in=[MessageStatus.SENT, MessageStatus.DELIVERED])
    assert sent.count() >= 2
    waiting = OutboundMessage.objects.filter(status=MessageStatus.QUEUED).count()

    assert "message_bodies" not in removed_now(frozen_now, days=89)
    assert removed_now(frozen_now, days=2)["message_bodies"] == sent.count()

    assert all(message_body(m) == "" for m in sent)
    assert OutboundMessage.objects.filter(status=MessageStatus.QUEUED).count() == waiting


def test_verification_throttles_and_staff_login_records_go_after_their_periods(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    removed = removed_now(frozen_now, days=1, minutes=1)
    assert removed["verification_throttles"] == 1
    assert not ClientThrottle.objects.exists()
    assert AccessAttempt.objects.exists()

    assert removed_now(frozen_now, days=90)["login_records"] >= 1
    assert not AccessAttempt.objects.exists()


def test_expired_sessions_are_deleted(history: Clinic, frozen_now: time_machine.Traveller) -> None:
    logged_in(history.admin)
    assert Session.objects.exists()
    removed_now(frozen_now, minutes=16)
    assert not Session.objects.exists()


def test_audit_events_are_kept_eight_years_then_deleted_and_that_is_audited(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    old = AuditEvent.objects.count()
    frozen_now.shift(timedelta(days=8 * 365 - 1))
    recent = audit_record(action=AuditAction.PATIENT_VIEWED, by=history.admin)
    retention_apply()
    assert AuditEvent.objects.filter(pk__lte=recent.pk).count() == old + 1

    removed = removed_now(frozen_now, days=2)

    assert removed["audit_events"] == old
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    record = AuditEvent.objects.get(
        action=AuditAction.RETENTION_APPLIED, object_type="audit_events"
    )
    assert record.actor_kind == Who.SYSTEM
    assert record.details["count"] == old
    cutoff = datetime.fromisoformat(record.details["older_than"])
    assert cutoff == datetime.now(UTC) - timedelta(days=8 * 365)


def test_each_removal_is_audited_once_and_a_second_run_does_nothing(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    first = removed_now(frozen_now, days=120)
    audited = dict(
        AuditEvent.objects.filter(action=AuditAction.RETENTION_APPLIED).values_list(
            "object_type", "details__count"
        )
    )
    assert audited == first
    assert {"link_tokens", "message_bodies", "verification_throttles", "login_records"} <= set(
        first
    )

    assert retention_apply() == []
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_APPLIED).count() == len(first)


@override_settings(
    RETENTION_DAYS={**settings.RETENTION_DAYS, "message_bodies": 7, "link_tokens": 1}
)
def test_periods_come_from_settings(history: Clinic, frozen_now: time_machine.Traveller) -> None:
    removed = removed_now(frozen_now, days=8)
    assert removed["message_bodies"] >= 2
    assert decrypt(BookingLink.objects.get().token_encrypted)  # valid for 14 days, so kept
    assert ManageLink.objects.get().token_encrypted == ""  # its appointment was a week ago


def test_a_blanked_message_cannot_be_sent_again(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    message = OutboundMessage.objects.filter(kind=MessageKind.BOOKING_LINK).get()
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED)
    removed_now(frozen_now, days=91)
    admin = logged_in(history.admin)
    admin.post(f"/outbox/{message.pk}/retry/")
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED


def test_the_command_and_housekeeping_apply_retention(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    frozen_now.shift(timedelta(days=100))
    out = StringIO()
    call_command("retention_apply", stdout=out)
    assert "message_bodies:" in out.getvalue()
    again = StringIO()
    call_command("retention_apply", stdout=again)
    assert "Nothing is past its retention period." in again.getvalue()

    frozen_now.shift(timedelta(days=100))
    OutboundMessage.objects.filter(status=MessageStatus.QUEUED).update(status=MessageStatus.SENT)
    housekeeping = StringIO()
    call_command("housekeeping", stdout=housekeeping)
    assert "Retention removed" in housekeeping.getvalue()
    assert not OutboundMessage.objects.exclude(body_encrypted="").filter(
        status=MessageStatus.SENT, created_at__lte=datetime.now(UTC) - timedelta(days=90)
    )


@pytest.mark.parametrize(
    ("variable", "value"), [("RETENTION_AUDIT_DAYS", "0"), ("RETENTION_MESSAGE_BODY_DAYS", "soon")]
)
def test_a_bad_retention_period_stops_the_start(variable: str, value: str) -> None:
    result = start(production_env(**{variable: value}))
    assert result.returncode != 0
    assert variable in result.stderr


def test_the_background_housekeeping_applies_retention_too(
    history: Clinic, frozen_now: time_machine.Traveller
) -> None:
    from slotlink.ops.services import housekeeping_schedule

    frozen_now.shift(timedelta(days=100))
    housekeeping_schedule()
    run_tasks()
    assert not OutboundMessage.objects.filter(
        status__in=[MessageStatus.SENT, MessageStatus.DELIVERED]
    ).exclude(body_encrypted="")
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_APPLIED).exists()


def test_token_copies_are_blanked_a_bounded_batch_a_run(
    clinic: Clinic, frozen_now: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first run on a large database must not rewrite millions of rows in one statement.
    monkeypatch.setattr("slotlink.ops.retention.BLANK_BATCH", 2)
    for patient in PatientFactory.create_batch(3, service=clinic.service):
        booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)
    assert removed_now(frozen_now, days=60)["link_tokens"] == 2
    assert removed_now(frozen_now, hours=1)["link_tokens"] == 1
    assert not BookingLink.objects.exclude(token_encrypted="").exists()
