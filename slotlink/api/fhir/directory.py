"""Who and what can be booked: Practitioner, Schedule, HealthcareService, and free Slots."""

from datetime import timedelta
from typing import Any

from slotlink.api.fhir import mappers, search
from slotlink.api.fhir.gateway import Call
from slotlink.api.fhir.handling import boolean, record_pk, searchset
from slotlink.api.fhir.http import (
    Answer,
    Resource,
    invalid,
    not_found,
)
from slotlink.api.fhir.mappers import SlotKey
from slotlink.api.fhir.selectors import (
    api_therapists,
    free_slots,
    rules_by_therapist,
)
from slotlink.booking.availability.selectors import rule_free_therapists
from slotlink.booking.links.selectors import rules_for
from slotlink.booking.models import BroadcastRule


def practitioner_read(call: Call, therapist_id: str) -> Answer:
    therapist = api_therapists(call.client).filter(pk=record_pk(therapist_id)).first()
    if therapist is None:
        raise not_found("Practitioner", therapist_id)
    return Answer(mappers.practitioner_resource(therapist))


def practitioner_search(call: Call) -> Answer:
    found = search.params(call.request, frozenset({"_id", "name", "active"}))
    therapists = api_therapists(call.client)
    if (value := search.one(found, "_id")) is not None:
        therapists = therapists.filter(pk=record_pk(value))
    if (value := search.one(found, "name")) is not None:
        therapists = therapists.filter(name__icontains=value)
    if (value := search.one(found, "active")) is not None:
        therapists = therapists.filter(active=boolean(value, "active"))
    return searchset(
        call, found, therapists, lambda _, rows: [mappers.practitioner_resource(t) for t in rows]
    )


def _schedules(call: Call, therapists: list[Any]) -> list[Resource]:
    offered = rules_by_therapist(rules_for(call.client.service_id))
    return [mappers.schedule_resource(t, offered.get(t.pk, [])) for t in therapists]


def schedule_read(call: Call, schedule_id: str) -> Answer:
    therapist = api_therapists(call.client).filter(pk=record_pk(schedule_id)).first()
    if therapist is None:
        raise not_found("Schedule", schedule_id)
    return Answer(_schedules(call, [therapist])[0])


def schedule_search(call: Call) -> Answer:
    found = search.params(call.request, frozenset({"_id", "actor", "active"}))
    therapists = api_therapists(call.client)
    if (value := search.one(found, "_id")) is not None:
        therapists = therapists.filter(pk=record_pk(value))
    if (value := search.one(found, "actor")) is not None:
        therapists = therapists.filter(pk=mappers.reference_id(value, "Practitioner"))
    if (value := search.one(found, "active")) is not None:
        therapists = therapists.filter(active=boolean(value, "active"))
    return searchset(call, found, therapists, _schedules)


def _healthcare_service(call: Call) -> Resource:
    rules = list(rules_for(call.client.service_id))
    return mappers.healthcare_service_resource(call.client.service, rules)


def healthcare_service_read(call: Call, service_id: str) -> Answer:
    if record_pk(service_id) != call.client.service_id:
        raise not_found("HealthcareService", service_id)
    return Answer(_healthcare_service(call))


def healthcare_service_search(call: Call) -> Answer:
    found = search.params(call.request, frozenset({"_id"}))
    value = search.one(found, "_id")
    mine = value is None or record_pk(value) == call.client.service_id
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
    rules = list(rules_for(call.client.service_id))
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
    at = search.page(found)
    exact = search.total_asked(found)
    # One more than the page, to know whether there is a next.
    wanted = None if exact else at.offset + at.count + 1
    slots = free_slots(
        rules, call.now, since, until, zone=zone, therapist_id=therapist_id, wanted=wanted
    )
    shown = slots[at.offset : at.offset + at.count]
    resources = [mappers.slot_resource(SlotKey(t, s, r.pk), r) for s, t, r in shown]
    return Answer(
        search.bundle(
            call.request,
            resources,
            total=len(slots) if exact else None,
            more=len(slots) > at.offset + at.count,
            at=at,
            full_url=call.url("")[:-1],
        )
    )


def slot_read(call: Call, slot_id: str) -> Answer:
    key = SlotKey.parse(slot_id)
    rule = slot_rule(call, key) if key is not None else None
    if (
        key is None
        or rule is None
        or key.therapist_id not in rule_free_therapists(rule, call.now, key.start)
    ):
        raise not_found("Slot", slot_id)
    return Answer(mappers.slot_resource(key, rule))


def slot_rule(call: Call, key: SlotKey) -> BroadcastRule | None:
    return next((r for r in rules_for(call.client.service_id) if r.pk == key.rule_id), None)
