from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.clinic.demo import DEMO_LOGINS, seed_demo_service, seed_large_service


class Command(BaseCommand):
    help = "Load the demo service (idempotent), or with --therapists a larger one for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--therapists", type=int)
        parser.add_argument("--patients", type=int, default=500)
        parser.add_argument("--weeks", type=int, default=8)
        parser.add_argument(
            "--booked", type=float, default=0.6, help="Share of working time booked"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        if options["therapists"]:
            if not 1 <= options["therapists"] <= 5000 or not 0 <= options["booked"] <= 1:
                raise CommandError("--therapists must be 1 to 5000 and --booked 0 to 1.")
            service = seed_large_service(
                therapists=options["therapists"],
                patients=max(1, options["patients"]),
                weeks=max(1, options["weeks"]),
                booked=options["booked"],
            )
            self.stdout.write(f"Created {service.name} (service id {service.pk}).")
            return
        service, created = seed_demo_service()
        self.stdout.write(("Loaded" if created else "Already loaded:") + f" {service.name}.")
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username, role, _, _ in DEMO_LOGINS:
            self.stdout.write(f"  {username:<16} {role.label}")
