from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.accounts.operator_services import service_switch
from slotlink.audit.models import Who
from slotlink.clinic.models import Service


class Command(BaseCommand):
    help = (
        "Switch a service off (its staff are logged out and cannot log in, its patients' links "
        "offer nothing, it sends no texts) or on again. Recorded in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("service", type=int, help="The service's id.")
        parser.add_argument("state", choices=["on", "off"])

    def handle(self, *args: Any, **options: Any) -> None:
        service = Service.objects.filter(pk=options["service"]).first()
        if service is None:
            raise CommandError(f"No service with id {options['service']}.")
        active = options["state"] == "on"
        changed = service_switch(service_id=service.pk, active=active, by=Who.SYSTEM)
        state = "on" if active else "off"
        self.stdout.write(f"{service.name} is {'now' if changed else 'already'} switched {state}.")
