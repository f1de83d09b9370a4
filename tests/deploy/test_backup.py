"""Backups are proven by restoring them: deploy/backup_check.py dumps the database, restores it
into a scratch database and compares every table's rows and the triggers."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from deploy import backup_check
from slotlink.audit.models import AuditEvent
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLinkEvent
from tests.conftest import make_clinic

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    settings = connection.settings_dict
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{settings['USER']}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture
def some_history(needs_postgres: None) -> None:
    clinic = make_clinic()
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    assert AuditEvent.objects.exists() and BookingLinkEvent.objects.exists()


def test_a_backup_restores_every_row_and_the_audit_logs_guard(
    some_history: None, tmp_path: Path
) -> None:
    dump = tmp_path / "slotlink.dump"
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "deploy.backup_check", "--dump", str(dump)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every table, row count and trigger matches" in result.stdout
    assert dump.stat().st_size > 0
    assert "audit_auditevent" in result.stdout
    scratch = database_url() + "_restore_check"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(scratch).close()  # dropped afterwards


def test_a_restore_that_lost_rows_or_a_trigger_fails_the_check(
    some_history: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    restore = backup_check.restore

    def lossy(path: Path, url: str) -> None:
        restore(path, url)
        with psycopg.connect(url, autocommit=True) as restored:
            restored.execute("DELETE FROM booking_bookinglinkevent")
            restored.execute("DROP TRIGGER audit_event_append_only ON audit_auditevent")

    monkeypatch.setattr(backup_check, "restore", lossy)
    found = backup_check.check(database_url(), tmp_path / "slotlink.dump")
    assert any(line.startswith("booking_bookinglinkevent:") for line in found), found
    assert "trigger audit_auditevent.audit_event_append_only: missing from the restore" in found
