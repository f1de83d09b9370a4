from typing import Any

from django.core.management.base import BaseCommand

from slotlink.booking.services import booking_links_expire_overdue


class Command(BaseCommand):
    help = "Record the expiry of every link whose validity has ended (run every few minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Expired {booking_links_expire_overdue()} links.")
