from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.lib.inputs import bounded_argument
from slotlink.ops.demo import (
    DEMO_LOGINS,
    DEMO_OPERATOR,
    seed_demo_operator,
    seed_demo_service,
    seed_large_service,
)
from slotlink.ops.demo_api import demo_api_client
from slotlink.ops.demo_two_factor import DEMO_CODE_COMMAND, DEMO_TOTP_KEY, demo_two_factor


class Command(BaseCommand):
    help = "Load the demo service (idempotent), or with --therapists a larger one for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--therapists", type=bounded_argument(1, 5000))
        parser.add_argument("--patients", type=bounded_argument(1, 100_000), default=500)
        # Appointments lie at most two years ahead (APPOINTMENT_DAYS_AHEAD).
        parser.add_argument("--weeks", type=bounded_argument(1, 104), default=8)
        parser.add_argument(
            "--booked", type=float, default=0.6, help="Share of working time booked"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        if options["therapists"] is not None:
            if not 0 <= options["booked"] <= 1:
                raise CommandError("--booked must be from 0 to 1.")
            service = seed_large_service(
                therapists=options["therapists"],
                patients=options["patients"],
                weeks=options["weeks"],
                booked=options["booked"],
            )
            self.stdout.write(f"Created {service.name} (service id {service.pk}).")
            return
        service, created = seed_demo_service()
        seed_demo_operator()
        self.stdout.write(("Loaded" if created else "Already loaded:") + f" {service.name}.")
        logins = [*DEMO_LOGINS, DEMO_OPERATOR]
        two_factor = demo_two_factor([username for username, *_ in logins])
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username, role, _, _ in logins:
            code = "  + code from the authenticator" if username in two_factor else ""
            self.stdout.write(f"  {username:<16} {role.label:<10}{code}")
        if two_factor:
            self.stdout.write(
                f"Two-factor demo key (add it to an authenticator app): {DEMO_TOTP_KEY}\n"
                f"or print the current code with:\n  {DEMO_CODE_COMMAND}"
            )
        client_id = demo_api_client(service)
        self.stdout.write(
            f"FHIR API (docs/api.md): client {client_id}, secret {settings.DEMO_PASSWORD}; "
            "a token:\n"
            f"  curl -s -u {client_id}:{settings.DEMO_PASSWORD} -d grant_type=client_credentials "
            "http://127.0.0.1:8000/oauth/token/"
        )
