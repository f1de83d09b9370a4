"""Brief write contention ("database is locked" on SQLite; a deadlock or a lock wait timed
out on PostgreSQL) is retried, and if it persists the person sees a calm "try again" page,
never an error, and within a few seconds."""

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.sessions import middleware as sessions
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

# serialization failure, deadlock detected, lock_timeout reached
_CONTENTION_PGCODES = {"40001", "40P01", "55P03"}

# The longest a request waits for locks, retries included, before the "busy" page: well
# inside the 30 to 60 seconds after which proxies and load balancers give up and show a
# gateway error of their own. Each lock wait itself is bounded by DATABASE_LOCK_WAIT_SECONDS.
WAIT_BUDGET_SECONDS = 5.0


def is_contention(error: BaseException) -> bool:
    if not isinstance(error, OperationalError):
        return False
    if "database is locked" in str(error) or "database table is locked" in str(error):
        return True
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in _CONTENTION_PGCODES


def retry_on_contention(
    view: Callable[..., HttpResponse], attempts: int = 4, pause: float = 0.05
) -> Callable[..., HttpResponse]:
    """Run a view again when its transaction lost to contention. Safe because each of our
    POST views makes one atomic change, rolled back whole when it fails. Another try is made
    only if it could wait out a whole lock wait within WAIT_BUDGET_SECONDS: a lock held on
    and on gets the busy page, not a queue of waits."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        deadline = time.monotonic() + WAIT_BUDGET_SECONDS
        tries = 0
        while True:
            try:
                return view(request, *args, **kwargs)
            except OperationalError as error:
                delay = pause * 2**tries
                tries += 1
                if (
                    not is_contention(error)
                    or tries == attempts
                    or time.monotonic() + delay + settings.DATABASE_LOCK_WAIT_SECONDS > deadline
                ):
                    raise
                time.sleep(delay)

    return wrapper


class ContentionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_contention(exception):
            return None
        response = render(request, "busy.html", {"service": None}, status=503)
        response["Retry-After"] = "5"
        return response


class SessionMiddleware(sessions.SessionMiddleware):
    """Django's, except that a session save that loses to contention leaves the response as the
    view made it. The save comes after the view, whose change is committed by then (a booking
    made): an error page would hide that, and the "busy" page would say nothing changed. Only
    the session's own change is lost, the browser's progress through the pages (a choice to
    forget, when it was last kept alive), which at worst is asked for again."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except OperationalError as error:
            if not is_contention(error):
                raise
            # No path: a patient's may carry a link's token. The request id ties it to its line.
            logger.warning("Session not saved: the database stayed busy")
            # Django marks the answer as varying by cookie after its save, which never returned.
            patch_vary_headers(response, ("Cookie",))
            return response
