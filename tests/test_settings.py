"""Settings come only from the environment: production refuses to start without what a real
deployment needs, passes Django's deployment checks when given it, and bad values fail loudly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from slotlink.lib.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent
# Everything settings.py reads, so the tests' own environment cannot leak into the child.
SETTINGS_VARIABLES = {
    "SLOTLINK_ENV",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "DEBUG",
    "ALLOWED_HOSTS",
    "FIELD_ENCRYPTION_KEYS",
    "PUBLIC_BASE_URL",
    "DEMO_PASSWORD",
    "DEMO_MODE",
    "DATABASE_URL",
    "DATABASE_PREPARED_STATEMENTS",
    "SECURE_SSL_REDIRECT",
    "SESSION_IDLE_SECONDS",
    "LOG_LEVEL",
    "SMS_BACKEND",
    "SQLITE_PATH",
    "SESSION_MAX_AGE_SECONDS",
    "OTP_REQUIRED_FOR",
    "TRUSTED_PROXY_COUNT",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_MINUTES",
    "RETENTION_LINK_TOKEN_DAYS",
    "RETENTION_MESSAGE_BODY_DAYS",
    "RETENTION_THROTTLE_DAYS",
    "RETENTION_LOGIN_RECORD_DAYS",
    "RETENTION_AUDIT_DAYS",
    "MEDIA_DIR",
    "LOG_FORMAT",
    "METRICS_TOKEN",
    "HOUSEKEEPING_EVERY_SECONDS",
    "READY_WORKER_MAX_AGE_SECONDS",
    "READY_OUTBOX_MAX_LAG_SECONDS",
}
SETUP = "import django; django.setup(); print('started')"


def production_env(**overrides: str | None) -> dict[str, str]:
    """A complete, good production environment, with `overrides` (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="slotlink.settings",
        SLOTLINK_ENV="production",
        SECRET_KEY="p" + Fernet.generate_key().decode() + Fernet.generate_key().decode(),
        FIELD_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        ALLOWED_HOSTS="book.example.nhs.uk",
        PUBLIC_BASE_URL="https://book.example.nhs.uk",
        MEDIA_DIR="/srv/slotlink/media",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(["-c", SETUP], env)


def test_good_production_settings_start() -> None:
    result = start(production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_good_production_settings_pass_djangos_deployment_checks() -> None:
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set to a long random value"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set to a long random value"),
        ({"SECRET_KEY": "short-but-set"}, "SECRET_KEY must be set to a long random value"),
        (
            {"SECRET_KEY": "development-only-not-secret-slotlink-key-0123456789abcdef"},
            "SECRET_KEY must be set to a long random value",
        ),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS must be set"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set"),
        ({"PUBLIC_BASE_URL": "http://book.example.nhs.uk"}, "must be an https:// address"),
        ({"PUBLIC_BASE_URL": None}, "must be an https:// address"),
        ({"DEMO_PASSWORD": "slotlink-demo"}, "DEMO_PASSWORD must not be set"),
        # Demo mode shows every text in full on the outbox page: links, codes and all.
        ({"DEMO_MODE": "true"}, "DEMO_MODE must be off"),
        ({"DEMO_MODE": "1"}, "DEMO_MODE must be off"),
        ({"MEDIA_DIR": None}, "MEDIA_DIR must be an absolute path on storage every app server"),
        ({"MEDIA_DIR": "media"}, "MEDIA_DIR must be an absolute path on storage every app server"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(
    overrides: dict[str, str | None], complaint: str
) -> None:
    result = start(production_env(**overrides))
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "Refusing to start in production" in result.stderr
    assert complaint in result.stderr


def test_production_lists_every_problem_at_once() -> None:
    result = start(production_env(SECRET_KEY=None, DEBUG="true", ALLOWED_HOSTS=None))
    assert result.returncode != 0
    for complaint in ["DEBUG must be off", "SECRET_KEY must be set", "ALLOWED_HOSTS must be set"]:
        assert complaint in result.stderr


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"SLOTLINK_ENV": "staging"}, "SLOTLINK_ENV must be development or production"),
        ({"DEBUG": "maybe"}, "DEBUG must be true or false, not 'maybe'"),
        ({"SESSION_IDLE_SECONDS": "ten"}, "SESSION_IDLE_SECONDS must be a whole number"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be json or plain"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 32 characters"),
        ({"READY_WORKER_MAX_AGE_SECONDS": "0"}, "READY_WORKER_MAX_AGE_SECONDS must be a number"),
    ],
)
def test_unreadable_settings_stop_the_start_with_a_clear_message(
    overrides: dict[str, str], complaint: str
) -> None:
    result = start(production_env(**overrides))
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_never_loads_demo_data() -> None:
    result = run(["manage.py", "seed_demo"], production_env())
    assert result.returncode != 0
    assert "never loaded in production" in result.stderr


