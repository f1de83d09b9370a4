"""row_insert writes the row save() writes, for each model a booking's confirmation inserts
with it, and refuses what it cannot insert faithfully."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from slotlink.audit.models import AuditEvent
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import ActorKind, BookingLink, BookingLinkEvent, ManageLink
from slotlink.clinic.models import Appointment, ClinicalContact, Source
from slotlink.lib.inserts import row_insert
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


def test_rows_it_cannot_insert_as_save_would_are_refused(clinic: Clinic) -> None:
    with pytest.raises(TypeError):  # a save() of its own
        row_insert(AuditEvent(action="x", actor_kind="system"))
    existing = appointment(clinic)
    existing.save()
    with pytest.raises(ValueError, match="new rows only"):
        row_insert(existing)
    with pytest.raises(ValueError):  # an unsaved related row
        row_insert(ClinicalContact(appointment=Appointment()))
