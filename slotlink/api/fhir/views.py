"""The FHIR R4 interactions. Each handler reads its parameters, calls one selector or
service below it, and maps the result; the gateway does the rest (ADR 8)."""

import json
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from slotlink.api.fhir import mappers, schema, search
from slotlink.api.fhir.gateway import Call, Handler, guarded, serve
from slotlink.api.fhir.http import (
    Answer,
    FhirError,
    Resource,
    error_response,
    fhir_response,
    invalid,
    not_found,
    request_json,
    unprocessable,
)
from slotlink.api.fhir.mappers import SlotKey
from slotlink.api.fhir.selectors import (
    api_appointments,
    api_links,
    api_patients,
    api_rules,
    api_therapists,
    appointments_last_changed,
    link_appointment_of,
    link_last_changed,
    patients_last_changed,
    rules_by_therapist,
)
from slotlink.booking.availability.selectors import rule_free_therapists, rule_therapist_times
from slotlink.booking.links.services import BookingError, booking_link_send_or_show
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import Appointment, AppointmentStatus, Patient, Source
from slotlink.clinic.selectors import is_valid_nhs_number
from slotlink.records.forms import PatientRecordForm
from slotlink.records.services.appointments import DiaryConflict
from slotlink.records.services.diary import appointment_cancel, appointment_create
from slotlink.records.services.patients import (
    Identity,
    PatientClash,
    RecordChange,
    patient_create,
    patient_identity_update,
    patient_record_update,
)

# ---- Patient ------------------------------------------------------------------------------


def _patient(call: Call, patient_id: str) -> Patient:
    found = api_patients(call.client).filter(pk=_pk(patient_id)).first()
    if found is None:
        raise not_found("Patient", patient_id)
    return found


def _pk(text: object) -> int:
    raw = str(text)
    return int(raw) if raw.isdigit() and len(raw) <= 12 else 0


def _patient_resources(call: Call, patients: list[Patient]) -> list[Resource]:
    changed = patients_last_changed(call.client, patients)
    return [mappers.patient_resource(p, changed.get(str(p.pk))) for p in patients]


def patient_read(call: Call, patient_id: str) -> Answer:
    patient = _patient(call, patient_id)
    resource = _patient_resources(call, [patient])[0]
    return Answer(resource, patient_id=patient.pk)


PATIENT_SEARCH = frozenset({"_id", "identifier", "family", "birthdate"})


def _patient_search(call: Call, found: dict[str, list[str]]) -> QuerySet[Patient]:
    patients = api_patients(call.client)
    if (value := search.one(found, "_id")) is not None:
        patients = patients.filter(pk=_pk(value))
    if (value := search.one(found, "identifier")) is not None:
        patients = patients.filter(nhs_number=search.token(value, mappers.NHS_NUMBER, "identifier"))
    if (value := search.one(found, "family")) is not None:
        patients = patients.filter(last_name__istartswith=value)
    if "birthdate" in found:
        for bound in search.date_bounds(found["birthdate"], "birthdate", UTC):
            if bound.end - bound.start != timedelta(days=1):
                raise invalid("birthdate is a date: YYYY-MM-DD.")
            lookup = {"eq": "", "ge": "__gte", "gt": "__gt", "le": "__lte", "lt": "__lt"}
            patients = patients.filter(
                **{f"date_of_birth{lookup[bound.prefix]}": bound.start.date()}
            )
    return patients


def patient_search(call: Call) -> Answer:
    found = search.params(call.request, PATIENT_SEARCH)
    return _searchset(call, found, _patient_search(call, found), _patient_resources)


def _record_values(resource: Resource) -> tuple[Identity, RecordChange]:
    values = mappers.patient_values(resource)
    if values.nhs_number and not is_valid_nhs_number(values.nhs_number):
        raise unprocessable(f"{values.nhs_number!r} is not a valid NHS number.")
    form = PatientRecordForm(
        data={
            "mobile": values.mobile,
            "email": values.email,
            "discharged": values.discharged,
            "do_not_sms": values.do_not_sms,
        }
    )
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        raise unprocessable(f"{field}: {messages[0]}")
    identity = Identity(
        first_name=values.first_name,
        last_name=values.last_name,
        date_of_birth=values.date_of_birth,
        nhs_number=values.nhs_number,
    )
    change = RecordChange(
        mobile=form.cleaned_data["mobile"],
        email=form.cleaned_data["email"],
        discharged=values.discharged,
        do_not_sms=values.do_not_sms,
    )
    return identity, change


