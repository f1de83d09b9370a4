"""Migration operations that exist only on PostgreSQL (exclusion constraints)."""

from typing import Any

from django.db import migrations


def postgres_only(sql: str, reverse_sql: str) -> migrations.RunPython:
    def runner(statement: str) -> Any:
        def run(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor == "postgresql":
                # No parameters: otherwise psycopg reads a "%" in PL/pgSQL as a placeholder.
                schema_editor.execute(statement, params=None)

        return run

    return migrations.RunPython(runner(sql), runner(reverse_sql))
