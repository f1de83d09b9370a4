from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.api.services import ApiClientError, api_client_create
from slotlink.clinic.models import Service


class Command(BaseCommand):
    help = (
        "Make an API client of a service for the FHIR API; prints its client id and secret, "
        "once (only a hash of the secret is kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", required=True, help="The service's name, exactly.")
        parser.add_argument("--name", required=True, help="The client's name, e.g. the EPR's.")
        parser.add_argument(
            "--scopes",
            required=True,
            help='Space-separated, e.g. "system/Slot.read system/Appointment.write".',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        services = list(Service.objects.filter(name=options["service"])[:2])
        if len(services) != 1:
            raise CommandError(
                f"No service is called {options['service']!r}."
                if not services
                else f"More than one service is called {options['service']!r}."
            )
        try:
            made = api_client_create(
                service=services[0], name=options["name"], scopes=options["scopes"]
            )
        except ApiClientError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Client {made.client.name!r} of {services[0].name}")
        self.stdout.write(f"client_id:     {made.client_id}")
        self.stdout.write(f"client_secret: {made.client_secret}")
        self.stdout.write("The secret is shown only now; keep it in the record system's vault.")
        self.stdout.write(f"Scopes: {made.client.scopes}")
