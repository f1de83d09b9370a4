import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from slotlink.audit.retention import RETENTION_EVERY, retention_apply
from slotlink.booking.models import SlotHold
from slotlink.booking.services import booking_links_expire_overdue
from slotlink.inputs import bounded_argument
from slotlink.messaging.services import messages_recover


class Command(BaseCommand):
    help = (
        "Record the expiry of links past their validity, clear lapsed holds and recover "
        "messages a dead worker left behind, and (hourly) apply retention. Run it every minute "
        "(or use --every)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=bounded_argument(0, 24 * 60 * 60),
            default=0,
            help="Repeat every N seconds (0: run once)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        retention_last = None
        while True:
            now = timezone.now()
            expired = booking_links_expire_overdue(now=now)
            lapsed, _ = SlotHold.objects.filter(expires_at__lte=now).delete()
            recovered = messages_recover(now=now)
            self.stdout.write(
                f"Expired {expired} links, cleared {lapsed} lapsed holds, "
                f"recovered {recovered} messages."
            )
            if retention_last is None or now - retention_last >= RETENTION_EVERY:
                removed = retention_apply(now=now)
                retention_last = now
                self.stdout.write(f"Retention removed {sum(r.count for r in removed)} records.")
            if options["every"] <= 0:
                return
            time.sleep(options["every"])
