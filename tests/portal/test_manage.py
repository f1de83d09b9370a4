"""Manage your appointment: verification, details, calendar, moving and cancelling."""

import re
import threading
from collections import Counter
from datetime import date, datetime, timedelta

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.manage.services import LINK_MAX_FAILURES
from slotlink.booking.models import BookingLinkEvent, ManageLink
from slotlink.clinic.models import TIME_HOLDING, Appointment, AppointmentStatus, InternalMessage
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.records.services.appointments import appointment_delete, appointment_save
from tests.concurrency import concurrently
from tests.conftest import make_clinic
from tests.factories import PatientFactory

BORN = date(1990, 4, 12)  # the factory patient's date of birth


def book(clinic, index=5):
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    start = rule_available_times(clinic.rule, timezone.now())[index]
    return booking_link_book(link=link, start=start)


def manage_token(appointment):
    text = OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.CONFIRMATION
    ).latest("pk")
    return re.search(r"/m/([A-Za-z0-9_\-]+)", message_body(text)).group(1)


def open_manage(token):
    client = Client()
    assert client.get(f"/m/{token}")["Location"] == "/manage/verify/"
    return client


def born_form(day=BORN):
    return {"day": day.day, "month": day.month, "year": day.year}


def verified(appointment):
    client = open_manage(manage_token(appointment))
    assert client.post("/manage/verify/", born_form())["Location"] == "/manage/"
    return client


@pytest.fixture
def booked(clinic, frozen_now):
    return book(clinic)


def test_the_confirmation_text_carries_a_manage_link_and_the_time(booked, clinic):
    text = message_body(OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION))
    assert "/m/" in text
    assert clinic.patient.first_name in text
    assert clinic.service.name not in text  # nothing says what kind of service it is


def test_the_right_date_of_birth_shows_the_appointment(booked, clinic):
    page = verified(booked).get("/manage/").content.decode()

    assert "Your appointment" in page
    assert booked.therapist.name in page
    assert "Change appointment" in page
    assert "Add to your calendar" in page


def test_add_to_calendar_gives_an_ics_event_for_the_appointment(booked):
    response = verified(booked).get("/manage/appointment.ics")

    assert response["Content-Type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == booked.start
    assert event.decoded("dtend") == booked.end


def test_a_wrong_date_of_birth_is_refused_and_counted(booked):
    client = open_manage(manage_token(booked))

    response = client.post("/manage/verify/", born_form(date(1991, 4, 12)))

    assert response.status_code == 400
    assert "does not match our records" in response.content.decode()
    assert ManageLink.objects.get().failed_attempts == 1
    assert client.get("/manage/")["Location"] == "/manage/verify/"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"day": "", "month": "", "year": ""}, "Enter your date of birth"),
        ({"day": "31", "month": "2", "year": "1990"}, "must be a real date"),
        ({"day": "x", "month": "4", "year": "1990"}, "must be a real date"),
        ({"day": "12", "month": "", "year": "1990"}, "must include a day, month and year"),
        ({"day": "1", "month": "1", "year": "2099"}, "must be in the past"),
    ],
)
def test_a_malformed_date_of_birth_says_how_to_fix_it(booked, form, message):
    client = open_manage(manage_token(booked))

    response = client.post("/manage/verify/", form)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ManageLink.objects.get().failed_attempts == 0


def test_an_unknown_manage_link_looks_exactly_like_a_wrong_date(booked):
    known = open_manage(manage_token(booked)).post("/manage/verify/", born_form(date(1991, 1, 1)))
    unknown = open_manage("a" * 43).post("/manage/verify/", born_form(date(1991, 1, 1)))

    assert unknown.status_code == known.status_code == 400
    strip = lambda page: re.sub(r'value="[^"]*"', "", page.content.decode())  # noqa: E731
    assert strip(unknown) == strip(known)


