from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.booking.links.services import BookingError, booking_link_send, booking_link_url
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import Patient, Role, User
from slotlink.lib.inputs import MAX_ID, bounded_argument


class Command(BaseCommand):
    help = "Send a booking link to a patient, as the 'Send appointment booking SMS' button does."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patient", type=bounded_argument(1, MAX_ID), required=True, help="Patient id"
        )
        parser.add_argument("--rule", required=True, help="Broadcast rule title")
        parser.add_argument("--as-user", help="Username recorded as the sender (default: an admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        patient = Patient.objects.select_related("service").filter(pk=options["patient"]).first()
        if patient is None:
            raise CommandError(f"No patient with id {options['patient']}.")
        rule = BroadcastRule.objects.filter(service=patient.service, title=options["rule"]).first()
        if rule is None:
            raise CommandError(
                f"The patient's service has no broadcast rule titled {options['rule']!r}."
            )
        staff = User.objects.filter(service=patient.service)
        sender = (
            staff.filter(username=options["as_user"]).first()
            if options["as_user"]
            else staff.filter(role__in=[Role.ADMIN, Role.SUPERUSER]).order_by("pk").first()
        )
        if sender is None:
            raise CommandError("No member of the patient's service to send as; use --as-user.")
        try:
            _, token = booking_link_send(patient=patient, rule=rule, sent_by=sender)
        except BookingError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(booking_link_url(token))
