"""Delivery receipts: authenticated, recorded once, never moving a status backwards, and
answered with 2xx whatever they say."""

import json
import re

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from slotlink.clinic.models import Role, Service, SettingsChange, SmsProvider
from slotlink.clinic.settings_services import service_notify_callback_token_rotate
from slotlink.lib.crypto import token_hash
from slotlink.messaging.models import MessageEvent, MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import message_queue, messages_send_due
from tests.conftest import logged_in
from tests.factories import UserFactory

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
        data=json.dumps({"id": "abc", "reference": message.reference, "status": status}),
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


# Receipts name a message by a reference nobody can guess, for one service's messages only,
# and never move a message that has not been sent.


def post_notify(body, token=TOKEN):
    return Client().post(
        "/callbacks/notify/",
        data=body if isinstance(body, bytes) else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_messages_reference_is_random_and_not_its_number(clinic, frozen_now):
    first, second = (
        message_queue(service=clinic.service, to=clinic.patient.mobile, body=b, kind=KIND)
        for b in ("A", "B")
    )
    for message in (first, second):
        assert len(message.reference) >= 22  # 128 bits or more, URL-safe
        assert not message.reference.isdigit()
    assert first.reference != second.reference


KIND = MessageKind.CONFIRMATION


@pytest.mark.parametrize(
    "reference",
    [
        "SENT_PK",  # our sequential number: not a reference any more
        "١",  # ARABIC-INDIC DIGIT ONE: int() reads it as 1
        "1" * 4300,
        "9" * 4301,
        1,  # a number, not a string
        ["x"],
        {"a": 1},
        None,
        "x\\u0000",
        "\\ud800",
        "REF ",  # the real reference with a space: looked up exactly or not at all
    ],
)
def test_a_receipt_matches_only_the_exact_reference_and_never_fails(sent, notify_token, reference):
    # The first message of a fresh sequence is often #1, which "١" used to reach.
    if reference == "SENT_PK":
        reference = str(sent.pk)
    elif reference == "REF ":
        reference = sent.reference + " "
    body = json.dumps({"reference": reference, "status": "delivered"}).replace("\\\\u", "\\u")
    response = post_notify(body.encode())
    assert response.status_code == 204
    assert status_of(sent) == MessageStatus.SENT
    assert not MessageEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"reference": ' + b"1" * 5000 + b', "status": "delivered"}', b"\xff"],
)
def test_unreadable_receipts_get_a_2xx_not_an_error(sent, notify_token, body):
    assert post_notify(body).status_code == 204
    assert status_of(sent) == MessageStatus.SENT


def test_a_receipt_for_a_message_not_yet_sent_is_ignored_and_it_is_still_sent(
    clinic, frozen_now, notify_token
):
    message = message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="Hello",
        kind=MessageKind.CONFIRMATION,
        urgent=True,
    )

    assert notify_receipt(message, "delivered").status_code == 204
    assert notify_receipt(message, "permanent-failure").status_code == 204
    assert status_of(message) == MessageStatus.QUEUED
    assert not MessageEvent.objects.filter(message=message).exists()

    assert messages_send_due() == 1
    assert status_of(message) == MessageStatus.SENT
    # Receipts for what was sent count from now on.
    notify_receipt(message, "delivered")
    assert status_of(message) == MessageStatus.DELIVERED


# One service's callback token speaks for that service's messages only.


@pytest.fixture
def two_services(clinic, other_clinic, frozen_now):
    """Each service on its own Notify account, each with its own callback token."""
    tokens = {}
    for service in (clinic.service, other_clinic.service):
        service.sms_provider = SmsProvider.NOTIFY
        service.save()
        tokens[service.pk] = service_notify_callback_token_rotate(
            service_id=service.pk, user=UserFactory(service=service, role=Role.SUPERUSER)
        )
    messages = {}
    for service in (clinic.service, other_clinic.service):
        message = message_queue(service=service, to="+447700900001", body="Hi", kind=KIND)
        OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SENT)
        messages[service.pk] = message
    return tokens, messages


