"""scripts/serve, the one way an app server starts (the image's entry point, make prod-local,
the tests): it refuses settings that fail Django's deployment checks, collects static files
only when they changed, and hands over to gunicorn. And the trial service make prod-local
loads: usable, made only on a site nobody else can reach."""

import os
import subprocess
from base64 import b32decode
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import Patient, Role, User
from slotlink.ops.trial import TRIAL_RULE, trial_service_create
from tests.test_settings import ROOT, production_env

SERVE = str(ROOT / "scripts" / "serve")


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [SERVE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    return tmp_path / "static"


def test_serve_refuses_production_settings_that_fail_the_deployment_checks(
    static_root: Path,
) -> None:
    # Switching the HTTPS redirect off is allowed by settings.py, but Django's check warns.
    env = production_env(SECURE_SSL_REDIRECT="false", STATIC_ROOT=str(static_root))
    result = serve(env, "--dry-run")
    assert result.returncode != 0
    assert "security.W008" in result.stderr
    assert "gunicorn" not in result.stdout


def test_serve_collects_static_files_only_when_they_changed_then_names_gunicorn(
    static_root: Path, tmp_path: Path
) -> None:
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_1234.db").write_bytes(b"old counts")
    env = production_env(STATIC_ROOT=str(static_root), PROMETHEUS_MULTIPROC_DIR=str(metrics))

    first = serve(env, "--dry-run")
    assert first.returncode == 0, first.stderr
    assert "Collected static files." in first.stdout
    assert (static_root / "staticfiles.json").exists()  # production's manifest storage
    assert first.stdout.strip().endswith("-m gunicorn -c python:slotlink.gunicorn_config")
    assert not list(metrics.iterdir()), "a previous run's counts are cleared"

    again = serve(env, "--dry-run")
    assert again.returncode == 0, again.stderr
    assert "Collected static files." not in again.stdout

    source = next((ROOT / "slotlink" / "static").rglob("*.css"))
    collected = static_root / source.relative_to(ROOT / "slotlink" / "static")
    os.utime(collected, (collected.stat().st_atime, source.stat().st_mtime - 10))
    changed = serve(env, "--dry-run")
    assert "Collected static files." in changed.stdout


def test_the_trial_service_is_usable_and_its_logins_are_random(db: None, settings) -> None:
    trial = trial_service_create()
    again = trial_service_create()
    assert again.service == trial.service and again.logins == []

    assert trial.rule.title == TRIAL_RULE and trial.rule.therapists.count() == 1
    assert Patient.objects.get() == trial.patient
    by_name = {login.username: login for login in trial.logins}
    assert set(by_name) == {"trial-super", "trial-admin", "trial-therapist"}
    assert len({login.password for login in trial.logins}) == 3
    assert settings.DEMO_PASSWORD not in {login.password for login in trial.logins}
    admin = User.objects.get(username="trial-admin")
    assert admin.role == Role.ADMIN and admin.check_password(by_name["trial-admin"].password)
    assert (
        by_name["trial-admin"].authenticator_key
        and not by_name["trial-therapist"].authenticator_key
    )

    # The therapist works every day, so the rule offers times whenever this runs.

    assert rule_available_times(BroadcastRule.objects.get(), timezone.now())

    # And an admin can log in with the password and a code from the key.
    client = Client()
    assert (
        client.post(
            "/login/", {"username": "trial-admin", "password": by_name["trial-admin"].password}
        ).status_code
        == 302
    )
    code = totp(b32decode(by_name["trial-admin"].authenticator_key))
    response = client.post("/account/two-factor/", {"code": f"{code:06d}"})
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200


def test_production_makes_no_trial_service_on_a_site_others_can_reach(db: None, settings) -> None:
    settings.PRODUCTION = True
    settings.ALLOWED_HOSTS = ["book.example.nhs.uk"]
    with pytest.raises(CommandError, match="made only on a site this machine alone can reach"):
        call_command("trial_service")
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    call_command("trial_service", stdout=StringIO())
    assert Patient.objects.count() == 1
