"""PostgreSQL: no two holds of one therapist overlap (see SlotHold)."""

from django.db import migrations

from slotlink.lib.migration_ops import postgres_only

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE booking_slothold ADD CONSTRAINT hold_no_overlap_per_therapist
    EXCLUDE USING gist (therapist_id WITH =, tstzrange(start, "end", '[)') WITH &&);
"""
DROP = "ALTER TABLE booking_slothold DROP CONSTRAINT IF EXISTS hold_no_overlap_per_therapist;"


class Migration(migrations.Migration):
    dependencies = [("booking", "0003_slot_hold")]

    operations = [postgres_only(CREATE, DROP)]
