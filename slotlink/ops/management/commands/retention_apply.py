from typing import Any

from django.core.management.base import BaseCommand

from slotlink.ops.retention import retention_apply


class Command(BaseCommand):
    help = (
        "Delete or anonymise what is past its retention period (RETENTION_*_DAYS), recording "
        "each removal in the audit log. Housekeeping runs this hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = retention_apply()
        for item in removed:
            self.stdout.write(
                f"{item.record}: {item.count} removed (older than {item.older_than:%Y-%m-%d})"
            )
        if not removed:
            self.stdout.write("Nothing is past its retention period.")
