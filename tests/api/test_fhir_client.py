"""The API as a record system sees it: fhirpy, an ordinary FHIR client, over HTTP against a
live server. Every resource it gets back is checked against the R4 schema."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.test import Client, override_settings
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

from slotlink.api.fhir.mappers import BROADCAST_RULE, NHS_NUMBER
from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.lib.crypto import decrypt
from slotlink.messaging.models import MessageKind, OutboundMessage
from tests.api.conftest import make_client, r4_valid, token_for
from tests.concurrency import concurrently
from tests.conftest import Clinic, make_clinic


@pytest.fixture
def clinic(transactional_db: None) -> Clinic:
    return make_clinic()


@pytest.fixture
def fhir(live_server: Any, clinic: Clinic) -> Iterator[SyncFHIRClient]:
    with override_settings(PUBLIC_BASE_URL=live_server.url):
        yield fhir_client(live_server, clinic)


def fhir_client(live_server: Any, clinic: Clinic, name: str = "Record system") -> SyncFHIRClient:
    token = token_for(requests, make_client(clinic, name=name), live_server.url)
    return SyncFHIRClient(f"{live_server.url}/fhir/R4", authorization=f"Bearer {token}")


def serialized(resource: Any) -> dict[str, Any]:
    return r4_valid(resource.serialize())


def free_slots(fhir: SyncFHIRClient, clinic: Clinic, count: int = 10) -> list[Any]:
    slots = (
        fhir.resources("Slot")
        .search(**{"service-type": f"{BROADCAST_RULE}|{clinic.rule.pk}", "status": "free"})
        .limit(count)
        .fetch()
    )
    for slot in slots:
        serialized(slot)
    return slots


def booking(fhir: SyncFHIRClient, slot: Any, patient_id: int) -> Any:
    return fhir.resource(
        "Appointment",
        status="booked",
        slot=[{"reference": f"Slot/{slot.id}"}],
        participant=[{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    )


def test_find_a_free_slot_book_it_and_cancel_it(fhir: SyncFHIRClient, clinic: Clinic) -> None:
    slot = free_slots(fhir, clinic)[0]
    appointment = booking(fhir, slot, clinic.patient.pk)
    appointment.save()
    serialized(appointment)
    assert appointment["status"] == "booked"
    assert appointment["start"] == slot["start"]
    again = (
        fhir.resources("Slot")
        .search(
            **{"service-type": f"{BROADCAST_RULE}|{clinic.rule.pk}", "start": f"ge{slot['start']}"}
        )
        .limit(50)
        .fetch()
    )
    assert slot.id not in {s.id for s in again}, "a booked slot is no longer free"

    appointment["status"] = "cancelled"
    appointment.save()
    assert fhir.reference("Appointment", appointment.id).to_resource()["status"] == "cancelled"
    assert Appointment.objects.get(pk=appointment.id).status == AppointmentStatus.CANCELLED
    freed = fhir.reference("Slot", slot.id).to_resource()
    assert serialized(freed)["status"] == "free", "a cancelled appointment frees its slot"


def test_paging_follows_next_links_to_every_slot_once(fhir: SyncFHIRClient, clinic: Clinic) -> None:
    search = fhir.resources("Slot").search(status="free").limit(7)
    every = search.fetch_all()
    assert len(every) == search.count() > 7
    ids = [slot.id for slot in every]
    assert len(set(ids)) == len(ids)
    assert ids == [
        slot.id for slot in fhir.resources("Slot").search(status="free").limit(7).fetch_all()
    ], "a slot keeps its id from one search to the next"


def test_search_a_patient_by_nhs_number(fhir: SyncFHIRClient, clinic: Clinic) -> None:
    found = (
        fhir.resources("Patient")
        .search(identifier=f"{NHS_NUMBER}|{clinic.patient.nhs_number}")
        .fetch_all()
    )
    assert [serialized(p)["id"] for p in found] == [str(clinic.patient.pk)]
    assert found[0]["name"][0]["family"] == clinic.patient.last_name


def test_send_a_booking_link_and_watch_the_patient_book_it(
    fhir: SyncFHIRClient, clinic: Clinic
) -> None:
    clinic.service.online_booking_enabled = True
    clinic.service.save()
    task = fhir.execute(
        f"Patient/{clinic.patient.pk}/$send-booking-link",
        data={
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "rule",
                    "valueCoding": {"system": BROADCAST_RULE, "code": str(clinic.rule.pk)},
                }
            ],
        },
    )
    r4_valid(task)
    assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == ("requested", "sent")

    text = OutboundMessage.objects.get(kind=MessageKind.BOOKING_LINK, patient=clinic.patient)
    token = re.search(r"/b/(\S+)", decrypt(text.body_encrypted) or "").group(1)  # type: ignore[union-attr]
    start = free_slots(fhir, clinic, 1)[0]["start"]
    patient = Client()
    patient.get(f"/b/{token}")
    assert patient.post("/book/choose/", {"start": start})["Location"] == "/book/review/"
    assert patient.post("/book/confirm/")["Location"] == "/book/booked/"

    booked = serialized(fhir.reference("Task", task["id"]).to_resource())
    assert (booked["status"], booked["businessStatus"]["coding"][0]["code"]) == (
        "completed",
        "booked",
    )
    appointment = fhir.reference(
        reference=booked["output"][0]["valueReference"]["reference"]
    ).to_resource()
    assert serialized(appointment)["start"] == start
    assert appointment["identifier"][0]["value"] == task["id"], (
        "the link is the booking's identifier"
    )


def test_two_clients_racing_for_one_slot_one_wins_one_gets_409(
    live_server: Any, clinic: Clinic, needs_postgres: None
) -> None:
    clients = [fhir_client(live_server, clinic, name=f"System {n}") for n in range(2)]
    slot = free_slots(clients[0], clinic)[0]
    answers: list[str] = []

    def book(client: SyncFHIRClient) -> None:
        try:
            booking(client, slot, clinic.patient.pk).save()
            answers.append("booked")
        except OperationOutcome as refusal:
            assert refusal.resource["issue"][0]["code"] == "conflict"
            answers.append("409")

    with concurrently() as threads:
        for client in clients:
            threads.start(book, client)
    assert sorted(answers) == ["409", "booked"]
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
