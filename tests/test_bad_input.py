"""Every date, time and number the app reads from a person, a URL, a file or a command line is
read strictly (the digits 0 to 9 only) and within stated bounds: out of range or unreadable,
it gets a plain page or a message saying what is allowed, never a 500.

Python's own parsers are wider than they look: date.fromisoformat takes 0001-01-01 and
9999-12-31 (one day more no longer exists), int() takes "١٢" and "1_0", and "²".isdigit() is
True although int("²") raises."""

import html
from datetime import UTC, date, datetime, timedelta, timezone
from io import StringIO
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink, SlotHold
from slotlink.clinic.models import Appointment
from slotlink.messaging.models import MessageKind
from slotlink.messaging.services import message_queue
from tests.conftest import Clinic, logged_in
from tests.portal.test_manage import book, verified

pytestmark = pytest.mark.usefixtures("frozen_now")

# Today is Monday 7 December 2026 (tests/conftest.py): appointments may fall from a year back
# to two years ahead.
EARLIEST, LATEST = "6 December 2025", "8 December 2028"
OUT_OF_RANGE_DAYS = ["9999-12-31", "0001-01-01", "2024-12-07", "2029-01-01"]
OUT_OF_RANGE_TIMES = [
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+14:00",
]
# Digits int() refuses ("²" passes isdigit) or accepts although nobody types them here.
ODD_DIGITS = ["²", "١٢", "1_0", "٣٠", "𝟓𝟎"]
TUESDAY_11 = "2026-12-08T11:00:00+00:00"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def patient(clinic: Clinic) -> Client:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = Client()
    client.get(f"/b/{token}")
    return client


# Patient pages


@pytest.mark.parametrize("day", OUT_OF_RANGE_DAYS)
def test_a_day_out_of_range_on_the_patients_times_page_goes_back_to_the_days_saying_so(
    clinic: Clinic, day: str
) -> None:
    response = patient(clinic).get(f"/book/times/{day}/", follow=True)
    assert response.redirect_chain == [("/book/times/", 302)]
    assert "There are no free times left on that day" in text(response)


@pytest.mark.parametrize("start", [*OUT_OF_RANGE_TIMES, *(f"{TUESDAY_11}@{d}" for d in ODD_DIGITS)])
def test_a_time_out_of_range_or_an_odd_therapist_number_is_not_a_choice(
    clinic: Clinic, start: str
) -> None:
    client = patient(clinic)
    response = client.post("/book/choose/", {"start": start, "day": "9999-12-31"}, follow=True)
    assert response.redirect_chain[-1] == ("/book/times/", 302)
    assert response.status_code == 200
    assert not SlotHold.objects.exists()


def test_days_and_times_out_of_range_when_moving_an_appointment_get_a_plain_page(
    clinic: Clinic,
) -> None:
    client = verified(book(clinic))
    for day in OUT_OF_RANGE_DAYS:
        assert client.get(f"/manage/change/{day}/")["Location"] == "/manage/change/"
    for start in [*OUT_OF_RANGE_TIMES, f"{TUESDAY_11}@²"]:
        response = client.post("/manage/change/choose/", {"start": start})
        assert response["Location"] == "/manage/change/"
    assert not SlotHold.objects.exists()


# Staff pages


THIS_WEEK, TODAY = "07 Dec – 13 Dec 2026", "Monday 7 December 2026"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("/diary/?date=9999-12-31", THIS_WEEK),
        ("/diary/?week=0001-01-01", THIS_WEEK),
        ("/diary/?view=day&date=9999-12-31", TODAY),
        ("/dashboard/?week=9999-12-31", THIS_WEEK),
        ("/dashboard/?week=0001-01-01", THIS_WEEK),
    ],
)
def test_the_diary_and_dashboard_show_today_for_a_date_out_of_range_and_say_why(
    clinic: Clinic, url: str, shown: str
) -> None:
    response = logged_in(clinic.admin).get(url)
    assert response.status_code == 200
    page = text(response)
    assert f"Choose a date from {EARLIEST} to {LATEST}. Showing today instead." in page
    assert shown in page


def new_appointment(clinic: Clinic, **changes: Any) -> dict[str, Any]:
    return {
        "patient": clinic.patient.pk,
        "therapist": clinic.therapists[0].pk,
        "appointment_type": clinic.rule.appointment_type_id,
        "medium": "telephone",
        "location": "",
        "date": "2026-12-08",
        "start_time": "11:00",
        "duration_minutes": "50",
        **changes,
    }


