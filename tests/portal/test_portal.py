"""The patient portal through Django's test client: the journey, what GETs may not do, and
everything a patient (or a link scanner, or a tamperer) can send it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from slotlink.booking.links.services import (
    Actor,
    booking_link_expire,
    booking_link_send,
)
from slotlink.booking.models import BookingLink
from slotlink.clinic.models import Appointment, AppointmentStatus, Source
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.portal.views.book import SESSION_LINK, SESSION_START
from slotlink.records.services.appointments import appointment_delete
from tests.conftest import Clinic
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = "2026-12-08"
TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
TUESDAY_14 = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
UNUSABLE = "This link cannot be used"
SESSION_ENDED = "Open the link in your text message again"


def send(clinic: Clinic) -> tuple[BookingLink, str]:
    return booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)


def entered(token: str) -> Client:
    """A patient's browser that has tapped the link in the text."""
    client = Client()
    response = client.get(f"/b/{token}")
    assert response.status_code == 302
    assert response["Location"] == "/book/"
    return client


def choose(client: Client, start: datetime | str, **extra: str) -> str:
    value = start.isoformat() if isinstance(start, datetime) else start
    response = client.post("/book/choose/", {"start": value, **extra})
    assert response.status_code == 302
    return str(response["Location"])


def status_of(link: BookingLink) -> str:
    return BookingLink.objects.values_list("status", flat=True).get(pk=link.pk)


def event_trail(link: BookingLink) -> list[str]:
    return list(link.events.order_by("pk").values_list("to_status", flat=True))


def page(response: Any) -> str:
    return response.content.decode()


# The journey


def test_patient_books_through_the_whole_journey_without_the_token_ever_reappearing(
    clinic: Clinic,
) -> None:
    link, token = send(clinic)
    client = Client()
    pages: list[str] = []

    def visit(response: Any) -> Any:
        pages.append(page(response) + str(response.headers))
        return response

    entry = visit(client.get(f"/b/{token}"))
    assert (entry.status_code, entry["Location"]) == (302, "/book/")
    assert client.session[SESSION_LINK] == link.pk

    welcome = visit(client.get("/book/"))
    assert welcome.status_code == 200
    assert f"Hello {clinic.patient.first_name}" in page(welcome)
    assert 'href="/book/times/"' in page(welcome)

    times = visit(client.get("/book/times/"))
    assert "Tuesday 8 December at 10am" in page(times)  # first available, after 24h notice
    assert f'href="/book/times/{TUESDAY}/"' in page(times)

    day = visit(client.get(f"/book/times/{TUESDAY}/"))
    assert f'value="{TUESDAY_11.isoformat()}"' in page(day)
    assert "Morning" in page(day) and "Afternoon" in page(day)

    chosen = visit(client.post("/book/choose/", {"start": TUESDAY_11.isoformat()}))
    assert chosen["Location"] == "/book/review/"
    review = visit(client.get("/book/review/"))
    assert "Tuesday 8 December 2026 at 11am" in page(review)
    assert not Appointment.objects.exists(), "reviewing must not book"

    confirmed = visit(client.post("/book/confirm/"))
    assert confirmed["Location"] == "/book/booked/"
    booked = visit(client.get("/book/booked/"))
    assert "Your appointment is booked" in page(booked)
    assert "Tuesday 8 December 2026 at 11am" in page(booked)

    appointment = Appointment.objects.get()
    assert (appointment.start, appointment.source) == (TUESDAY_11, Source.ONLINE)
    assert appointment.therapist.name in page(booked)
    assert status_of(link) == LinkStatus.BOOKED
    assert event_trail(link) == ["sent", "accessed", "booked"]
    assert not [p for p in pages[1:] if token in p]


def test_first_available_button_books_the_earliest_time(clinic: Clinic) -> None:
    _, token = send(clinic)
    client = entered(token)
    assert choose(client, datetime(2026, 12, 8, 10, tzinfo=UTC)) == "/book/review/"
    client.post("/book/confirm/")
    assert Appointment.objects.get().start == datetime(2026, 12, 8, 10, tzinfo=UTC)


def test_entering_swaps_the_token_for_a_fresh_session(clinic: Clinic) -> None:
    _, token = send(clinic)
    client = Client()
    planted = client.session  # a session key an attacker could have planted (fixation)
    planted["planted"] = True
    planted.save()
    before = client.cookies["sessionid"].value
    client.get(f"/b/{token}")
    after = client.cookies["sessionid"].value
    assert before != after
    assert token not in str(dict(client.session))


# GETs never change anything but the first open


