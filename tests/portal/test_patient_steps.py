"""What a patient may do through a link, checked at every step: the service's switch, the
patient's state and the link's state (one rule, in the pages and in the services that write),
the rule's offer of a choice of therapist, its cut-off for cancelling, and a move that is
confirmed twice."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from slotlink.booking.appointments.services import (
    appointment_cancel_by_patient,
    appointment_reschedule,
    booking_link_book,
    slot_hold_acquire,
)
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import SlotTaken, StepRefused, booking_link_send
from slotlink.booking.models import BookingLink, BookingLinkEvent, SlotHold
from slotlink.clinic.models import TIME_HOLDING, Appointment, AppointmentStatus, InternalMessage
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.records.services.patients import RecordChange, patient_record_update
from tests.conftest import Clinic
from tests.portal.test_manage import book, move, verified

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = "2026-12-08"
TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
SWITCHED_OFF = "not available online at the moment"
DISCHARGED = "can no longer be booked or changed online"


def page(response: Any) -> str:
    return response.content.decode()


def refused(response: Any, clinic: Clinic, reason: str) -> bool:
    """The plain page: why, and whom to call."""
    return (
        response.status_code == 200
        and reason in page(response)
        and clinic.service.phone in page(response)
    )


def fresh(link: BookingLink) -> BookingLink:
    """As a page loads it (a refused booking leaves the caller's copy claimed)."""
    return BookingLink.objects.get(pk=link.pk)


def switch_off(clinic: Clinic) -> None:
    clinic.service.online_booking_enabled = False
    clinic.service.save()


def discharge(clinic: Clinic) -> None:
    patient = clinic.patient
    patient_record_update(
        patient=patient,
        change=RecordChange(
            mobile=patient.mobile, email=patient.email, discharged=True, do_not_sms=False
        ),
        user=clinic.admin,
    )


def entered_with_a_time_held(clinic: Clinic) -> tuple[BookingLink, Client]:
    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = Client()
    client.get(f"/b/{token}")
    assert client.post("/book/choose/", {"start": TUESDAY_11.isoformat()})["Location"] == (
        "/book/review/"
    )
    return link, client


BOOKING_STEPS = [
    ("get", "/book/"),
    ("get", "/book/times/"),
    ("get", f"/book/times/{TUESDAY}/"),
    ("post", "/book/choose/"),
    ("get", "/book/review/"),
    ("post", "/book/confirm/"),
]


# The service's switch


@pytest.mark.parametrize(("method", "url"), BOOKING_STEPS)
def test_no_booking_step_works_once_the_service_switches_online_booking_off(
    clinic: Clinic, method: str, url: str
) -> None:
    _, client = entered_with_a_time_held(clinic)
    switch_off(clinic)

    response = getattr(client, method)(url, {"start": TUESDAY_11.isoformat()})

    assert refused(response, clinic, SWITCHED_OFF), (response.status_code, page(response)[:300])
    assert not Appointment.objects.exists()


def test_booking_refuses_when_switched_off_whoever_calls_it(clinic: Clinic) -> None:
    link, _ = entered_with_a_time_held(clinic)
    switch_off(clinic)

    with pytest.raises(StepRefused, match=SWITCHED_OFF):
        booking_link_book(link=link, start=TUESDAY_11)
    with pytest.raises(StepRefused, match=SWITCHED_OFF):
        slot_hold_acquire(link=link, start=TUESDAY_11)
    assert not Appointment.objects.exists()


MANAGE_STEPS = [
    ("get", "/manage/"),
    ("get", "/manage/appointment.ics"),
    ("get", "/manage/change/"),
    ("get", f"/manage/change/{TUESDAY}/"),
    ("post", "/manage/change/choose/"),
    ("get", "/manage/change/review/"),
    ("post", "/manage/change/confirm/"),
    ("get", "/manage/cancel/"),
    ("post", "/manage/cancel/"),
]


@pytest.fixture
def booked(clinic: Clinic) -> Appointment:
    clinic.rule.allow_patient_cancel = True
    clinic.rule.save()
    return book(clinic)


@pytest.fixture
def mid_move(booked: Appointment) -> Client:
    """A verified patient who has chosen a new time and not yet confirmed it."""
    client = verified(booked)
    move(client, index=2)
    return client


@pytest.mark.parametrize(("method", "url"), MANAGE_STEPS)
def test_no_manage_step_works_once_the_service_switches_online_booking_off(
    booked: Appointment, mid_move: Client, clinic: Clinic, method: str, url: str
) -> None:
    switch_off(clinic)

    response = getattr(mid_move, method)(url, {"start": TUESDAY_11.isoformat(), "reason": "Ill"})

    assert refused(response, clinic, SWITCHED_OFF), (response.status_code, page(response)[:300])
    assert Appointment.objects.get(pk=booked.pk).status == AppointmentStatus.BOOKED
    assert Appointment.objects.count() == 1


# The patient's state


@pytest.mark.parametrize(("method", "url"), MANAGE_STEPS[2:])
def test_a_discharged_patient_can_neither_move_nor_cancel_online(
    booked: Appointment, mid_move: Client, clinic: Clinic, method: str, url: str
) -> None:
    discharge(clinic)

    response = getattr(mid_move, method)(url, {"start": TUESDAY_11.isoformat(), "reason": "Ill"})

    assert refused(response, clinic, DISCHARGED), (response.status_code, page(response)[:300])
    assert Appointment.objects.get(pk=booked.pk).status == AppointmentStatus.BOOKED
    assert Appointment.objects.count() == 1


def test_a_discharged_patient_still_sees_their_appointment_and_whom_to_call(
    booked: Appointment, clinic: Clinic
) -> None:
    client = verified(booked)
    discharge(clinic)

    home = page(client.get("/manage/"))

    assert "Your appointment" in home and booked.therapist.name in home
    assert DISCHARGED in home and clinic.service.phone in home
    assert "Change appointment" not in home and "Cancel this appointment" not in home
    assert client.get("/manage/appointment.ics")["Content-Type"].startswith("text/calendar")


def test_moving_and_cancelling_refuse_a_discharged_patient_whoever_calls_them(
    booked: Appointment, clinic: Clinic
) -> None:
    discharge(clinic)
    link = booked.booking_link
    start = rule_available_times(clinic.rule, datetime.now(UTC))[2]

    with pytest.raises(StepRefused, match=DISCHARGED):
        appointment_reschedule(link=link, start=start)
    with pytest.raises(StepRefused, match=DISCHARGED):
        appointment_cancel_by_patient(link=link, reason="Ill")
    with pytest.raises(StepRefused, match=DISCHARGED):
        slot_hold_acquire(link=link, start=start)
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_booking_refuses_a_discharged_patient_even_with_a_link_left_live(clinic: Clinic) -> None:
    link, client = entered_with_a_time_held(clinic)
    # Discharged without the usual expiry of their links (another writer, an import…).
    clinic.patient.discharged_at = datetime.now(UTC)
    clinic.patient.save()

    assert refused(client.get("/book/"), clinic, DISCHARGED)
    assert refused(client.post("/book/confirm/"), clinic, DISCHARGED)
    with pytest.raises(StepRefused, match=DISCHARGED):
        booking_link_book(link=link, start=TUESDAY_11)
    assert not Appointment.objects.exists()


# A choice of therapist only where the rule offers one


def test_a_forged_therapist_is_refused_on_a_rule_offering_no_choice(clinic: Clinic) -> None:
    _, other = clinic.therapists  # neither has bookings: the fairest pick is the other one
    assert not clinic.rule.show_therapists
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = Client()
    client.get(f"/b/{token}")

    forged = f"{TUESDAY_11.isoformat()}@{other.pk}"
    assert client.post("/book/choose/", {"start": forged})["Location"] == "/book/times/"

    assert not SlotHold.objects.exists()
    assert client.post("/book/confirm/")["Location"] == "/book/times/"
    assert not Appointment.objects.exists()


def test_the_services_refuse_a_therapist_the_rule_does_not_let_patients_choose(
    clinic: Clinic,
) -> None:
    fairest, other = clinic.therapists
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)

    for therapist in (other, fairest):
        with pytest.raises(SlotTaken):
            slot_hold_acquire(link=fresh(link), start=TUESDAY_11, therapist_id=therapist.pk)
        with pytest.raises(SlotTaken):
            booking_link_book(link=fresh(link), start=TUESDAY_11, therapist_id=therapist.pk)
    assert not Appointment.objects.exists()
    assert booking_link_book(link=fresh(link), start=TUESDAY_11).therapist == fairest


