"""Shared fixtures: a clock frozen on a known Monday, a small service with persona users,
and the rules for tests that need PostgreSQL or a browser (skipped on a laptop without
them, failed in CI, so CI never passes by skipping)."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import Patient, Role, Service, Therapist, User
from tests.factories import (
    BroadcastRuleFactory,
    PatientFactory,
    ServiceFactory,
    TherapistFactory,
    UserFactory,
    WorkingPatternFactory,
)

IN_CI = os.environ.get("CI", "").lower() == "true"

# Monday 7 December 2026, 10:00 in London (GMT, so also 10:00 UTC).
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def skip_or_fail(reason: str) -> None:
    """Missing infrastructure: a visible skip on a laptop, a failure in CI."""
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


@pytest.fixture
def needs_postgres() -> None:
    """For what only PostgreSQL has (exclusion constraints). CI runs the suite a second time
    on PostgreSQL, where these run; on the SQLite pass they are skipped, visibly."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: runs in the DATABASE_URL=postgres://… pass")


@pytest.fixture
def frozen_now() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@dataclass
class Clinic:
    service: Service
    therapists: list[Therapist]
    patient: Patient
    rule: BroadcastRule
    admin: User
    therapist_user: User
    superuser: User


def make_clinic(**rule_options: Any) -> Clinic:
    """A service with two therapists working Monday to Friday 09:00–17:00 London time, one
    patient with a mobile, one rule offering hourly slots, and a user of each role."""
    service = ServiceFactory()
    therapists = [TherapistFactory(service=service) for _ in range(2)]
    for therapist in therapists:
        for weekday in range(5):
            WorkingPatternFactory(
                therapist=therapist, weekday=weekday, start_time=time(9), end_time=time(17)
            )
    rule = BroadcastRuleFactory(service=service, therapists=therapists, **rule_options)
    return Clinic(
        service=service,
        therapists=therapists,
        patient=PatientFactory(service=service),
        rule=rule,
        admin=UserFactory(service=service, role=Role.ADMIN),
        therapist_user=UserFactory(service=service, role=Role.THERAPIST),
        superuser=UserFactory(service=service, role=Role.SUPERUSER),
    )


@pytest.fixture
def clinic(db: None) -> Clinic:
    return make_clinic()


@pytest.fixture
def other_clinic(db: None) -> Clinic:
    """A second service: its staff must never see the first one's data."""
    return make_clinic()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(clinic: Clinic) -> Client:
    return logged_in(clinic.admin)


def run_tasks() -> None:
    """Run every queued background task now, as the worker would."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