def test_gets_never_book_or_expire_and_only_the_first_open_marks_accessed(
    clinic: Clinic,
) -> None:
    link, token = send(clinic)
    scanner = Client()  # a link previewer fetches the URL before the patient does
    scanner.head(f"/b/{token}")
    client = entered(token)
    for _ in range(2):
        client.get(f"/b/{token}")
        for url in ["/book/", "/book/times/", f"/book/times/{TUESDAY}/", "/book/review/"]:
            assert client.get(url).status_code in {200, 302}
        assert client.get("/book/booked/").status_code == 302
        assert client.get("/book/confirm/").status_code == 405
        assert client.get(f"/book/choose/?start={TUESDAY_11.isoformat()}").status_code == 405
        assert client.head(f"/b/{token}").status_code in {302, 405}
    assert not Appointment.objects.exists()
    assert status_of(link) == LinkStatus.ACCESSED
    assert event_trail(link) == ["sent", "accessed"]


def test_reopening_a_booked_link_shows_the_booked_page_not_the_booking_screens(
    clinic: Clinic,
) -> None:
    link, token = send(clinic)
    first_visit = entered(token)
    choose(first_visit, TUESDAY_11)
    first_visit.post("/book/confirm/")

    later = entered(token)
    response = later.get("/book/", follow=True)
    assert response.redirect_chain[-1][0] == "/book/booked/"
    assert "Your appointment is booked" in page(response)
    for url in ["/book/times/", f"/book/times/{TUESDAY}/", "/book/review/"]:
        assert later.get(url)["Location"] == "/book/booked/"
    assert later.post("/book/choose/", {"start": TUESDAY_14.isoformat()})["Location"] == (
        "/book/booked/"
    )
    assert Appointment.objects.count() == 1
    assert status_of(link) == LinkStatus.BOOKED


# Links that cannot be used


def test_unknown_and_tampered_tokens_get_the_same_404_page(clinic: Clinic) -> None:
    link, token = send(clinic)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    unknown = Client().get("/b/" + "x" * 43)
    altered = Client().get(f"/b/{tampered}")
    assert unknown.status_code == altered.status_code == 404
    assert UNUSABLE in page(unknown)
    assert page(unknown) == page(altered)
    assert status_of(link) == LinkStatus.SENT


@pytest.mark.parametrize("how", ["validity_ended", "expired_by_staff", "appointment_deleted"])
def test_expired_and_deleted_links_show_the_plain_page_revealing_nothing_of_the_patient(
    clinic: Clinic, frozen_now: time_machine.Traveller, how: str
) -> None:
    link, token = send(clinic)
    if how == "validity_ended":
        frozen_now.shift(timedelta(days=clinic.rule.link_valid_days))
    elif how == "expired_by_staff":
        booking_link_expire(link=link, actor=Actor.staff(clinic.admin))
    else:
        client = entered(token)
        choose(client, TUESDAY_11)
        client.post("/book/confirm/")
        appointment_delete(appointment=Appointment.objects.get(), user=clinic.admin)
    response = Client().get(f"/b/{token}")
    assert response.status_code == 404
    text = page(response)
    assert UNUSABLE in text
    assert clinic.service.phone in text
    for private in [clinic.patient.first_name, clinic.patient.last_name, clinic.rule.title]:
        assert private not in text
    assert "sessionid" not in response.cookies


def test_expired_staff_expired_and_deleted_links_are_indistinguishable(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    by_staff, staff_token = send(clinic)
    booking_link_expire(link=by_staff, actor=Actor.staff(clinic.admin))
    _, deleted_token = send(clinic)
    client = entered(deleted_token)
    choose(client, TUESDAY_11)
    client.post("/book/confirm/")
    appointment_delete(appointment=Appointment.objects.get(), user=clinic.admin)
    _, lapsing_token = send(clinic)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days))
    pages = {page(Client().get(f"/b/{t}")) for t in (staff_token, deleted_token, lapsing_token)}
    assert len(pages) == 1


def test_a_link_expiring_mid_journey_stops_the_booking(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    link, token = send(clinic)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days, minutes=-5))
    client = entered(token)
    assert choose(client, TUESDAY_11 + timedelta(days=14)) == "/book/review/"
    frozen_now.shift(timedelta(minutes=6))  # the session is still fresh; the link is not
    times = client.get("/book/times/")
    assert times.status_code == 404
    assert UNUSABLE in page(times)
    confirm = client.post("/book/confirm/")
    assert confirm.status_code == 404
    assert UNUSABLE in page(confirm)
    assert not Appointment.objects.exists()
    assert status_of(link) == LinkStatus.ACCESSED


@pytest.mark.parametrize(
    "odd",
    [
        "A" * 101,
        "A" * 5000,
        "short",
        "%00" + "A" * 42,
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%E2%80%AE" + "A" * 40,
        "..%2F..%2Fetc%2Fpasswd",
        "A" * 42 + "%20",
        "'%20OR%201=1--",
    ],
)
def test_over_long_or_odd_tokens_get_a_plain_404(clinic: Clinic, odd: str) -> None:
    send(clinic)
    response = Client().get(f"/b/{odd}")
    assert response.status_code == 404
    text = page(response)
    assert "<script>alert" not in text
    assert clinic.patient.first_name not in text


