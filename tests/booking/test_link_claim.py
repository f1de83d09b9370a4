"""link_claim's written-out compare-and-set writes what the ORM's update wrote, and changes
nothing when the link has moved on."""

from datetime import UTC, datetime

import pytest

from slotlink.booking.links.services import booking_link_send, link_claim
from slotlink.booking.models import BookingLink
from slotlink.domain.link_lifecycle import LinkAction, LinkStatus, next_status, sources_of
from tests.conftest import Clinic
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 8, 10, 0, 0, 123456, tzinfo=UTC)
STAMPED = {
    LinkAction.OPEN: "accessed_at",
    LinkAction.BOOK: "booked_at",
    LinkAction.EXPIRE: "expired_at",
    LinkAction.DELETE: None,
}


def sent_link(clinic: Clinic) -> BookingLink:
    patient = PatientFactory(service=clinic.service)
    return booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)[0]


def row(link: BookingLink) -> dict[str, object]:
    values = BookingLink.objects.filter(pk=link.pk).values().get()
    for key in ["id", "patient_id", "token_hash", "token_encrypted", "created_at", "expires_at"]:
        del values[key]
    return values


@pytest.mark.parametrize("action", list(STAMPED))
def test_a_claim_writes_the_row_the_orms_update_would(clinic: Clinic, action: LinkAction) -> None:
    claimed, by_orm = sent_link(clinic), sent_link(clinic)
    if action == LinkAction.BOOK:
        BookingLink.objects.filter(pk__in=[claimed.pk, by_orm.pk]).update(
            status=LinkStatus.ACCESSED
        )
        claimed.status = LinkStatus.ACCESSED
    target = next_status(LinkStatus(claimed.status), action)
    stamp = {STAMPED[action]: NOW} if STAMPED[action] else {}
    BookingLink.objects.filter(
        pk=by_orm.pk, status__in=[status.value for status in sources_of(action)]
    ).update(status=target, **stamp)

    before = link_claim(claimed, action, NOW)

    assert before is not None and before != target
    assert row(claimed) == row(by_orm)
    assert claimed.status == target
    if stamp:
        assert getattr(claimed, str(STAMPED[action])) == NOW


def test_a_link_already_moved_on_is_not_claimed(clinic: Clinic) -> None:
    link = sent_link(clinic)
    stale = BookingLink.objects.get(pk=link.pk)
    assert link_claim(link, LinkAction.DELETE, NOW) == LinkStatus.SENT

    assert link_claim(stale, LinkAction.OPEN, NOW) is None

    assert stale.status == LinkStatus.SENT and stale.accessed_at is None
    fresh = BookingLink.objects.get(pk=link.pk)
    assert (fresh.status, fresh.accessed_at) == (LinkStatus.DELETED, None)
