"""Shared fixtures: a clock frozen on a known Monday, a small service with persona users,
and the rules for tests that need PostgreSQL or a browser (skipped on a laptop without
them, failed in CI, so CI never passes by skipping)."""

import os
from base64 import b32decode
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.accounts.services import two_factor_required
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


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing() -> Iterator[None]:
    """Argon2 is slow on purpose; tests make many users and only need their passwords to work.
    (tests/test_settings.py checks the real setting still puts Argon2 first.)"""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


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


# The authenticator key persona users get when their role needs two-factor authentication.
TEST_TOTP_KEY = "SLOTLINKTESTKEYSLOTLINKTESTKEY23"


def totp_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator, with TEST_TOTP_KEY (made if missing)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", key=b32decode(TEST_TOTP_KEY).hex()
        )
    return device


def totp_code(device: TOTPDevice) -> str:
    """The code the user's app shows now, or the next one if this one was used already (a code
    is accepted once, and one step early)."""
    device.refresh_from_db()
    step_now = int((datetime.now(UTC).timestamp() - device.t0) // device.step) + device.drift
    ahead = 1 if step_now <= device.last_t else 0
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return f"{code:06d}"


def logged_in(user: User) -> Client:
    """A client logged in as `user`, past two-factor authentication where their role needs
    it (as after a real login and code)."""
    client = Client()
    client.force_login(user)
    if two_factor_required(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
    return client


@pytest.fixture
def admin_client(clinic: Clinic) -> Client:
    return logged_in(clinic.admin)


def run_tasks() -> None:
    """Run every queued background task now, as the worker would. The worker closes "old"
    connections between tasks, which inside a test's transaction means closing the test's
    own connection, so that step is switched off here."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