# Without a session


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/book/"),
        ("get", "/book/times/"),
        ("get", f"/book/times/{TUESDAY}/"),
        ("get", "/book/review/"),
        ("get", "/book/booked/"),
        ("post", "/book/choose/"),
        ("post", "/book/confirm/"),
    ],
)
def test_portal_pages_without_a_session_ask_the_patient_to_open_the_link_again(
    clinic: Clinic, method: str, url: str
) -> None:
    send(clinic)
    response = getattr(Client(), method)(url, {"start": TUESDAY_11.isoformat()})
    assert response.status_code == 403
    assert SESSION_ENDED in page(response)
    assert not Appointment.objects.exists()


def test_a_session_pointing_at_a_vanished_link_is_treated_as_no_session(clinic: Clinic) -> None:
    _, token = send(clinic)
    client = entered(token)
    session = client.session
    session[SESSION_LINK] = "not an id"
    session.save()
    assert client.get("/book/times/").status_code == 403


# Bad input


@pytest.mark.parametrize(
    "start",
    [
        "",
        "tomorrow at ten",
        "2026-12-08T11:00:00",  # naive: which zone?
        "2026-12-08T11:00:00+00:00" + " " * 40,  # too long
        "2026-13-45T11:00:00+00:00",
    ],
)
def test_choosing_an_unreadable_time_goes_back_to_the_times_and_holds_nothing(
    clinic: Clinic, start: str
) -> None:
    link, token = send(clinic)
    client = entered(token)
    assert choose(client, start) == "/book/times/"
    assert SESSION_START not in client.session
    assert client.get("/book/review/")["Location"] == "/book/times/"
    assert not Appointment.objects.exists()
    assert status_of(link) == LinkStatus.ACCESSED


def test_choosing_nothing_on_a_day_page_shows_that_day_with_an_error(clinic: Clinic) -> None:
    _, token = send(clinic)
    client = entered(token)
    assert choose(client, "", day=TUESDAY) == f"/book/times/{TUESDAY}/?error=choose"
    response = client.get(f"/book/times/{TUESDAY}/?error=choose")
    assert "There is a problem" in page(response)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 12, 1, 10, tzinfo=UTC),  # in the past
        datetime(2026, 12, 7, 15, tzinfo=UTC),  # inside the minimum notice
        datetime(2026, 12, 8, 11, 17, tzinfo=UTC),  # not on the rule's hourly grid
        datetime(2026, 12, 8, 3, tzinfo=UTC),  # nobody works at 3am
        datetime(2026, 12, 12, 11, tzinfo=UTC),  # a Saturday
        datetime(2027, 3, 1, 11, tzinfo=UTC),  # beyond the booking window
    ],
)
def test_choosing_a_time_not_offered_says_so_and_books_nothing(
    clinic: Clinic, start: datetime
) -> None:
    link, token = send(clinic)
    client = entered(token)
    assert choose(client, start) == "/book/times/"
    assert "just been taken" in page(client.get("/book/times/"))
    assert SESSION_START not in client.session
    assert client.post("/book/confirm/")["Location"] == "/book/times/"
    assert not Appointment.objects.exists()
    assert status_of(link) == LinkStatus.ACCESSED


@pytest.mark.parametrize("bad_day", ["not-a-day", "2026-02-30", "2026-12-8", "9999-99-99"])
def test_a_bad_day_in_the_url_goes_back_to_the_list_of_days(clinic: Clinic, bad_day: str) -> None:
    _, token = send(clinic)
    response = entered(token).get(f"/book/times/{bad_day}/")
    assert response.status_code == 302
    assert response["Location"] == "/book/times/"


@pytest.mark.parametrize("empty_day", ["2026-12-12", "2026-12-01", "2027-06-01"])
def test_a_day_without_free_times_goes_back_to_the_days_with_a_message(
    clinic: Clinic, empty_day: str
) -> None:
    _, token = send(clinic)
    client = entered(token)
    response = client.get(f"/book/times/{empty_day}/", follow=True)
    assert response.redirect_chain == [("/book/times/", 302)]
    assert "There are no free times left on that day" in page(response)


def test_confirming_without_choosing_a_time_goes_back_to_the_times(clinic: Clinic) -> None:
    link, token = send(clinic)
    client = entered(token)
    assert client.post("/book/confirm/")["Location"] == "/book/times/"
    assert not Appointment.objects.exists()
    assert status_of(link) == LinkStatus.ACCESSED


