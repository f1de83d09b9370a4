"""Housekeeping as a periodic job the workers run, not a loop in a shell.

Each run of the housekeeping task first queues the next one, HOUSEKEEPING_EVERY_SECONDS later,
then does one round. The job's row (PeriodicJob) names the one queued run that counts, and is
locked while a run takes its turn or a new one is queued: so however many workers take tasks,
and however often they restart, one run is waiting, and a run the row does not name (a
leftover) does nothing. Queuing the next run before the round means a round that fails still
leaves the chain alive; and a worker starting up, or /readyz finding the heartbeat old, calls
housekeeping_schedule(), which queues a run only when the chain is broken (its next run gone,
finished, or stuck with a worker that died), so a lost chain restarts itself."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from slotlink.api.services import api_housekeeping
from slotlink.booking.links.services import booking_links_expire_overdue
from slotlink.booking.models import BookingLink, ManageLink, SlotHold
from slotlink.clinic.models import Service
from slotlink.lib.crypto import reencrypt
from slotlink.lib.metrics import LOCKOUTS, STAFF_LOGIN
from slotlink.messaging.models import OutboundMessage
from slotlink.messaging.services import messages_recover
from slotlink.ops.models import PeriodicJob
from slotlink.ops.retention import RETENTION_EVERY, retention_apply
from slotlink.questionnaires.services import questionnaires_sweep
from slotlink.questionnaires.services.sending import SweepReport

HOUSEKEEPING = "housekeeping"
# Retention piggybacks on housekeeping, at most once per RETENTION_EVERY (its row's heartbeat
# says when it last ran).
RETENTION = "retention"
# A run that started this long ago and is still "running" belonged to a worker that died
# before it could queue the next one (a round takes seconds).
STUCK_AFTER = timedelta(minutes=10)
# Finished task results (every text sent and every round leaves one) are kept a week, to look
# into a failure, then deleted a batch per round.
TASK_RESULTS_KEPT = timedelta(days=7)
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class RoundReport:
    expired_links: int
    lapsed_holds: int
    recovered_messages: int
    retention_removed: int | None  # None when retention was not due this round
    task_results_pruned: int
    forms: SweepReport | None = None


def housekeeping_round(*, now: datetime | None = None) -> RoundReport:
    """One round: record the expiry of overdue links, clear lapsed holds, recover messages a
    dead worker left behind, send the questionnaires that are due (and remind, withdraw and
    expire them), forget the API's old call counts and tokens, apply retention when an hour
    has passed, prune old task results."""
    now = now or timezone.now()
    expired = booking_links_expire_overdue(now=now)
    lapsed, _ = SlotHold.objects.filter(expires_at__lte=now).delete()
    recovered = messages_recover(now=now)
    api_housekeeping(now=now)
    forms = questionnaires_sweep(now=now)
    retention = None
    if _claim_turn(RETENTION, every=RETENTION_EVERY, now=now):
        retention = sum(removed.count for removed in retention_apply(now=now))
    return RoundReport(
        expired, lapsed, recovered, retention, task_results_prune(now=now), forms=forms
    )


def housekeeping_schedule(*, now: datetime | None = None) -> bool:
    """Make sure the chain is alive: queue a run now unless one is waiting (or running).
    Returns whether it queued one."""
    now = now or timezone.now()
    with transaction.atomic():
        job = _locked(HOUSEKEEPING)
        if _alive(job.next_run, now):
            return False
        job.next_run_id = _queue(run_after=None)
        job.save(update_fields=["next_run"])
    return True


def housekeeping_take_turn(*, run_id: str, now: datetime | None = None) -> bool:
    """Called by the run `run_id`: when it is the job's next run, queue the one after it and
    record the heartbeat, and return True (do the round); otherwise it is a leftover: False."""
    now = now or timezone.now()
    with transaction.atomic():
        job = _locked(HOUSEKEEPING)
        if job.next_run_id != uuid.UUID(run_id):
            return False
        every = timedelta(seconds=settings.HOUSEKEEPING_EVERY_SECONDS)
        job.next_run_id = _queue(run_after=now + every)
        job.last_started_at = now
        job.save(update_fields=["next_run", "last_started_at"])
    return True


def task_results_prune(*, now: datetime | None = None) -> int:
    """Delete a batch of task results that finished more than TASK_RESULTS_KEPT ago."""
    now = now or timezone.now()
    old = (
        DBTaskResult.objects.finished()
        .filter(finished_at__lt=now - TASK_RESULTS_KEPT)
        .values_list("pk", flat=True)[:PRUNE_BATCH]
    )
    deleted, _ = DBTaskResult.objects.filter(pk__in=list(old)).delete()
    return deleted


# Every value stored encrypted with FIELD_ENCRYPTION_KEYS.
ENCRYPTED_FIELDS: list[tuple[type[Model], str]] = [
    (BookingLink, "token_encrypted"),
    (ManageLink, "token_encrypted"),
    (OutboundMessage, "body_encrypted"),
    (Service, "sms_secret_encrypted"),
]
ROTATE_BATCH = 500


@dataclass(frozen=True)
class RotationReport:
    reencrypted: int
    unreadable: int


def encrypted_values_rotate() -> RotationReport:
    """Re-encrypt every stored value with the first of FIELD_ENCRYPTION_KEYS, a batch at a
    time, so that the keys after it can be retired. Each value is replaced only if it is still
    what was read (compare-and-set), so a value changed meanwhile is never overwritten."""
    reencrypted = unreadable = 0
    for model, field in ENCRYPTED_FIELDS:
        last = 0
        while True:
            batch = list(
                model._default_manager.filter(pk__gt=last)
                .exclude(**{field: ""})
                .order_by("pk")
                .values_list("pk", field)[:ROTATE_BATCH]
            )
            if not batch:
                break
            last = batch[-1][0]
            for pk, value in batch:
                rotated = reencrypt(value)
                if rotated is None:
                    unreadable += 1
                elif rotated != value:
                    reencrypted += model._default_manager.filter(pk=pk, **{field: value}).update(
                        **{field: rotated}
                    )
    return RotationReport(reencrypted, unreadable)


def count_staff_lockout(**kwargs: object) -> None:
    """django-axes' user_locked_out signal: an account or a client was locked out."""
    LOCKOUTS.labels(STAFF_LOGIN).inc()


def _locked(name: str) -> PeriodicJob:
    PeriodicJob.objects.get_or_create(name=name)
    return (
        PeriodicJob.objects.select_for_update(of=("self",))
        .select_related("next_run")
        .get(name=name)
    )


def _alive(run: DBTaskResult | None, now: datetime) -> bool:
    if run is None:
        return False
    if run.status == TaskResultStatus.READY:
        return True
    return (
        run.status == TaskResultStatus.RUNNING
        and run.started_at is not None
        and run.started_at > now - STUCK_AFTER
    )


def _claim_turn(name: str, *, every: timedelta, now: datetime) -> bool:
    """Compare-and-set on the job's heartbeat: True for exactly one caller per period."""
    PeriodicJob.objects.get_or_create(name=name)
    due = Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - every)
    return bool(PeriodicJob.objects.filter(due, name=name).update(last_started_at=now))


def _queue(*, run_after: datetime | None) -> uuid.UUID:
    from slotlink.ops.tasks import housekeeping

    task = housekeeping if run_after is None else housekeeping.using(run_after=run_after)
    return uuid.UUID(task.enqueue().id)
