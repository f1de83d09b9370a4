"""Proving who you are for a manage link, step by step: the code only ever follows a correct
date of birth (and only where the service asks for codes), a made-up link looks exactly like a
real one however many attempts are made, opening a made-up link writes nothing, and a patient
who cannot be texted a code is told what to do instead."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.booking.manage.services import LINK_MAX_FAILURES
from slotlink.booking.models import ManageLink
from slotlink.clinic.models import Appointment
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from tests.conftest import Clinic
from tests.factories import PatientFactory
from tests.portal.test_manage import BORN, book, born_form, manage_token, open_manage

pytestmark = pytest.mark.usefixtures("frozen_now")

WRONG = born_form(date(1980, 1, 1))
MADE_UP = "q" * 43


@pytest.fixture
def booked(clinic: Clinic) -> Appointment:
    return book(clinic)


@pytest.fixture
def codes_on(clinic: Clinic) -> Clinic:
    clinic.service.manage_requires_sms_code = True
    clinic.service.save()
    return clinic


def codes_texted() -> list[str]:
    texts = OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).order_by("pk")
    return [re.search(r"\b(\d{6})\b", message_body(text)).group(1) for text in texts]


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


# The code follows a correct date of birth, and only where the service asks for codes


CODE_STEPS = [
    ("get", {}),
    ("post", {"resend": "1"}),
    ("post", {"code": "123456"}),
]


@pytest.mark.parametrize(("method", "form"), CODE_STEPS)
def test_without_a_correct_date_of_birth_the_code_step_is_like_any_other_closed_step(
    booked: Appointment, codes_on: Clinic, method: str, form: dict[str, str]
) -> None:
    client = open_manage(manage_token(booked))
    client.post("/manage/verify/", WRONG)

    response = getattr(client, method)("/manage/code/", form)

    assert response["Location"] == client.get("/manage/")["Location"] == "/manage/verify/"
    assert codes_texted() == []
    assert ManageLink.objects.get().failed_attempts == 1  # only the wrong date counted


def test_a_code_texted_to_the_patient_is_no_key_for_someone_who_skipped_the_date_of_birth(
    booked: Appointment, codes_on: Clinic
) -> None:
    """Whoever reads the patient's texts must still know who the patient is."""
    token = manage_token(booked)
    patient = open_manage(token)
    assert patient.post("/manage/verify/", born_form(BORN))["Location"] == "/manage/code/"
    (code,) = codes_texted()

    reader = open_manage(token)
    assert reader.post("/manage/code/", {"code": code})["Location"] == "/manage/verify/"
    assert reader.get("/manage/appointment.ics")["Location"] == "/manage/verify/"
    # The code was not even judged, so the patient can still use it.
    assert patient.post("/manage/code/", {"code": code})["Location"] == "/manage/"


def test_where_the_service_asks_for_no_code_there_is_no_code_step(booked: Appointment) -> None:
    """The review's way in: open the link, ask for a code, type it, see the appointment."""
    client = open_manage(manage_token(booked))

    assert client.post("/manage/code/", {"resend": "1"})["Location"] == "/manage/verify/"
    assert codes_texted() == []
    assert client.post("/manage/code/", {"code": "123456"})["Location"] == "/manage/verify/"
    assert client.get("/manage/appointment.ics")["Location"] == "/manage/verify/"


def test_nor_after_a_correct_date_of_birth(booked: Appointment) -> None:
    client = open_manage(manage_token(booked))
    assert client.post("/manage/verify/", born_form(BORN))["Location"] == "/manage/"

    assert client.get("/manage/code/")["Location"] == "/manage/verify/"
    assert client.post("/manage/code/", {"resend": "1"})["Location"] == "/manage/verify/"
    assert codes_texted() == []


def test_a_correct_date_of_birth_opens_the_code_step_for_a_quarter_of_an_hour_only(
    booked: Appointment, codes_on: Clinic, frozen_now: time_machine.Traveller
) -> None:
    client = open_manage(manage_token(booked))
    client.post("/manage/verify/", born_form(BORN))
    frozen_now.shift(timedelta(minutes=14))
    assert client.get("/manage/code/").status_code == 200

    frozen_now.shift(timedelta(minutes=2))

    assert client.get("/manage/code/")["Location"] == "/manage/verify/"
    assert client.post("/manage/code/", {"code": codes_texted()[0]})["Location"] == (
        "/manage/verify/"
    )


