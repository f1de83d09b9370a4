"""Keeping a sending task waiting for queued messages."""

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from slotlink.lib.sqlnames import quoted_names
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

    with transaction.atomic(savepoint=False):
        if not sender_waiting(send_due_messages.module_path, at=at):
            (send_due_messages if at is None else send_due_messages.using(run_after=at)).enqueue()


def sender_waiting(task_path: str, *, at: datetime | None) -> bool:
    """Whether a task of `task_path` is waiting to start now (as DBTaskResult.objects.ready()
    means it) or at `at`, one of them then locked until the caller's transaction ends; tasks
    a worker has locked do not count. Written out: every confirmation asks, and building the
    ORM's query each time cost more CPU than the database spent answering it."""
    run_after = _run_after()
    due = (
        [run_after.get_db_prep_value(at, connection)]
        if at is not None
        else [
            run_after.get_db_prep_value(get_date_max(), connection),
            run_after.get_db_prep_value(timezone.now(), connection),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _waiting_sql(connection.vendor, at is not None),
            [task_path, TaskResultStatus.READY.value, *due],
        )
        return cursor.fetchone() is not None


def _run_after() -> "models.Field[Any, Any]":
    return next(f for f in DBTaskResult._meta.concrete_fields if f.name == "run_after")


@cache
def _waiting_sql(vendor: str, at: bool) -> str:
    """sender_waiting's query, for a task due at a given time or now (`vendor` keys the
    cache): made once from the model's own names, in the order workers claim tasks in."""
    names = quoted_names(DBTaskResult)
    column = names.columns
    due = "{run_after} = %s" if at else "({run_after} = %s OR {run_after} <= %s)"
    lock = connection.ops.for_update_sql(skip_locked=True)
    template = (
        "SELECT {id} FROM {tasks} WHERE {task_path} = %s AND {status} = %s AND {due} "
        "ORDER BY {priority} DESC, {run_after} ASC, {enqueued_at} ASC LIMIT 1"
    )
    sql = template.format(  # nosec B608
        **column, tasks=names.table, due=due.format(**column)
    )
    return f"{sql} {lock}" if connection.features.has_select_for_update_skip_locked else sql
