"""row_insert writes the row save() writes, for each model a booking's confirmation inserts
with it, and refuses what it cannot insert faithfully."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.audit.services import audit_event
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import ActorKind, BookingLink, BookingLinkEvent, ManageLink
from slotlink.clinic.models import Appointment, ClinicalContact, Source
from slotlink.lib.inserts import row_insert, rows_insert
from slotlink.messaging.models import Channel, MessageKind, MessageStatus, OutboundMessage
from tests.conftest import Clinic
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def sent(clinic: Clinic) -> BookingLink:
    patient = PatientFactory(service=clinic.service)
    return booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)[0]


def appointment(clinic: Clinic) -> Appointment:
    # An hour after the last one made: two of them never overlap.
    start = timezone.now() + timedelta(days=2, hours=Appointment.objects.count())
    return Appointment(
        service=clinic.service,
        therapist=clinic.therapists[0],
        patient=clinic.patient,
        appointment_type=clinic.rule.appointment_type,
        start=start,
        end=start + timedelta(hours=1),
        medium=clinic.rule.medium,
        location="Room 2",
        source=Source.ONLINE,
        booking_link=sent(clinic),
    )


def contact(clinic: Clinic) -> ClinicalContact:
    made = appointment(clinic)
    made.save()
    return ClinicalContact(appointment=made)


def event(clinic: Clinic) -> BookingLinkEvent:
    return BookingLinkEvent(
        link=sent(clinic),
        from_status="accessed",
        to_status="booked",
        occurred_at=timezone.now(),
        actor_kind=ActorKind.STAFF,
        actor=clinic.admin,
        reason="By phone",
    )


def manage_link(clinic: Clinic) -> ManageLink:
    return ManageLink(
        booking_link=sent(clinic),
        token_hash="a" * 64,
        token_encrypted="sealed",
        created_at=timezone.now(),
    )


def message(clinic: Clinic) -> OutboundMessage:
    return OutboundMessage(
        service=clinic.service,
        patient=clinic.patient,
        about_kind="booking_link",
        about_id=7,
        kind=MessageKind.CONFIRMATION,
        channel=Channel.SMS,
        to=clinic.patient.mobile,
        body_encrypted="sealed",
        urgent=True,
        send_after=timezone.now(),
        created_at=timezone.now(),
        status=MessageStatus.QUEUED,
    )


def row(obj: Model) -> dict[str, Any]:
    values = type(obj)._default_manager.filter(pk=obj.pk).values().get()
    del values["id"]
    return values


@pytest.mark.parametrize("make", [appointment, contact, event, manage_link, message])
def test_a_row_inserted_is_the_row_save_writes(
    clinic: Clinic, frozen_now: Any, make: Callable[[Clinic], Model]
) -> None:
    saved = make(clinic)
    saved.save()
    expected = row(saved)
    type(saved)._default_manager.filter(pk=saved.pk).delete()  # its unique values are free again
    inserted = make(clinic)
    # The same related rows, and the same values where a default is made afresh each time.
    for field in type(saved)._meta.concrete_fields:
        if (field.is_relation or callable(field.default)) and not field.primary_key:
            setattr(inserted, field.attname, getattr(saved, field.attname))

    row_insert(inserted)

    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding
    assert row(inserted) == expected


def test_a_refused_insert_raises_and_marks_the_transaction_for_rollback(
    clinic: Clinic, needs_postgres: None
) -> None:
    first = appointment(clinic)
    row_insert(first)
    clash = appointment(clinic)
    clash.booking_link = first.booking_link
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            row_insert(clash)
        assert transaction.get_connection().needs_rollback


def test_or_nothing_leaves_out_a_refused_row_and_the_transaction_carries_on(
    clinic: Clinic,
) -> None:
    first = appointment(clinic)
    assert row_insert(first, or_nothing=True) is True
    clash = appointment(clinic)
    clash.booking_link = first.booking_link  # one appointment a link: a unique constraint
    with transaction.atomic():
        assert row_insert(clash, or_nothing=True) is False
        assert clash.pk is None and clash._state.adding
        assert not transaction.get_connection().needs_rollback
        assert Appointment.objects.filter(booking_link=first.booking_link).count() == 1


def test_rows_it_cannot_insert_as_save_would_are_refused(clinic: Clinic) -> None:
    with pytest.raises(TypeError):  # a save() of its own
        row_insert(AuditEvent(action="x", actor_kind="system"))
    existing = appointment(clinic)
    existing.save()
    with pytest.raises(ValueError, match="only new rows"):
        row_insert(existing)
    with pytest.raises(ValueError):  # an unsaved related row
        row_insert(ClinicalContact(appointment=Appointment()))


def audit_events(clinic: Clinic) -> list[AuditEvent]:
    return [
        audit_event(
            action=AuditAction.LINK_BOOKED,
            by=by,
            object_type="booking_link",
            object_id=number,
            patient_id=clinic.patient.pk,
            service_id=clinic.service.pk,
            details={"rule": clinic.rule.pk, "reason": "Booked", "nothing": None},
            now=timezone.now(),
        )
        for number, by in enumerate([clinic.admin, Who.PATIENT, Who.SYSTEM])
    ]


def test_rows_inserted_together_are_the_rows_bulk_create_writes_in_their_order(
    clinic: Clinic, frozen_now: Any
) -> None:
    by_orm = AuditEvent.objects.bulk_create(audit_events(clinic))
    expected = [row(event) for event in by_orm]
    inserted = audit_events(clinic)

    rows_insert(inserted)

    assert [row(event) for event in inserted] == expected
    ids = [event.pk for event in inserted]
    assert ids == sorted(ids) and len(set(ids)) == 3
    in_order = AuditEvent.objects.filter(pk__in=ids).order_by("pk")
    assert list(in_order.values_list("object_id", flat=True)) == ["0", "1", "2"]


def test_rows_of_two_models_are_not_inserted_together(clinic: Clinic) -> None:
    with pytest.raises(TypeError, match="one model at a time"):
        rows_insert([*audit_events(clinic)[:1], message(clinic)])
    rows_insert([])
    assert not AuditEvent.objects.exists()