def patient_create_(call: Call) -> Answer:
    resource = schema.incoming("Patient", request_json(call.request))
    existing = _if_none_exist(call)
    if existing is not None:
        return existing
    identity, change = _record_values(resource)
    try:
        patient = patient_create(
            service=call.client.service,
            identity=identity,
            change=change,
            user=call.client.acting_user,
        )
    except PatientClash as clash:
        raise FhirError(409, "duplicate", str(clash)) from None
    return _created(call, _patient_resources(call, [patient])[0], patient.pk)


def _if_none_exist(call: Call) -> Answer | None:
    """FHIR's conditional create: the search in If-None-Exist finds one patient (returned, nothing
    made), none (made), or several (412)."""
    condition = call.request.headers.get("If-None-Exist")
    if condition is None:
        return None
    query = QueryDict(condition.lstrip("?"))
    found = {name: query.getlist(name) for name in query}
    unknown = set(found) - PATIENT_SEARCH
    if not found or unknown:
        raise invalid(
            f"If-None-Exist takes a Patient search by {', '.join(sorted(PATIENT_SEARCH))}."
        )
    matches = list(_patient_search(call, found)[:2])
    if len(matches) > 1:
        raise FhirError(412, "multiple-matches", "If-None-Exist matches more than one Patient.")
    if not matches:
        return None
    resource = _patient_resources(call, matches)[0]
    return Answer(
        resource,
        resource_id=resource["id"],
        patient_id=matches[0].pk,
    )


def _created(call: Call, resource: Resource, patient_id: int | None) -> Answer:
    location = call.url(
        f"{resource['resourceType']}/{resource['id']}/_history/{resource['meta']['versionId']}"
    )
    return Answer(
        resource,
        status=201,
        headers={"Location": location},
        resource_id=resource["id"],
        patient_id=patient_id,
    )


def _if_match(call: Call, current: Resource) -> None:
    asked = call.request.headers.get("If-Match")
    if asked is not None and asked.strip() not in {
        mappers.etag(current),
        f'"{current["meta"]["versionId"]}"',
    }:
        raise FhirError(
            412,
            "conflict",
            f"{current['resourceType']}/{current['id']} has changed: its version is now "
            f"{current['meta']['versionId']}. Read it again and retry.",
        )


def patient_update(call: Call, patient_id: str) -> Answer:
    patient = _patient(call, patient_id)
    resource = schema.incoming("Patient", request_json(call.request))
    if str(resource.get("id")) != patient_id:
        raise invalid("The resource's id must be the id in the URL.")
    _if_match(call, _patient_resources(call, [patient])[0])
    identity, change = _record_values(resource)
    user = call.client.acting_user
    try:
        patient_identity_update(patient=patient, identity=identity, user=user)
    except PatientClash as clash:
        raise FhirError(409, "duplicate", str(clash)) from None
    patient_record_update(patient=patient, change=change, user=user)
    updated = _patient_resources(call, [patient])[0]
    return Answer(updated, patient_id=patient.pk)


def send_booking_link(call: Call, patient_id: str) -> Answer:
    patient = _patient(call, patient_id)
    data = schema.incoming("Parameters", request_json(call.request))
    rule = _rule_parameter(call, data)
    try:
        sent = booking_link_send_or_show(
            patient=patient, rule=rule, sent_by=call.client.acting_user
        )
    except BookingError as refusal:
        raise unprocessable(str(refusal)) from None
    link = sent.link
    resource = mappers.task_resource(link, None, link_last_changed(link))
    if sent.shown_again:
        return Answer(
            resource,
            resource_id=resource["id"],
            patient_id=patient.pk,
        )
    return _created(call, resource, patient.pk)


def _rule_parameter(call: Call, data: Resource) -> BroadcastRule:
    given = [p for p in data.get("parameter", []) if p.get("name") == "rule"]
    if len(given) != 1:
        raise invalid("Give one parameter named rule: the broadcast rule's code (valueCoding).")
    value = given[0]
    code = (
        (value.get("valueCoding") or {}).get("code")
        or value.get("valueString")
        or value.get("valueCode")
    )
    rule = next((r for r in api_rules(call.client) if str(r.pk) == str(code)), None)
    if rule is None:
        raise unprocessable(
            f"{code!r} is not one of this service's broadcast rules; HealthcareService lists them."
        )
    return rule


# ---- Task (booking links) -------------------------------------------------------------------


def task_read(call: Call, task_id: str) -> Answer:
    link = api_links(call.client).filter(pk=_pk(task_id)).first()
    if link is None:
        raise not_found("Task", task_id)
    resource = mappers.task_resource(link, link_appointment_of(link), link_last_changed(link))
    return Answer(resource, patient_id=link.patient_id)


