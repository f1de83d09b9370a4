"""Appointment: read, search, book into a free Slot, cancel."""

import json
from datetime import timedelta

from slotlink.api.fhir import mappers, schema, search
from slotlink.api.fhir.directory import slot_rule
from slotlink.api.fhir.gateway import Call
from slotlink.api.fhir.handling import created, record_pk, searchset, version_check
from slotlink.api.fhir.http import (
    Answer,
    FhirError,
    Resource,
    invalid,
    not_found,
    request_json,
    unprocessable,
)
from slotlink.api.fhir.mappers import SlotKey
from slotlink.api.fhir.selectors import (
    api_appointments,
    api_patients,
    appointments_last_changed,
)
from slotlink.booking.availability.selectors import rule_free_therapists
from slotlink.booking.links.selectors import links_for
from slotlink.clinic.models import Appointment, AppointmentStatus, Source
from slotlink.records.services.appointments import DiaryConflict
from slotlink.records.services.diary import appointment_cancel, appointment_create

APPOINTMENT_SEARCH = frozenset(
    {"_id", "patient", "practitioner", "actor", "date", "status", "identifier"}
)
_STATUS_FROM_FHIR = {v: k for k, v in mappers.APPOINTMENT_STATUS.items()}


def _appointment_resources(call: Call, appointments: list[Appointment]) -> list[Resource]:
    changed = appointments_last_changed(call.client, appointments)
    rules = {
        link.pk: link.rule
        for link in links_for(call.client.service_id).filter(
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
    found = api_appointments(call.client).filter(pk=record_pk(appointment_id)).first()
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
        appointments = appointments.filter(pk=record_pk(value))
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
            booking_link_id=record_pk(search.token(value, mappers.BOOKING_LINK, "identifier"))
        )
    if (value := search.one(found, "status")) is not None:
        if value not in _STATUS_FROM_FHIR:
            raise invalid(f"status is one of {', '.join(sorted(_STATUS_FROM_FHIR))}.")
        appointments = appointments.filter(status=_STATUS_FROM_FHIR[value])
    zone = call.client.service.zone
    for bound in search.date_bounds(found.get("date", []), "date", zone):
        appointments = appointments.filter(bound.q("start"))
    answer = searchset(call, found, appointments, _appointment_resources)
    answer.patient_id = patient_id
    return answer


def appointment_post(call: Call) -> Answer:
    resource = schema.incoming("Appointment", request_json(call.request))
    if resource.get("status") != "booked":
        raise unprocessable("Create an Appointment with status booked, in a free Slot.")
    slots = resource.get("slot") or []
    if len(slots) != 1:
        raise unprocessable("Name one free Slot (slot[0].reference, from a Slot search).")
    slot_id = str(slots[0].get("reference", "")).rpartition("Slot/")[2]
    key = SlotKey.parse(slot_id)
    rule = slot_rule(call, key) if key is not None else None
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
        location_cy=rule.location_cy,
        source=Source.STAFF,
    )
    try:
        appointment_create(appointment=appointment, user=call.client.acting_user)
    except DiaryConflict:
        raise FhirError(
            409, "conflict", f"Slot {slot_id} has just been taken. Search for Slots again."
        ) from None
    made = api_appointments(call.client).get(pk=appointment.pk)
    return created(call, _appointment_resources(call, [made])[0], patient.pk)


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
    version_check(call, current)
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
