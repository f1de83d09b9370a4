"""Sending through GOV.UK Notify and Twilio, against local fakes that answer like them:
success, 400, 403, 429, 500 and timeouts. A message reaches the provider once in effect."""

from datetime import timedelta

import pytest
from django.utils import timezone

from slotlink.lib.crypto import encrypt
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import message_queue, messages_recover, messages_send_due
from tests.messaging.fakes import NOTIFY_TEST_KEY, fake_notify, fake_twilio


@pytest.fixture
def notify(settings):
    with fake_notify() as fake:
        settings.SMS_PROVIDER = "notify"
        settings.NOTIFY_API_KEY = NOTIFY_TEST_KEY
        settings.NOTIFY_SMS_TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
        settings.NOTIFY_BASE_URL = fake.base_url
        settings.PROVIDER_TIMEOUT_SECONDS = 0.5
        yield fake


@pytest.fixture
def twilio(settings):
    with fake_twilio() as fake:
        settings.SMS_PROVIDER = "twilio"
        settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
        settings.TWILIO_AUTH_TOKEN = "test-auth-token"
        settings.TWILIO_FROM = "+447700900999"
        settings.TWILIO_BASE_URL = fake.base_url
        settings.PROVIDER_TIMEOUT_SECONDS = 0.5
        yield fake


def queue_text(clinic, body="Hello Alex, your appointment is on Tuesday at 9am."):
    return message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body=body,
        kind=MessageKind.CONFIRMATION,
        patient=clinic.patient,
    )


def refreshed(message):
    message.refresh_from_db()
    return message


def send_until_settled(message, traveller, rounds=10):
    """Run the sending task as the worker would, travelling past each backoff."""
    for _ in range(rounds):
        messages_send_due()
        if refreshed(message).status != MessageStatus.QUEUED:
            return message
        traveller.shift(timedelta(hours=2))
    return message


def test_notify_accepts_a_text_with_our_reference_and_the_body(clinic, frozen_now, notify):
    message = queue_text(clinic)

    assert messages_send_due() == 1

    message = refreshed(message)
    assert message.status == MessageStatus.SENT
    assert notify.accepted == [
        {
            "id": message.provider_reference,
            "reference": message.reference,
            "to": clinic.patient.mobile,
            "body": "Hello Alex, your appointment is on Tuesday at 9am.",
        }
    ]


@pytest.mark.parametrize("status", [400, 403])
def test_a_permanent_error_fails_the_message_with_the_reason_and_is_not_retried(
    clinic, frozen_now, notify, status
):
    notify.script = [status]
    message = queue_text(clinic)

    send_until_settled(message, frozen_now)

    assert message.status == MessageStatus.FAILED
    assert str(status) in message.error
    assert message.attempts == 1
    assert notify.attempts == 1


@pytest.mark.parametrize("status", [429, 500])
def test_a_temporary_error_is_retried_later_with_backoff_and_sent_once(
    clinic, frozen_now, notify, status
):
    notify.script = [status]
    message = queue_text(clinic)

    messages_send_due()
    message = refreshed(message)
    assert message.status == MessageStatus.QUEUED
    assert message.send_after > timezone.now()
    assert str(status) in message.error
    # Not due yet: a worker that runs the task early sends nothing.
    assert messages_send_due() == 0

    send_until_settled(message, frozen_now)

    assert message.status == MessageStatus.SENT
    assert len(notify.accepted) == 1


def test_a_provider_down_for_several_attempts_then_up_sends_exactly_once(
    clinic, frozen_now, notify
):
    notify.script = [500, 503, 429, 500]
    message = queue_text(clinic)

    send_until_settled(message, frozen_now)

    assert message.status == MessageStatus.SENT
    assert message.attempts == 5
    assert len(notify.accepted) == 1


def test_backoff_grows_between_attempts(clinic, frozen_now, notify, settings):
    settings.MESSAGE_RETRY_BASE_SECONDS = 60
    notify.script = [500, 500, 500]
    message = queue_text(clinic)
    delays = []
    for _ in range(3):
        before = timezone.now()
        messages_send_due()
        delays.append(refreshed(message).send_after - before)
        frozen_now.shift(timedelta(hours=2))

    # Full jitter keeps each delay within [half, all] of base × 2^(attempt-1).
    for attempt, delay in enumerate(delays, start=1):
        ceiling = 60 * 2 ** (attempt - 1)
        assert timedelta(seconds=ceiling / 2) <= delay <= timedelta(seconds=ceiling)