def test_where_the_rule_offers_a_choice_the_patients_choice_stands(clinic: Clinic) -> None:
    _, other = clinic.therapists
    clinic.rule.show_therapists = True
    clinic.rule.save()
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)

    assert booking_link_book(link=link, start=TUESDAY_11, therapist_id=other.pk).therapist == other


def test_a_forged_therapist_is_refused_when_moving_too(booked: Appointment, clinic: Clinic) -> None:
    other = next(t for t in clinic.therapists if t != booked.therapist)
    client = verified(booked)
    start = rule_available_times(clinic.rule, datetime.now(UTC))[2]

    forged = f"{start.isoformat()}@{other.pk}"
    assert client.post("/manage/change/choose/", {"start": forged})["Location"] == (
        "/manage/change/"
    )
    with pytest.raises(SlotTaken):
        appointment_reschedule(link=booked.booking_link, start=start, therapist_id=other.pk)

    assert list(Appointment.objects.all()) == [booked]


# Cancelling: the rule's cut-off, and the therapist is told


@pytest.fixture
def soon(clinic: Clinic) -> Appointment:
    """An appointment inside the rule's 24-hour cut-off, on a rule that lets patients cancel."""
    clinic.rule.allow_patient_cancel = True
    clinic.rule.min_notice_hours = 1
    clinic.rule.save()
    return book(clinic, index=0)


