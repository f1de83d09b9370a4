"""Django's PostgreSQL backend, its connection health check made free for a healthy connection.

With CONN_HEALTH_CHECKS, Django asks a reused connection `SELECT 1` before each request's first
query: a round trip per request, eight a booking, to learn what the socket can tell for
nothing. A connection the server has closed or is closing (a restart, an idle time-out,
pg_terminate_backend) has its farewell or its end waiting to be read; a healthy idle one has
nothing. So only a connection with something to read is asked, as Django would ask it, and
closed if it fails; it is then opened afresh by the query that follows.
"""

import select

from django.db.backends.postgresql import base


def _has_pending_input(fileno: int) -> bool:
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    # Django's, set in its __init__ (django-stubs does not declare them).
    health_check_enabled: bool
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        # Once a request, as Django checks: every cursor asks, and after the first the answer
        # would change nothing (Django's own check then returns at once).
        if not self.health_check_enabled or self.health_check_done:
            return
        connection = self.connection
        if connection is None or connection.closed or _has_pending_input(connection.fileno()):
            super().close_if_health_check_failed()
        else:
            self.health_check_done = True
