"""What /readyz checks: the database answers, every migration this code knows is applied, a
worker ran the housekeeping job lately (its heartbeat), and no text has waited too long past
its time. Two small indexed queries per call; the migrations check, which loads the migration
graph, runs until it first passes and then never again in this process (a schema cannot
un-apply itself under running code), and while failing at most every few seconds."""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min
from django.utils import timezone

from slotlink.messaging.models import MessageStatus, OutboundMessage
from slotlink.ops.models import PeriodicJob
from slotlink.ops.services import HOUSEKEEPING

CHECKS = ("database", "migrations", "worker", "outbox")
MIGRATIONS_RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, bool]

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


class _MigrationsApplied:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._applied = False
        self._checked_at: float | None = None

    def __call__(self) -> bool:
        with self._lock:
            if self._applied:
                return True
            now = time.monotonic()
            if self._checked_at is not None and now - self._checked_at < MIGRATIONS_RECHECK_SECONDS:
                return False
            self._checked_at = now
            executor = MigrationExecutor(connection)
            self._applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
            return self._applied

    def forget(self) -> None:
        """For tests: check again on the next call."""
        with self._lock:
            self._applied = False
            self._checked_at = None


migrations_applied = _MigrationsApplied()


def heartbeat() -> datetime | None:
    """When a worker last began a housekeeping run."""
    job = PeriodicJob.objects.filter(name=HOUSEKEEPING)
    last: datetime | None = job.values_list("last_started_at", flat=True).first()
    return last


def oldest_due_message(now: datetime) -> datetime | None:
    due = OutboundMessage.objects.filter(status=MessageStatus.QUEUED, send_after__lte=now)
    oldest: datetime | None = due.aggregate(oldest=Min("send_after"))["oldest"]
    return oldest


def readiness(*, now: datetime | None = None) -> Readiness:
    now = now or timezone.now()
    try:
        last_seen = heartbeat()
        oldest = oldest_due_message(now)
        applied = migrations_applied()
    except DatabaseError:
        return Readiness(dict.fromkeys(CHECKS, False))
    worker_age = timedelta(seconds=settings.READY_WORKER_MAX_AGE_SECONDS)
    outbox_lag = timedelta(seconds=settings.READY_OUTBOX_MAX_LAG_SECONDS)
    return Readiness(
        {
            "database": True,
            "migrations": applied,
            "worker": last_seen is not None and now - last_seen <= worker_age,
            "outbox": oldest is None or now - oldest <= outbox_lag,
        }
    )
