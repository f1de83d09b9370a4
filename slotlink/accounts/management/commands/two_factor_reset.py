from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotlink.accounts.services import two_factor_reset
from slotlink.audit.models import Who
from slotlink.clinic.models import User


class Command(BaseCommand):
    help = (
        "For a member of staff who lost their phone: remove their authenticator and end their "
        "sessions; they set up a new one at their next login. Recorded in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        removed = two_factor_reset(user=user, by=Who.SYSTEM)
        self.stdout.write(
            f"Removed {removed} authenticator(s) of {user.username} and ended their sessions."
        )
