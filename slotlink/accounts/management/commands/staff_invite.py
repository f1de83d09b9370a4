from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.accounts.staff_forms import NewStaffForm, option_errors
from slotlink.accounts.staff_services import StaffDetails, StaffRefused, staff_invite
from slotlink.audit.models import Who
from slotlink.clinic.models import Role, Service


class Command(BaseCommand):
    help = (
        "Add a member of staff to a service (--service ID --role ROLE), or an operator "
        "(--operator), and print their set-password link, this once: only its hash is kept. "
        "Recorded in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument("--email", required=True)
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--service", type=int, help="The service's id.")
        where.add_argument(
            "--operator", action="store_true", help="Runs Slotlink: belongs to no service."
        )
        parser.add_argument(
            "--role", default=Role.SUPERUSER, help="therapist, admin or superuser (the default)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        service_id: int | None = options["service"]
        if service_id is not None and not Service.objects.filter(pk=service_id).exists():
            raise CommandError(f"No service with id {service_id}.")
        form = NewStaffForm(
            data={
                "username": options["username"],
                "first_name": options["first_name"],
                "last_name": options["last_name"],
                "email": options["email"],
                "role": Role.THERAPIST if options["operator"] else options["role"],
            }
        )
        if not form.is_valid():
            raise CommandError(option_errors(form))
        details = form.details()
        if options["operator"]:
            details = StaffDetails(
                first_name=details.first_name,
                last_name=details.last_name,
                email=details.email,
                role=Role.OPERATOR,
            )
        try:
            user, url = staff_invite(
                username=form.cleaned_data["username"],
                details=details,
                service_id=service_id,
                by=Who.SYSTEM,
            )
        except StaffRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            f"Added {user.username} ({Role(user.role).label}). Their set-password link, shown "
            f"only now (it works once, for a few days):\n{url}"
        )
