"""/metrics: Prometheus' figures through prometheus-client, for a bearer of METRICS_TOKEN only;
requests by route name (never the path), bookings and lock-outs counted where they happen, and
the outbox, texts and links read from the database when scraped; correct across gunicorn's
worker processes (multiprocess mode)."""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.manage.services import LINK_MAX_FAILURES
from slotlink.messaging.models import MessageKind
from slotlink.messaging.services import message_queue
from tests.conftest import Clinic
from tests.portal.test_manage import book, born_form, manage_token, open_manage

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "m" * 40


@pytest.fixture
def scraper(settings) -> Client:
    settings.METRICS_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_without_a_token_configured_there_are_no_metrics(db: None, settings) -> None:
    settings.METRICS_TOKEN = ""
    response = Client(HTTP_AUTHORIZATION="Bearer ").get("/metrics")
    assert response.status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_only_the_bearer_of_the_token_may_scrape(
    db: None, scraper: Client, authorization: str | None
) -> None:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client(**headers).get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert b"slotlink" not in response.content


def test_requests_are_counted_and_timed_by_route_name_never_by_path(
    clinic: Clinic, frozen_now: object, scraper: Client
) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    before = counted("slotlink_http_requests_total", route="book:enter", method="GET", status="302")
    Client().get(f"/b/{token}")
    Client().get("/b/" + "x" * 43)
    Client().get("/no/such/page/")

    assert (
        counted("slotlink_http_requests_total", route="book:enter", method="GET", status="302")
        == before + 1
    )
    samples = scrape(scraper)
    text = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").get("/metrics").content.decode()
    assert token not in text and "x" * 43 not in text
    assert (
        "slotlink_http_requests_total",
        (("method", "GET"), ("route", "book:enter"), ("status", "404")),
    ) in samples
    assert (
        "slotlink_http_requests_total",
        (("method", "GET"), ("route", "unrouted"), ("status", "404")),
    ) in samples
    assert (
        samples[
            (
                "slotlink_http_request_duration_seconds_count",
                (("method", "GET"), ("route", "book:enter")),
            )
        ]
        >= 2
    )


def test_odd_methods_share_one_label(db: None) -> None:
    before = counted("slotlink_http_requests_total", route="login", method="OTHER", status="405")
    Client().generic("BREW", "/login/")
    after = counted("slotlink_http_requests_total", route="login", method="OTHER", status="405")
    assert after == before + 1


def test_a_booking_through_the_pages_is_counted_once(
    clinic: Clinic, frozen_now: object, django_capture_on_commit_callbacks
) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = Client()
    client.get(f"/b/{token}")
    start = rule_available_times(clinic.rule, timezone.now())[0]
    assert client.post("/book/choose/", {"start": start.isoformat()}).status_code == 302
    before = counted("slotlink_bookings_total")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/book/confirm/")["Location"] == "/book/booked/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/book/confirm/")  # a double submit books nothing more
    assert counted("slotlink_bookings_total") == before + 1


def test_staff_lockouts_are_counted(clinic: Clinic) -> None:
    before = counted("slotlink_lockouts_total", kind="staff_login")
    client = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": clinic.admin.username, "password": "wrong"})
    assert (
        client.post("/login/", {"username": clinic.admin.username, "password": "x"}).status_code
        == 429
    )
    assert counted("slotlink_lockouts_total", kind="staff_login") > before


def test_patient_verification_lockouts_are_counted(
    clinic: Clinic, frozen_now: object, django_capture_on_commit_callbacks
) -> None:
    token = manage_token(book(clinic))
    client = open_manage(token)
    before = counted("slotlink_lockouts_total", kind="patient_verification")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(LINK_MAX_FAILURES):
            client.post("/manage/verify/", born_form(date(1980, 1, 1)))
    assert counted("slotlink_lockouts_total", kind="patient_verification") == before + 1


def test_the_outbox_texts_and_links_are_read_from_the_database_when_scraped(
    clinic: Clinic, frozen_now: time_machine.Traveller, scraper: Client
) -> None:
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="Hi",
        kind=MessageKind.AD_HOC,
        urgent=True,
    )
    frozen_now.shift(timedelta(seconds=42))

    samples = scrape(scraper)

    assert samples[("slotlink_outbox_due_messages", ())] == 2  # the link's text and this one
    assert samples[("slotlink_outbox_oldest_due_age_seconds", ())] == 42
    assert samples[("slotlink_texts", (("status", "queued"),))] == 2
    assert samples[("slotlink_texts", (("status", "sent"),))] == 0
    assert samples[("slotlink_booking_links", (("status", "sent"),))] == 1
    assert samples[("slotlink_booking_links", (("status", "booked"),))] == 0
    assert ("slotlink_housekeeping_last_run_age_seconds", ()) not in samples  # never ran


def test_counts_from_every_gunicorn_worker_process_are_added_up(
    db: None, scraper: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes count into one PROMETHEUS_MULTIPROC_DIR, as gunicorn's workers do; the
    scrape, answered by any one of them, reports the sum."""
    counting = (
        "import sys; from slotlink.lib.metrics import BOOKINGS, HTTP_REQUESTS; "
        "[BOOKINGS.inc() for _ in range(int(sys.argv[1]))]; "
        "HTTP_REQUESTS.labels('book:confirm', 'POST', '302').inc(int(sys.argv[1]))"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for times in (2, 3):
        subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", counting, str(times)], cwd=ROOT, env=env, check=True, timeout=60
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    samples = scrape(scraper)

    assert samples[("slotlink_bookings_total", ())] == 5
    key = (("method", "POST"), ("route", "book:confirm"), ("status", "302"))
    assert samples[("slotlink_http_requests_total", key)] == 5