# ---- Practitioner, Schedule, HealthcareService ----------------------------------------------


def practitioner_read(call: Call, therapist_id: str) -> Answer:
    therapist = api_therapists(call.client).filter(pk=_pk(therapist_id)).first()
    if therapist is None:
        raise not_found("Practitioner", therapist_id)
    return Answer(mappers.practitioner_resource(therapist))


def practitioner_search(call: Call) -> Answer:
    found = search.params(call.request, frozenset({"_id", "name", "active"}))
    therapists = api_therapists(call.client)
    if (value := search.one(found, "_id")) is not None:
        therapists = therapists.filter(pk=_pk(value))
    if (value := search.one(found, "name")) is not None:
        therapists = therapists.filter(name__icontains=value)
    if (value := search.one(found, "active")) is not None:
        therapists = therapists.filter(active=_boolean(value, "active"))
    return _searchset(
        call, found, therapists, lambda _, rows: [mappers.practitioner_resource(t) for t in rows]
    )


def _boolean(raw: str, name: str) -> bool:
    if raw not in {"true", "false"}:
        raise invalid(f"{name} is true or false.")
    return raw == "true"


def _schedules(call: Call, therapists: list[Any]) -> list[Resource]:
    offered = rules_by_therapist(api_rules(call.client))
    return [mappers.schedule_resource(t, offered.get(t.pk, [])) for t in therapists]


def schedule_read(call: Call, schedule_id: str) -> Answer:
    therapist = api_therapists(call.client).filter(pk=_pk(schedule_id)).first()
    if therapist is None:
        raise not_found("Schedule", schedule_id)
    return Answer(_schedules(call, [therapist])[0])


def schedule_search(call: Call) -> Answer:
    found = search.params(call.request, frozenset({"_id", "actor", "active"}))
    therapists = api_therapists(call.client)
    if (value := search.one(found, "_id")) is not None:
        therapists = therapists.filter(pk=_pk(value))
    if (value := search.one(found, "actor")) is not None:
        therapists = therapists.filter(pk=mappers.reference_id(value, "Practitioner"))
    if (value := search.one(found, "active")) is not None:
        therapists = therapists.filter(active=_boolean(value, "active"))
    return _searchset(call, found, therapists, _schedules)


def _healthcare_service(call: Call) -> Resource:
    return mappers.healthcare_service_resource(call.client.service, api_rules(call.client))


def healthcare_service_read(call: Call, service_id: str) -> Answer:
    if _pk(service_id) != call.client.service_id:
        raise not_found("HealthcareService", service_id)
    return Answer(_healthcare_service(call))


def healthcare_service_search(call: Call) -> Answer:
    found = search.params(call.request, frozenset({"_id"}))
    value = search.one(found, "_id")
    mine = value is None or _pk(value) == call.client.service_id
    resources = [_healthcare_service(call)] if mine else []
    at = search.page(found)
    return Answer(
        search.bundle(
            call.request,
            resources[at.offset : at.offset + at.count],
            total=len(resources),
            at=at,
            full_url=call.url("")[:-1],
        )
    )


# ---- Slot -------------------------------------------------------------------------------------

SLOT_SEARCH = frozenset({"schedule", "service-type", "start", "status"})


def slot_search(call: Call) -> Answer:
    found = search.params(call.request, SLOT_SEARCH)
    status = search.one(found, "status")
    if status not in {None, "free"}:
        raise invalid(
            "Only free slots are searchable (status=free): booked time is an Appointment."
        )
    rules = api_rules(call.client)
    if (value := search.one(found, "service-type")) is not None:
        code = search.token(value, mappers.BROADCAST_RULE, "service-type")
        rules = [r for r in rules if str(r.pk) == code]
    therapist_id = None
    if (value := search.one(found, "schedule")) is not None:
        therapist_id = mappers.reference_id(value, "Schedule")
    since, until = call.now, call.now + timedelta(days=366)
    zone = call.client.service.zone
    for bound in search.date_bounds(found.get("start", []), "start", zone):
        if bound.prefix in {"ge", "gt", "eq"}:
            since = max(since, bound.end if bound.prefix == "gt" else bound.start)
        if bound.prefix in {"lt", "le", "eq"}:
            until = min(until, bound.start if bound.prefix == "lt" else bound.end)
    keys: list[tuple[Any, int, BroadcastRule]] = []
    for rule in rules:
        for start, therapist in rule_therapist_times(rule, call.now, since, until):
            if therapist_id is None or therapist == therapist_id:
                keys.append((start, therapist, rule))
    keys.sort(key=lambda k: (k[0], k[1], k[2].pk))
    at = search.page(found)
    shown = keys[at.offset : at.offset + at.count]
    resources = [mappers.slot_resource(SlotKey(t, s, r.pk), r) for s, t, r in shown]
    return Answer(
        search.bundle(call.request, resources, total=len(keys), at=at, full_url=call.url("")[:-1])
    )


