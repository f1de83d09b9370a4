from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.accounts.operator_services import service_create
from slotlink.accounts.staff_forms import ServiceForm, option_errors
from slotlink.audit.models import Who
from slotlink.clinic.models import Nation


class Command(BaseCommand):
    help = (
        "Create a service (switched on, online booking off). Then invite its first superuser "
        "with staff_invite. Recorded in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--phone", required=True, help="The number patients call.")
        parser.add_argument(
            "--nation", default=Nation.ENGLAND, help="Whose bank holidays: ENG, WLS, SCT or NIR."
        )
        parser.add_argument("--time-zone", default="Europe/London")

    def handle(self, *args: Any, **options: Any) -> None:
        form = ServiceForm(
            data={
                "name": options["name"],
                "phone": options["phone"],
                "nation": options["nation"],
                "time_zone": options["time_zone"],
            }
        )
        if not form.is_valid():
            raise CommandError(option_errors(form))
        data = form.cleaned_data
        service = service_create(
            by=Who.SYSTEM,
            name=data["name"],
            nation=Nation(data["nation"]),
            time_zone=data["time_zone"],
            phone=data["phone"],
        )
        self.stdout.write(f"Created {service.name} (service id {service.pk}).")