def test_a_services_own_token_marks_its_own_messages(two_services, clinic):
    tokens, messages = two_services
    own = messages[clinic.service.pk]
    assert notify_receipt(own, "delivered", token=tokens[clinic.service.pk]).status_code == 204
    assert status_of(own) == MessageStatus.DELIVERED


def test_a_services_token_cannot_touch_another_services_messages(
    two_services, clinic, other_clinic
):
    tokens, messages = two_services
    theirs = messages[other_clinic.service.pk]
    response = notify_receipt(theirs, "permanent-failure", token=tokens[clinic.service.pk])
    assert response.status_code == 204  # as for any reference it does not know
    assert status_of(theirs) == MessageStatus.SENT


def test_the_deployments_token_cannot_touch_a_service_on_its_own_notify_account(
    two_services, clinic, settings
):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN
    _, messages = two_services
    mine = messages[clinic.service.pk]
    assert notify_receipt(mine, "delivered", token=TOKEN).status_code == 204
    assert status_of(mine) == MessageStatus.SENT


def test_only_the_hash_of_a_services_token_is_kept(two_services, clinic):
    tokens, _ = two_services
    stored = Service.objects.get(pk=clinic.service.pk).notify_callback_token_hash
    assert stored == token_hash(tokens[clinic.service.pk])
    assert tokens[clinic.service.pk] not in stored


def test_a_new_token_replaces_the_old_one(two_services, clinic):
    tokens, messages = two_services
    old = tokens[clinic.service.pk]
    service_notify_callback_token_rotate(service_id=clinic.service.pk, user=clinic.superuser)
    assert notify_receipt(messages[clinic.service.pk], "delivered", token=old).status_code == 401


# Twilio: the same shapes


def test_twilio_receipts_with_odd_message_ids_are_refused_not_failed(sent, twilio_token):
    for sid in ["SM\x00", "١", "S" * 5000, ""]:
        params = {"MessageSid": sid, "MessageStatus": "delivered"}
        url = "https://book.example.nhs.uk/callbacks/twilio/"
        signature = RequestValidator("forged").compute_signature(url, params)
        response = Client().post(
            "/callbacks/twilio/", data=params, HTTP_X_TWILIO_SIGNATURE=signature
        )
        assert response.status_code == 403
    assert status_of(sent) == MessageStatus.SENT


def test_a_twilio_receipt_for_a_message_waiting_to_be_sent_again_is_ignored(sent, twilio_token):
    # Sent once (Twilio knows it as SM123), failed, and queued again by staff.
    OutboundMessage.objects.filter(pk=sent.pk).update(
        provider_reference="SM123", status=MessageStatus.QUEUED
    )
    sent.refresh_from_db()

    assert twilio_receipt(sent, "delivered", twilio_token).status_code == 204

    assert status_of(sent) == MessageStatus.QUEUED
    assert messages_send_due() == 1
    assert status_of(sent) == MessageStatus.SENT


# The settings page


def test_a_superuser_makes_a_callback_token_that_is_shown_once(clinic):
    client = logged_in(clinic.superuser)
    assert "<strong>Callback token:</strong> Not set" in client.get("/settings/").content.decode()

    response = client.post("/settings/notify-callback-token/")

    assert response.status_code == 200
    page = response.content.decode()
    token = re.search(r'id="notify-callback-token" value="([^"]+)"', page).group(1)
    assert len(token) >= 43
    assert "https://" in page or "/callbacks/notify/" in page
    service = Service.objects.get(pk=clinic.service.pk)
    assert service.notify_callback_token_hash == token_hash(token)
    later = client.get("/settings/").content.decode()
    assert token not in later
    assert "<strong>Callback token:</strong> Set" in later
    change = SettingsChange.objects.get(service=clinic.service)
    assert change.fields == ["notify_callback_token"]


def test_only_superusers_make_callback_tokens(clinic):
    for user in (clinic.admin, clinic.therapist_user):
        assert logged_in(user).post("/settings/notify-callback-token/").status_code == 403
    assert not Service.objects.get(pk=clinic.service.pk).notify_callback_token_hash
    assert logged_in(clinic.superuser).get("/settings/notify-callback-token/").status_code == 405
