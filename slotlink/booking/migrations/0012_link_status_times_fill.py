"""Fill 0011's columns from the links' events, then index them for the dashboard.

In batches of link ids, each its own short transaction, so five million links never hold
one long lock or one huge transaction. A batch writes only links whose status lacks its
time (and withdrawn ones) and never overwrites a time already there, so running it again
writes little and changes nothing already right.

Then, on PostgreSQL, a partial index per time holding the rule (and, for booking, when the
link was sent), so the dashboard's counts and median read indexes alone. The index on when
links were sent gains the rule and replaces 0009's; 0009's index on when events happened
goes, as only the old dashboard read it. The release before, still serving during the
roll-out, finds its queries served by the new index (its dashboard, slower). Built and
dropped CONCURRENTLY, so a live service keeps sending meanwhile; hence not atomic."""

from typing import Any

from django.db import migrations, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from slotlink.lib.migration_ops import postgres_only

BATCH = 20_000

INDEXES = {
    "bookinglink_sent_rule": "(service_id, created_at) INCLUDE (rule_id)",
    "bookinglink_accessed": "(service_id, accessed_at) INCLUDE (rule_id)"
    " WHERE accessed_at IS NOT NULL",
    "bookinglink_booked": "(service_id, booked_at) INCLUDE (rule_id, created_at)"
    " WHERE booked_at IS NOT NULL",
    "bookinglink_expired": "(service_id, expired_at) INCLUDE (rule_id)"
    " WHERE expired_at IS NOT NULL",
}

OLD_INDEXES = {
    "bookinglink_service_sent": "booking_bookinglink (service_id, created_at)",
    "bookinglinkevent_when": "booking_bookinglinkevent (occurred_at)",
}


# Links whose status lacks its time, and withdrawn ones (which may have any of the three).
MISSING = (
    Q(status="accessed", accessed_at__isnull=True)
    | Q(status__in=["booked", "rescheduled"], booked_at__isnull=True)
    | Q(status="expired", expired_at__isnull=True)
    | Q(status="deleted")
)


def fill(apps: Any, schema_editor: Any) -> None:
    link_model = apps.get_model("booking", "BookingLink")
    event_model = apps.get_model("booking", "BookingLinkEvent")
    alias = schema_editor.connection.alias
    links = link_model.objects.using(alias)

    def time_of(status: str) -> Subquery:
        events = event_model.objects.using(alias).filter(link=OuterRef("pk"), to_status=status)
        return Subquery(events.order_by("occurred_at").values("occurred_at")[:1])

    last = links.aggregate(last=Max("pk"))["last"] or 0
    for low in range(0, last + 1, BATCH):
        with transaction.atomic(using=alias):
            links.filter(pk__gte=low, pk__lt=low + BATCH).filter(MISSING).update(
                accessed_at=Coalesce("accessed_at", time_of("accessed")),
                booked_at=Coalesce("booked_at", time_of("booked")),
                expired_at=Coalesce("expired_at", time_of("expired")),
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("booking", "0011_link_status_times")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        *(
            postgres_only(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON booking_bookinglink {what}",
                f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
            )
            for name, what in INDEXES.items()
        ),
        *(
            postgres_only(
                f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {what}",
            )
            for name, what in OLD_INDEXES.items()
        ),
    ]
