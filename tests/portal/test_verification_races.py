"""Verification and moving under real concurrency: threads, each with its own database
connection, released together (as in test_races.py). Every attempt claims its right to be
judged in one atomic update before anything is compared, so no burst gets more than the
limit judged, and a second confirm of one move changes nothing."""

from collections import Counter
from datetime import date

import pytest
from django.conf import settings
from django.test import Client

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.booking.manage.services import CLIENT_MAX_FAILURES, LINK_MAX_FAILURES
from slotlink.booking.models import BookingLinkEvent
from slotlink.clinic.models import TIME_HOLDING, Appointment, InternalMessage
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from tests.booking.test_races import run_together
from tests.conftest import make_clinic
from tests.factories import PatientFactory
from tests.portal.test_manage import BORN, book, born_form, manage_token, move, verified

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = born_form(date(1980, 1, 1))
MADE_UP = "q" * 43


def opened(token: str, address: str) -> Client:
    client = Client(REMOTE_ADDR=address)
    assert client.get(f"/m/{token}")["Location"] == "/manage/verify/"
    return client


def judged(action: AuditAction) -> Counter[str]:
    """How each attempt came out, as recorded: passed or wrong were judged, locked was not."""
    return Counter(
        AuditEvent.objects.filter(action=action).values_list("details__outcome", flat=True)
    )


def statuses(responses: list[object]) -> Counter[int]:
    assert not [r for r in responses if isinstance(r, Exception)], responses
    return Counter(r.status_code for r in responses)  # type: ignore[attr-defined]


@pytest.mark.parametrize("link", ["real", "made up"])
def test_twenty_simultaneous_wrong_dates_are_judged_no_more_than_the_limit(link: str) -> None:
    clinic = make_clinic()
    token = manage_token(book(clinic)) if link == "real" else MADE_UP
    # One address each, so only the link's own count can stop them.
    clients = [opened(token, f"192.0.2.{n}") for n in range(20)]

    responses = run_together([lambda c=c: c.post("/manage/verify/", WRONG) for c in clients])

    assert statuses(responses) == {400: LINK_MAX_FAILURES, 429: 20 - LINK_MAX_FAILURES}
    outcomes = judged(AuditAction.VERIFICATION_BIRTH_DATE)
    assert outcomes == {"wrong": LINK_MAX_FAILURES, "locked": 20 - LINK_MAX_FAILURES}
    # After the limit nothing is judged, the right answer included.
    assert opened(token, "192.0.2.200").post("/manage/verify/", born_form(BORN)).status_code == 429


def test_a_burst_with_the_right_date_among_wrong_ones_judges_no_more_than_the_limit() -> None:
    clinic = make_clinic()
    token = manage_token(book(clinic))
    forms = [WRONG] * 14 + [born_form(BORN)]
    clients = [opened(token, f"192.0.2.{n}") for n in range(len(forms))]

    responses = run_together(
        [lambda c=c, f=f: c.post("/manage/verify/", f) for c, f in zip(clients, forms, strict=True)]
    )

    outcomes = judged(AuditAction.VERIFICATION_BIRTH_DATE)
    assert sum(outcomes.values()) == len(forms)
    # A right date gives back only its own claim: the wrong ones still count.
    assert outcomes["wrong"] <= LINK_MAX_FAILURES, outcomes
    if not outcomes["passed"]:  # the right date came after the limit: refused, unjudged
        assert responses[-1].status_code == 429  # type: ignore[attr-defined]
        assert outcomes["wrong"] == LINK_MAX_FAILURES


def test_twenty_simultaneous_wrong_codes_are_judged_no_more_than_the_limit() -> None:
    clinic = make_clinic()
    clinic.service.manage_requires_sms_code = True
    clinic.service.save()
    token = manage_token(book(clinic))
    clients = [opened(token, f"192.0.2.{n}") for n in range(20)]
    for client in clients:
        assert client.post("/manage/verify/", born_form(BORN))["Location"] == "/manage/code/"
    text = OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).latest("pk")
    code = message_body(text).split("Your code is ")[1][:6]
    wrong = "000000" if code != "000000" else "111111"

    responses = run_together(
        [lambda c=c: c.post("/manage/code/", {"code": wrong}) for c in clients]
    )

    assert statuses(responses) == {400: LINK_MAX_FAILURES, 429: 20 - LINK_MAX_FAILURES}
    assert judged(AuditAction.VERIFICATION_CODE) == {
        "wrong": LINK_MAX_FAILURES,
        "locked": 20 - LINK_MAX_FAILURES,
    }
    assert clients[0].post("/manage/code/", {"code": code}).status_code == 429


def test_one_client_guessing_at_many_links_at_once_is_judged_no_more_than_its_limit() -> None:
    clinic = make_clinic()
    tokens = []
    for index in range(10):
        clinic.patient = PatientFactory(service=clinic.service)
        tokens.append(manage_token(book(clinic, index=index)))
    per_link = 3  # under each link's own limit: only the client's count can stop them
    clients = [opened(token, "192.0.2.1") for token in tokens for _ in range(per_link)]

    responses = run_together([lambda c=c: c.post("/manage/verify/", WRONG) for c in clients])

    assert statuses(responses) == {
        400: CLIENT_MAX_FAILURES,
        429: len(clients) - CLIENT_MAX_FAILURES,
    }
    assert judged(AuditAction.VERIFICATION_BIRTH_DATE)["wrong"] == CLIENT_MAX_FAILURES


def test_simultaneous_confirms_of_one_move_move_the_appointment_once() -> None:
    clinic = make_clinic()
    appointment = book(clinic, index=5)
    link = appointment.booking_link
    mover = verified(appointment)
    move(mover, index=2)
    cookie = mover.cookies[settings.SESSION_COOKIE_NAME].value
    tabs = []
    for _ in range(5):  # one browser's session, confirmed five times at once
        tab = Client()
        tab.cookies[settings.SESSION_COOKIE_NAME] = cookie
        tabs.append(tab)

    responses = run_together([lambda t=t: t.post("/manage/change/confirm/") for t in tabs])

    assert statuses(responses) == {302: 5}
    assert {r["Location"] for r in responses} == {"/manage/"}  # type: ignore[index]
    live = Appointment.objects.get(booking_link=link, status__in=TIME_HOLDING)
    assert live.rescheduled_from_id == appointment.pk
    assert live.therapist_id == appointment.therapist_id
    assert Appointment.objects.filter(booking_link=link).count() == 2
    assert BookingLinkEvent.objects.filter(link=link, to_status="rescheduled").count() == 1
    texts = OutboundMessage.objects.filter(kind=MessageKind.CONFIRMATION)
    assert sum("has been changed" in message_body(t) for t in texts) == 1
    assert not InternalMessage.objects.exists()
