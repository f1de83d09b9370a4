"""Patient (read, search, create, update, $send-booking-link) and Task (a booking link)."""

from datetime import UTC, timedelta

from django.db.models import QuerySet
from django.http import QueryDict

from slotlink.api.fhir import mappers, schema, search
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
from slotlink.api.fhir.selectors import (
    api_patients,
    link_last_changed,
    patients_last_changed,
)
from slotlink.booking.links.selectors import link_appointment, links_for, rules_for
from slotlink.booking.links.services import BookingError, booking_link_send_or_show
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import Language, Patient
from slotlink.clinic.selectors import is_valid_nhs_number
from slotlink.clinic.services.setup import DuplicateNhsNumber, PatientIdentity, patient_create
from slotlink.lib.planning import planned_with_values
from slotlink.records.forms import PatientRecordForm
from slotlink.records.services.patients import RecordChange, patient_details_update

DUPLICATE = "Another patient of this service has that NHS number."


def _patient(call: Call, patient_id: str) -> Patient:
    found = api_patients(call.client).filter(pk=record_pk(patient_id)).first()
    if found is None:
        raise not_found("Patient", patient_id)
    return found


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
        patients = patients.filter(pk=record_pk(value))
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
    # By family name: only a plan made for the name knows how far the walk in id order goes.
    with planned_with_values():
        return searchset(call, found, _patient_search(call, found), _patient_resources)


def _record_values(resource: Resource, language: str) -> tuple[PatientIdentity, RecordChange]:
    """The record's values from the resource; FHIR carries no language we read, so the
    patient's preferred language stays as it is (English for a new patient)."""
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
    identity = PatientIdentity(
        first_name=values.first_name,
        last_name=values.last_name,
        date_of_birth=values.date_of_birth,
        nhs_number=values.nhs_number,
        preferred_language=language,
    )
    change = RecordChange(
        mobile=form.cleaned_data["mobile"],
        email=form.cleaned_data["email"],
        discharged=values.discharged,
        do_not_sms=values.do_not_sms,
    )
    return identity, change


def patient_post(call: Call) -> Answer:
    resource = schema.incoming("Patient", request_json(call.request))
    existing = _if_none_exist(call)
    if existing is not None:
        return existing
    identity, change = _record_values(resource, Language.ENGLISH)
    try:
        patient = patient_create(
            service_id=call.client.service_id,
            identity=identity,
            mobile=change.mobile,
            email=change.email,
            do_not_sms=change.do_not_sms,
            discharged=change.discharged,
            user=call.client.acting_user,
        )
    except DuplicateNhsNumber:
        raise FhirError(409, "duplicate", DUPLICATE) from None
    return created(call, _patient_resources(call, [patient])[0], patient.pk)


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
    with planned_with_values():
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


def patient_update(call: Call, patient_id: str) -> Answer:
    patient = _patient(call, patient_id)
    resource = schema.incoming("Patient", request_json(call.request))
    if str(resource.get("id")) != patient_id:
        raise invalid("The resource's id must be the id in the URL.")
    version_check(call, _patient_resources(call, [patient])[0])
    identity, change = _record_values(resource, patient.preferred_language)
    try:
        patient_details_update(
            patient=patient, identity=identity, change=change, user=call.client.acting_user
        )
    except DuplicateNhsNumber:
        raise FhirError(409, "duplicate", DUPLICATE) from None
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
    return created(call, resource, patient.pk)


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
    rule = next((r for r in rules_for(call.client.service_id) if str(r.pk) == str(code)), None)
    if rule is None:
        raise unprocessable(
            f"{code!r} is not one of this service's broadcast rules; HealthcareService lists them."
        )
    return rule


# ---- Task (booking links) -------------------------------------------------------------------


def task_read(call: Call, task_id: str) -> Answer:
    link = links_for(call.client.service_id).filter(pk=record_pk(task_id)).first()
    if link is None:
        raise not_found("Task", task_id)
    resource = mappers.task_resource(link, link_appointment(link), link_last_changed(link))
    return Answer(resource, patient_id=link.patient_id)
