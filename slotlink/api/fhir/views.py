"""The FHIR R4 endpoints: each interaction routed to its handler (patients, directory,
appointments), and the CapabilityStatement made from the same table, so that it lists exactly
what is implemented (ADR 9)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from slotlink.api.fhir import schema
from slotlink.api.fhir.appointments import (
    appointment_patch,
    appointment_post,
    appointment_read,
    appointment_search,
    appointment_update,
)
from slotlink.api.fhir.directory import (
    healthcare_service_read,
    healthcare_service_search,
    practitioner_read,
    practitioner_search,
    schedule_read,
    schedule_search,
    slot_read,
    slot_search,
)
from slotlink.api.fhir.gateway import Handler, guarded, serve
from slotlink.api.fhir.http import (
    FhirError,
    Resource,
    error_response,
    fhir_response,
    not_found,
)
from slotlink.api.fhir.patients import (
    patient_post,
    patient_read,
    patient_search,
    patient_update,
    send_booking_link,
    task_read,
)

# ---- Routing and the CapabilityStatement -------------------------------------------------------

# (resource type, interaction) -> (needs the write scope, handler). The CapabilityStatement is
# made from this table, so it lists exactly what is implemented.
TYPE_LEVEL: dict[tuple[str, str], tuple[bool, Handler]] = {
    ("Patient", "search-type"): (False, patient_search),
    ("Patient", "create"): (True, patient_post),
    ("Practitioner", "search-type"): (False, practitioner_search),
    ("Schedule", "search-type"): (False, schedule_search),
    ("HealthcareService", "search-type"): (False, healthcare_service_search),
    ("Slot", "search-type"): (False, slot_search),
    ("Appointment", "search-type"): (False, appointment_search),
    ("Appointment", "create"): (True, appointment_post),
}
INSTANCE_LEVEL: dict[tuple[str, str], tuple[bool, Handler]] = {
    ("Patient", "read"): (False, patient_read),
    ("Patient", "update"): (True, patient_update),
    ("Practitioner", "read"): (False, practitioner_read),
    ("Schedule", "read"): (False, schedule_read),
    ("HealthcareService", "read"): (False, healthcare_service_read),
    ("Slot", "read"): (False, slot_read),
    ("Appointment", "read"): (False, appointment_read),
    ("Appointment", "update"): (True, appointment_update),
    ("Appointment", "patch"): (True, appointment_patch),
    ("Task", "read"): (False, task_read),
}
SEARCH_PARAMS: dict[str, list[tuple[str, str]]] = {
    "Patient": [
        ("_id", "token"),
        ("identifier", "token"),
        ("family", "string"),
        ("birthdate", "date"),
    ],
    "Practitioner": [("_id", "token"), ("name", "string"), ("active", "token")],
    "Schedule": [("_id", "token"), ("actor", "reference"), ("active", "token")],
    "HealthcareService": [("_id", "token")],
    "Slot": [
        ("schedule", "reference"),
        ("service-type", "token"),
        ("start", "date"),
        ("status", "token"),
    ],
    "Appointment": [
        ("_id", "token"),
        ("patient", "reference"),
        ("practitioner", "reference"),
        ("actor", "reference"),
        ("date", "date"),
        ("status", "token"),
        ("identifier", "token"),
    ],
}
_METHODS = {
    "GET": ("read", "search-type"),
    "POST": ("create",),
    "PUT": ("update",),
    "PATCH": ("patch",),
}


def capability_statement(request: HttpRequest) -> Resource:
    kinds = sorted({k for k, _ in TYPE_LEVEL} | {k for k, _ in INSTANCE_LEVEL})
    resources = []
    for kind in kinds:
        interactions = sorted(i for k, i in (*TYPE_LEVEL, *INSTANCE_LEVEL) if k == kind)
        entry: Resource = {
            "type": kind,
            "interaction": [{"code": i} for i in interactions],
            "versioning": "versioned-update" if "update" in interactions else "versioned",
            "readHistory": False,
            "updateCreate": False,
        }
        if kind == "Patient":
            entry["conditionalCreate"] = True
            entry["operation"] = [
                {
                    "name": "send-booking-link",
                    "definition": request.build_absolute_uri(
                        "/fhir/R4/OperationDefinition/send-booking-link"
                    ),
                }
            ]
        if kind in SEARCH_PARAMS:
            entry["searchParam"] = [{"name": n, "type": t} for n, t in SEARCH_PARAMS[kind]]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-29",
        "publisher": "Slotlink",
        "kind": "instance",
        "software": {"name": "Slotlink"},
        "implementation": {
            "description": "Slotlink FHIR R4 API",
            "url": request.build_absolute_uri("/fhir/R4"),
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": (
                        "OAuth 2.0 client credentials at /oauth/token/; "
                        "scopes system/<Resource>.read|write."
                    ),
                },
                "resource": resources,
            }
        ],
    }


@csrf_exempt
@guarded
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return error_response(FhirError(405, "not-supported", "metadata is read with GET."))
    return fhir_response(schema.outgoing(capability_statement(request)), 200, {})


def send_booking_link_definition(request: HttpRequest) -> Resource:
    return {
        "resourceType": "OperationDefinition",
        "id": "send-booking-link",
        "url": request.build_absolute_uri("/fhir/R4/OperationDefinition/send-booking-link"),
        "name": "SendBookingLink",
        "title": "Send the patient a booking link",
        "status": "active",
        "kind": "operation",
        "code": "send-booking-link",
        "description": (
            "Texts the patient a single-use link to book one appointment of the broadcast rule "
            "given (a code of HealthcareService.type). Returns the link as a Task, whose "
            "businessStatus follows it: sent, accessed, booked, rescheduled, expired, deleted."
        ),
        "resource": ["Patient"],
        "system": False,
        "type": False,
        "instance": True,
        "parameter": [
            {"name": "rule", "use": "in", "min": 1, "max": "1", "type": "Coding"},
            {"name": "return", "use": "out", "min": 1, "max": "1", "type": "Task"},
        ],
    }


@csrf_exempt
@guarded
def operation_definition(request: HttpRequest, resource_id: str) -> HttpResponse:
    """The definitions the CapabilityStatement names: public, as it is."""
    if resource_id != "send-booking-link":
        return error_response(not_found("OperationDefinition", resource_id))
    return fhir_response(schema.outgoing(send_booking_link_definition(request)), 200, {})


@csrf_exempt
@guarded
def type_level(request: HttpRequest, kind: str) -> HttpResponse:
    return _route(request, kind, TYPE_LEVEL, ())


@csrf_exempt
@guarded
def instance_level(request: HttpRequest, kind: str, resource_id: str) -> HttpResponse:
    return _route(request, kind, INSTANCE_LEVEL, (resource_id,))


@csrf_exempt
@guarded
def patient_operation(request: HttpRequest, resource_id: str) -> HttpResponse:
    if request.method != "POST":
        return error_response(
            FhirError(405, "not-supported", "$send-booking-link is called with POST.")
        )
    return serve(
        request,
        kind="Task",
        interaction="operation:send-booking-link",
        write=True,
        handler=send_booking_link,
        args=(resource_id,),
    )


@csrf_exempt
@guarded
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return error_response(FhirError(404, "not-found", f"This server has nothing at {rest!r}."))


def _route(
    request: HttpRequest,
    kind: str,
    table: dict[tuple[str, str], tuple[bool, Handler]],
    args: tuple[object, ...],
) -> HttpResponse:
    known = {k for k, _ in (*TYPE_LEVEL, *INSTANCE_LEVEL)}
    if kind not in known:
        return error_response(
            FhirError(404, "not-supported", f"This server has no {kind!r} resources.")
        )
    for interaction in _METHODS.get(request.method or "", ()):
        if (kind, interaction) in table:
            write, handler = table[(kind, interaction)]
            return serve(
                request, kind=kind, interaction=interaction, write=write, handler=handler, args=args
            )
    return error_response(
        FhirError(
            405,
            "not-supported",
            f"{request.method} is not supported here for {kind}; see /fhir/R4/metadata.",
        )
    )
