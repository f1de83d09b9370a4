"""Integrity under contention, proven by real concurrent requests: threads, each with its own
database connection, released together by a barrier. On PostgreSQL the exclusion constraints
decide; on SQLite, one-writer-at-a-time immediate transactions do."""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import IntegrityError, connections
from django.test import Client
from django.utils import timezone

from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink, SlotHold
from slotlink.clinic.models import TIME_HOLDING, Appointment, AppointmentStatus
from slotlink.portal.views.book import SESSION_START
from slotlink.records.services.appointments import DiaryConflict, appointment_save
from tests.conftest import Clinic, make_clinic
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job on its own thread at the same instant; return results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:  # the test inspects every outcome
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def browser() -> Client:
    """A patient's browser whose answers are what it is sent, errors included. Django's test
    client learns of a failed request through a signal that every client in a request at that
    moment hears: raised, one thread's error would be raised in other threads' clients too."""
    return Client(raise_request_exception=False)


def patient_client(clinic: Clinic, token: str, start_iso: str) -> Client:
    """A patient's browser that has opened its link and chosen `start` (without holding it,
    so that the race happens at the confirm itself)."""
    client = browser()
    assert client.get(f"/b/{token}").status_code == 302
    session = client.session
    session[SESSION_START] = start_iso
    session.save()
    return client


def one_therapist_clinic() -> Clinic:
    clinic = make_clinic()
    clinic.rule.therapists.set(clinic.therapists[:1])
    return clinic


def confirm(client: Client) -> Callable[[], object]:
    return lambda: client.post("/book/confirm/")


def outcome(response: object) -> str:
    if isinstance(response, Exception):
        return f"exception {type(response).__name__}: {response}"
    status = response.status_code  # type: ignore[attr-defined]
    return f"{status} {response.get('Location', '')}"  # type: ignore[attr-defined]


BUSY = "503 "


def racing(jobs: list[Callable[[], object]]) -> Counter[str]:
    """The outcomes of `jobs` run together, where a patient shown the "busy" page tries again
    once the rush is over, as the page asks, and that second answer is the one counted. A
    request that waits out its whole lock wait gets that page by design (lib/contention.py):
    on SQLite, one writer at a time, a loaded machine makes some of fifty confirms wait that
    long. Its second answer also proves the page true: had the busy request booked after
    all, trying again would say "booked", not "taken"."""
    outcomes = Counter[str]()
    for job, result in zip(jobs, run_together(jobs), strict=True):
        if outcome(result) == BUSY:
            page = result.content.decode()  # type: ignore[attr-defined]
            assert "Nothing has been booked or changed" in page
            result = job()
        outcomes[outcome(result)] += 1
    return outcomes


def test_fifty_links_confirming_one_slot_book_exactly_one_appointment():
    clinic = one_therapist_clinic()
    start = rule_available_times(clinic.rule, timezone.now())[0]
    clients = []
    for _ in range(50):
        patient = PatientFactory(service=clinic.service)
        _, token = booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)
        clients.append(patient_client(clinic, token, start.isoformat()))

    outcomes = racing([confirm(c) for c in clients])

    assert outcomes == {"302 /book/booked/": 1, "302 /book/times/": 49}, outcomes
    held = Appointment.objects.filter(start=start, status__in=TIME_HOLDING)
    assert held.count() == 1
    assert BookingLink.objects.filter(status="booked").count() == 1


def test_twenty_confirms_from_one_link_for_twenty_slots_book_exactly_once():
    clinic = make_clinic()
    starts = rule_available_times(clinic.rule, timezone.now())[:20]
    assert len(starts) == 20
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    clients = [patient_client(clinic, token, start.isoformat()) for start in starts]

    outcomes = racing([confirm(c) for c in clients])

    assert outcomes == {"302 /book/booked/": 20}, outcomes
    assert Appointment.objects.filter(patient=clinic.patient).count() == 1
    link = BookingLink.objects.get()
    assert link.status == "booked"
    assert link.events.filter(to_status="booked").count() == 1


def test_patients_choosing_one_slot_get_one_hold_each_and_the_rest_are_told_it_went():
    clinic = one_therapist_clinic()
    start = rule_available_times(clinic.rule, timezone.now())[0]
    clients = []
    for _ in range(10):
        patient = PatientFactory(service=clinic.service)
        _, token = booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)
        client = browser()
        client.get(f"/b/{token}")
        clients.append(client)

    def choose(client: Client) -> Callable[[], object]:
        return lambda: client.post("/book/choose/", {"start": start.isoformat()})

    outcomes = racing([choose(c) for c in clients])

    assert outcomes == {"302 /book/review/": 1, "302 /book/times/": 9}, outcomes
    assert SlotHold.objects.count() == 1


def test_staff_moving_an_appointment_while_a_patient_confirms_the_slot_one_wins_cleanly():
    clinic = one_therapist_clinic()
    therapist = clinic.therapists[0]
    start = rule_available_times(clinic.rule, timezone.now())[0]
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = patient_client(clinic, token, start.isoformat())
    elsewhere = start + timedelta(days=1, hours=2)
    existing = AppointmentFactory(
        service=clinic.service,
        therapist=therapist,
        start=elsewhere,
        end=elsewhere + timedelta(hours=1),
    )

    def staff_move() -> object:
        moved = Appointment.objects.get(pk=existing.pk)
        moved.start, moved.end = start, start + timedelta(hours=1)
        try:
            return appointment_save(appointment=moved, user=clinic.admin)
        except DiaryConflict as conflict:
            return conflict

    results = run_together([staff_move, confirm(client)])

    staff_result, patient_response = results
    assert not isinstance(patient_response, Exception), patient_response
    patient_won = patient_response.get("Location") == "/book/booked/"  # type: ignore[attr-defined]
    assert patient_won == isinstance(staff_result, DiaryConflict), (
        staff_result,
        outcome(patient_response),
    )
    in_slot = Appointment.objects.filter(therapist=therapist, start=start, status__in=TIME_HOLDING)
    assert in_slot.count() == 1


def test_postgres_refuses_overlapping_appointments_even_when_the_check_is_skipped(
    clinic, needs_postgres
):
    therapist = clinic.therapists[0]
    start = rule_available_times(clinic.rule, timezone.now())[0]
    AppointmentFactory(
        service=clinic.service, therapist=therapist, start=start, end=start + timedelta(hours=1)
    )
    overlapping = AppointmentFactory.build(
        service=clinic.service,
        therapist=therapist,
        patient=clinic.patient,
        appointment_type=clinic.rule.appointment_type,
        start=start + timedelta(minutes=30),
        end=start + timedelta(minutes=90),
    )
    with pytest.raises(IntegrityError):
        overlapping.save()


def test_cancelled_appointments_do_not_hold_their_slot(clinic):
    therapist = clinic.therapists[0]
    start = rule_available_times(clinic.rule, timezone.now())[0]
    AppointmentFactory(
        service=clinic.service,
        therapist=therapist,
        start=start,
        end=start + timedelta(hours=1),
        status=AppointmentStatus.CANCELLED,
    )
    AppointmentFactory(
        service=clinic.service, therapist=therapist, start=start, end=start + timedelta(hours=1)
    )
    assert Appointment.objects.filter(therapist=therapist, start=start).count() == 2
