"""Slotlink's records as FHIR R4 resources (the API's presenters), and FHIR resources back into
the plain values the services take. Names and codes a record system sees are all here."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slotlink.api.fhir.http import FhirError, Resource, unprocessable
from slotlink.booking.models import BookingLink, BroadcastRule
from slotlink.clinic.models import Appointment, AppointmentStatus, Patient, Service, Therapist
from slotlink.domain.link_lifecycle import LinkStatus

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
# Slotlink's own code systems and extension: URNs, as no one else defines these.
BROADCAST_RULE = "urn:slotlink:broadcast-rule"
BOOKING_LINK = "urn:slotlink:booking-link"
BOOKING_LINK_STATUS = "urn:slotlink:booking-link-status"
DO_NOT_SMS = "urn:slotlink:extension:do-not-sms"

APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ATTENDED: "fulfilled",
    AppointmentStatus.DNA: "noshow",
    AppointmentStatus.CANCELLED: "cancelled",
}
TASK_STATUS = {
    LinkStatus.SENT: "requested",
    LinkStatus.ACCESSED: "in-progress",
    LinkStatus.BOOKED: "completed",
    LinkStatus.RESCHEDULED: "completed",
    LinkStatus.EXPIRED: "cancelled",
    LinkStatus.DELETED: "cancelled",
}


def instant(moment: datetime) -> str:
    """FHIR instants carry their offset; ours are UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def version_of(resource: Resource) -> str:
    """A version that changes whenever anything a client can see changes: the resource's own
    digest. Slotlink keeps no version counter, and this needs none kept in step."""
    content = json.dumps(
        {k: v for k, v in resource.items() if k != "meta"}, sort_keys=True, default=str
    )
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def with_meta(resource: Resource, last_updated: datetime | None) -> Resource:
    meta: dict[str, Any] = {"versionId": version_of(resource)}
    if last_updated is not None:
        meta["lastUpdated"] = instant(last_updated)
    return {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta} | {
        k: v for k, v in resource.items() if k not in {"resourceType", "id"}
    }


def etag(resource: Resource) -> str:
    return f'W/"{resource["meta"]["versionId"]}"'


def rule_coding(rule: BroadcastRule) -> dict[str, str]:
    return {"system": BROADCAST_RULE, "code": str(rule.pk), "display": rule.title}


