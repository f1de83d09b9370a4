import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from slotlink.lib.env import env_bool

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:slotlink.gunicorn_config"]


class Command(BaseCommand):
    help = (
        "Start an app server as production does (scripts/serve, the container's entry point): "
        "check the settings (Django's deployment checks in production), migrate if told to, "
        "collect static files when they changed, then hand the process over to gunicorn."
    )
    # Run below, with --deploy in production and failing on warnings too.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--migrate",
            action="store_true",
            default=env_bool("SERVE_MIGRATE"),
            help="Apply migrations first (one-server setups; a fleet migrates as a deploy step)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and prepare, then print the gunicorn command instead of running it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("check", deploy=settings.PRODUCTION, fail_level="WARNING")
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
        if _static_out_of_date():
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write("Collected static files.")
        environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": _fresh_metrics_directory()}
        if options["dry_run"]:
            self.stdout.write(" ".join(GUNICORN))
            return
        connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, GUNICORN, environment)  # noqa: S606  # nosec B606


def _static_out_of_date() -> bool:
    """Whether any static file is missing from STATIC_ROOT or newer there than its copy (an
    image collects them when it is built; a checkout, whenever they change)."""
    root = Path(settings.STATIC_ROOT)
    for finder in get_finders():
        for path, storage in finder.list([]):
            collected = root / path
            if not collected.exists():
                return True
            if os.path.getmtime(storage.path(path)) > collected.stat().st_mtime:
                return True
    return False


def _fresh_metrics_directory() -> str:
    """Where this instance's gunicorn workers keep their Prometheus counts (prometheus-client's
    multiprocess mode): PROMETHEUS_MULTIPROC_DIR, emptied of a previous run's counts, or a new
    temporary directory. One per instance: never share it between app servers."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not given:
        return tempfile.mkdtemp(prefix="slotlink-metrics-")
    directory = Path(given)
    directory.mkdir(parents=True, exist_ok=True)
    for counts in directory.glob("*.db"):
        counts.unlink()
    return str(directory)
