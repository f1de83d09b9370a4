"""PostgreSQL: no two time-holding appointments of one therapist may overlap.

SQLite has no exclusion constraints; there the unique (therapist, start) constraint and
immediate write transactions (one writer at a time, checking inside its transaction) do
the same job. See docs/adr/0002-one-slot-one-appointment.md."""

from django.db import migrations

from slotlink.lib.migration_ops import postgres_only

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE clinic_appointment ADD CONSTRAINT appt_no_overlap_per_therapist
    EXCLUDE USING gist (therapist_id WITH =, tstzrange(start, "end", '[)') WITH &&)
    WHERE (status IN ('booked', 'attended', 'dna'));
"""
DROP = "ALTER TABLE clinic_appointment DROP CONSTRAINT IF EXISTS appt_no_overlap_per_therapist;"



class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial"), ("booking", "0002_initial")]

    operations = [postgres_only(CREATE, DROP)]
