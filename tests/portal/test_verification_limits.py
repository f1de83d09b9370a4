"""Limits on proving who you are for a manage link, beyond those in test_manage.py: the
per-client count across links, codes that are six digits, single use and locked out like
dates, and both counts holding behind a proxy."""

import math
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client, override_settings

from slotlink.booking.manage.services import CLIENT_MAX_FAILURES, LINK_MAX_FAILURES, client_key
from slotlink.booking.models import ClientThrottle, ManageLink
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from tests.conftest import Clinic
from tests.factories import PatientFactory
from tests.portal.test_manage import BORN, book, born_form, manage_token

pytestmark = pytest.mark.usefixtures("frozen_now")

WRONG = born_form(date(1980, 1, 1))


def opened(token: str, address: str = "192.0.2.1", **extra: str) -> Client:
    client = Client(REMOTE_ADDR=address, **extra)
    assert client.get(f"/m/{token}")["Location"] == "/manage/verify/"
    return client


def tokens_for(clinic: Clinic, count: int) -> list[str]:
    """Manage links of `count` different patients' bookings."""
    found = []
    for index in range(count):
        clinic.patient = PatientFactory(service=clinic.service)
        found.append(manage_token(book(clinic, index=index)))
    return found


def test_one_client_guessing_across_many_links_is_locked_out_of_all_of_them(
    clinic: Clinic,
) -> None:
    per_link = LINK_MAX_FAILURES - 1  # staying under each link's own limit
    tokens = tokens_for(clinic, math.ceil(CLIENT_MAX_FAILURES / per_link) + 1)
    for token in tokens[:-1]:
        for _ in range(per_link):
            assert opened(token).post("/manage/verify/", WRONG).status_code == 400

    # A link this client never guessed at, with the right date of birth: still locked.
    right = opened(tokens[-1]).post("/manage/verify/", born_form(BORN))
    assert right.status_code == 429
    # Someone else is not affected.
    assert (
        opened(tokens[-1], "192.0.2.2").post("/manage/verify/", born_form(BORN))["Location"]
        == "/manage/"
    )
    assert ClientThrottle.objects.get(key=client_key("192.0.2.1")).locked_until is not None


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_each_patient_is_counted_apart(clinic: Clinic) -> None:
    token = tokens_for(clinic, 1)[0]
    for n in range(3):
        opened(token, "10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post(
            "/manage/verify/", WRONG
        )
    assert ClientThrottle.objects.count() == 3
    assert ManageLink.objects.get().failed_attempts == 3


@pytest.fixture
def code_needed(clinic: Clinic) -> Clinic:
    clinic.service.manage_requires_sms_code = True
    clinic.service.save()
    return clinic


def sent_code() -> str:
    text = OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).latest("pk")
    return re.search(r"\b(\d{6})\b", message_body(text)).group(1)


def test_codes_are_six_random_digits_and_only_the_latest_works(code_needed: Clinic) -> None:
    token = tokens_for(code_needed, 1)[0]
    client = opened(token)
    client.post("/manage/verify/", born_form(BORN))
    first = sent_code()
    client.post("/manage/code/", {"resend": "1"})
    second = sent_code()
    texts = [message_body(m) for m in OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION)]
    assert all(re.fullmatch(r"Your code is \d{6}\. .*", text) for text in texts)
    assert "Do not share it" in texts[0]
    if first != second:
        assert client.post("/manage/code/", {"code": first}).status_code == 400
    assert client.post("/manage/code/", {"code": second})["Location"] == "/manage/"


def test_wrong_codes_lock_the_link_even_against_the_right_code(
    code_needed: Clinic, frozen_now: time_machine.Traveller
) -> None:
    token = tokens_for(code_needed, 1)[0]
    client = opened(token)
    client.post("/manage/verify/", born_form(BORN))
    code = sent_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(LINK_MAX_FAILURES):
        assert client.post("/manage/code/", {"code": wrong}).status_code == 400

    locked = client.post("/manage/code/", {"code": code})
    assert locked.status_code == 429
    assert client.get("/manage/")["Location"] == "/manage/verify/"

    frozen_now.shift(timedelta(minutes=9))  # the lock is 15 minutes; the code lasts 10
    assert client.post("/manage/code/", {"code": code}).status_code == 429


@pytest.mark.parametrize("typed", ["12345", "1234567", "12a456", "", "１２３４５６"])
def test_anything_but_six_digits_is_a_wrong_code_and_counted(
    code_needed: Clinic, typed: str
) -> None:
    token = tokens_for(code_needed, 1)[0]
    client = opened(token)
    client.post("/manage/verify/", born_form(BORN))
    response = client.post("/manage/code/", {"code": typed})
    assert response.status_code == 400
    assert ManageLink.objects.get().failed_attempts == 1
