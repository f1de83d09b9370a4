"""Patient search on a service of a million patients (issue 18): by name, a trigram index
on each name as the search compares it (upper case, any part of the word); by date of birth,
a plain one. The NHS number already has one (the uniqueness constraint's). PostgreSQL only:
SQLite serves one small demo. Built CONCURRENTLY, so a live service keeps writing patients
while they are made (docs/deploy.md: migrations without downtime); hence not atomic."""

from django.db import migrations

from slotlink.lib.migration_ops import postgres_only

INDEXES = {
    "patient_first_name_trgm": "USING gin (UPPER(first_name::text) gin_trgm_ops)",
    "patient_last_name_trgm": "USING gin (UPPER(last_name::text) gin_trgm_ops)",
    "patient_service_born": "(service_id, date_of_birth)",
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("clinic", "0011_service_notify_callback_token")]

    operations = [
        postgres_only(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "SELECT 1",  # other tables may use it
        ),
        *(
            postgres_only(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON clinic_patient {how}",
                f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
            )
            for name, how in INDEXES.items()
        ),
    ]
