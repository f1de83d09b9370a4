"""The PostgreSQL backend's health check (slotlink/lib/postgresql): free for a healthy
connection, and still replacing one the server has ended."""

import select
from unittest import mock

import psycopg
import pytest
from django.db import close_old_connections, connection

from slotlink.lib.postgresql.base import _has_pending_input

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("needs_postgres")]


def _new_request_and_query() -> int:
    """What a request does: Django's start-of-request check, then a query."""
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_a_healthy_connection_is_reused_without_asking_it_select_1() -> None:
    first = _new_request_and_query()
    with mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as asked:
        again = _new_request_and_query()
        and_again = _new_request_and_query()
    assert asked.call_count == 0
    assert first == again == and_again


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it() -> None:
    ended = _new_request_and_query()
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [ended])
    # The server's farewell reaches our socket.
    select.select([connection.connection.fileno()], [], [], 5)

    replacement = _new_request_and_query()

    assert replacement != ended


def test_the_socket_is_looked_at_once_a_request_not_once_a_query() -> None:
    _new_request_and_query()
    with mock.patch(
        "slotlink.lib.postgresql.base._has_pending_input", wraps=_has_pending_input
    ) as looked:
        _new_request_and_query()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 2")
    assert looked.call_count == 1
