"""Brief write contention is retried, and if it lasts the person sees a calm page, never an
error or a stack trace."""

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from slotlink.contention import ContentionMiddleware, is_contention, retry_on_contention


class Psycopg40P01(Exception):
    sqlstate = "40P01"


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = Psycopg40P01()
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OperationalError("database is locked"), True),
        (deadlock(), True),
        (OperationalError("no such table: x"), False),
        (ValueError("database is locked"), False),
    ],
)
def test_only_lock_contention_counts(error, expected):
    assert is_contention(error) is expected


def test_a_view_that_meets_a_lock_is_run_again_and_succeeds(monkeypatch):
    monkeypatch.setattr("slotlink.contention.time.sleep", lambda seconds: None)
    calls = []

    def view(request):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return HttpResponse("booked")

    response = retry_on_contention(view)(RequestFactory().post("/book/confirm/"))

    assert response.content == b"booked"
    assert len(calls) == 3


def test_other_database_errors_are_not_retried(monkeypatch):
    calls = []

    def view(request):
        calls.append(1)
        raise OperationalError("disk I/O error")

    with pytest.raises(OperationalError):
        retry_on_contention(view)(RequestFactory().post("/"))
    assert len(calls) == 1


@pytest.mark.django_db
def test_lasting_contention_shows_the_busy_page_with_retry_after():
    middleware = ContentionMiddleware(lambda request: HttpResponse())
    request = RequestFactory().post("/book/confirm/")

    response = middleware.process_exception(request, OperationalError("database is locked"))

    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Nothing has been booked or changed" in response.content.decode()
    assert middleware.process_exception(request, ValueError("x")) is None