@pytest.mark.parametrize(
    ("day", "message"),
    [
        *((day, f"Enter a date from {EARLIEST} to {LATEST}.") for day in OUT_OF_RANGE_DAYS),
        ("٢٠٢٦-١٢-٠٨", "Use the digits 0 to 9."),
    ],
)
def test_an_appointment_outside_the_range_is_refused_with_the_range_named(
    clinic: Clinic, day: str, message: str
) -> None:
    response = logged_in(clinic.admin).post("/appointments/new/", new_appointment(clinic, date=day))
    assert response.status_code == 400
    assert message in text(response)
    assert not Appointment.objects.exists()


def test_moving_an_appointment_outside_the_range_is_refused_but_a_date_already_saved_stays(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    assert client.post("/appointments/new/", new_appointment(clinic)).status_code == 302
    appointment = Appointment.objects.get()
    form = {**new_appointment(clinic), "status": appointment.status}
    del form["patient"]

    refused = client.post(f"/appointments/{appointment.pk}/", {**form, "date": "9999-12-31"})
    assert f"Enter a date from {EARLIEST} to {LATEST}" in text(refused)
    # An appointment made long ago (before the range moved on) can still be edited.
    Appointment.objects.filter(pk=appointment.pk).update(
        start=datetime(2020, 1, 6, 11, tzinfo=UTC), end=datetime(2020, 1, 6, 12, tzinfo=UTC)
    )
    kept = client.post(f"/appointments/{appointment.pk}/", {**form, "date": "2020-01-06"})
    assert kept.status_code == 302
    assert Appointment.objects.get().start == datetime(2020, 1, 6, 11, tzinfo=UTC)


@pytest.mark.parametrize("number", [*ODD_DIGITS, "99999999999999999999999", "-5", "1e3"])
def test_numbers_in_staff_forms_take_the_digits_0_to_9_within_a_range_they_name(
    clinic: Clinic, number: str
) -> None:
    admin = logged_in(clinic.admin)
    duration = admin.post("/appointments/new/", new_appointment(clinic, duration_minutes=number))
    assert duration.status_code == 400
    assert "Enter a whole number from 5 to 480." in text(duration)
    chosen = admin.post("/appointments/new/", new_appointment(clinic, patient=number))
    assert chosen.status_code == 400
    assert "Choose a patient from the list." in text(chosen)
    reminders = logged_in(clinic.superuser).post(
        "/settings/",
        {"name": "Talking Therapies", "phone": "0113 496 0123", "reminder_hours": number},
    )
    assert reminders.status_code == 400
    assert "Enter whole numbers of hours" in text(reminders) or "between 1 and" in text(reminders)
    rule = logged_in(clinic.superuser).post(
        "/settings/rules/new/", {"title": "New", "horizon_days": number, "therapists": [number]}
    )
    assert rule.status_code == 400
    assert "Enter a whole number from 1 to 365." in text(rule)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("number", ODD_DIGITS)
def test_an_odd_number_picks_no_record(clinic: Clinic, number: str) -> None:
    admin = logged_in(clinic.admin)
    diary = admin.get(f"/diary/?therapist={number}&team={number}")
    assert diary.status_code == 200
    sent = admin.post(f"/patients/{clinic.patient.pk}/booking-links/", {"rule": number})
    assert sent.status_code == 302
    assert not BookingLink.objects.exists()
    invited = admin.post("/bulk-invitations/selection/", {"patient": number})
    assert invited["Location"] == "/patients/"


@pytest.mark.parametrize("query", ["\x00", "Robin\x00", "٠١/٠١/٢٠٠٠", "²" * 10])
def test_a_patient_search_for_anything_answers_with_a_page(clinic: Clinic, query: str) -> None:
    response = logged_in(clinic.admin).get("/patients/", {"q": query})
    assert response.status_code == 200
    assert "No patients match" in text(response) or "Robin" in text(response)


def test_the_services_phone_number_is_written_in_the_digits_patients_read(
    clinic: Clinic,
) -> None:
    response = logged_in(clinic.superuser).post(
        "/settings/", {"name": "Therapies", "phone": "٠١١٣ ٤٩٦ ٠١٢٣"}
    )
    assert response.status_code == 400
    assert "Enter a UK phone number" in text(response)


def test_a_notify_receipt_with_an_odd_reference_is_answered_and_changes_nothing(
    clinic: Clinic, settings: Any
) -> None:
    settings.NOTIFY_CALLBACK_TOKEN = "t" * 40
    message = message_queue(
        service=clinic.service, to=clinic.patient.mobile, body="Hi", kind=MessageKind.AD_HOC
    )
    events = message.events.count()
    for reference in ["²", "99999999999999999999999", f"{message.pk}_0"]:
        response = Client().post(
            "/callbacks/notify/",
            {"reference": reference, "status": "delivered"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {'t' * 40}"},
        )
        assert response.status_code == 204
    assert message.events.count() == events


# Command lines


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["seed_demo", "--therapists", "5", "--weeks", "100000"], "--weeks"),
        (["seed_demo", "--therapists", "5", "--patients", "²"], "--patients"),
        (["send_booking_link", "--patient", "١", "--rule", "x"], "--patient"),
        (["send_booking_link", "--patient", "99999999999999999999999", "--rule", "x"], "--patient"),
    ],
)
def test_command_line_numbers_out_of_range_are_refused_saying_the_range(
    arguments: list[str], complaint: str, db: None
) -> None:
    with pytest.raises(CommandError, match=f"{complaint}.*from .* to "):
        call_command(*arguments, stdout=StringIO())


