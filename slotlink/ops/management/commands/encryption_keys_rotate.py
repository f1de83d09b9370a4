from typing import Any

from django.core.management.base import BaseCommand

from slotlink.ops.services import encrypted_values_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored link token, text and provider secret with the first of "
        "FIELD_ENCRYPTION_KEYS, so the keys after it can be removed (docs/deploy.md)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = encrypted_values_rotate()
        self.stdout.write(f"Re-encrypted {report.reencrypted} values with the first key.")
        if report.unreadable:
            self.stdout.write(
                f"{report.unreadable} values could not be read with any key: keep every key "
                "they were written with until they are gone (or put it back)."
            )
