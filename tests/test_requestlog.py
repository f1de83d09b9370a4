"""Structured logs: one JSON object per line, one line per request naming its route (never the
path), status and time, with a request id (the proxy's when it looks like one, echoed back) and
the service, and never a token, code or patient detail."""

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.lib.logfilters import JsonLines, RedactTokens
from tests.conftest import Clinic, logged_in
from tests.portal.test_manage import book, born_form, manage_token, open_manage


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the configured handler writes, in production's format."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactTokens) for f in h.filters)
    ]
    assert handlers, "settings.LOGGING must put the redacting filter on its handlers"
    output = io.StringIO()
    saved = [(h, h.formatter, h.setStream(output)) for h in handlers]  # type: ignore[attr-defined]
    for handler in handlers:
        handler.setFormatter(JsonLines())
    yield output
    for handler, formatter, stream in saved:
        handler.setFormatter(formatter)
        handler.setStream(stream)


def lines(output: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in output.getvalue().splitlines() if line.strip()]


def request_lines(output: io.StringIO) -> list[dict]:
    return [line for line in lines(output) if line["logger"] == "slotlink.request"]


def test_each_request_logs_one_json_line_with_route_status_time_and_id(
    db: None, json_log: io.StringIO
) -> None:
    response = Client().get("/login/")
    (line,) = request_lines(json_log)
    assert line["route"] == "login"
    assert (line["method"], line["status"], line["level"]) == ("GET", 200, "INFO")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["time"].endswith("+00:00")
    assert "service_id" not in line  # nobody's service: an anonymous visitor


@pytest.mark.parametrize(
    "offered",
    ["0123456789abcdef0123456789abcdef", "8d1f0b4e-5a4c-4a8e-9d0e-1f2a3b4c5d6e", "lb.req-42_x"],
)
def test_a_sane_request_id_from_the_proxy_is_kept_and_echoed(
    db: None, json_log: io.StringIO, offered: str
) -> None:
    response = Client().get("/login/", HTTP_X_REQUEST_ID=offered)
    assert response["X-Request-ID"] == offered
    assert request_lines(json_log)[0]["request_id"] == offered


@pytest.mark.parametrize(
    "offered",
    [
        "short",
        "x" * 65,
        "has space 123",
        "line\nbreak1234",
        "/b/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
    ],
)
def test_anything_else_offered_as_a_request_id_is_replaced(
    db: None, json_log: io.StringIO, offered: str
) -> None:
    response = Client().get("/login/", HTTP_X_REQUEST_ID=offered)
    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32
    assert offered not in json_log.getvalue() or offered == ""


def test_staff_requests_name_the_users_service(clinic: Clinic, json_log: io.StringIO) -> None:
    logged_in(clinic.admin).get("/patients/")
    (line,) = request_lines(json_log)
    assert (line["route"], line["service_id"]) == ("clinic:patient_search", clinic.service.pk)


def test_a_patients_booking_walk_names_the_service_and_no_token_or_detail(
    clinic: Clinic, frozen_now: object, json_log: io.StringIO
) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    unknown = "Zz9_-" * 8 + "abc"
    client = Client()
    assert Client().get(f"/b/{unknown}").status_code == 404
    client.get(f"/b/{token}")
    client.get("/book/")
    client.get("/book/times/")
    start = rule_available_times(clinic.rule, timezone.now())[0]
    client.post("/book/choose/", {"start": start.isoformat()})
    client.get("/book/review/")
    client.post("/book/confirm/")
    client.get("/book/booked/")

    logged = json_log.getvalue()
    routes = [(line["route"], line.get("service_id")) for line in request_lines(json_log)]
    assert routes == [
        ("book:enter", None),  # an unknown token: no service
        ("book:enter", clinic.service.pk),
        ("book:welcome", clinic.service.pk),
        ("book:times", clinic.service.pk),
        ("book:choose", clinic.service.pk),
        ("book:review", clinic.service.pk),
        ("book:confirm", clinic.service.pk),
        ("book:booked", clinic.service.pk),
    ]
    # Django's own "Not Found" warning carries the request: it must not be written out.
    assert any(line["logger"] == "django.request" for line in lines(json_log))
    patient = clinic.patient
    for secret in (token, unknown, patient.last_name, patient.mobile, str(patient.date_of_birth)):
        assert secret not in logged
    assert "WSGIRequest" not in logged


def test_manage_pages_name_the_service_and_never_the_date_of_birth_or_code(
    clinic: Clinic, frozen_now: object, json_log: io.StringIO
) -> None:
    token = manage_token(book(clinic))
    client = open_manage(token)
    client.post("/manage/verify/", born_form(date(1980, 1, 1)))
    client.post("/manage/verify/", born_form())
    client.get("/manage/")
    logged = json_log.getvalue()
    assert token not in logged
    # Request ids are random hex, which now and then holds any four digits.
    without_ids = re.sub(r'"request_id": "[0-9a-f]+"', "", logged)
    assert "1980" not in without_ids
    assert str(clinic.patient.date_of_birth.year) not in without_ids
    home = [line for line in request_lines(json_log) if line["route"] == "manage:home"]
    assert home and home[0]["service_id"] == clinic.service.pk


def test_a_line_logged_inside_a_request_carries_its_id(db: None, json_log: io.StringIO) -> None:
    """The 404 warning Django logs during the request shares the request's id."""
    response = Client().get("/no/such/page/")
    warning = next(line for line in lines(json_log) if line["logger"] == "django.request")
    assert warning["request_id"] == response["X-Request-ID"]
    assert request_lines(json_log)[0]["route"] == "unrouted"


def test_a_server_error_is_logged_as_json_with_the_traceback_redacted(
    clinic: Clinic, json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"failed at /b/{token}")

    monkeypatch.setattr("slotlink.portal.views.book.booking_link_find", broken)
    response = Client(raise_request_exception=False).get(f"/b/{token}")
    assert response.status_code == 500
    logged = json_log.getvalue()
    error = next(line for line in lines(json_log) if line["level"] == "ERROR")
    assert "RuntimeError" in error["exc_info"]
    assert "/b/[redacted]" in error["exc_info"]
    assert token not in logged
    assert request_lines(json_log)[-1]["status"] == 500
