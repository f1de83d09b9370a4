"""No way to tell which links exist: every token that cannot be used (unknown, tampered,
malformed, expired, deleted) gets the same status, the same page and the same response time.

What DOMAIN.md requires on top is visible only to whoever holds a genuine token, which cannot
be guessed (256 bits): a dead link names the service to call, and a booked link shows its
booking. docs/security.md ("Enumeration") explains the reconciliation."""

import gc
import random
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import (
    Actor,
    booking_link_expire,
    booking_link_find,
    booking_link_send,
)
from slotlink.booking.manage.services import manage_link_find
from slotlink.clinic.models import Appointment
from slotlink.records.services.appointments import appointment_delete
from tests.conftest import Clinic

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
UNUSABLE = "This link cannot be used"
ROUNDS = 50
# "Within a few milliseconds": the medians of any two kinds may differ by at most this.
TOLERANCE_SECONDS = 0.005  # "within a few milliseconds"


def send(clinic: Clinic) -> str:
    return booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)[1]


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def dead_tokens(clinic: Clinic, frozen_now: time_machine.Traveller) -> dict[str, str]:
    """One token of each kind of dead link, from the same service."""
    by_staff, by_staff_token = booking_link_send(
        patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin
    )
    booking_link_expire(link=by_staff, actor=Actor.staff(clinic.admin))
    deleted, deleted_token = booking_link_send(
        patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin
    )
    appointment = booking_link_book(link=deleted, start=TUESDAY_11)
    appointment_delete(appointment=appointment, user=clinic.admin)
    lapsing_token = send(clinic)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days))
    return {
        "expired by staff": by_staff_token,
        "appointment deleted": deleted_token,
        "validity ended": lapsing_token,
    }


def made_up_tokens(clinic: Clinic) -> dict[str, str]:
    live = send(clinic)
    return {
        "unknown": "q" * 43,
        "tampered": tampered(live),
        "too short": "abc",
        "too long": "A" * 2000,
        "odd characters": "%E2%80%AE%3Cb%3E" + "A" * 30,
    }


def main_content(response) -> str:
    page = response.content.decode()
    return re.search(r"<main.*?</main>", page, re.S).group(0)


def test_every_made_up_token_gets_the_very_same_404_page(clinic: Clinic) -> None:
    responses = {
        kind: Client().get(f"/b/{token}") for kind, token in made_up_tokens(clinic).items()
    }
    pages = {kind: response.content.decode() for kind, response in responses.items()}
    assert {r.status_code for r in responses.values()} == {404}
    assert len(set(pages.values())) == 1, pages.keys()
    assert UNUSABLE in pages["unknown"]


def test_every_dead_link_gets_the_same_404_page_with_only_the_number_to_call_added(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    dead = {
        kind: Client().get(f"/b/{token}") for kind, token in dead_tokens(clinic, frozen_now).items()
    }
    unknown = Client().get("/b/" + "q" * 43)

    assert {r.status_code for r in dead.values()} == {404}
    assert len({r.content for r in dead.values()}) == 1
    shown = main_content(next(iter(dead.values())))
    assert clinic.service.phone in shown
    # The same heading and explanation as for a made-up token; nothing about the patient.
    for line in [f"<h1>{UNUSABLE}</h1>", "The link may have expired, been used already"]:
        assert line in shown and line in main_content(unknown)
    for private in [clinic.patient.first_name, clinic.patient.last_name, clinic.rule.title]:
        assert private not in next(iter(dead.values())).content.decode()


def test_no_refusal_starts_a_session_or_lets_the_token_travel_on(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    tokens = {**made_up_tokens(clinic), **dead_tokens(clinic, frozen_now)}
    for kind, token in tokens.items():
        response = Client().get(f"/b/{token}")
        assert response.cookies == {} or "sessionid" not in response.cookies, kind
        assert response["Referrer-Policy"] == "no-referrer", kind
        assert response["Cache-Control"] == "no-store", kind


def test_a_booked_link_shows_its_booking_as_domain_requires(clinic: Clinic) -> None:
    """The one deliberate difference: only the holder of the genuine token can see it."""
    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    booking_link_book(link=link, start=TUESDAY_11)
    client = Client()
    response = client.get(f"/b/{token}")
    assert (response.status_code, response["Location"]) == (302, "/book/")
    assert client.get("/book/")["Location"] == "/book/booked/"
    assert Appointment.objects.count() == 1


def timed(get: Callable[[], object], timings: list[float]) -> None:
    # The work this thread does, not the wall clock: on a loaded machine the wall clock
    # mostly measures waiting for a core, which hid or faked differences. The database's
    # side is held equal by the query-count test below.
    started = time.thread_time()
    get()
    timings.append(time.thread_time() - started)


def median_times(clients: dict[str, Client], tokens: dict[str, str]) -> dict[str, float]:
    """Each kind's median over ROUNDS requests, the kinds taken in a shuffled turn so that
    any slowdown of the machine hits every kind alike."""
    timings: dict[str, list[float]] = {kind: [] for kind in tokens}
    order = list(tokens)
    shuffler = random.Random(8)
    gc.disable()  # a collection landing in one kind's request would count against it
    try:
        for _ in range(ROUNDS):
            shuffler.shuffle(order)
            for kind in order:
                url = f"/b/{tokens[kind]}"
                timed(lambda: clients[kind].get(url), timings[kind])  # noqa: B023
    finally:
        gc.enable()
    return {kind: statistics.median(values) for kind, values in timings.items()}


def test_refusals_take_the_same_time_whatever_the_token(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    """The lookup always hashes the token and queries the database, whatever the token
    looks like, and every refusal renders the same template. A real difference shows in
    every measurement; a busy machine (other tests, CI neighbours) can spoil one, so the
    measurement is taken up to five times and must come out even once."""
    tokens = {**made_up_tokens(clinic), **dead_tokens(clinic, frozen_now)}
    clients = {kind: Client() for kind in tokens}
    for kind, token in tokens.items():  # warm up caches and the template loader
        clients[kind].get(f"/b/{token}")
    reports = []
    for _ in range(5):
        medians = median_times(clients, tokens)
        spread = max(medians.values()) - min(medians.values())
        if spread < TOLERANCE_SECONDS:
            return
        reports.append(", ".join(f"{k}: {m * 1000:.2f} ms" for k, m in sorted(medians.items())))
    pytest.fail("Refusals take different times:\n" + "\n".join(reports))


@pytest.mark.parametrize("token", ["q" * 43, "abc", "A" * 2000, "\u202e<b>", "x"])
def test_the_lookup_does_the_same_work_for_any_token(
    clinic: Clinic, token: str, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        assert booking_link_find(token) is None
    with django_assert_num_queries(1):
        assert manage_link_find(token) is None