def test_the_date_of_birth_step_is_bound_to_the_link_it_was_given_for(
    clinic: Clinic, codes_on: Clinic
) -> None:
    first = manage_token(book(clinic, index=3))
    clinic.patient = PatientFactory(service=clinic.service, date_of_birth=date(1975, 1, 1))
    second = manage_token(book(clinic, index=4))
    client = open_manage(first)
    client.post("/manage/verify/", born_form(BORN))

    # The same browser opens another patient's link: the first link's date of birth says
    # nothing about who holds the second.
    assert client.get(f"/m/{second}")["Location"] == "/manage/verify/"
    assert client.get("/manage/code/")["Location"] == "/manage/verify/"


# A made-up link looks like a real one, and opening it writes nothing


def test_opening_a_made_up_manage_link_writes_no_session(clinic: Clinic) -> None:
    client = Client()

    response = client.get(f"/m/{MADE_UP}")

    assert (response.status_code, response["Location"]) == (302, "/manage/verify/")
    assert response["Referrer-Policy"] == "no-referrer"
    # A session cookie as any link gets (the next tests), and no row behind it.
    assert not Session.objects.exists()


def test_a_made_up_link_shows_the_same_date_of_birth_page_as_a_real_one(
    booked: Appointment,
) -> None:
    real = open_manage(manage_token(booked)).get("/manage/verify/")
    made_up = open_manage(MADE_UP).get("/manage/verify/")

    assert made_up.status_code == real.status_code == 200
    assert without_csrf(made_up) == without_csrf(real)


def test_a_locked_real_link_and_a_made_up_one_answer_alike_attempt_by_attempt(
    booked: Appointment,
) -> None:
    real, made_up = open_manage(manage_token(booked)), open_manage(MADE_UP)
    attempts = [WRONG] * LINK_MAX_FAILURES + [born_form(BORN)] * 2

    for number, form in enumerate(attempts, start=1):
        answers = [client.post("/manage/verify/", form) for client in (real, made_up)]
        statuses = [answer.status_code for answer in answers]
        assert statuses[0] == statuses[1], (number, statuses)
        assert without_csrf(answers[0]) == without_csrf(answers[1]), number
    assert statuses == [429, 429]
    # The same for a fresh browser with each link.
    again = [open_manage(t).post("/manage/verify/", WRONG) for t in (manage_token(booked), MADE_UP)]
    assert [a.status_code for a in again] == [429, 429]
    assert without_csrf(again[0]) == without_csrf(again[1])


def cookies_set(response) -> list[tuple[str, dict[str, object]]]:
    """The Set-Cookie headers without their values: names, attributes, and whether (not when)
    each expires, which is all a browser's owner could compare."""
    shape = []
    for name, morsel in sorted(response.cookies.items()):
        attributes = {key: value for key, value in morsel.items() if value}
        if "expires" in attributes:
            attributes["expires"] = True
        shape.append((name, attributes))
    return shape


def test_a_real_link_and_a_made_up_one_set_the_same_cookies_step_by_step(
    booked: Appointment,
) -> None:
    real, made_up = Client(), Client()
    opened = [
        client.get(f"/m/{t}") for client, t in ((real, manage_token(booked)), (made_up, MADE_UP))
    ]
    assert cookies_set(opened[0]) == cookies_set(opened[1])
    assert [name for name, _ in cookies_set(opened[1])] == [settings.SESSION_COOKIE_NAME]
    for number, form in enumerate([WRONG] * (LINK_MAX_FAILURES + 1), start=1):
        answers = [client.post("/manage/verify/", form) for client in (real, made_up)]
        assert cookies_set(answers[0]) == cookies_set(answers[1]), number
    # Opened again in the same browser, each gets a new value, as a new session key would.
    again = [
        client.get(f"/m/{t}") for client, t in ((real, manage_token(booked)), (made_up, MADE_UP))
    ]
    assert cookies_set(again[0]) == cookies_set(again[1])
    assert again[1].cookies[settings.SESSION_COOKIE_NAME].value != (
        opened[1].cookies[settings.SESSION_COOKIE_NAME].value
    )