def test_cancelling_online_stops_at_the_rules_cut_off(soon: Appointment, clinic: Clinic) -> None:
    client = verified(soon)

    assert "Cancel this appointment" not in page(client.get("/manage/"))
    for response in (
        client.get("/manage/cancel/"),
        client.post("/manage/cancel/", {"reason": "x"}),
    ):
        assert refused(response, clinic, "up to 24 hours before"), page(response)[:300]
    with pytest.raises(StepRefused, match="up to 24 hours before"):
        appointment_cancel_by_patient(link=soon.booking_link, reason="Ill")
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_a_patient_cancelling_tells_the_therapist_in_messages(
    booked: Appointment, clinic: Clinic
) -> None:
    booked.therapist.user = clinic.therapist_user
    booked.therapist.save()

    verified(booked).post("/manage/cancel/", {"reason": "Feeling better"})

    message = InternalMessage.objects.get()
    assert message.recipient == clinic.therapist_user
    assert message.appointment_id == booked.pk
    assert clinic.patient.full_name in message.subject
    assert "cancelled" in message.body


@pytest.mark.parametrize("why", ["service_without_messages", "therapist_without_account"])
def test_nobody_is_messaged_when_there_is_no_inbox_to_tell(
    booked: Appointment, clinic: Clinic, why: str
) -> None:
    if why == "service_without_messages":
        booked.therapist.user = clinic.therapist_user
        booked.therapist.save()
        clinic.service.uses_messages = False
        clinic.service.save()

    verified(booked).post("/manage/cancel/", {"reason": "Feeling better"})

    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED
    assert not InternalMessage.objects.exists()


# A move confirmed twice


def test_confirming_the_same_move_twice_moves_once(booked: Appointment, clinic: Clinic) -> None:
    link = booked.booking_link
    start = rule_available_times(clinic.rule, datetime.now(UTC))[2]

    first = appointment_reschedule(link=link, start=start)
    again = appointment_reschedule(link=link, start=start)

    assert again.pk == first.pk
    assert again.therapist_id == first.therapist_id
    assert list(Appointment.objects.filter(booking_link=link, status__in=TIME_HOLDING)) == [first]
    assert BookingLinkEvent.objects.filter(link=link, to_status="rescheduled").count() == 1
    texts = OutboundMessage.objects.filter(kind=MessageKind.CONFIRMATION)
    assert sum("has been changed" in message_body(t) for t in texts) == 1


def test_a_second_confirm_from_another_tab_returns_the_first_move(
    booked: Appointment, clinic: Clinic
) -> None:
    client = verified(booked)
    move(client, index=2)
    choice = {key: client.session[key] for key in ("manage_start", "manage_therapist")}
    assert client.post("/manage/change/confirm/")["Location"] == "/manage/"
    moved = Appointment.objects.get(rescheduled_from=booked)

    # The other tab still carries the same choice.
    session = client.session
    session.update(choice)
    session.save()
    assert client.post("/manage/change/confirm/")["Location"] == "/manage/"

    assert Appointment.objects.get(booking_link=booked.booking_link, status__in=TIME_HOLDING) == (
        moved
    )
    assert Appointment.objects.count() == 2
    assert BookingLinkEvent.objects.filter(to_status="rescheduled").count() == 1
