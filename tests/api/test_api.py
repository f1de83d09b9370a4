"""The FHIR API through the Django test client: each interaction, each error, each scope."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from slotlink.api.fhir.mappers import BROADCAST_RULE, NHS_NUMBER
from slotlink.api.models import ApiClient, RateWindow, TokenFailureWindow
from slotlink.api.services import (
    TOKEN_FAILURE_WINDOW,
    TOKEN_FAILURES_ALLOWED,
    Credentials,
    api_client_revoke,
    api_client_rotate,
    token_failure_count,
    token_wait,
)
from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.clinic.models import Appointment, AppointmentStatus, Patient
from slotlink.ops.services import housekeeping_round
from tests.api.conftest import Api, body, make_client, token_for
from tests.conftest import Clinic
from tests.factories import AppointmentFactory

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
    operation = kinds["Patient"]["operation"][0]
    assert operation["name"] == "send-booking-link"
    definition = body(api.call("GET", operation["definition"].replace("http://testserver", "")))
    assert definition["code"] == "send-booking-link"
    assert definition["resource"] == ["Patient"]


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
    assert "total" not in slots, "counted only when asked (_total=accurate)"
    assert len(slots["entry"]) == 5
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


def booked_appointment(api: Api, clinic: Clinic) -> dict:
    slots = body(api.call("GET", "/fhir/R4/Slot?status=free&_count=1"))
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
    return body(made)


NEW_PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": NHS_NUMBER, "value": "9434765919"}],
    "name": [{"use": "official", "family": "Testpatient", "given": ["Jo"]}],
    "birthDate": "1985-02-03",
    "telecom": [{"system": "phone", "value": "07700 900456", "use": "mobile"}],
}


def test_create_a_patient_then_conditional_create_finds_it(api: Api, clinic: Clinic) -> None:
    made = api.call("POST", "/fhir/R4/Patient", NEW_PATIENT)
    assert made.status_code == 201, made.content
    patient = Patient.objects.get(pk=body(made)["id"], service=clinic.service)
    assert (patient.mobile, patient.nhs_number) == ("+447700900456", "9434765919")
    assert made["Location"].endswith(
        f"/Patient/{patient.pk}/_history/{body(made)['meta']['versionId']}"
    )
    again = api.call(
        "POST", "/fhir/R4/Patient", NEW_PATIENT, if_none_exist=f"identifier={NHS_NUMBER}|9434765919"
    )
    assert again.status_code == 200
    assert body(again)["id"] == str(patient.pk)
    assert Patient.objects.filter(nhs_number="9434765919").count() == 1


def test_a_second_patient_with_one_nhs_number_is_409(api: Api) -> None:
    assert api.call("POST", "/fhir/R4/Patient", NEW_PATIENT).status_code == 201
    clash = api.call("POST", "/fhir/R4/Patient", NEW_PATIENT)
    assert clash.status_code == 409
    assert body(clash)["issue"][0]["code"] == "duplicate"


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"birthDate": "not a date"}, 422, "birthDate"),
        ({"identifier": [{"system": NHS_NUMBER, "value": "1234567890"}]}, 422, "NHS number"),
        ({"telecom": [{"system": "phone", "value": "020 7946 0000"}]}, 422, "mobile"),
        ({"resourceType": "Practitioner"}, 422, "Patient"),
        ({"name": []}, 422, "name"),
    ],
)
def test_an_invalid_patient_is_refused_saying_why(
    api: Api, change: dict, status: int, says: str
) -> None:
    response = api.call("POST", "/fhir/R4/Patient", {**NEW_PATIENT, **change})
    assert response.status_code == status
    assert says in body(response)["issue"][0]["diagnostics"]
    assert not Patient.objects.filter(last_name="Testpatient").exists()


def test_bad_json_is_400_and_xml_is_refused(api: Api) -> None:
    assert api.call("POST", "/fhir/R4/Patient", "{not json").status_code == 400
    assert api.call("GET", "/fhir/R4/Patient?_format=xml").status_code == 406
    assert api.call("GET", "/fhir/R4/Patient?_format=json").status_code == 200
    wrong_type = api.call("POST", "/fhir/R4/Patient", "x", content_type="text/plain")
    assert wrong_type.status_code == 415


def test_a_body_too_large_is_413_not_a_crash(api: Api, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    huge = {**NEW_PATIENT, "name": [{"family": "x" * 2000, "given": ["Jo"]}]}
    assert api.call("POST", "/fhir/R4/Patient", huge).status_code == 413


def test_update_with_an_old_version_is_412_and_with_the_current_one_changes_the_record(
    api: Api, clinic: Clinic
) -> None:
    read = api.call("GET", f"/fhir/R4/Patient/{clinic.patient.pk}")
    patient = body(read)
    changed = {
        **patient,
        "active": False,
        "extension": [{"url": patient["extension"][0]["url"], "valueBoolean": True}],
    }
    stale = api.call("PUT", f"/fhir/R4/Patient/{clinic.patient.pk}", changed, if_match='W/"0000"')
    assert stale.status_code == 412
    done = api.call("PUT", f"/fhir/R4/Patient/{clinic.patient.pk}", changed, if_match=read["ETag"])
    assert done.status_code == 200, done.content
    clinic.patient.refresh_from_db()
    assert clinic.patient.discharged_at is not None and clinic.patient.do_not_sms
    assert body(done)["active"] is False
    assert done["ETag"] != read["ETag"]
    assert body(done)["meta"]["lastUpdated"]
    replay = api.call(
        "PUT", f"/fhir/R4/Patient/{clinic.patient.pk}", changed, if_match=read["ETag"]
    )
    assert replay.status_code == 412


def test_cancel_by_update_and_prefer_minimal(api: Api, clinic: Clinic) -> None:
    appointment = booked_appointment(api, clinic)
    cancelled = api.call(
        "PUT",
        f"/fhir/R4/Appointment/{appointment['id']}",
        {**appointment, "status": "cancelled", "cancelationReason": {"text": "Patient rang"}},
        prefer="return=minimal",
    )
    assert cancelled.status_code == 200
    assert cancelled.content == b""
    saved = Appointment.objects.get(pk=appointment["id"])
    assert (saved.status, saved.cancellation_reason) == (
        AppointmentStatus.CANCELLED,
        "Patient rang",
    )
    again = api.call(
        "PUT", f"/fhir/R4/Appointment/{appointment['id']}", {**appointment, "status": "noshow"}
    )
    assert again.status_code == 422


def test_appointment_search_by_patient_date_status_and_practitioner(
    api: Api, clinic: Clinic
) -> None:
    appointment = booked_appointment(api, clinic)
    day = appointment["start"][:10]
    therapist = appointment["participant"][1]["actor"]["reference"]
    for query in [
        f"patient=Patient/{clinic.patient.pk}",
        f"date={day}",
        f"date=ge{day}&date=lt{day}T23:59:59Z",
        "status=booked",
        f"practitioner={therapist}",
    ]:
        found = body(api.call("GET", f"/fhir/R4/Appointment?{query}"))
        assert [e["resource"]["id"] for e in found["entry"]] == [appointment["id"]], query
    assert body(api.call("GET", "/fhir/R4/Appointment?status=cancelled"))["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "/fhir/R4/Slot?colour=blue",
        "/fhir/R4/Slot?start=tomorrow",
        "/fhir/R4/Slot?status=busy",
        "/fhir/R4/Appointment?date=2026-12-08T10:00",
        "/fhir/R4/Patient?_count=lots",
    ],
)
def test_a_bad_search_parameter_is_400_saying_which(api: Api, query: str) -> None:
    response = api.call("GET", query)
    assert response.status_code == 400
    assert body(response)["issue"][0]["diagnostics"]


def test_unknown_things_are_404_or_405_never_html(api: Api) -> None:
    assert api.call("GET", "/fhir/R4/Observation").status_code == 404
    assert api.call("GET", "/fhir/R4/Patient/999999").status_code == 404
    assert api.call("GET", "/fhir/R4/Slot/nonsense").status_code == 404
    assert api.call("GET", "/fhir/R4/some/deep/path").status_code == 404
    assert api.call("DELETE", "/fhir/R4/Patient/1").status_code == 405
    assert api.call("POST", "/fhir/R4/Slot", {"resourceType": "Slot"}).status_code == 405


def test_every_resource_kind_reads_and_searches(api: Api, clinic: Clinic) -> None:
    therapist = clinic.therapists[0]
    for path in [
        f"/fhir/R4/Practitioner/{therapist.pk}",
        f"/fhir/R4/Schedule/{therapist.pk}",
        f"/fhir/R4/HealthcareService/{clinic.service.pk}",
    ]:
        assert api.call("GET", path).status_code == 200, path
    for path, total in [
        ("/fhir/R4/Practitioner", 2),
        ("/fhir/R4/Schedule", 2),
        (f"/fhir/R4/Schedule?actor=Practitioner/{therapist.pk}", 1),
        ("/fhir/R4/HealthcareService", 1),
        ("/fhir/R4/Patient", 1),
    ]:
        assert body(api.call("GET", path))["total"] == total, path
    service = body(api.call("GET", f"/fhir/R4/HealthcareService/{clinic.service.pk}"))
    assert service["type"][0]["coding"][0] == {
        "system": BROADCAST_RULE,
        "code": str(clinic.rule.pk),
        "display": clinic.rule.title,
    }


def test_another_services_resources_are_404_everywhere(api: Api, other_clinic: Clinic) -> None:
    therapist = other_clinic.therapists[0]
    for path in [
        f"/fhir/R4/Patient/{other_clinic.patient.pk}",
        f"/fhir/R4/Practitioner/{therapist.pk}",
        f"/fhir/R4/Schedule/{therapist.pk}",
        f"/fhir/R4/HealthcareService/{other_clinic.service.pk}",
    ]:
        assert api.call("GET", path).status_code == 404, path
    assert (
        body(api.call("GET", f"/fhir/R4/Patient?identifier={other_clinic.patient.nhs_number}"))[
            "total"
        ]
        == 0
    )
    theirs = body(api.call("GET", f"/fhir/R4/Slot?service-type={other_clinic.rule.pk}"))
    assert theirs["entry"] == []
    slot = f"{therapist.pk}-20261208T1000Z-r{other_clinic.rule.pk}"
    booked = api.call(
        "POST",
        "/fhir/R4/Appointment",
        {
            "resourceType": "Appointment",
            "status": "booked",
            "slot": [{"reference": f"Slot/{slot}"}],
            "participant": [
                {"actor": {"reference": f"Patient/{other_clinic.patient.pk}"}, "status": "accepted"}
            ],
        },
    )
    assert booked.status_code == 422
    assert not Appointment.objects.exists()


def test_a_read_only_client_cannot_write(clinic: Clinic) -> None:
    http = Client()
    reader = Api(http, token_for(http, make_client(clinic, "system/Patient.read system/Slot.read")))
    assert reader.call("GET", "/fhir/R4/Slot").status_code == 200
    refused = reader.call("POST", "/fhir/R4/Patient", NEW_PATIENT)
    assert refused.status_code == 403
    assert "system/Patient.write" in body(refused)["issue"][0]["diagnostics"]
    assert reader.call("GET", "/fhir/R4/Appointment").status_code == 403


# Held at 10 s into a minute, and at its last microsecond: Retry-After is whole seconds, and a
# client told 49 at 10.999999 s would come back while the full minute still ran.
@pytest.mark.parametrize("microsecond", [0, 999_999])
def test_rate_limit_answers_429_with_retry_after(
    api: Api, clinic: Clinic, microsecond: int
) -> None:
    ApiClient.objects.update(requests_per_minute=3)
    # Held there (tick=False): the calls all fall in one minute however slow.
    ten_seconds_in = timezone.now().replace(second=10, microsecond=microsecond)
    with time_machine.travel(ten_seconds_in, tick=False):
        answers = [api.call("GET", "/fhir/R4/Practitioner").status_code for _ in range(4)]
        refused = api.call("GET", "/fhir/R4/Practitioner")
    assert answers == [200, 200, 200, 429]
    assert refused["Retry-After"] == "50"


def test_every_call_is_audited_with_client_and_patient(api: Api, clinic: Clinic) -> None:
    api.call("GET", f"/fhir/R4/Patient/{clinic.patient.pk}")
    api.call("GET", "/fhir/R4/Patient/999999")
    calls = AuditEvent.objects.filter(action=AuditAction.API_CALL).order_by("pk")
    assert [(c.patient_id, c.details["status"], c.details["interaction"]) for c in calls] == [
        (clinic.patient.pk, 200, "read"),
        (None, 404, "read"),
    ]
    assert calls[0].actor_username.startswith("api-client-")
    assert calls[0].details["client"] == "Record system"
    issued = AuditEvent.objects.get(action=AuditAction.API_TOKEN_ISSUED)
    assert issued.actor_username == calls[0].actor_username


def test_rotating_a_secret_ends_the_old_one_and_its_tokens(api: Api, clinic: Clinic) -> None:
    client = ApiClient.objects.get()
    old = Credentials(client, client.application.client_id, "the old secret is unknown here")
    fresh = api_client_rotate(client=client)
    assert api.call("GET", "/fhir/R4/Slot").status_code == 401, "old tokens stop working"
    http = Client()
    assert Api(http, token_for(http, fresh)).call("GET", "/fhir/R4/Slot").status_code == 200
    assert old.client_secret != fresh.client_secret
    assert not client.application.client_secret.startswith(fresh.client_secret[:8])


def test_a_revoked_client_gets_no_token(clinic: Clinic) -> None:
    credentials = make_client(clinic)
    http = Client()
    token_for(http, credentials)
    api_client_revoke(client=credentials.client)
    basic = base64.b64encode(
        f"{credentials.client_id}:{credentials.client_secret}".encode()
    ).decode()
    refused = http.post(
        "/oauth/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert refused.status_code == 401


def test_secrets_and_tokens_are_stored_only_hashed(clinic: Clinic) -> None:
    credentials = make_client(clinic)
    token = token_for(Client(), credentials)
    application = credentials.client.application
    assert application.client_secret != credentials.client_secret
    assert application.client_secret.startswith(("argon2", "pbkdf2", "md5"))
    stored = AccessToken.objects.get(application=application)
    assert stored.token == "" and stored.token_checksum != token


def test_the_command_makes_a_client_and_prints_its_secret_once(clinic: Clinic) -> None:
    out = StringIO()
    call_command(
        "api_client_create",
        "--service",
        clinic.service.name,
        "--name",
        "EPR",
        "--scopes",
        "system/Slot.read system/Appointment.write",
        stdout=out,
    )
    secret = re.search(r"client_secret: (\S+)", out.getvalue()).group(1)  # type: ignore[union-attr]
    client = ApiClient.objects.get(name="EPR")
    assert client.scopes == "system/Appointment.write system/Slot.read"
    assert secret not in client.application.client_secret
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command(
            "api_client_create",
            "--service",
            clinic.service.name,
            "--name",
            "X",
            "--scopes",
            "system/Everything.read",
        )


def test_housekeeping_forgets_old_call_counts_and_expired_tokens(api: Api) -> None:
    api.call("GET", "/fhir/R4/Practitioner")
    assert RateWindow.objects.count() == 1
    later = timezone.now() + timedelta(hours=2)
    housekeeping_round(now=later)
    assert not RateWindow.objects.exists()
    assert not AccessToken.objects.exists()
    assert api.call("GET", "/fhir/R4/Practitioner").status_code == 401


def test_a_date_means_the_services_local_day_across_the_spring_clock_change(
    api: Api, clinic: Clinic
) -> None:
    # 28 March 2027: the clocks go forward. 23:30 UTC that night is 00:30 on the 29th in London.
    def at(moment: datetime) -> int:
        return AppointmentFactory(
            service=clinic.service,
            therapist=clinic.therapists[0],
            patient=clinic.patient,
            start=moment,
            end=moment + timedelta(minutes=30),
        ).pk

    late_on_the_28th_utc = at(datetime(2027, 3, 28, 23, 30, tzinfo=UTC))
    morning_of_the_29th = at(datetime(2027, 3, 29, 8, 0, tzinfo=UTC))
    last_of_the_29th = at(datetime(2027, 3, 29, 22, 30, tzinfo=UTC))  # 23:30 BST

    def found(query: str) -> list[int]:
        bundle = body(api.call("GET", f"/fhir/R4/Appointment?{query}"))
        return [int(e["resource"]["id"]) for e in bundle.get("entry", [])]

    assert found("date=2027-03-29") == [late_on_the_28th_utc, morning_of_the_29th, last_of_the_29th]
    assert found("date=lt2027-03-29") == []
    assert found("date=gt2027-03-28") == [
        late_on_the_28th_utc,
        morning_of_the_29th,
        last_of_the_29th,
    ]
    assert found("date=ge2027-03-29T08:00:00Z&date=le2027-03-29T08:00:00Z") == [morning_of_the_29th]
    assert found("date=eq2027-03-29T09:00:00%2B01:00") == [morning_of_the_29th]


def _token_with(http: Client, client_id: str, secret: str, ip: str = "192.0.2.7") -> HttpResponse:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return http.post(
        "/oauth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
        REMOTE_ADDR=ip,
    )


def test_wrong_secrets_from_one_address_are_throttled_before_any_hash_is_checked(
    clinic: Clinic,
) -> None:
    credentials = make_client(clinic)
    http = Client()
    for _ in range(TOKEN_FAILURES_ALLOWED):
        assert _token_with(http, credentials.client_id, "wrong").status_code == 401
    refused = _token_with(http, credentials.client_id, credentials.client_secret)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= TOKEN_FAILURE_WINDOW.total_seconds()
    assert json.loads(refused.content)["error"] == "invalid_request"
    # Another address (the real record system) is not locked out by the attacker.
    assert (
        _token_with(
            http, credentials.client_id, credentials.client_secret, "198.51.100.9"
        ).status_code
        == 200
    )
    # The window passes and the address may try again.
    with time_machine.travel(timezone.now() + TOKEN_FAILURE_WINDOW, tick=False):
        assert (
            _token_with(http, credentials.client_id, credentials.client_secret).status_code == 200
        )


def test_the_wait_after_too_many_wrong_secrets_is_rounded_up_to_the_windows_end() -> None:
    address = "203.0.113.7"
    epoch = int(timezone.now().timestamp())
    size = int(TOKEN_FAILURE_WINDOW.total_seconds())
    window = datetime.fromtimestamp(epoch - epoch % size, tz=UTC)
    at = window + timedelta(seconds=10, microseconds=999_999)  # 889.000001 s before its end
    for _ in range(TOKEN_FAILURES_ALLOWED):
        token_failure_count(address=address, now=at)
    assert token_wait(address=address, now=at) == size - 10


def test_the_failure_count_keeps_no_address_and_housekeeping_forgets_it(clinic: Clinic) -> None:
    credentials = make_client(clinic)
    _token_with(Client(), credentials.client_id, "wrong")
    stored = TokenFailureWindow.objects.get()
    assert "192.0.2.7" not in stored.address_hash and stored.failures == 1
    housekeeping_round(now=timezone.now() + 2 * TOKEN_FAILURE_WINDOW)
    assert not TokenFailureWindow.objects.exists()
