"""sender_waiting, written out, finds a waiting sending task exactly when the ORM's query of
django-tasks' own ready() (or the task for a given time) does."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from slotlink.messaging.services.scheduling import sender_waiting
from slotlink.messaging.tasks import send_due_messages

pytestmark = pytest.mark.django_db

PATH = send_due_messages.module_path


def orm_waiting(at) -> bool:
    senders = DBTaskResult.objects.filter(task_path=PATH)
    waiting = (
        senders.ready()
        if at is None
        else senders.filter(status=TaskResultStatus.READY, run_after=at)
    )
    return waiting.exists()


def task(run_after=None, status=TaskResultStatus.READY) -> None:
    sender = (
        send_due_messages if run_after is None else send_due_messages.using(run_after=run_after)
    )
    result = sender.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(status=status)


@pytest.mark.parametrize(
    "make",
    [
        "none",
        "ready",
        "ready_past",
        "ready_later",
        "ready_at_the_time",
        "running",
        "running_at_the_time",
        "successful",
        "failed",
    ],
)
def test_a_waiting_sender_is_found_as_the_orm_finds_it(make: str) -> None:
    now = timezone.now()
    the_time = now + timedelta(hours=3)
    {
        "none": lambda: None,
        "ready": lambda: task(),
        "ready_past": lambda: task(now - timedelta(minutes=5)),
        "ready_later": lambda: task(now + timedelta(minutes=5)),
        "ready_at_the_time": lambda: task(the_time),
        "running": lambda: task(status=TaskResultStatus.RUNNING),
        "running_at_the_time": lambda: task(the_time, TaskResultStatus.RUNNING),
        "successful": lambda: task(status=TaskResultStatus.SUCCESSFUL),
        "failed": lambda: task(now - timedelta(minutes=5), TaskResultStatus.FAILED),
    }[make]()

    for at in [None, the_time, now - timedelta(minutes=5)]:
        assert sender_waiting(PATH, at=at) == orm_waiting(at), (make, at)


def test_another_tasks_rows_do_not_count() -> None:
    task()
    assert sender_waiting(PATH, at=None)
    assert not sender_waiting("slotlink.ops.tasks.housekeeping", at=None)
