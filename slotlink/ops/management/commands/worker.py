import logging
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError, close_old_connections

from slotlink.ops.services import housekeeping_schedule

logger = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 2.0


class Command(BaseCommand):
    help = (
        "Run a background worker as production does (scripts/worker): make sure the periodic "
        "housekeeping is scheduled, then take tasks from the database queue (django-tasks' "
        "db_worker, never reloading)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between looks at an empty queue"
        )
        parser.add_argument("--batch", action="store_true", help="Run the tasks due now, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                # A lost chain (say, its next run's row was deleted) restarts here.
                housekeeping_schedule()
                call_command(
                    "db_worker",
                    interval=options["interval"],
                    batch=options["batch"],
                    reload=False,
                    startup_delay=not options["batch"],
                    verbosity=options["verbosity"],
                )
                return
            except OperationalError as error:
                # SQLite's "database is locked" once a writer outlasts the lock wait, or a dropped
                # connection: the tasks are safe in their table, so pause and take them up again
                # rather than exit and leave every later text unsent until someone notices.
                logger.warning("worker_restarting", extra={"error": str(error)[:200]})
                close_old_connections()
                time.sleep(RESTART_PAUSE_SECONDS)