def test_five_wrong_dates_lock_the_link_even_against_the_right_one(booked, frozen_now):
    token = manage_token(booked)
    client = open_manage(token)
    for _ in range(LINK_MAX_FAILURES):
        client.post("/manage/verify/", born_form(date(1980, 1, 1)))

    response = open_manage(token).post("/manage/verify/", born_form())
    assert response.status_code == 429
    assert "too many attempts" in response.content.decode()

    frozen_now.shift(timedelta(minutes=16))
    assert open_manage(token).post("/manage/verify/", born_form())["Location"] == "/manage/"


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_wrong_guesses_get_no_more_than_five_judged():
    clinic = make_clinic()
    appointment = book(clinic)
    token = manage_token(appointment)
    clients = [open_manage(token) for _ in range(50)]
    barrier = threading.Barrier(50)

    def guess(client):
        barrier.wait(timeout=60)
        client.post("/manage/verify/", born_form(date(1980, 1, 1)))

    with concurrently(timeout=60) as threads:
        for client in clients:
            threads.start(guess, client)

    manage = ManageLink.objects.get()
    # Each claimed its turn before being judged: five were, the rest were refused unjudged.
    assert manage.failed_attempts == LINK_MAX_FAILURES
    assert manage.locked_until is not None


def test_with_the_code_setting_a_code_is_texted_and_needed(booked, clinic):
    clinic.service.manage_requires_sms_code = True
    clinic.service.save()
    client = open_manage(manage_token(booked))

    assert client.post("/manage/verify/", born_form())["Location"] == "/manage/code/"
    sent = OutboundMessage.objects.get(kind=MessageKind.VERIFICATION)
    assert sent.urgent
    code = re.search(r"\b(\d{6})\b", message_body(sent)).group(1)
    assert client.get("/manage/")["Location"] == "/manage/verify/"

    assert (
        client.post(
            "/manage/code/", {"code": "000000" if code != "000000" else "111111"}
        ).status_code
        == 400
    )
    assert client.post("/manage/code/", {"code": code})["Location"] == "/manage/"
    # Single use: the same code does not work twice.
    again = open_manage(manage_token(booked))
    again.post("/manage/verify/", born_form())
    assert again.post("/manage/code/", {"code": code}).status_code == 400


def test_a_code_expires_after_ten_minutes(booked, clinic, frozen_now):
    clinic.service.manage_requires_sms_code = True
    clinic.service.save()
    client = open_manage(manage_token(booked))
    client.post("/manage/verify/", born_form())
    code = re.search(
        r"\b(\d{6})\b", message_body(OutboundMessage.objects.get(kind=MessageKind.VERIFICATION))
    ).group(1)

    frozen_now.shift(timedelta(minutes=11))

    assert client.post("/manage/code/", {"code": code}).status_code == 400


def test_no_more_than_three_codes_an_hour_are_texted(booked, clinic):
    clinic.service.manage_requires_sms_code = True
    clinic.service.save()
    client = open_manage(manage_token(booked))
    client.post("/manage/verify/", born_form())
    for _ in range(5):
        response = client.post("/manage/code/", {"resend": "1"})
        assert response["Location"] == "/manage/code/"  # the same answer every time

    assert OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).count() == 3


def move(client, index=0):
    """Choose the `index`-th time of the first day offering that many (0: the first available).

    Which days are offered depends on the clock, and the day after a late test run may hold
    only a time or two, so days are tried in turn."""
    page = client.get("/manage/change/").content.decode()
    if index:
        for day in re.findall(r'href="(/manage/change/\d{4}-\d\d-\d\d/)"', page):
            page = client.get(day).content.decode()
            if len(re.findall(r'name="start" value="([^"]+)"', page)) > index:
                break
    start = re.findall(r'name="start" value="([^"]+)"', page)[index]
    assert client.post("/manage/change/choose/", {"start": start})["Location"] == (
        "/manage/change/review/"
    )
    return start