def test_development_starts_with_no_environment_at_all() -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "slotlink.settings"
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.PRODUCTION, s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )
    result = run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "Argon2PasswordHasher"]


def test_production_hardens_cookies_and_transport() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SESSION_COOKIE_NAME, s.DEMO_MODE, s.DEBUG)"
    )
    result = run(["-c", script], production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "__Host-sessionid",
        "False",
        "False",
    ]


def test_production_database_binds_parameters_on_the_server_and_prepares() -> None:
    # Prepared, PostgreSQL's CPU a booking fell by 40%; the search by name, whose plan must
    # be made for its words, runs unprepared (lib.planning; docs/benchmarks.md).
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "o = s.DATABASES['default']['OPTIONS']; "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'), o['options'])"
    )
    url = "postgres://slotlink@db.example.nhs.uk:5432/slotlink"
    result = run(["-c", script], production_env(DATABASE_URL=url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "5", "-c", "lock_timeout=3s"]
    # For a pooler that cannot keep prepared statements (docs/deploy.md).
    unprepared = production_env(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false")
    result = run(["-c", script], unprepared)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "None", "-c", "lock_timeout=3s"]


# The environment helpers


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "on"])
def test_env_bool_reads_true(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("SLOTLINK_TEST_FLAG", raw)
    assert env_bool("SLOTLINK_TEST_FLAG") is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "no", "off", ""])
def test_env_bool_reads_false(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("SLOTLINK_TEST_FLAG", raw)
    assert env_bool("SLOTLINK_TEST_FLAG", default=True) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "yes please", "null"])
def test_env_bool_rejects_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("SLOTLINK_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="SLOTLINK_TEST_FLAG must be true or false"):
        env_bool("SLOTLINK_TEST_FLAG")


def test_env_bool_uses_the_default_only_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLOTLINK_TEST_FLAG", raising=False)
    assert env_bool("SLOTLINK_TEST_FLAG", default=True) is True
    assert env_bool("SLOTLINK_TEST_FLAG") is False


@pytest.mark.parametrize(("raw", "value"), [("900", 900), (" 42 ", 42), ("-1", -1), ("", 7)])
def test_env_int_reads_whole_numbers(monkeypatch: pytest.MonkeyPatch, raw: str, value: int) -> None:
    monkeypatch.setenv("SLOTLINK_TEST_NUMBER", raw)
    assert env_int("SLOTLINK_TEST_NUMBER", 7) == value


@pytest.mark.parametrize("raw", ["ten", "1.5", "1e3", "0x10", "15m"])
def test_env_int_rejects_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("SLOTLINK_TEST_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="SLOTLINK_TEST_NUMBER must be a whole number"):
        env_int("SLOTLINK_TEST_NUMBER", 7)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTLINK_TEST_LIST", " a.example , b.example,, ")
    assert env_list("SLOTLINK_TEST_LIST") == ["a.example", "b.example"]
    monkeypatch.delenv("SLOTLINK_TEST_LIST")
    assert env_list("SLOTLINK_TEST_LIST", ["fallback"]) == ["fallback"]


def test_env_str_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLOTLINK_TEST_TEXT", raising=False)
    assert env_str("SLOTLINK_TEST_TEXT", "x") == "x"
    monkeypatch.setenv("SLOTLINK_TEST_TEXT", "y")
    assert env_str("SLOTLINK_TEST_TEXT", "x") == "y"
