"""The FHIR API through the Django test client: each interaction, each error, each scope."""

import pytest
from django.test import Client

from slotlink.api.fhir.mappers import BROADCAST_RULE, NHS_NUMBER
from slotlink.clinic.models import Appointment, AppointmentStatus
from tests.api.conftest import Api, body
from tests.conftest import Clinic

pytestmark = pytest.mark.django_db


def test_metadata_lists_what_is_implemented_and_nothing_else(api: Api) -> None:
    statement = body(api.call("GET", "/fhir/R4/metadata"))
    assert statement["fhirVersion"] == "4.0.1"
    kinds = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(kinds) == {
        "Appointment",
        "HealthcareService",
        "Patient",
        "Practitioner",
        "Schedule",
        "Slot",
        "Task",
    }
    assert {i["code"] for i in kinds["Slot"]["interaction"]} == {"read", "search-type"}
    assert {i["code"] for i in kinds["Appointment"]["interaction"]} == {
        "create",
        "patch",
        "read",
        "search-type",
        "update",
    }
    assert kinds["Patient"]["operation"][0]["name"] == "send-booking-link"


def test_no_token_is_401_with_an_operation_outcome(clinic: Clinic) -> None:
    response = Client().get("/fhir/R4/Patient", HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 401
    assert body(response)["resourceType"] == "OperationOutcome"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_patient_search_by_nhs_number_and_read(api: Api, clinic: Clinic) -> None:
    number = clinic.patient.nhs_number
    found = body(api.call("GET", f"/fhir/R4/Patient?identifier={NHS_NUMBER}|{number}"))
    assert found["total"] == 1
    patient = found["entry"][0]["resource"]
    assert patient["identifier"] == [{"system": NHS_NUMBER, "value": number}]
    read = api.call("GET", f"/fhir/R4/Patient/{clinic.patient.pk}")
    assert read["ETag"] == f'W/"{patient["meta"]["versionId"]}"'


def test_stranger_gets_404(api: Api, other_clinic: Clinic) -> None:
    response = api.call("GET", f"/fhir/R4/Patient/{other_clinic.patient.pk}")
    assert response.status_code == 404
    assert body(response)["issue"][0]["code"] == "not-found"


def test_slots_book_and_cancel(api: Api, clinic: Clinic) -> None:
    rule = clinic.rule
    slots = body(
        api.call(
            "GET", f"/fhir/R4/Slot?service-type={BROADCAST_RULE}|{rule.pk}&status=free&_count=5"
        )
    )
    assert slots["total"] > 5
    assert [link["relation"] for link in slots["link"]] == ["self", "next"]
    slot = slots["entry"][0]["resource"]
    made = api.call(
        "POST",
        "/fhir/R4/Appointment",
        {
            "resourceType": "Appointment",
            "status": "booked",
            "slot": [{"reference": f"Slot/{slot['id']}"}],
            "participant": [
                {"actor": {"reference": f"Patient/{clinic.patient.pk}"}, "status": "accepted"}
            ],
        },
    )
    assert made.status_code == 201, made.content
    assert "/fhir/R4/Appointment/" in made["Location"]
    again = api.call(
        "POST",
        "/fhir/R4/Appointment",
        {
            "resourceType": "Appointment",
            "status": "booked",
            "slot": [{"reference": f"Slot/{slot['id']}"}],
            "participant": [
                {"actor": {"reference": f"Patient/{clinic.patient.pk}"}, "status": "accepted"}
            ],
        },
    )
    assert again.status_code == 409
    appointment_id = body(made)["id"]
    cancelled = api.call(
        "PATCH",
        f"/fhir/R4/Appointment/{appointment_id}",
        [{"op": "replace", "path": "/status", "value": "cancelled"}],
        content_type="application/json-patch+json",
    )
    assert cancelled.status_code == 200, cancelled.content
    assert body(cancelled)["status"] == "cancelled"
    assert Appointment.objects.get(pk=appointment_id).status == AppointmentStatus.CANCELLED
