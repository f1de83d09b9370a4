"""The session's link is read in written-out SQL (slotlink/booking/links/reads.py): what it
gives must be exactly what the ORM gives, field by field, with nothing left to load later."""

from datetime import UTC, datetime, time

import pytest
from django.db.models import Model

from slotlink.booking.links.reads import session_link
from slotlink.booking.links.services import booking_link_find, booking_link_send
from slotlink.booking.models import BookingLink
from tests.factories import BroadcastRuleFactory, PatientFactory, UserFactory


def fields(instance: Model) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def a_link(db: None) -> tuple[BookingLink, str]:
    rule = BroadcastRuleFactory(daily_cap=3, location="Room 4")
    service = rule.service
    # Columns of each kind the adapters hand over differently: JSON, times, files, dates.
    service.reminder_hours_before = [48, 2]
    service.quiet_from = time(20, 30)
    service.logo = "logos/a.png"
    service.save()
    patient = PatientFactory(service=service)
    link, token = booking_link_send(
        patient=patient, rule=rule, sent_by=UserFactory(service=service)
    )
    patient.discharged_at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    patient.save()
    return link, token


@pytest.mark.parametrize("by", ["id", "token"])
def test_the_link_read_is_what_the_orm_reads(db: None, by: str) -> None:
    link, token = a_link(db)
    expected = BookingLink.objects.select_related(
        "rule__appointment_type", "service", "patient"
    ).get(pk=link.pk)

    read = session_link(link.pk) if by == "id" else booking_link_find(token)

    assert read is not None
    pairs = [
        (read, expected),
        (read.rule, expected.rule),
        (read.rule.appointment_type, expected.rule.appointment_type),
        (read.service, expected.service),
        (read.patient, expected.patient),
    ]
    for got, want in pairs:
        assert type(got) is type(want)
        assert fields(got) == fields(want)
        assert not got._state.adding
    assert read.service.reminder_hours_before == [48, 2]
    assert read.service.logo.name == "logos/a.png"


def test_the_session_link_needs_no_more_queries(db: None, django_assert_num_queries) -> None:
    link, _ = a_link(db)
    with django_assert_num_queries(1):
        read = session_link(link.pk)
        assert read is not None
        assert read.rule.appointment_type.name
        assert read.rule.service is read.service
        assert read.service.name
        assert read.patient.first_name


def test_no_link_reads_as_none(db: None) -> None:
    assert session_link(987654) is None
    assert booking_link_find("no-such-token") is None
