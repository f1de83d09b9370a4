""" "Leave this page": a plain link (it works without JavaScript, and a form posting to us
could not go on to another site under the CSP's form-action) to a page of ours that ends the
patient's session and sends them to a neutral site, so Back finds nothing to show."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from slotlink.booking.links.services import booking_link_send
from tests.conftest import Clinic
from tests.portal.test_manage import book, manage_token, verified

pytestmark = pytest.mark.usefixtures("frozen_now")

NEUTRAL = "https://www.bbc.co.uk/weather"
SESSION_ENDED = "Open the link in your text message again"


@pytest.fixture
def quick_exit(clinic: Clinic) -> Clinic:
    clinic.service.quick_exit_enabled = True
    clinic.service.save()
    return clinic


def quick_exit_href(page: str) -> str:
    return re.search(r'<a class="quick-exit" href="([^"]+)"', page).group(1)


def test_leaving_a_booking_ends_the_session_and_back_shows_nothing(quick_exit: Clinic) -> None:
    _, token = booking_link_send(
        patient=quick_exit.patient, rule=quick_exit.rule, sent_by=quick_exit.admin
    )
    client = Client()
    client.get(f"/b/{token}")
    href = quick_exit_href(client.get("/book/times/").content.decode())

    response = client.get(href)

    assert (response.status_code, response["Location"]) == (302, NEUTRAL)
    assert response["Referrer-Policy"] == "no-referrer"
    assert not Session.objects.exists()
    back = client.get("/book/times/")
    assert back.status_code == 403
    assert SESSION_ENDED in back.content.decode()


def test_leaving_a_verified_manage_session_ends_it(quick_exit: Clinic) -> None:
    client = verified(book(quick_exit))
    href = quick_exit_href(client.get("/manage/").content.decode())

    assert client.get(href)["Location"] == NEUTRAL

    assert not Session.objects.exists()
    for url in ("/manage/", "/manage/appointment.ics", "/manage/verify/"):
        assert client.get(url).status_code == 403, url


def test_leaving_from_a_made_up_manage_link_forgets_it_too(quick_exit: Clinic) -> None:
    real = manage_token(book(quick_exit))
    client = Client()
    client.get("/m/" + "q" * 43)
    page = client.get("/manage/verify/").content.decode()
    assert "quick-exit" not in page  # no service is known yet, so no setting to follow

    assert client.get("/leave/")["Location"] == NEUTRAL
    assert client.get("/manage/verify/").status_code == 403
    assert Client().get(f"/m/{real}").status_code == 302


def test_leaving_needs_no_session_and_writes_none(clinic: Clinic) -> None:
    response = Client().get("/leave/")
    assert response["Location"] == NEUTRAL
    assert not Session.objects.exists()
