"""Delivery receipts: authenticated, recorded once, never moving a status backwards, and
answered with 2xx whatever they say."""

import json

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from slotlink.messaging.models import MessageEvent, MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import message_queue, messages_send_due

TOKEN = "notify-callback-secret"


@pytest.fixture
def sent(clinic, frozen_now):
    message = message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="Hello",
        kind=MessageKind.CONFIRMATION,
    )
    messages_send_due()
    message.refresh_from_db()
    return message


@pytest.fixture
def notify_token(settings):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN


def notify_receipt(message, status, token=TOKEN):
    return Client().post(
        "/callbacks/notify/",
        data=json.dumps({"id": "abc", "reference": str(message.pk), "status": status}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def status_of(message):
    return OutboundMessage.objects.get(pk=message.pk).status


def test_a_notify_receipt_marks_the_text_delivered(sent, notify_token):
    response = notify_receipt(sent, "delivered")

    assert response.status_code == 204
    assert status_of(sent) == MessageStatus.DELIVERED
    assert OutboundMessage.objects.get(pk=sent.pk).delivered_at is not None


def test_a_receipt_with_the_wrong_token_changes_nothing(sent, notify_token):
    assert notify_receipt(sent, "delivered", token="guess").status_code == 401
    assert status_of(sent) == MessageStatus.SENT


def test_receipts_are_refused_when_no_token_is_configured(sent, settings):
    settings.NOTIFY_CALLBACK_TOKEN = ""
    assert notify_receipt(sent, "delivered", token="").status_code == 401


def test_a_repeated_receipt_is_recorded_once(sent, notify_token):
    for _ in range(3):
        assert notify_receipt(sent, "delivered").status_code == 204

    assert MessageEvent.objects.filter(message=sent).count() == 1


def test_a_late_receipt_never_moves_a_status_backwards(sent, notify_token):
    notify_receipt(sent, "delivered")
    notify_receipt(sent, "sending")

    assert status_of(sent) == MessageStatus.DELIVERED


def test_a_failure_receipt_records_the_reason(sent, notify_token):
    notify_receipt(sent, "permanent-failure")

    message = OutboundMessage.objects.get(pk=sent.pk)
    assert message.status == MessageStatus.FAILED
    assert "permanent-failure" in message.error


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"reference": "999999", "status": "delivered"}).encode(),
        json.dumps({"reference": "x' OR 1=1", "status": "delivered"}).encode(),
        json.dumps({"reference": "1", "status": "an-unknown-status"}).encode(),
    ],
)
def test_odd_receipts_still_get_a_quick_2xx(sent, notify_token, body):
    response = Client().post(
        "/callbacks/notify/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    assert response.status_code == 204
    assert status_of(sent) == MessageStatus.SENT


@pytest.fixture
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = "twilio-secret"
    settings.PUBLIC_BASE_URL = "https://book.example.nhs.uk"
    return "twilio-secret"


def twilio_receipt(message, status, signed_with):
    params = {"MessageSid": message.provider_reference, "MessageStatus": status}
    url = "https://book.example.nhs.uk/callbacks/twilio/"
    signature = RequestValidator(signed_with).compute_signature(url, params)
    return Client().post("/callbacks/twilio/", data=params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_signed_twilio_receipt_marks_the_text_delivered(sent, twilio_token):
    OutboundMessage.objects.filter(pk=sent.pk).update(provider_reference="SM123")
    sent.refresh_from_db()

    assert twilio_receipt(sent, "delivered", twilio_token).status_code == 204

    assert status_of(sent) == MessageStatus.DELIVERED


def test_a_twilio_receipt_with_a_bad_signature_is_refused(sent, twilio_token):
    OutboundMessage.objects.filter(pk=sent.pk).update(provider_reference="SM123")
    sent.refresh_from_db()

    assert twilio_receipt(sent, "delivered", "forged").status_code == 403
    assert status_of(sent) == MessageStatus.SENT


def test_callbacks_refuse_get(sent):
    assert Client().get("/callbacks/notify/").status_code == 405
