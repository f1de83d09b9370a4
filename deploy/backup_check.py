"""A backup, and proof that it restores: `python -m deploy.backup_check` (make backup-check).

    python -m deploy.backup_check [--dump FILE] [--keep]

Dumps the PostgreSQL database DATABASE_URL names (pg_dump's custom format, to FILE or a
temporary file), restores the dump into a scratch database beside it (<name>_restore_check,
made afresh), and compares the two: the same tables with the same number of rows each, the
same triggers (the audit log's append-only guard among them), and every migration recorded.
The source's counts are taken in the very snapshot pg_dump reads (pg_export_snapshot), so a
live database being written to meanwhile cannot make them differ. Prints one line per table
and a verdict; exits 1 when anything differs. The scratch database is dropped unless --keep.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Inventory:
    rows: dict[str, int]  # table -> row count
    triggers: frozenset[str]  # "table.trigger"


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def inventory(connection: psycopg.Connection) -> Inventory:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    rows = {}
    for table in tables:
        count = connection.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()
        rows[table] = int(count[0]) if count else 0
    triggers = frozenset(
        f"{table}.{trigger}"
        for table, trigger in connection.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND NOT t.tgisinternal"
        )
    )
    return Inventory(rows, triggers)


def dump(url: str, path: Path) -> Inventory:
    """pg_dump the database to `path`; returns what the dump holds (counted in its snapshot)."""
    with psycopg.connect(url) as connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()
        assert snapshot is not None  # noqa: S101 - the function always returns one
        subprocess.run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot[0]}", f"--file={path}", url],
            check=True,
            timeout=3600,
        )
        held = inventory(connection)
        connection.rollback()
    return held


def restore(path: Path, url: str) -> None:
    """Restore the dump into a new, empty database at `url` (dropped first if it exists)."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={url}", str(path)],
        check=True,
        timeout=3600,
    )


def drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def differences(source: Inventory, restored: Inventory) -> list[str]:
    found = []
    for table in sorted(set(source.rows) | set(restored.rows)):
        if table not in restored.rows:
            found.append(f"{table}: missing from the restore")
        elif table not in source.rows:
            found.append(f"{table}: only in the restore")
        elif source.rows[table] != restored.rows[table]:
            found.append(f"{table}: {source.rows[table]} rows, {restored.rows[table]} restored")
    for trigger in sorted(source.triggers - restored.triggers):
        found.append(f"trigger {trigger}: missing from the restore")
    if not source.rows.get("django_migrations"):
        found.append("django_migrations: no migrations recorded")
    return found


def check(url: str, dump_path: Path, *, keep: bool = False) -> list[str]:
    """Dump, restore into the scratch database, compare; returns the differences."""
    scratch = _with_database(url, urlsplit(url).path.lstrip("/") + "_restore_check")
    source = dump(url, dump_path)
    try:
        restore(dump_path, scratch)
        with psycopg.connect(scratch) as connection:
            restored = inventory(connection)
    finally:
        if not keep:
            drop(scratch)
    for table, count in sorted(source.rows.items()):
        print(f"{table:<45} {count:>10} {restored.rows.get(table, '-'):>10}")
    return differences(source, restored)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, help="Keep the dump here (default: a temp file)")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database")
    options = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        print("DATABASE_URL must name the PostgreSQL database to back up.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch_dir:
        path = options.dump or Path(scratch_dir) / "slotlink.dump"
        found = check(url, path, keep=options.keep)
    if found:
        print("The restore differs from the database:", *found, sep="\n  ", file=sys.stderr)
        return 1
    kept = f" The dump is {options.dump}." if options.dump else ""
    print(f"Restored and checked: every table, row count and trigger matches.{kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
