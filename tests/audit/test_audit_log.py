"""The audit log: one explicit auditor, called by the services and views that do or show
things; rows that nobody can change (the ORM refuses, and PostgreSQL refuses even raw SQL);
a patient's trail readable by admins and superusers only."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from slotlink.audit.models import AppendOnly, AuditAction, AuditEvent, Who
from slotlink.audit.services import audit_record
from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import Actor, booking_link_expire, booking_link_send
from slotlink.booking.models import ManageLink
from slotlink.booking.rules.services import broadcast_rule_set_active
from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.records.services.appointments import appointment_delete
from slotlink.records.services.patients import RecordChange, patient_record_update
from tests.conftest import Clinic, logged_in

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
BORN = date(1990, 4, 12)  # the factory patient's date of birth


def actions(**filters: object) -> list[str]:
    return list(
        AuditEvent.objects.filter(**filters).order_by("pk").values_list("action", flat=True)
    )


def trail(clinic: Clinic) -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(patient=clinic.patient)
        .order_by("pk")
        .values_list("action", "actor_kind", "actor_username")
    )


# The auditor


def test_the_auditor_records_who_did_what_to_which_record(clinic: Clinic) -> None:
    event = audit_record(
        action=AuditAction.PATIENT_VIEWED,
        by=clinic.admin,
        subject=clinic.patient,
        patient_id=clinic.patient.pk,
        details={"page": "details"},
    )
    event.refresh_from_db()
    assert (event.actor_kind, event.actor_id, event.actor_username) == (
        "staff",
        clinic.admin.pk,
        clinic.admin.username,
    )
    assert (event.object_type, event.object_id) == ("patient", str(clinic.patient.pk))
    assert (event.patient_id, event.service_id) == (clinic.patient.pk, clinic.service.pk)
    assert event.occurred_at == timezone.now()
    assert event.details == {"page": "details"}


def test_patients_and_the_system_act_without_a_user(clinic: Clinic) -> None:
    audit_record(action=AuditAction.LINK_OPENED, by=Who.PATIENT, patient_id=clinic.patient.pk)
    audit_record(action=AuditAction.RETENTION_APPLIED, by=Who.SYSTEM)
    assert list(AuditEvent.objects.order_by("pk").values_list("actor_kind", "actor_id")) == [
        ("patient", None),
        ("system", None),
    ]
    with pytest.raises(ValueError, match="must name the member of staff"):
        audit_record(action=AuditAction.PATIENT_VIEWED, by=Who.STAFF)


@pytest.mark.parametrize("key", ["date_of_birth", "born", "code", "token", "password", "body"])
def test_secrets_are_refused_by_the_auditor_itself(clinic: Clinic, key: str) -> None:
    with pytest.raises(ValueError, match="must not be written"):
        audit_record(action=AuditAction.VERIFICATION_BIRTH_DATE, by=Who.PATIENT, details={key: 1})
    assert not AuditEvent.objects.exists()


def test_details_are_kept_small(clinic: Clinic) -> None:
    event = audit_record(
        action=AuditAction.SETTINGS_CHANGED,
        by=clinic.superuser,
        details={"subject": "x" * 5000, "fields": [f"f{n}" for n in range(50)]},
    )
    assert len(event.details["subject"]) == 200
    assert len(event.details["fields"]) == 12


# Nobody can change it


@pytest.fixture
def event(clinic: Clinic) -> AuditEvent:
    return audit_record(action=AuditAction.PATIENT_VIEWED, by=clinic.admin, subject=clinic.patient)


def test_the_orm_refuses_to_change_or_delete_an_event(event: AuditEvent) -> None:
    event.action = AuditAction.PATIENT_UPDATED
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.PATIENT_VIEWED


def raw(sql: str, *params: object) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.mark.usefixtures("needs_postgres")
def test_postgresql_refuses_a_raw_update_of_an_audit_row(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", event.pk)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.PATIENT_VIEWED


@pytest.mark.usefixtures("needs_postgres")
def test_postgresql_refuses_a_raw_delete_of_an_audit_row(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM audit_auditevent WHERE id = %s", event.pk)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("needs_postgres")
def test_postgresql_lets_only_the_retention_transaction_delete() -> None:
    """Real transactions here: the setting must lapse when the deleting one commits."""
    event = audit_record(action=AuditAction.PATIENT_VIEWED, by=Who.SYSTEM)
    # Two statements, not one string: parameters are bound on the server, which takes one
    # statement at a time.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL slotlink.retention = 'on'")
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL slotlink.retention = 'on'")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        assert cursor.rowcount == 1
    other = audit_record(action=AuditAction.PATIENT_VIEWED, by=Who.SYSTEM)
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM audit_auditevent WHERE id = %s", other.pk)
    assert AuditEvent.objects.filter(pk=other.pk).exists()


# What is recorded


def book(clinic: Clinic) -> Appointment:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    return booking_link_book(link=link, start=TUESDAY_11)


def test_a_links_whole_life_is_in_the_trail(clinic: Clinic) -> None:
    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = Client()
    patient.get(f"/b/{token}")
    patient.get(f"/b/{token}")
    patient.post("/book/choose/", {"start": TUESDAY_11.isoformat()})
    patient.post("/book/confirm/")
    expired, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    booking_link_expire(link=expired, actor=Actor.staff(clinic.admin, "Expired by staff"))

    assert trail(clinic) == [
        ("link.sent", "staff", clinic.admin.username),
        ("link.opened", "patient", ""),
        ("link.opened", "patient", ""),
        ("link.booked", "patient", ""),
        ("appointment.created", "patient", ""),
        ("link.sent", "staff", clinic.admin.username),
        ("link.expired", "staff", clinic.admin.username),
    ]
    opened = AuditEvent.objects.filter(action=AuditAction.LINK_OPENED).order_by("pk")
    assert [e.details["first"] for e in opened] == [True, False]
    made = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_CREATED)
    assert made.object_type == "appointment"
    assert made.details == {"link": link.pk, "source": "online"}


def test_validity_ending_is_recorded_as_the_systems_doing(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    from slotlink.booking.links.services import booking_links_expire_overdue

    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days))
    booking_links_expire_overdue()
    assert trail(clinic)[-1] == ("link.expired", "system", "")


def test_staff_making_moving_cancelling_and_deleting_appointments_is_recorded(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    form = {
        "patient": clinic.patient.pk,
        "therapist": clinic.therapists[0].pk,
        "appointment_type": clinic.rule.appointment_type_id,
        "medium": "telephone",
        "location": "",
        "date": "2026-12-09",
        "start_time": "09:00",
        "duration_minutes": 60,
    }
    assert client.post("/appointments/new/", form).status_code == 302
    appointment = Appointment.objects.get()
    edit = {**form, "status": AppointmentStatus.BOOKED}
    client.post(f"/appointments/{appointment.pk}/", {**edit, "start_time": "10:00"})
    client.post(
        f"/appointments/{appointment.pk}/", {**edit, "start_time": "10:00", "location": "Room 2"}
    )
    client.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "Patient unwell"})
    online = book(clinic)
    appointment_delete(appointment=online, user=clinic.admin)

    staff_actions = list(
        AuditEvent.objects.filter(actor=clinic.admin, action__startswith="appointment.")
        .order_by("pk")
        .values_list("action", "object_id")
    )
    assert staff_actions == [
        ("appointment.created", str(appointment.pk)),
        ("appointment.moved", str(appointment.pk)),
        ("appointment.updated", str(appointment.pk)),
        ("appointment.cancelled", str(appointment.pk)),
        ("appointment.deleted", str(online.pk)),
    ]
    moved = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_MOVED)
    assert moved.details == {"fields": ["start", "end"]}
    assert "link.deleted" in actions(patient=clinic.patient)


def test_staff_looking_at_a_patient_is_recorded_page_by_page(clinic: Clinic) -> None:
    appointment = book(clinic)
    client = logged_in(clinic.therapist_user)
    for url in [
        f"/patients/{clinic.patient.pk}/",
        f"/patients/{clinic.patient.pk}/care-pathway/",
        f"/booking-links/{appointment.booking_link_id}/history/",
        f"/appointments/{appointment.pk}/",
        f"/appointments/{appointment.pk}/clinical-contact/",
    ]:
        assert client.get(url).status_code == 200

    assert actions(actor=clinic.therapist_user) == [
        "patient.viewed",
        "patient.viewed",
        "patient.viewed",
        "appointment.viewed",
        "clinical_contact.viewed",
    ]
    assert set(
        AuditEvent.objects.filter(actor=clinic.therapist_user).values_list("patient", flat=True)
    ) == {clinic.patient.pk}


def test_changing_a_clinical_contact_or_patient_details_records_which_not_what(
    clinic: Clinic,
) -> None:
    appointment = book(clinic)
    client = logged_in(clinic.therapist_user)
    client.post(
        f"/appointments/{appointment.pk}/clinical-contact/",
        {"notes": "Discussed something private", "outcome": "Attended"},
    )
    patient_record_update(
        patient=clinic.patient,
        change=RecordChange(mobile="+447700900555", email="", discharged=False, do_not_sms=False),
        user=clinic.therapist_user,
    )
    logged = json.dumps(list(AuditEvent.objects.values("details", "object_type", "action")))
    assert "clinical_contact.updated" in logged
    assert '"fields": ["mobile"]' in logged
    for private in ["Discussed something private", "+447700900555", "07700 900555"]:
        assert private not in logged


def test_every_verification_attempt_is_recorded_without_the_date_of_birth(
    clinic: Clinic,
) -> None:
    appointment = book(clinic)
    text = OutboundMessage.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION)
    token = re.search(r"/m/([A-Za-z0-9_\-]+)", message_body(text)).group(1)
    client = Client()
    client.get(f"/m/{token}")
    for _ in range(5):
        client.post("/manage/verify/", {"day": 1, "month": 1, "year": 1980})
    client.post("/manage/verify/", {"day": BORN.day, "month": BORN.month, "year": BORN.year})
    Client().get("/m/" + "x" * 43)

    attempts = AuditEvent.objects.filter(action=AuditAction.VERIFICATION_BIRTH_DATE).order_by("pk")
    assert [e.details["outcome"] for e in attempts] == ["wrong"] * 5 + ["locked"]
    assert {e.patient_id for e in attempts} == {clinic.patient.pk}
    assert {e.object_id for e in attempts} == {str(ManageLink.objects.get().pk)}
    logged = json.dumps(list(AuditEvent.objects.values()), default=str)
    for form in ["1990-04-12", "12/04/1990", "1980-01-01", "1980"]:
        assert form not in logged


def test_codes_sent_and_refused_are_recorded_without_the_code(clinic: Clinic) -> None:
    clinic.service.manage_requires_sms_code = True
    clinic.service.save()
    appointment = book(clinic)
    text = OutboundMessage.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION)
    token = re.search(r"/m/([A-Za-z0-9_\-]+)", message_body(text)).group(1)
    client = Client()
    client.get(f"/m/{token}")
    client.post("/manage/verify/", {"day": BORN.day, "month": BORN.month, "year": BORN.year})
    for _ in range(3):
        client.post("/manage/code/", {"resend": "1"})
    client.post("/manage/code/", {"code": "000000"})

    code = re.search(
        r"\b(\d{6})\b",
        message_body(OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).latest("pk")),
    ).group(1)
    assert actions(action__startswith="verification.") == [
        "verification.birth_date",
        "verification.code_sent",
        "verification.code_sent",
        "verification.code_sent",
        "verification.code_refused",
        "verification.code",
    ]
    assert code not in json.dumps(list(AuditEvent.objects.values("details")))


def test_settings_changes_are_audited_alongside_the_settings_history(clinic: Clinic) -> None:
    broadcast_rule_set_active(rule=clinic.rule, active=False, user=clinic.superuser)
    event = AuditEvent.objects.get(action=AuditAction.SETTINGS_CHANGED)
    assert (event.actor, event.service_id) == (clinic.superuser, clinic.service.pk)
    assert event.details == {
        "subject": f"Broadcast rule “{clinic.rule.title}”",
        "fields": ["active"],
    }


# Reading the trail


def test_admins_read_a_patients_trail_newest_first_and_reading_it_is_recorded(
    clinic: Clinic,
) -> None:
    book(clinic)
    client = logged_in(clinic.admin)

    response = client.get(f"/patients/{clinic.patient.pk}/audit/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Appointment made") < page.index("Booking link sent")
    assert clinic.admin.username in page
    assert actions(actor=clinic.admin)[-1] == "audit.viewed"


def test_the_trail_is_linked_from_the_record_for_admins_only(clinic: Clinic) -> None:
    url = f"/patients/{clinic.patient.pk}/audit/"
    assert (
        url in logged_in(clinic.superuser).get(f"/patients/{clinic.patient.pk}/").content.decode()
    )
    therapist = logged_in(clinic.therapist_user)
    assert url not in therapist.get(f"/patients/{clinic.patient.pk}/").content.decode()
    assert therapist.get(url).status_code == 403


def test_the_trail_offers_no_way_to_change_it(clinic: Clinic) -> None:
    book(clinic)
    client = logged_in(clinic.admin)
    page = client.get(f"/patients/{clinic.patient.pk}/audit/").content.decode()
    forms = re.findall(r"<form[^>]*>", page)
    assert forms == ['<form method="post" action="/logout/" class="topbar__logout">']
    assert client.post(f"/patients/{clinic.patient.pk}/audit/").status_code == 405


def test_the_trail_shows_only_this_services_events(clinic: Clinic, other_clinic: Clinic) -> None:
    audit_record(
        action=AuditAction.PATIENT_VIEWED,
        by=other_clinic.admin,
        patient_id=clinic.patient.pk,
        service_id=other_clinic.service.pk,
    )
    page = logged_in(clinic.admin).get(f"/patients/{clinic.patient.pk}/audit/").content.decode()
    assert other_clinic.admin.username not in page
