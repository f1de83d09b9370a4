"""/healthz and /readyz: cheap enough for a load balancer every second, answered whatever the
Host header or scheme, revealing only the names of the checks, never writing a session."""

import json
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from slotlink.messaging.models import MessageKind
from slotlink.messaging.services import message_queue
from slotlink.ops.health import migrations_applied
from slotlink.ops.models import PeriodicJob
from slotlink.ops.services import HOUSEKEEPING, housekeeping_schedule
from slotlink.ops.tasks import housekeeping
from tests.conftest import Clinic, run_tasks


@pytest.fixture(autouse=True)
def fresh_migrations_check():
    migrations_applied.forget()
    yield
    migrations_applied.forget()


def beat(seconds_ago: float) -> None:
    PeriodicJob.objects.update_or_create(
        name=HOUSEKEEPING,
        defaults={"last_started_at": timezone.now() - timedelta(seconds=seconds_ago)},
    )


def ready(client: Client | None = None, **headers: str) -> tuple[int, dict]:
    response = (client or Client()).get("/readyz", **headers)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response
    return response.status_code, json.loads(response.content)


def test_healthz_answers_without_touching_the_database() -> None:
    # No `db` fixture: pytest-django fails any database access here.
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_readyz_is_ready_when_the_database_schema_workers_and_outbox_are(
    db: None, frozen_now: object
) -> None:
    beat(30)
    assert ready() == (
        200,
        {
            "status": "ok",
            "checks": {
                "database": "ok",
                "migrations": "ok",
                "worker": "ok",
                "outbox": "ok",
            },
        },
    )


def test_readyz_costs_two_small_queries_once_migrations_were_seen_applied(
    db: None, frozen_now: object, django_assert_num_queries
) -> None:
    beat(30)
    ready()  # the first call in a process also reads the migration table
    with django_assert_num_queries(2):
        assert ready()[0] == 200


def test_readyz_fails_when_no_worker_has_run_housekeeping_lately(
    db: None, frozen_now: object, settings
) -> None:
    settings.READY_WORKER_MAX_AGE_SECONDS = 90
    beat(89)
    assert ready()[0] == 200
    beat(91)
    status, body = ready()
    assert (status, body["status"], body["checks"]["worker"]) == (503, "failing", "failing")
    assert body["checks"]["database"] == "ok"


def test_readyz_fails_before_any_worker_ever_ran(db: None) -> None:
    status, body = ready()
    assert (status, body["checks"]["worker"]) == (503, "failing")


def test_readyz_restarts_a_lost_housekeeping_chain_but_adds_nothing_to_a_waiting_one(
    db: None, frozen_now: time_machine.Traveller
) -> None:
    beat(600)
    assert ready()[0] == 503
    runs = DBTaskResult.objects.filter(task_path=housekeeping.module_path)
    assert runs.count() == 1, "the lost chain was restarted"
    assert ready()[0] == 503
    assert runs.count() == 1, "a run is waiting (no worker took it): nothing more is queued"

    run_tasks()  # a worker comes back
    assert ready()[0] == 200


def test_readyz_fails_when_a_due_text_has_waited_too_long(
    clinic: Clinic, frozen_now: time_machine.Traveller, settings
) -> None:
    settings.READY_OUTBOX_MAX_LAG_SECONDS = 300
    message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="Hello",
        kind=MessageKind.AD_HOC,
        urgent=True,
    )
    frozen_now.shift(timedelta(seconds=290))
    beat(0)
    assert ready()[0] == 200
    frozen_now.shift(timedelta(seconds=20))
    beat(0)
    status, body = ready()
    assert (status, body["checks"]["outbox"], body["checks"]["worker"]) == (503, "failing", "ok")


def test_readyz_fails_when_a_migration_is_not_applied(db: None, frozen_now: object) -> None:
    beat(0)
    with mock.patch(
        "slotlink.ops.health.MigrationExecutor.migration_plan", return_value=[("a", False)]
    ):
        status, body = ready()
    assert (status, body["checks"]["migrations"]) == (503, "failing")


def test_readyz_fails_and_says_only_which_checks_when_the_database_is_down(db: None) -> None:
    with mock.patch(
        "slotlink.ops.health.heartbeat", side_effect=OperationalError("connection refused")
    ):
        status, body = ready()
    assert status == 503
    assert body == {
        "status": "failing",
        "checks": dict.fromkeys(["database", "migrations", "worker", "outbox"], "failing"),
    }
    assert "refused" not in json.dumps(body)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_a_load_balancer_probing_by_address_over_plain_http(
    db: None, settings, path: str
) -> None:
    """In production the host check and the HTTPS redirect would refuse or redirect a probe
    of an instance's own address; probes answer before either."""
    settings.ALLOWED_HOSTS = ["book.example.nhs.uk"]
    settings.SECURE_SSL_REDIRECT = True
    beat(0)
    response = Client().get(path, HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    assert Client().get("/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_take_only_get_and_head(db: None, path: str) -> None:
    response = Client().post(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_worker_started_after_a_deploy_makes_readyz_pass(db: None) -> None:
    assert ready()[0] == 503
    housekeeping_schedule()
    run_tasks()
    assert ready()[0] == 200
