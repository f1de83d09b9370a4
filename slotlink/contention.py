"""Brief write contention ("database is locked" on SQLite, a deadlock on PostgreSQL) is
retried, and if it persists the person sees a calm "try again" page, never an error."""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

_RETRYABLE_PGCODES = {"40001", "40P01"}  # serialization failure, deadlock detected


def is_contention(error: BaseException) -> bool:
    if not isinstance(error, OperationalError):
        return False
    if "database is locked" in str(error) or "database table is locked" in str(error):
        return True
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in _RETRYABLE_PGCODES


def retry_on_contention(
    view: Callable[..., HttpResponse], attempts: int = 4, pause: float = 0.05
) -> Callable[..., HttpResponse]:
    """Run a view again when its transaction lost to contention. Safe because each of our
    POST views makes one atomic change, rolled back whole when it fails."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        for attempt in range(attempts - 1):
            try:
                return view(request, *args, **kwargs)
            except OperationalError as error:
                if not is_contention(error):
                    raise
                time.sleep(pause * 2**attempt)
        return view(request, *args, **kwargs)

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
