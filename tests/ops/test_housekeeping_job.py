"""Housekeeping is a job the workers run once a minute: each run queues the next, the job's
row names the one run that counts, so however many workers (or restarts) there are one run
waits, and a lost chain restarts when a worker starts or /readyz finds the heartbeat old."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.ops.models import PeriodicJob
from slotlink.ops.services import (
    HOUSEKEEPING,
    STUCK_AFTER,
    housekeeping_round,
    housekeeping_schedule,
    housekeeping_take_turn,
    task_results_prune,
)
from slotlink.ops.tasks import housekeeping
from tests.booking.test_races import run_together
from tests.conftest import Clinic, run_tasks


def runs(status: TaskResultStatus = TaskResultStatus.READY):
    return DBTaskResult.objects.filter(task_path=housekeeping.module_path, status=status)


def job() -> PeriodicJob:
    return PeriodicJob.objects.get(name=HOUSEKEEPING)


def test_asking_again_and_again_queues_one_run(db: None) -> None:
    assert housekeeping_schedule() is True
    assert [housekeeping_schedule() for _ in range(4)] == [False] * 4
    assert runs().count() == 1
    assert job().next_run_id == runs().get().pk


def test_a_run_does_a_round_beats_and_queues_the_next_a_period_later(
    clinic: Clinic, frozen_now: time_machine.Traveller, settings
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days, minutes=1))
    housekeeping_schedule()

    run_tasks()

    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED
    now = timezone.now()
    assert job().last_started_at == now
    waiting = runs().get()
    assert waiting.run_after == now + timedelta(seconds=settings.HOUSEKEEPING_EVERY_SECONDS)
    assert job().next_run_id == waiting.pk
    assert runs(TaskResultStatus.SUCCESSFUL).count() == 1

    run_tasks()  # not due yet: nothing runs
    assert runs(TaskResultStatus.SUCCESSFUL).count() == 1
    frozen_now.shift(timedelta(seconds=settings.HOUSEKEEPING_EVERY_SECONDS))
    run_tasks()
    assert runs(TaskResultStatus.SUCCESSFUL).count() == 2
    assert job().last_started_at == timezone.now()
    assert runs().count() == 1


def test_a_run_the_job_does_not_name_does_nothing(db: None, frozen_now: object) -> None:
    housekeeping_schedule()
    named = job().next_run_id
    leftover = housekeeping.enqueue()  # e.g. queued by an older release

    assert housekeeping_take_turn(run_id=leftover.id) is False
    assert job().next_run_id == named
    assert job().last_started_at is None
    assert runs().count() == 2

    run_tasks()  # both run: only the named one takes a turn and queues a successor
    assert runs().count() == 1
    assert job().next_run_id == runs().get().pk
    assert job().last_started_at == timezone.now()


@pytest.mark.parametrize(
    "break_the_chain",
    [
        pytest.param(lambda run: run.delete(), id="its next run was deleted"),
        pytest.param(
            lambda run: DBTaskResult.objects.filter(pk=run.pk).update(
                status=TaskResultStatus.FAILED, finished_at=timezone.now()
            ),
            id="its next run failed",
        ),
        pytest.param(
            lambda run: DBTaskResult.objects.filter(pk=run.pk).update(
                status=TaskResultStatus.RUNNING, started_at=timezone.now() - STUCK_AFTER
            ),
            id="its next run is stuck with a dead worker",
        ),
    ],
)
def test_a_lost_chain_restarts_when_asked(db: None, frozen_now: object, break_the_chain) -> None:
    housekeeping_schedule()
    break_the_chain(runs().get())

    assert housekeeping_schedule() is True
    assert runs().count() == 1
    assert job().next_run_id == runs().get().pk


def test_a_run_in_progress_is_not_a_lost_chain(db: None, frozen_now: object) -> None:
    housekeeping_schedule()
    DBTaskResult.objects.filter(pk=runs().get().pk).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(seconds=5)
    )
    assert housekeeping_schedule() is False
    assert DBTaskResult.objects.filter(task_path=housekeeping.module_path).count() == 1


@pytest.mark.django_db(transaction=True)
def test_workers_starting_together_queue_one_run() -> None:
    results = run_together([housekeeping_schedule] * 8)
    assert sorted(results, key=str) == [False] * 7 + [True], results
    assert runs().count() == 1


@pytest.mark.django_db(transaction=True)
def test_three_workers_running_the_chain_for_a_while_never_multiply_it(settings) -> None:
    """Real django-tasks-db workers (threads), one run a second: at every moment at most one
    run waits, each period has one round, and none fails."""
    settings.HOUSEKEEPING_EVERY_SECONDS = 1
    housekeeping_schedule()
    stop = threading.Event()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            while not stop.is_set():
                Worker(
                    queue_names=["default"],
                    interval=0.01,
                    batch=True,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=None,
                    worker_id=f"test-worker-{n}",
                    excluded_queue_names=[],
                ).run()
                time.sleep(0.02)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    waiting_seen = []
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        waiting_seen.append(runs().count())
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    connections.close_all()

    assert not errors
    assert max(waiting_seen) == 1
    assert not runs(TaskResultStatus.FAILED).exists()
    assert 3 <= runs(TaskResultStatus.SUCCESSFUL).count() <= 5
    assert runs().count() == 1
    assert job().next_run_id == runs().get().pk


def test_a_round_opens_no_server_side_cursor(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    """Behind a pooler in transaction mode (docs/deploy.md) a cursor held open across
    transactions would be looked for on another server connection: none is ever opened."""
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days, minutes=1))
    connection = connections["default"]

    with mock.patch.object(
        connection, "chunked_cursor", wraps=connection.chunked_cursor
    ) as chunked_cursor:
        report = housekeeping_round()

    assert report.expired_links == 1
    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED
    assert chunked_cursor.call_count == 0


def test_retention_runs_at_most_once_an_hour(db: None, frozen_now: time_machine.Traveller) -> None:
    assert housekeeping_round().retention_removed is not None
    frozen_now.shift(timedelta(minutes=59))
    assert housekeeping_round().retention_removed is None
    frozen_now.shift(timedelta(minutes=1))
    assert housekeeping_round().retention_removed is not None


def test_task_results_are_deleted_a_week_after_they_finished(
    db: None, frozen_now: time_machine.Traveller
) -> None:
    def result(status: TaskResultStatus, finished_days_ago: int | None) -> DBTaskResult:
        run = DBTaskResult.objects.get(pk=housekeeping.enqueue().id)
        if finished_days_ago is not None:
            run.status = status
            run.finished_at = timezone.now() - timedelta(days=finished_days_ago, minutes=1)
            run.save()
        return run

    old = [result(TaskResultStatus.SUCCESSFUL, 7), result(TaskResultStatus.FAILED, 8)]
    recent = result(TaskResultStatus.SUCCESSFUL, 6)
    waiting = result(TaskResultStatus.READY, None)
    DBTaskResult.objects.filter(pk=waiting.pk).update(enqueued_at=timezone.now() - timedelta(30))

    assert task_results_prune() == len(old)
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_the_worker_command_starts_the_chain_then_takes_tasks(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days, minutes=1))

    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("worker", "--batch", verbosity=0)

    assert BookingLink.objects.get(pk=link.pk).status == LinkStatus.EXPIRED
    assert job().last_started_at == timezone.now()
    assert runs().count() == 1
