from typing import Any

from django.core.management.base import BaseCommand

from slotlink.ops.services import housekeeping_round


class Command(BaseCommand):
    help = (
        "One round of housekeeping: record the expiry of links past their validity, clear lapsed "
        "holds, recover messages a dead worker left behind, apply retention (hourly) and prune "
        "old task results. Workers already run it every minute; this is for running it by hand "
        "or from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = housekeeping_round()
        self.stdout.write(
            f"Expired {report.expired_links} links, cleared {report.lapsed_holds} lapsed holds, "
            f"recovered {report.recovered_messages} messages, "
            f"pruned {report.task_results_pruned} old task results."
        )
        if report.retention_removed is not None:
            self.stdout.write(f"Retention removed {report.retention_removed} records.")
