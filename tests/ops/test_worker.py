"""The worker outlives a database it cannot lock for a while: SQLite answers "database is locked"
once a writer holds the lock longer than the lock wait, and a worker that exited then would leave
every later text unsent until someone restarted it."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django_tasks_db.management.commands import db_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_that_finds_the_database_locked_waits_and_carries_on(monkeypatch, caplog):
    real = db_worker.exclusive_transaction
    entered: list[str] = []

    @contextmanager
    def locked_once(using: str | None = None) -> Iterator[None]:
        entered.append("locked" if not entered else "free")
        if entered[-1] == "locked":
            raise OperationalError("database is locked")
        with real(using):
            yield

    monkeypatch.setattr(db_worker, "exclusive_transaction", locked_once)
    monkeypatch.setattr("slotlink.ops.management.commands.worker.RESTART_PAUSE_SECONDS", 0)

    call_command("worker", batch=True, interval=0)

    assert entered[:2] == ["locked", "free"]
    assert "worker_restarting" in caplog.text
