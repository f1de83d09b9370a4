"""Booking links at five million (issue 18). The dashboard counts a week's links by when they
were sent and a week's events by when they happened; housekeeping looks for live links past
their validity, and retention for ended links whose token copy is not blanked yet. Partial
indexes hold only the rows those sweeps can still find, so they stay small however many links
have ended. PostgreSQL only (SQLite serves one small demo), built CONCURRENTLY so a live
service keeps sending links meanwhile (docs/deploy.md); hence not atomic."""

from django.db import migrations

from slotlink.lib.migration_ops import postgres_only

INDEXES = {
    "bookinglink_service_sent": "booking_bookinglink (service_id, created_at)",
    "bookinglink_live_expiry": (
        "booking_bookinglink (expires_at) WHERE status IN ('sent', 'accessed')"
    ),
    "bookinglink_token_kept": "booking_bookinglink (expires_at) WHERE token_encrypted <> ''",
    "bookinglinkevent_when": "booking_bookinglinkevent (occurred_at)",
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("booking", "0008_neutral_default_sms")]

    operations = [
        postgres_only(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {where}",
            f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        )
        for name, where in INDEXES.items()
    ]