def slot_read(call: Call, slot_id: str) -> Answer:
    key = SlotKey.parse(slot_id)
    rule = _slot_rule(call, key) if key is not None else None
    if (
        key is None
        or rule is None
        or key.therapist_id not in rule_free_therapists(rule, call.now, key.start)
    ):
        raise not_found("Slot", slot_id)
    return Answer(mappers.slot_resource(key, rule))


def _slot_rule(call: Call, key: SlotKey) -> BroadcastRule | None:
    return next((r for r in api_rules(call.client) if r.pk == key.rule_id), None)


# ---- Appointment ------------------------------------------------------------------------------

APPOINTMENT_SEARCH = frozenset(
    {"_id", "patient", "practitioner", "actor", "date", "status", "identifier"}
)
_STATUS_FROM_FHIR = {v: k for k, v in mappers.APPOINTMENT_STATUS.items()}


def _appointment_resources(call: Call, appointments: list[Appointment]) -> list[Resource]:
    changed = appointments_last_changed(call.client, appointments)
    rules = {
        link.pk: link.rule
        for link in api_links(call.client).filter(
            pk__in={a.booking_link_id for a in appointments if a.booking_link_id}
        )
    }
    return [
        mappers.appointment_resource(
            a, rules.get(a.booking_link_id) if a.booking_link_id else None, changed.get(str(a.pk))
        )
        for a in appointments
    ]


def _appointment(call: Call, appointment_id: str) -> Appointment:
    found = api_appointments(call.client).filter(pk=_pk(appointment_id)).first()
    if found is None:
        raise not_found("Appointment", appointment_id)
    return found


def appointment_read(call: Call, appointment_id: str) -> Answer:
    appointment = _appointment(call, appointment_id)
    resource = _appointment_resources(call, [appointment])[0]
    return Answer(resource, patient_id=appointment.patient_id)


def appointment_search(call: Call) -> Answer:
    found = search.params(call.request, APPOINTMENT_SEARCH)
    appointments = api_appointments(call.client)
    patient_id = None
    if (value := search.one(found, "_id")) is not None:
        appointments = appointments.filter(pk=_pk(value))
    if (value := search.one(found, "patient")) is not None:
        patient_id = mappers.reference_id(value, "Patient")
        appointments = appointments.filter(patient_id=patient_id)
    for name in ("practitioner", "actor"):
        if (value := search.one(found, name)) is not None:
            appointments = appointments.filter(
                therapist_id=mappers.reference_id(value, "Practitioner")
            )
    if (value := search.one(found, "identifier")) is not None:
        appointments = appointments.filter(
            booking_link_id=_pk(search.token(value, mappers.BOOKING_LINK, "identifier"))
        )
    if (value := search.one(found, "status")) is not None:
        if value not in _STATUS_FROM_FHIR:
            raise invalid(f"status is one of {', '.join(sorted(_STATUS_FROM_FHIR))}.")
        appointments = appointments.filter(status=_STATUS_FROM_FHIR[value])
    zone = call.client.service.zone
    for bound in search.date_bounds(found.get("date", []), "date", zone):
        appointments = appointments.filter(bound.q("start"))
    answer = _searchset(call, found, appointments, _appointment_resources)
    answer.patient_id = patient_id
    return answer


