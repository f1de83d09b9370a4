"""Messages written while they still pointed at their booking link by a foreign key keep
pointing at it after the migration to the generic reference (about_kind + about_id)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import LINK_ABOUT
from slotlink.messaging.models import OutboundMessage
from tests.conftest import make_clinic

# The messaging app's leaf migration before the generic reference.
BEFORE = [("messaging", "0004_reference_unique")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_messages_about_a_booking_link_keep_it_through_the_migration() -> None:
    clinic = make_clinic()
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    OutboundMessage.objects.all().delete()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
    try:
        old_message = old_apps.get_model("messaging", "OutboundMessage")
        now = timezone.now()

        def old(**fields: object) -> int:
            row = old_message.objects.create(
                service_id=clinic.service.pk,
                patient_id=clinic.patient.pk,
                to=clinic.patient.mobile,
                body_encrypted="",
                send_after=now,
                created_at=now,
                **fields,
            )
            return int(row.pk)

        link_text = old(kind="booking_link", booking_link_id=link.pk)
        resent = old(kind="ad_hoc", booking_link_id=link.pk, status="sent")
        code = old(kind="verification")
    finally:
        migrate(latest)

    about = {
        pk: (kind, about_id)
        for pk, kind, about_id in OutboundMessage.objects.values_list(
            "pk", "about_kind", "about_id"
        )
    }
    assert about == {
        link_text: (LINK_ABOUT, link.pk),
        resent: (LINK_ABOUT, link.pk),
        code: ("", None),
    }
    assert "booking_link_id" not in {
        column.name
        for column in connection.introspection.get_table_description(
            connection.cursor(), OutboundMessage._meta.db_table
        )
    }
