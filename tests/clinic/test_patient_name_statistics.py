"""The search by part of a name is planned from 1,000 buckets of statistics on the upper-cased
names, not 100: with 100, a surname bounding a bucket was guessed to be 1% of the caseload and
the plan read every patient (clinic 0019, docs/benchmarks.md)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_name_indexes_keep_a_thousand_buckets_of_statistics(needs_postgres: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attstattarget FROM pg_attribute"
            " WHERE attrelid IN ('patient_first_name_trgm'::regclass,"
            " 'patient_last_name_trgm'::regclass)"
        )
        assert sorted(cursor.fetchall()) == [
            ("patient_first_name_trgm", 1000),
            ("patient_last_name_trgm", 1000),
        ]