def appointment_create_(call: Call) -> Answer:
    resource = schema.incoming("Appointment", request_json(call.request))
    if resource.get("status") != "booked":
        raise unprocessable("Create an Appointment with status booked, in a free Slot.")
    slots = resource.get("slot") or []
    if len(slots) != 1:
        raise unprocessable("Name one free Slot (slot[0].reference, from a Slot search).")
    slot_id = str(slots[0].get("reference", "")).rpartition("Slot/")[2]
    key = SlotKey.parse(slot_id)
    rule = _slot_rule(call, key) if key is not None else None
    if key is None or rule is None:
        raise unprocessable(f"{slot_id!r} is not a Slot of this service.")
    patients = [
        p["actor"]["reference"]
        for p in resource.get("participant", [])
        if str(p.get("actor", {}).get("reference", "")).startswith("Patient/")
    ]
    if len(patients) != 1:
        raise unprocessable("Name the patient as one participant (actor Patient/<id>).")
    patient = (
        api_patients(call.client).filter(pk=mappers.reference_id(patients[0], "Patient")).first()
    )
    if patient is None:
        raise unprocessable(f"{patients[0]} is not a patient of this service.")
    if key.therapist_id not in rule_free_therapists(rule, call.now, key.start):
        raise FhirError(
            409, "conflict", f"Slot {slot_id} is no longer free. Search for Slots again."
        )
    appointment = Appointment(
        service=call.client.service,
        therapist_id=key.therapist_id,
        patient=patient,
        appointment_type=rule.appointment_type,
        start=key.start,
        end=key.start + timedelta(minutes=rule.duration_minutes),
        medium=rule.medium,
        location=rule.location,
        source=Source.STAFF,
    )
    try:
        appointment_create(appointment=appointment, user=call.client.acting_user)
    except DiaryConflict:
        raise FhirError(
            409, "conflict", f"Slot {slot_id} has just been taken. Search for Slots again."
        ) from None
    made = api_appointments(call.client).get(pk=appointment.pk)
    return _created(call, _appointment_resources(call, [made])[0], patient.pk)


def appointment_update(call: Call, appointment_id: str) -> Answer:
    appointment = _appointment(call, appointment_id)
    resource = schema.incoming("Appointment", request_json(call.request))
    if str(resource.get("id")) != appointment_id:
        raise invalid("The resource's id must be the id in the URL.")
    reason = (resource.get("cancelationReason") or {}).get("text", "")
    return _change_status(call, appointment, str(resource.get("status")), str(reason))


def appointment_patch(call: Call, appointment_id: str) -> Answer:
    appointment = _appointment(call, appointment_id)
    if (call.request.content_type or "").lower() != "application/json-patch+json":
        raise FhirError(
            415, "not-supported", "PATCH takes a JSON Patch (application/json-patch+json)."
        )
    try:
        operations = json.loads(call.request.body or b"null")
    except ValueError:
        raise invalid("The body is not valid JSON.") from None
    if not (
        isinstance(operations, list)
        and len(operations) == 1
        and isinstance(operations[0], dict)
        and operations[0].get("op") == "replace"
        and operations[0].get("path") == "/status"
    ):
        raise unprocessable(
            "PATCH can change the status only: "
            '[{"op": "replace", "path": "/status", "value": "cancelled"}].'
        )
    return _change_status(call, appointment, str(operations[0].get("value")), "")


def _change_status(call: Call, appointment: Appointment, status: str, reason: str) -> Answer:
    current = _appointment_resources(call, [appointment])[0]
    _if_match(call, current)
    if status == current["status"]:
        return Answer(current, patient_id=appointment.patient_id)
    if status != "cancelled":
        raise unprocessable("The only change this server makes to an Appointment is to cancel it.")
    if appointment.status != AppointmentStatus.BOOKED:
        raise unprocessable(f"A {current['status']} appointment cannot be cancelled.")
    appointment_cancel(
        appointment=appointment,
        reason=reason or f"Cancelled by {call.client.name}",
        user=call.client.acting_user,
    )
    updated = _appointment_resources(call, [_appointment(call, str(appointment.pk))])[0]
    return Answer(updated, patient_id=appointment.patient_id)


# ---- Paging -----------------------------------------------------------------------------------


def _searchset(
    call: Call,
    found: dict[str, list[str]],
    rows: QuerySet[Any],
    present: Callable[[Call, list[Any]], list[Resource]],
) -> Answer:
    at = search.page(found)
    total = rows.count()
    shown = list(rows[at.offset : at.offset + at.count])
    return Answer(
        search.bundle(
            call.request, present(call, shown), total=total, at=at, full_url=call.url("")[:-1]
        )
    )


# ---- Routing and the CapabilityStatement -------------------------------------------------------

# (resource type, interaction) -> (needs the write scope, handler). The CapabilityStatement is
# made from this table, so it lists exactly what is implemented.
TYPE_LEVEL: dict[tuple[str, str], tuple[bool, Handler]] = {
    ("Patient", "search-type"): (False, patient_search),
    ("Patient", "create"): (True, patient_create_),
    ("Practitioner", "search-type"): (False, practitioner_search),
    ("Schedule", "search-type"): (False, schedule_search),
    ("HealthcareService", "search-type"): (False, healthcare_service_search),
    ("Slot", "search-type"): (False, slot_search),
    ("Appointment", "search-type"): (False, appointment_search),
    ("Appointment", "create"): (True, appointment_create_),
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