# Anything at all, at every parsing point: never a 500.

UTC_EXTREMES = [timezone(timedelta(hours=14)), timezone(timedelta(hours=-14)), UTC]
ANYTHING = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.sampled_from(UTC_EXTREMES)).map(datetime.isoformat),
    st.sampled_from([*OUT_OF_RANGE_DAYS, *OUT_OF_RANGE_TIMES, *ODD_DIGITS, str(2**63), "\x00"]),
)


class Visitors:
    """A patient on a booking link, one moving an appointment, an admin and a superuser."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.patient = patient(clinic)
        self.mover = verified(book(clinic, index=8))
        self.admin = logged_in(clinic.admin)
        self.superuser = logged_in(clinic.superuser)


def path(value: str) -> str:
    return quote(value, safe="")


def csv_file(content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("list.csv", content.encode(), content_type="text/csv")


TARGETS = {
    "times page day": lambda v, x: v.patient.get(f"/book/times/{path(x)}/"),
    "choose time": lambda v, x: v.patient.post("/book/choose/", {"start": x, "day": x}),
    "move: day": lambda v, x: v.mover.get(f"/manage/change/{path(x)}/"),
    "move: choose": lambda v, x: v.mover.post("/manage/change/choose/", {"start": x, "day": x}),
    "date of birth": lambda v, x: v.mover.post("/manage/verify/", {"day": x, "year": x}),
    "diary": lambda v, x: v.admin.get(
        "/diary/", {"date": x, "week": x, "therapist": x, "team": x, "view": "day"}
    ),
    "dashboard": lambda v, x: v.admin.get("/dashboard/", {"week": x}),
    "patient search": lambda v, x: v.admin.get("/patients/", {"q": x}),
    "new appointment page": lambda v, x: v.admin.get(
        "/appointments/new/", {"date": x, "time": x, "therapist": x, "q": x}
    ),
    "new appointment": lambda v, x: v.admin.post(
        "/appointments/new/",
        new_appointment(v.clinic, date=x, start_time=x, duration_minutes=x, patient=x),
    ),
    "send a link": lambda v, x: v.admin.post(
        f"/patients/{v.clinic.patient.pk}/booking-links/", {"rule": x}
    ),
    "bulk selection": lambda v, x: v.admin.post(
        "/bulk-invitations/selection/", {"patient": [x, x], "rule": x}
    ),
    "bulk upload": lambda v, x: v.admin.post(
        "/bulk-invitations/upload/",
        {"rule": v.clinic.rule.pk, "file": csv_file(f"NHS number\n{x}\n{x},{x}\n")},
    ),
    "record ids": lambda v, x: v.admin.get(f"/appointments/{path(x)}/"),
    "audit page": lambda v, x: v.admin.get(f"/patients/{v.clinic.patient.pk}/audit/", {"page": x}),
    "settings": lambda v, x: v.superuser.post(
        "/settings/",
        {"name": "S", "phone": "0113 496 0123", "reminder_hours": x, "quiet_from": x},
    ),
    "rule form": lambda v, x: v.superuser.post(
        "/settings/rules/new/",
        {
            "title": "R",
            "duration_minutes": x,
            "horizon_days": x,
            "max_reschedules": x,
            "appointment_type": x,
            "therapists": [x],
        },
    ),
    "rule preview": lambda v, x: v.superuser.post(
        "/settings/rules/preview/", {"duration_minutes": x, "appointment_type": x}
    ),
}


@pytest.mark.parametrize("target", TARGETS)
def test_whatever_a_parsing_point_is_sent_it_never_answers_500(clinic: Clinic, target: str) -> None:
    visitors = Visitors(clinic)

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(ANYTHING)
    def sent(value: str) -> None:
        response = TARGETS[target](visitors, value)
        assert response.status_code < 500, (target, value, response.status_code)

    sent()