def test_moving_an_appointment_frees_the_old_slot_and_books_the_new_one(booked, clinic):
    client = verified(booked)
    start = move(client)
    assert "Instead of" in client.get("/manage/change/review/").content.decode()

    response = client.post("/manage/change/confirm/")

    assert response["Location"] == "/manage/"
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancellation_reason == "Rescheduled by patient"
    moved = Appointment.objects.get(rescheduled_from=booked)
    assert moved.start == datetime.fromisoformat(start)
    assert moved.status == AppointmentStatus.BOOKED
    link = moved.booking_link
    assert link.status == "rescheduled"
    assert BookingLinkEvent.objects.filter(
        link=link, to_status="rescheduled", appointment=moved
    ).exists()
    changed = OutboundMessage.objects.filter(kind=MessageKind.CONFIRMATION).latest("pk")
    assert "has been changed" in message_body(changed)
    # The same manage link works for the new appointment.
    assert manage_token(moved) == manage_token(booked)
    assert "has been changed" in client.get("/manage/").content.decode()


def test_the_patients_own_slot_is_not_offered_as_a_new_time(booked, clinic):
    client = verified(booked)
    page = client.get("/manage/change/").content.decode()
    day = booked.start.date().isoformat()
    day_page = client.get(f"/manage/change/{day}/").content.decode()
    assert booked.start.isoformat() not in page + day_page


def test_moving_keeps_the_same_therapist_when_they_are_free(booked, clinic):
    client = verified(booked)
    move(client, index=3)
    client.post("/manage/change/confirm/")
    assert Appointment.objects.get(rescheduled_from=booked).therapist == booked.therapist


def test_a_move_to_another_therapist_warns_first_and_tells_them(booked, clinic):
    other = next(t for t in clinic.therapists if t != booked.therapist)
    other.user = clinic.therapist_user
    other.save()
    # Make the patient's own therapist busy everywhere else that day.
    clinic.rule.therapists.set([other])
    client = verified(booked)
    move(client)

    review = client.get("/manage/change/review/").content.decode()
    assert "different therapist" in review
    client.post("/manage/change/confirm/")

    message = InternalMessage.objects.get(recipient=clinic.therapist_user)
    assert clinic.patient.full_name in message.subject


def test_moving_is_refused_inside_the_cut_off(clinic, frozen_now):
    clinic.rule.min_notice_hours = 1
    clinic.rule.save()
    appointment = book(clinic, index=0)  # within 24 hours
    client = verified(appointment)

    assert "Change appointment" not in client.get("/manage/").content.decode()
    page = client.get("/manage/change/").content.decode()
    assert "up to 24 hours before" in page
    assert clinic.service.phone in page


def test_moving_is_refused_after_the_cap(booked, clinic):
    clinic.rule.max_reschedules = 1
    clinic.rule.save()
    client = verified(booked)
    move(client)
    client.post("/manage/change/confirm/")

    page = client.get("/manage/change/").content.decode()
    assert "already been changed as many times" in page


def test_a_rule_without_rescheduling_says_to_call(booked, clinic):
    clinic.rule.allow_reschedule = False
    clinic.rule.save()
    page = verified(booked).get("/manage/").content.decode()
    assert "cannot be changed online" in page
    assert "Change appointment" not in page


def test_cancelling_online_needs_the_rule_and_a_reason(booked, clinic):
    client = verified(booked)
    assert "Cancel this appointment" not in client.get("/manage/").content.decode()
    assert client.get("/manage/cancel/").status_code == 200  # a plain refusal page
    assert Appointment.objects.get(pk=booked.pk).status == AppointmentStatus.BOOKED

    clinic.rule.allow_patient_cancel = True
    clinic.rule.save()
    assert client.post("/manage/cancel/", {"reason": ""}).status_code == 400
    response = client.post("/manage/cancel/", {"reason": "Feeling better"})

    assert "cancelled" in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancellation_reason == "Cancelled by patient: Feeling better"
    assert booked.booking_link.events.filter(reason="Cancelled by patient").exists()
    assert "no longer booked" in client.get("/manage/").content.decode()


def test_a_manage_link_after_staff_moved_the_appointment_shows_the_new_time(booked, clinic):
    booked.start += timedelta(days=1)
    booked.end += timedelta(days=1)
    appointment_save(appointment=booked, user=clinic.admin)

    page = verified(booked).get("/manage/").content.decode()

    local = booked.start.astimezone(clinic.service.zone)
    assert f"{local:%A} {local.day} {local:%B}" in page


