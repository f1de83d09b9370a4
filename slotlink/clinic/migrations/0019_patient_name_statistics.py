"""The search by part of a name is planned from the statistics of the upper-cased names that
0012's trigram indexes keep. With PostgreSQL's default 100 buckets, a surname that happens to
bound a bucket (about one in 120) is guessed to be 1% of the caseload, and the plan walks the
patients in name order until it has 50: the whole caseload, 450 ms at 300,000 patients against
1 ms reading the indexes. With 1,000 buckets such a guess is 0.1%, and the indexes are read
(docs/benchmarks.md). ANALYZE makes the statistics at once: it reads a sample of 300,000 rows,
a few seconds, and blocks no reads or writes. Not atomic: run in the transaction that set the
target, ANALYZE still made 100 buckets. PostgreSQL only."""

from django.db import migrations

from slotlink.lib.migration_ops import postgres_only

NAME_INDEXES = ["patient_first_name_trgm", "patient_last_name_trgm"]
BUCKETS = 1000


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("clinic", "0018_welsh_names")]

    operations = [
        *(
            postgres_only(
                f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS {BUCKETS}",
                f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS -1",
            )
            for name in NAME_INDEXES
        ),
        postgres_only("ANALYZE clinic_patient", "ANALYZE clinic_patient"),
    ]