def test_giving_up_after_the_last_attempt_marks_the_message_failed(
    clinic, frozen_now, notify, settings
):
    settings.MESSAGE_MAX_ATTEMPTS = 3
    notify.script = [500] * 10
    message = queue_text(clinic)

    send_until_settled(message, frozen_now)

    assert message.status == MessageStatus.FAILED
    assert message.error.startswith("Gave up after 3 attempts")
    assert notify.attempts == 3


def test_a_timeout_after_the_provider_accepted_is_not_sent_twice(clinic, frozen_now, notify):
    notify.script = ["timeout"]
    message = queue_text(clinic)

    messages_send_due()
    message = refreshed(message)
    assert message.status == MessageStatus.QUEUED
    assert message.uncertain

    send_until_settled(message, frozen_now)

    assert message.status == MessageStatus.SENT
    assert len(notify.accepted) == 1
    assert message.provider_reference == notify.accepted[0]["id"]
    assert notify.attempts == 1  # the retry asked, and did not send again


def test_a_worker_killed_after_the_provider_accepted_does_not_send_twice(
    clinic, frozen_now, notify
):
    message = queue_text(clinic)
    # The worker claimed it and the provider took it; then the worker died before recording.
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, claimed_at=timezone.now(), attempts=1
    )
    notify.accept(
        {
            "id": "accepted-before-the-crash",
            "reference": message.reference,
            "to": message.to,
            "body": "…",
        }
    )

    frozen_now.shift(timedelta(minutes=16))
    assert messages_recover() == 1
    messages_send_due()

    message = refreshed(message)
    assert message.status == MessageStatus.SENT
    assert message.provider_reference == "accepted-before-the-crash"
    assert notify.attempts == 0


def test_twilio_accepts_a_text_from_our_sender(clinic, frozen_now, twilio):
    message = queue_text(clinic)

    messages_send_due()

    message = refreshed(message)
    assert message.status == MessageStatus.SENT
    assert message.provider == "twilio"
    assert twilio.accepted[0]["sid"] == message.provider_reference
    assert twilio.accepted[0]["from"] == "+447700900999"


def test_twilio_rejecting_a_number_fails_the_message(clinic, frozen_now, twilio):
    twilio.script = [400]
    message = queue_text(clinic)

    send_until_settled(message, frozen_now)

    assert message.status == MessageStatus.FAILED
    assert "not a valid phone number" in message.error


def test_a_twilio_timeout_is_settled_by_looking_the_text_up(clinic, frozen_now, twilio):
    twilio.script = ["timeout"]
    message = queue_text(clinic)

    send_until_settled(message, frozen_now)

    assert message.status == MessageStatus.SENT
    assert len(twilio.accepted) == 1
    assert twilio.attempts == 1


def test_a_services_own_provider_settings_take_precedence(clinic, frozen_now, settings):
    with fake_notify() as fake:
        settings.SMS_PROVIDER = "outbox"
        settings.NOTIFY_BASE_URL = fake.base_url
        settings.PROVIDER_TIMEOUT_SECONDS = 0.5
        clinic.service.sms_provider = "notify"
        clinic.service.sms_account_id = "f33517ff-2a88-4f6e-b855-c550268ce08a"
        clinic.service.sms_secret_encrypted = encrypt(NOTIFY_TEST_KEY)
        clinic.service.save()
        message = queue_text(clinic)

        messages_send_due()

        assert refreshed(message).provider == "notify"
        assert fake.accepted[0]["reference"] == message.reference


WELSH_WITH_QUOTES = "Helo Dyfan, mae’ch apwyntiad – Dydd Mawrth am 9yb. Peidiwch â’i golli…"


def test_notify_is_handed_the_text_its_meter_counted(clinic, frozen_now, notify):
    # Notify would rewrite the quotes, dash and ellipsis itself; Slotlink does it first, so
    # the outbox, the rule editor's meter and the phone agree. The circumflex stays.
    queue_text(clinic, body=WELSH_WITH_QUOTES)
    assert messages_send_due() == 1
    assert notify.accepted[0]["body"] == (
        "Helo Dyfan, mae'ch apwyntiad - Dydd Mawrth am 9yb. Peidiwch â'i golli..."
    )


def test_twilio_is_handed_the_text_exactly(clinic, frozen_now, twilio):
    queue_text(clinic, body=WELSH_WITH_QUOTES)
    assert messages_send_due() == 1
    assert twilio.accepted[0]["body"] == WELSH_WITH_QUOTES