def test_a_deleted_appointment_has_nothing_to_change(booked, clinic):
    appointment_delete(appointment=booked, user=clinic.admin)
    page = verified(booked).get("/manage/").content.decode()
    assert "no longer booked" in page
    assert "Change appointment" not in page


def test_a_past_appointment_has_nothing_to_change(booked, frozen_now):
    frozen_now.move_to(booked.end + timedelta(hours=1))
    page = verified(booked).get("/manage/").content.decode()
    assert "already happened" in page


def test_manage_pages_need_verification(booked):
    client = open_manage(manage_token(booked))
    for url in ("/manage/", "/manage/change/", "/manage/appointment.ics", "/manage/cancel/"):
        assert client.get(url)["Location"] == "/manage/verify/"
    assert client.post("/manage/change/confirm/")["Location"] == "/manage/verify/"
    assert Client().get("/manage/").status_code == 403


def test_verification_lapses_after_fifteen_minutes(booked, frozen_now):
    client = verified(booked)
    frozen_now.shift(timedelta(minutes=16))
    response = client.get("/manage/")
    assert response.status_code == 403
    assert "Open the link in your text message again" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_reschedule_and_another_patients_booking_of_the_same_slot_one_wins_cleanly():
    clinic = make_clinic()
    clinic.rule.therapists.set(clinic.therapists[:1])
    appointment = book(clinic, index=5)
    target = rule_available_times(clinic.rule, timezone.now())[0]
    mover = verified(appointment)
    session = mover.session
    session["manage_start"] = target.isoformat()
    session.save()
    other = PatientFactory(service=clinic.service)
    _, token = booking_link_send(patient=other, rule=clinic.rule, sent_by=clinic.admin)
    booker = Client()
    booker.get(f"/b/{token}")
    session = booker.session
    session["booking_start"] = target.isoformat()
    session.save()
    barrier = threading.Barrier(2)
    results = {}

    def run(name, client, url):
        barrier.wait(timeout=60)
        results[name] = client.post(url)["Location"]

    with concurrently(timeout=60) as threads:
        threads.start(run, "mover", mover, "/manage/change/confirm/")
        threads.start(run, "booker", booker, "/book/confirm/")

    outcomes = Counter(results.values())
    assert outcomes in (
        Counter({"/manage/": 1, "/book/times/": 1}),
        Counter({"/book/booked/": 1, "/manage/change/": 1}),
    ), results
    in_slot = Appointment.objects.filter(start=target, status__in=TIME_HOLDING)
    assert in_slot.count() == 1
    # The mover still has exactly one live appointment, whichever way it went.
    assert (
        Appointment.objects.filter(
            booking_link=appointment.booking_link, status__in=TIME_HOLDING
        ).count()
        == 1
    )


def test_strangers_cannot_use_another_patients_manage_session(booked):
    # A session bound to nothing (an unknown link) can never reach a page.
    client = open_manage("b" * 43)
    assert client.get("/manage/")["Location"] == "/manage/verify/"
    assert client.post("/manage/verify/", born_form()).status_code == 400


def test_the_rules_information_screen_is_shown_sanitised(booked, clinic):
    clinic.rule.information_content = (
        "Bring your **glasses**. <script>alert(1)</script> [Map](https://www.example.com/map)"
    )
    clinic.rule.save()

    page = verified(booked).get("/manage/").content.decode()

    assert "<strong>glasses</strong>" in page
    assert 'href="https://www.example.com/map"' in page
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize(
    "url", ["/manage/", "/manage/appointment.ics", "/manage/change/", "/manage/cancel/"]
)
def test_each_manage_page_works_out_the_links_appointment_once(booked, url):
    client = verified(booked)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    table = Appointment._meta.db_table
    # Through the ORM, or written out (booking/links/reads.py), which names the table "a".
    by_link = re.compile(rf'FROM "{table}".*("{table}"|\ba)\."booking_link_id" (=|IN)')
    lookups = [query["sql"] for query in captured if by_link.search(query["sql"])]
    assert len(lookups) == 1, lookups
