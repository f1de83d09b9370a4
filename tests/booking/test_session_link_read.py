"""The session's link, and the appointments booked through it, are read in written-out SQL
(slotlink/booking/links/reads.py): what it gives must be exactly what the ORM gives, field by
field, with nothing left to load later."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db.models import Model
from django.db.models.signals import post_init

from slotlink.booking.links.reads import link_appointment_rows, session_link, slot_hold_of
from slotlink.booking.links.selectors import link_appointment, link_appointments
from slotlink.booking.links.services import booking_link_find, booking_link_send
from slotlink.booking.models import BookingLink, BroadcastRule, SlotHold
from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Patient,
    Service,
)
from tests.factories import (
    AppointmentFactory,
    BroadcastRuleFactory,
    PatientFactory,
    TherapistFactory,
    UserFactory,
)


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


def test_the_link_read_makes_instances_the_orm_can_save_and_compare(db: None) -> None:
    link, _ = a_link(db)
    read = session_link(link.pk)
    assert read is not None
    assert read == link and read.patient == link.patient
    assert read._state.db == "default"
    read.patient.first_name = "Changed"
    read.patient.save(update_fields=["first_name"])
    link.patient.refresh_from_db()
    assert link.patient.first_name == "Changed"


def test_a_post_init_receiver_hears_of_every_instance_the_link_read_makes(db: None) -> None:
    link, _ = a_link(db)
    heard: list[type[Model]] = []

    def receiver(sender: type[Model], **kwargs: object) -> None:
        heard.append(sender)

    post_init.connect(receiver)
    try:
        read = session_link(link.pk)
    finally:
        post_init.disconnect(receiver)

    assert read is not None
    assert heard == [BookingLink, BroadcastRule, AppointmentType, Service, Patient]


def test_no_link_reads_as_none(db: None) -> None:
    assert session_link(987654) is None
    assert booking_link_find("no-such-token") is None


def booked_through(
    link: BookingLink, created_at: datetime | None = None, **fields: object
) -> Appointment:
    start = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    appointment: Appointment = AppointmentFactory(
        service=link.service,
        patient=link.patient,
        therapist=TherapistFactory(service=link.service),
        appointment_type=link.rule.appointment_type,
        start=start,
        end=start + timedelta(hours=1),
        booking_link=link,
        location_cy="Ystafell 4",
        **fields,
    )
    if created_at is not None:  # auto_now_add: set after the insert
        Appointment.objects.filter(pk=appointment.pk).update(created_at=created_at)
    return appointment


def test_the_links_appointments_read_is_what_the_orm_reads(db: None) -> None:
    link, _ = a_link(db)
    # Made in the opposite order to their ids: oldest first is by created_at, then id.
    later = booked_through(link, created_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    earlier = booked_through(
        link,
        created_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        status=AppointmentStatus.CANCELLED,
        cancellation_reason="Moved",
    )
    booked_through(a_link(db)[0])  # another link's
    expected = list(
        Appointment.objects.filter(booking_link=link)
        .select_related("therapist", "appointment_type")
        .order_by("created_at", "pk")
    )

    read = link_appointment_rows(link.pk)

    assert [a.pk for a in read] == [earlier.pk, later.pk] == [a.pk for a in expected]
    for got, want in zip(read, expected, strict=True):
        for got_model, want_model in [
            (got, want),
            (got.therapist, want.therapist),
            (got.appointment_type, want.appointment_type),
        ]:
            assert type(got_model) is type(want_model)
            assert fields(got_model) == fields(want_model)
            assert not got_model._state.adding
    assert read[0].start == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "statuses",
    [
        [AppointmentStatus.BOOKED],
        [AppointmentStatus.CANCELLED, AppointmentStatus.BOOKED],
        [AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED],
        [AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED],
    ],
)
def test_a_links_appointment_is_the_one_link_appointments_chooses(
    db: None, statuses: list[AppointmentStatus]
) -> None:
    link, _ = a_link(db)
    for status in statuses:
        booked_through(link, status=status)

    chosen = link_appointment(link)

    assert chosen is not None
    assert chosen == link_appointments([link])[link.pk]


def test_a_link_without_appointments_has_none(db: None) -> None:
    link, _ = a_link(db)
    assert link_appointment_rows(link.pk) == []
    assert link_appointment(link) is None


def test_the_links_appointment_needs_no_more_queries(db: None, django_assert_num_queries) -> None:
    link, _ = a_link(db)
    booked_through(link)
    with django_assert_num_queries(1):
        appointment = link_appointment(link)
        assert appointment is not None
        assert appointment.therapist.name
        assert appointment.appointment_type.name


def held(link: BookingLink, expires_at: datetime, hour: int = 11) -> SlotHold:
    start = datetime(2026, 12, 8, hour, 0, tzinfo=UTC)
    hold: SlotHold = SlotHold.objects.create(
        link=link,
        therapist=TherapistFactory(service=link.service),
        start=start,
        end=start + timedelta(hours=1),
        expires_at=expires_at,
    )
    return hold


NOW = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


def test_the_links_hold_read_is_what_the_orm_reads(db: None, django_assert_num_queries) -> None:
    link, _ = a_link(db)
    hold = held(link, NOW + timedelta(minutes=10))
    held(a_link(db)[0], NOW + timedelta(minutes=10), hour=12)  # another link's

    with django_assert_num_queries(1):
        read = slot_hold_of(link, NOW)

    assert read is not None
    assert type(read) is SlotHold
    assert fields(read) == fields(SlotHold.objects.get(pk=hold.pk))
    assert not read._state.adding and read._state.db == "default"
    assert read.start == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def test_a_hold_is_read_until_it_lapses(db: None) -> None:
    link, _ = a_link(db)
    held(link, NOW)
    tick = timedelta(microseconds=1)
    assert slot_hold_of(link, NOW - tick) is not None
    assert slot_hold_of(link, NOW) is None
    assert slot_hold_of(link, NOW + tick) is None


def test_a_link_without_a_hold_has_none(db: None) -> None:
    link, _ = a_link(db)
    held(a_link(db)[0], NOW + timedelta(minutes=10))
    assert slot_hold_of(link, NOW) is None
