"""Keeping a sending task waiting for queued messages."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from slotlink.messaging.models import OutboundMessage


def enqueue(message: OutboundMessage) -> None:
    """Make sure a sending task will pick up this (queued) message when it is due."""
    later = message.send_after > timezone.now()
    ensure_sender(at=message.send_after if later else None)


def ensure_sender(*, at: datetime | None = None) -> None:
    """Make sure a sending task is waiting to start now (or at `at`): one waiting task serves
    every message due by the time it starts, so a burst of 2,000 texts costs a handful of
    tasks, not 2,000, and so do 2,000 texts held until the end of quiet hours.

    The waiting task's row stays locked until the caller commits, and a worker's claim skips
    locked rows, so no worker can start that task before this transaction's message is visible
    to it. A task a worker is already claiming is locked too: it is skipped here and a new one
    is enqueued. (On SQLite, one writer at a time gives the same order.)"""
    from slotlink.messaging.tasks import send_due_messages

    senders = DBTaskResult.objects.filter(task_path=send_due_messages.module_path)
    waiting = (
        senders.ready()
        if at is None
        else senders.filter(status=TaskResultStatus.READY, run_after=at)
    )
    with transaction.atomic(savepoint=False):
        if not list(waiting.select_for_update(skip_locked=True).values_list("pk", flat=True)[:1]):
            (send_due_messages if at is None else send_due_messages.using(run_after=at)).enqueue()
