"""Messages from before references were random keep working: one the provider may already
hold keeps its number as its reference (receipts for it still match; a resend after an
ambiguous failure still finds it), one never tried gets a random one like any new message."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from slotlink.messaging.models import OutboundMessage
from tests.conftest import make_clinic

BEFORE = [("messaging", "0001_initial")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_older_messages_keep_the_reference_the_provider_knows_them_by() -> None:
    clinic = make_clinic()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
    old_message = old_apps.get_model("messaging", "OutboundMessage")
    now = timezone.now()

    def old(**fields: object) -> int:
        row = old_message.objects.create(
            service_id=clinic.service.pk,
            kind="confirmation",
            to=clinic.patient.mobile,
            body_encrypted="",
            send_after=now,
            created_at=now,
            **fields,
        )
        return int(row.pk)

    sent = old(status="sent", attempts=1, provider="notify")
    uncertain = old(status="queued", attempts=0, uncertain=True)  # retried by staff
    never_tried = [old(status="queued", attempts=0) for _ in range(2)]

    migrate(latest)

    references = dict(OutboundMessage.objects.values_list("pk", "reference"))
    assert references[sent] == str(sent)
    assert references[uncertain] == str(uncertain)
    for pk in never_tried:
        assert len(references[pk]) >= 22 and not references[pk].isdigit()
    assert len(set(references.values())) == len(references)