def test_a_made_up_link_writes_no_session_and_lapses_as_an_idle_real_one_does(
    booked: Appointment,
) -> None:
    clients = [open_manage(manage_token(booked)), open_manage(MADE_UP)]
    assert Session.objects.count() == 1
    clients[1].post("/manage/verify/", WRONG)
    assert Session.objects.count() == 1
    later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(later):
        answers = [client.get("/manage/verify/") for client in clients]
    assert [a.status_code for a in answers] == [403, 403]
    assert without_csrf(answers[0]) == without_csrf(answers[1])


def test_each_made_up_link_is_counted_on_its_own_as_each_real_link_is(clinic: Clinic) -> None:
    first = manage_token(book(clinic, index=3))
    for token in (first, MADE_UP):
        client = open_manage(token)
        for _ in range(LINK_MAX_FAILURES):
            client.post("/manage/verify/", WRONG)

    # Another link, real or made up, from the same browser: counted from nothing.
    assert open_manage("r" * 43).post("/manage/verify/", WRONG).status_code == 400


def test_pages_other_than_the_date_of_birth_send_a_made_up_link_to_it_as_a_real_one(
    booked: Appointment,
) -> None:
    for token in (manage_token(booked), MADE_UP):
        client = open_manage(token)
        for url in ("/manage/", "/manage/change/", "/manage/code/", "/manage/cancel/"):
            assert client.get(url)["Location"] == "/manage/verify/", (token, url)


def test_without_having_opened_a_link_the_pages_ask_for_the_link_again(clinic: Clinic) -> None:
    for url in ("/manage/verify/", "/manage/", "/manage/code/"):
        response = Client().get(url)
        assert response.status_code == 403
        assert "Open the link in your text message again" in response.content.decode()
    assert Client().post("/manage/verify/", born_form(BORN)).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.VERIFICATION_BIRTH_DATE).exists()


# A patient who cannot be texted a code


@pytest.mark.parametrize("unreachable", ["do_not_sms", "no_mobile"])
def test_a_patient_who_cannot_be_texted_a_code_is_told_to_call_and_nothing_is_sent(
    booked: Appointment, codes_on: Clinic, unreachable: str
) -> None:
    patient = codes_on.patient
    if unreachable == "do_not_sms":
        patient.do_not_sms = True
    else:
        patient.mobile = ""
    patient.save()
    client = open_manage(manage_token(booked))

    response = client.post("/manage/verify/", born_form(BORN))

    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot send you a code" in page
    assert codes_on.service.phone in page
    assert codes_texted() == []
    assert not OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).exists()
    # Nothing opens: not the code step, not the appointment.
    assert client.get("/manage/code/")["Location"] == "/manage/verify/"
    assert client.get("/manage/")["Location"] == "/manage/verify/"


def test_a_new_code_is_not_texted_to_a_patient_marked_do_not_sms_meanwhile(
    booked: Appointment, codes_on: Clinic
) -> None:
    client = open_manage(manage_token(booked))
    client.post("/manage/verify/", born_form(BORN))
    codes_on.patient.do_not_sms = True
    codes_on.patient.save()

    assert client.post("/manage/code/", {"resend": "1"})["Location"] == "/manage/code/"

    assert len(codes_texted()) == 1  # only the one sent before
    refused = AuditEvent.objects.get(action=AuditAction.VERIFICATION_CODE_REFUSED)
    assert refused.details["can_be_texted"] is False


@pytest.mark.django_db
def test_a_real_session_never_gets_a_key_that_reads_as_a_made_up_links_seal(monkeypatch) -> None:
    """One random key in 65,536 opens as a seal: such a key must never be handed out, or that
    session's row would be ignored and its data lost."""
    from slotlink.portal import sessions

    sealed = sessions._made_up_key("ab" * 8, int(timezone.now().timestamp()))
    keys = iter([sealed, "k" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args, **kwargs: next(keys))
    store = sessions.SessionStore()
    store["kept"] = "yes"
    store.save()

    assert store.session_key == "k" * 32
    assert sessions.SessionStore(session_key="k" * 32)["kept"] == "yes"