def test_a_double_submitted_confirm_books_one_appointment(clinic: Clinic) -> None:
    link, token = send(clinic)
    client = entered(token)
    choose(client, TUESDAY_11)
    first = client.post("/book/confirm/")
    second = client.post("/book/confirm/")
    assert first["Location"] == second["Location"] == "/book/booked/"
    appointment = Appointment.objects.get()
    assert appointment.booking_link == link
    assert link.events.filter(to_status=LinkStatus.BOOKED).count() == 1
    assert "Your appointment is booked" in page(client.get("/book/booked/"))


def test_confirm_from_a_second_tab_after_booking_shows_the_first_booking(clinic: Clinic) -> None:
    _, token = send(clinic)
    tab_one = entered(token)
    tab_two = entered(token)
    choose(tab_one, TUESDAY_11)
    choose(tab_two, TUESDAY_14)
    tab_one.post("/book/confirm/")
    assert tab_two.post("/book/confirm/")["Location"] == "/book/booked/"
    assert Appointment.objects.get().start == TUESDAY_11


def test_a_time_taken_between_review_and_confirm_sends_the_patient_back_with_the_link_usable(
    clinic: Clinic,
) -> None:
    link, token = send(clinic)
    client = entered(token)
    choose(client, TUESDAY_11)
    assert client.get("/book/review/").status_code == 200
    for therapist in clinic.therapists:  # staff fill the time in every diary meanwhile
        AppointmentFactory(
            service=clinic.service,
            therapist=therapist,
            start=TUESDAY_11,
            end=TUESDAY_11 + timedelta(hours=1),
        )
    response = client.post("/book/confirm/", follow=True)
    assert response.redirect_chain == [("/book/times/", 302)]
    assert "just been taken" in page(response)
    assert TUESDAY_11.isoformat() not in page(client.get(f"/book/times/{TUESDAY}/"))
    assert not Appointment.objects.filter(booking_link=link).exists()
    assert status_of(link) == LinkStatus.ACCESSED
    # Nothing is lost: the same session books another time.
    choose(client, TUESDAY_14)
    assert client.post("/book/confirm/")["Location"] == "/book/booked/"
    assert Appointment.objects.get(booking_link=link).start == TUESDAY_14


def two_patients_and_one_therapist(clinic: Clinic) -> tuple[Client, Client]:
    """Two patients on their links, with one therapist left, so one hold fills a time."""
    clinic.therapists[1].active = False
    clinic.therapists[1].save()
    other = PatientFactory(service=clinic.service)
    _, other_token = booking_link_send(patient=other, rule=clinic.rule, sent_by=clinic.admin)
    return entered(send(clinic)[1]), entered(other_token)


def test_a_time_another_patient_holds_is_not_offered_and_cannot_be_chosen(
    clinic: Clinic,
) -> None:
    first, second = two_patients_and_one_therapist(clinic)
    choose(first, TUESDAY_11)
    assert TUESDAY_11.isoformat() not in page(second.get(f"/book/times/{TUESDAY}/"))
    assert choose(second, TUESDAY_11) == "/book/times/"
    first.post("/book/confirm/")
    assert Appointment.objects.get().start == TUESDAY_11


def test_going_back_to_the_times_gives_up_the_held_time_for_others(clinic: Clinic) -> None:
    first, second = two_patients_and_one_therapist(clinic)
    choose(first, TUESDAY_11)
    assert TUESDAY_11.isoformat() not in page(second.get(f"/book/times/{TUESDAY}/"))

    first.get("/book/times/")

    assert TUESDAY_11.isoformat() in page(second.get(f"/book/times/{TUESDAY}/"))
    assert choose(second, TUESDAY_11) == "/book/review/"


def test_the_times_page_writes_nothing_for_a_patient_who_has_not_chosen(clinic: Clinic) -> None:
    _, token = send(clinic)
    client = entered(token)
    client.get("/book/times/")

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/book/times/").status_code == 200

    writes = [q["sql"] for q in captured if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_booked_page_without_a_booking_sends_the_patient_to_the_start(clinic: Clinic) -> None:
    _, token = send(clinic)
    assert entered(token).get("/book/booked/")["Location"] == "/book/"


def test_a_cancelled_online_appointment_does_not_let_the_link_book_again(clinic: Clinic) -> None:
    link, token = send(clinic)
    client = entered(token)
    choose(client, TUESDAY_11)
    client.post("/book/confirm/")
    Appointment.objects.update(status=AppointmentStatus.CANCELLED)  # cancelled by staff form
    again = entered(token)
    assert again.get("/book/times/")["Location"] == "/book/booked/"
    assert again.post("/book/confirm/")["Location"] == "/book/booked/"
    assert Appointment.objects.count() == 1
    assert status_of(link) == LinkStatus.BOOKED
