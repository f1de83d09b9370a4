from typing import Any

from django.core.management.base import BaseCommand, CommandError

from slotlink.ops.trial import NotLocal, trial_service_create


class Command(BaseCommand):
    help = (
        "Make a trial service (a therapist, a rule, a made-up patient, staff logins with random "
        "passwords shown once) on a site only this machine can reach: make prod-local runs it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            trial = trial_service_create()
        except NotLocal as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            f"Service {trial.service.pk} ({trial.service.name}); patient {trial.patient.pk}; "
            f"rule {trial.rule.title!r}"
        )
        if not trial.logins:
            self.stdout.write("It existed already: its logins were shown when it was made.")
        for login in trial.logins:
            key = (
                f"  authenticator key {login.authenticator_key}" if login.authenticator_key else ""
            )
            self.stdout.write(f"  {login.username:<16} {login.role:<10} {login.password}{key}")
