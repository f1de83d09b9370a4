from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from slotlink.ops.services import housekeeping_schedule


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
