"""Statements whose best plan depends on their values."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def planned_with_values() -> Iterator[None]:
    """Statements run inside are not prepared: PostgreSQL plans each one for its own values.

    A statement a connection has prepared (settings: prepare_threshold) is planned for its
    values five times, then PostgreSQL may keep one generic plan made without them. For a
    search by part of a name that plan guesses that 1% of patients match, so it walks them
    in name order until it has the page's 50, and for a rare name reads the whole caseload:
    400 ms at 300,000 patients against 1 ms planned with the name (docs/benchmarks.md)."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    driver = connection.connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None  # psycopg then sends the statement unnamed, never prepared
    try:
        yield
    finally:
        driver.prepare_threshold = threshold