def patient_resource(patient: Patient, last_updated: datetime | None) -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "extension": [{"url": DO_NOT_SMS, "valueBoolean": patient.do_not_sms}],
        "active": patient.discharged_at is None,
        "name": [{"use": "official", "family": patient.last_name, "given": [patient.first_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if patient.nhs_number:
        resource["identifier"] = [{"system": NHS_NUMBER, "value": patient.nhs_number}]
    telecom = []
    if patient.mobile:
        telecom.append({"system": "phone", "value": patient.mobile, "use": "mobile"})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    return with_meta(resource, last_updated)


@dataclass(frozen=True)
class PatientValues:
    """What a Patient resource says, in Slotlink's terms (mobile and email as written: the
    record's own form checks them)."""

    first_name: str
    last_name: str
    date_of_birth: date
    nhs_number: str
    mobile: str
    email: str
    discharged: bool
    do_not_sms: bool


def patient_values(resource: Resource) -> PatientValues:
    names = [n for n in resource.get("name", []) if n.get("family") and n.get("given")]
    if not names:
        raise unprocessable("A Patient needs a name with a family name and a given name.")
    official = next((n for n in names if n.get("use") == "official"), names[0])
    if "birthDate" not in resource or len(str(resource["birthDate"])) != 10:
        raise unprocessable("A Patient needs a full birthDate (YYYY-MM-DD).")
    numbers = [
        str(i.get("value", ""))
        for i in resource.get("identifier", [])
        if i.get("system") == NHS_NUMBER
    ]
    telecom = resource.get("telecom", [])
    phones = [
        str(t["value"]) for t in telecom if t.get("system") in {"phone", "sms"} and t.get("value")
    ]
    emails = [str(t["value"]) for t in telecom if t.get("system") == "email" and t.get("value")]
    flags = [
        e.get("valueBoolean") for e in resource.get("extension", []) if e.get("url") == DO_NOT_SMS
    ]
    return PatientValues(
        first_name=str(official["given"][0])[:100],
        last_name=str(official["family"])[:100],
        date_of_birth=date.fromisoformat(str(resource["birthDate"])),
        nhs_number=numbers[0].replace(" ", "") if numbers else "",
        mobile=phones[0] if phones else "",
        email=emails[0] if emails else "",
        discharged=resource.get("active", True) is False,
        do_not_sms=bool(flags and flags[0]),
    )


def practitioner_resource(therapist: Therapist) -> Resource:
    return with_meta(
        {
            "resourceType": "Practitioner",
            "id": str(therapist.pk),
            "active": therapist.active,
            "name": [{"text": therapist.name}],
        },
        None,
    )


def schedule_resource(therapist: Therapist, rules: list[BroadcastRule]) -> Resource:
    resource: Resource = {
        "resourceType": "Schedule",
        "id": str(therapist.pk),
        "active": therapist.active,
        "actor": [{"reference": f"Practitioner/{therapist.pk}", "display": therapist.name}],
    }
    if rules:
        resource["serviceType"] = [{"coding": [rule_coding(rule)]} for rule in rules]
    return with_meta(resource, None)


def healthcare_service_resource(service: Service, rules: list[BroadcastRule]) -> Resource:
    resource: Resource = {
        "resourceType": "HealthcareService",
        "id": str(service.pk),
        "active": True,
        "name": service.name,
        "appointmentRequired": True,
    }
    if rules:
        resource["type"] = [{"coding": [rule_coding(rule)], "text": rule.title} for rule in rules]
    if service.phone:
        resource["telecom"] = [{"system": "phone", "value": service.phone}]
    return with_meta(resource, None)


@dataclass(frozen=True)
class SlotKey:
    """A slot is one therapist's free time under one rule: its id says all three, so the
    same time and therapist keep their id from one search to the next."""

    therapist_id: int
    start: datetime
    rule_id: int

    @property
    def id(self) -> str:
        return f"{self.therapist_id}-{self.start.astimezone(UTC):%Y%m%dT%H%M}Z-r{self.rule_id}"

    @classmethod
    def parse(cls, text: str) -> "SlotKey | None":
        therapist, _, rest = text.partition("-")
        when, _, rule = rest.partition("Z-r")
        try:
            start = datetime.strptime(when, "%Y%m%dT%H%M").replace(tzinfo=UTC)
        except ValueError:
            return None
        if not (therapist.isdigit() and rule.isdigit()) or len(therapist) > 12 or len(rule) > 12:
            return None
        return cls(int(therapist), start, int(rule))


def slot_resource(key: SlotKey, rule: BroadcastRule) -> Resource:
    end = key.start + timedelta(minutes=rule.duration_minutes)
    return with_meta(
        {
            "resourceType": "Slot",
            "id": key.id,
            "serviceType": [{"coding": [rule_coding(rule)]}],
            "schedule": {"reference": f"Schedule/{key.therapist_id}"},
            "status": "free",
            "start": instant(key.start),
            "end": instant(end),
        },
        None,
    )


def appointment_resource(
    appointment: Appointment, rule: BroadcastRule | None, last_updated: datetime | None
) -> Resource:
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "status": APPOINTMENT_STATUS[AppointmentStatus(appointment.status)],
        "appointmentType": {"text": appointment.appointment_type.name},
        "description": appointment.appointment_type.name,
        "start": instant(appointment.start),
        "end": instant(appointment.end),
        "minutesDuration": appointment.duration_minutes,
        "created": appointment.created_at.date().isoformat(),
        "participant": [
            {
                "actor": {"reference": f"Patient/{appointment.patient_id}"},
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": {
                    "reference": f"Practitioner/{appointment.therapist_id}",
                    "display": appointment.therapist.name,
                },
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if rule is not None:
        resource["serviceType"] = [{"coding": [rule_coding(rule)]}]
    if appointment.booking_link_id is not None:
        resource["identifier"] = [
            {"system": BOOKING_LINK, "value": str(appointment.booking_link_id)}
        ]
        resource["basedOn"] = [{"reference": f"Task/{appointment.booking_link_id}"}]
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancellation_reason:
        resource["cancelationReason"] = {"text": appointment.cancellation_reason}
    return with_meta(resource, last_updated or appointment.created_at)


def task_resource(
    link: BookingLink, appointment: Appointment | None, last_updated: datetime
) -> Resource:
    status = LinkStatus(link.status)
    resource: Resource = {
        "resourceType": "Task",
        "id": str(link.pk),
        "identifier": [{"system": BOOKING_LINK, "value": str(link.pk)}],
        "status": TASK_STATUS[status],
        "businessStatus": {
            "coding": [{"system": BOOKING_LINK_STATUS, "code": status.value}],
            "text": status.value,
        },
        "intent": "order",
        "code": {"text": "Book an appointment online through a booking link"},
        "for": {"reference": f"Patient/{link.patient_id}"},
        "authoredOn": instant(link.created_at),
        "lastModified": instant(last_updated),
        "restriction": {"period": {"end": instant(link.expires_at)}},
        "input": [{"type": {"text": "broadcast rule"}, "valueCoding": rule_coding(link.rule)}],
    }
    if appointment is not None:
        resource["output"] = [
            {
                "type": {"text": "appointment"},
                "valueReference": {"reference": f"Appointment/{appointment.pk}"},
            }
        ]
    return with_meta(resource, last_updated)


def reference_id(value: Any, kind: str) -> int:
    """The record id in "Kind/123" (or a bare "123" in a search parameter)."""
    text = str(value or "")
    if "/" in text:
        prefix, _, text = text.rpartition("/")
        if prefix.rsplit("/", 1)[-1] != kind:
            raise FhirError(400, "invalid", f"Expected a reference to a {kind}, got {value!r}.")
    if not text.isdigit() or len(text) > 12:
        raise FhirError(400, "invalid", f"{value!r} is not a {kind} this server knows.")
    return int(text)
