"""The written-out hold statements (slotlink.booking.appointments.holds) do what the ORM's did:
the same row inserted, the same rows cleared and taken, and a conflict refused by the
database without failing the transaction."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from slotlink.booking.appointments.holds import hold_insert, hold_take, holds_clear
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink, SlotHold
from tests.conftest import Clinic
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def links(clinic: Clinic, count: int) -> list[BookingLink]:
    return [
        booking_link_send(
            patient=PatientFactory(service=clinic.service), rule=clinic.rule, sent_by=clinic.admin
        )[0]
        for _ in range(count)
    ]


def hold(link: BookingLink, therapist_id: int, start: datetime, expires_in: int) -> SlotHold:
    return SlotHold(
        link=link,
        therapist_id=therapist_id,
        start=start,
        end=start + timedelta(hours=1),
        expires_at=timezone.now() + timedelta(minutes=expires_in),
    )


def row(pk: int) -> dict[str, object]:
    values = SlotHold.objects.filter(pk=pk).values().get()
    del values["id"]
    return values


def test_an_inserted_hold_is_the_row_the_orm_would_write(clinic: Clinic) -> None:
    (link,) = links(clinic, 1)
    by_orm = hold(link, clinic.therapists[0].pk, START, 10)
    by_orm.save()
    orm_row = row(by_orm.pk)
    SlotHold.objects.all().delete()
    written = hold(link, clinic.therapists[0].pk, START, 10)
    written.expires_at = by_orm.expires_at

    assert hold_insert(written) is True

    assert written.pk is not None and written.pk != by_orm.pk and not written._state.adding
    assert row(written.pk) == orm_row


def test_a_second_hold_of_the_same_time_is_refused_and_the_transaction_carries_on(
    clinic: Clinic,
) -> None:
    first, second = links(clinic, 2)
    therapist = clinic.therapists[0].pk
    with transaction.atomic():
        assert hold_insert(hold(first, therapist, START, 10)) is True
        refused = hold(second, therapist, START, 10)
        assert hold_insert(refused) is False
        assert refused.pk is None
        # Still usable: no error aborted it.
        assert SlotHold.objects.count() == 1
    assert SlotHold.objects.get().link_id == first.pk


def test_a_link_holds_one_time_at_most(clinic: Clinic) -> None:
    (link,) = links(clinic, 1)
    assert hold_insert(hold(link, clinic.therapists[0].pk, START, 10)) is True
    assert hold_insert(hold(link, clinic.therapists[1].pk, START, 10)) is False
    assert SlotHold.objects.count() == 1


def test_an_overlapping_hold_of_the_therapist_is_refused_on_postgresql(
    clinic: Clinic, needs_postgres: None
) -> None:
    first, second = links(clinic, 2)
    therapist = clinic.therapists[0].pk
    assert hold_insert(hold(first, therapist, START, 10)) is True
    assert hold_insert(hold(second, therapist, START + timedelta(minutes=30), 10)) is False
    assert list(SlotHold.objects.values_list("link_id", flat=True)) == [first.pk]


def test_clearing_takes_the_links_own_hold_and_lapsed_ones_in_the_way_only(
    clinic: Clinic,
) -> None:
    ours, lapsed, live, elsewhere, other_therapist = links(clinic, 5)
    first, second = (therapist.pk for therapist in clinic.therapists)
    for made in [
        hold(ours, first, START + timedelta(days=1), 10),
        hold(lapsed, first, START, -1),
        hold(live, first, START - timedelta(hours=1), 10),
        hold(elsewhere, first, START + timedelta(hours=1), -1),
        hold(other_therapist, second, START, -1),
    ]:
        made.save()

    holds_clear(
        link_id=ours.pk,
        therapist_ids=[first],
        start=START,
        end=START + timedelta(hours=1),
        now=timezone.now(),
    )

    kept = set(SlotHold.objects.values_list("link_id", flat=True))
    assert kept == {live.pk, elsewhere.pk, other_therapist.pk}


def test_clearing_with_no_therapist_free_still_takes_the_links_own_hold(clinic: Clinic) -> None:
    ours, lapsed = links(clinic, 2)
    hold(ours, clinic.therapists[0].pk, START, 10).save()
    hold(lapsed, clinic.therapists[1].pk, START, -1).save()

    holds_clear(
        link_id=ours.pk,
        therapist_ids=[],
        start=START,
        end=START + timedelta(hours=1),
        now=timezone.now(),
    )

    assert list(SlotHold.objects.values_list("link_id", flat=True)) == [lapsed.pk]


def test_taking_a_hold_returns_it_as_read_and_deletes_it(clinic: Clinic) -> None:
    ours, other = links(clinic, 2)
    made = hold(ours, clinic.therapists[0].pk, START, 10)
    made.save()
    hold(other, clinic.therapists[1].pk, START, 10).save()

    taken = hold_take(link_id=ours.pk, now=timezone.now())

    assert taken is not None
    assert (taken.pk, taken.link_id, taken.therapist_id) == (
        made.pk,
        ours.pk,
        clinic.therapists[0].pk,
    )
    assert (taken.start, taken.end, taken.expires_at) == (made.start, made.end, made.expires_at)
    assert list(SlotHold.objects.values_list("link_id", flat=True)) == [other.pk]


def test_a_lapsed_hold_is_not_taken(clinic: Clinic) -> None:
    (ours,) = links(clinic, 1)
    hold(ours, clinic.therapists[0].pk, START, -1).save()

    assert hold_take(link_id=ours.pk, now=timezone.now()) is None
    assert SlotHold.objects.count() == 1
