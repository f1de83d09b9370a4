"""make prod-local, walked through as a patient would: production settings, two gunicorn app
servers started by scripts/serve, two workers, Debian's nginx with TLS in front, PostgreSQL.

A booking link is sent from the command line; then an HTTP client, through nginx only, opens
it and books (cookies and CSRF as a browser). The database holds the appointment once, a
worker sends the confirmation, the probes answer through nginx, /readyz fails once the workers
stop (the heartbeat's age is a setting, so no minute's wait), logs are JSON with request ids
and no token, and stopping leaves no process behind."""

import json
import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
from django.db import connection
from requests.adapters import HTTPAdapter

from deploy.prod_local import PYTHON, ROOT, ProdLocal, ProdLocalError, ensure_nginx
from slotlink.ops.trial import TRIAL_RULE
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.prod_local

PORT = int(os.environ.get("PROD_LOCAL_TEST_PORT", "8446"))
DAY_LINK = re.compile(r'href="(/book/times/\d{4}-\d{2}-\d{2}/)"')
START_OPTION = re.compile(r'name="start" value="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class SourceAddressAdapter(HTTPAdapter):
    """Connects from another loopback address, as a client elsewhere would."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def database_url() -> str:
    """A database of the test run's own: DATABASE_URL's, with _prod after its name."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=parts.path + "_prod"))


def csrf(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.25)


def group_alive(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


@pytest.fixture
def site():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: runs in the DATABASE_URL=postgres://… pass")
    try:
        ensure_nginx()
    except ProdLocalError as missing:
        skip_or_fail(str(missing))
    profile = ProdLocal(
        port=PORT,
        database_url=database_url(),
        state=ROOT / ".prod-local-test",
        # A run every 2 s and a heartbeat that is old after 6 s: no minute's wait.
        env={"HOUSEKEEPING_EVERY_SECONDS": "2", "READY_WORKER_MAX_AGE_SECONDS": "6"},
        fresh_database=True,
    )
    try:
        profile.start()
        yield profile
    finally:
        profile.stop()


def test_a_patient_books_through_nginx_on_the_production_profile(site: ProdLocal) -> None:
    db = psycopg.connect(site.database_url, autocommit=True)
    patient_id, service_id = db.execute(
        "SELECT id, service_id FROM clinic_patient ORDER BY id LIMIT 1"
    ).fetchone()

    # Staff send a link, as the button does, from the command line.
    sent = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [
            PYTHON,
            "manage.py",
            "send_booking_link",
            "--patient",
            str(patient_id),
            "--rule",
            TRIAL_RULE,
        ],
        cwd=ROOT,
        env=site.settings_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    link_url = sent.stdout.strip()
    assert link_url.startswith(f"{site.base_url}/b/")
    token = link_url.rsplit("/", 1)[1]

    # The patient, through nginx only, with TLS checked against the throwaway certificate.
    browser = requests.Session()
    browser.trust_env = False  # REQUESTS_CA_BUNDLE and the like would replace the certificate
    browser.verify = str(site.certificate)
    browser.headers["Origin"] = site.base_url  # as a browser sends with a form post

    welcome = browser.get(link_url, timeout=30)
    assert welcome.status_code == 200, welcome.status_code
    assert welcome.url == f"{site.base_url}/book/"
    assert "Alex" in welcome.text
    assert welcome.history[0].headers["Referrer-Policy"] == "no-referrer"
    assert "max-age=31536000" in welcome.headers["Strict-Transport-Security"]
    session_cookie = next(c for c in browser.cookies if c.name == "__Host-sessionid")
    assert session_cookie.secure

    times = browser.get(f"{site.base_url}/book/times/", timeout=30)
    assert times.status_code == 200
    day_path = DAY_LINK.search(times.text).group(1)
    day = browser.get(f"{site.base_url}{day_path}", timeout=30)
    assert day.status_code == 200
    start = START_OPTION.search(day.text).group(1)

    chosen = browser.post(
        f"{site.base_url}/book/choose/",
        data={"csrfmiddlewaretoken": csrf(day.text), "start": start},
        headers={"Referer": f"{site.base_url}{day_path}"},
        timeout=30,
    )
    assert chosen.url == f"{site.base_url}/book/review/", chosen.status_code
    booked = browser.post(
        f"{site.base_url}/book/confirm/",
        data={"csrfmiddlewaretoken": csrf(chosen.text)},
        headers={"Referer": f"{site.base_url}/book/review/"},
        timeout=30,
    )
    assert booked.url == f"{site.base_url}/book/booked/"
    assert "Your appointment is booked" in booked.text

    # Once in the database, and the confirmation text sent by a worker.
    link_id, status = db.execute(
        "SELECT id, status FROM booking_bookinglink ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert status == "booked"
    appointments = db.execute(
        "SELECT id FROM clinic_appointment WHERE booking_link_id = %s", [link_id]
    ).fetchall()
    assert len(appointments) == 1

    def confirmation_sent() -> bool:
        row = db.execute(
            "SELECT status FROM messaging_outboundmessage WHERE appointment_id = %s"
            " AND kind = 'confirmation'",
            [appointments[0][0]],
        ).fetchone()
        return row is not None and row[0] == "sent"

    wait_for(confirmation_sent, 30, "a worker sends the confirmation")

    # The probes, through nginx; /metrics is not served there.
    for probe in ("/healthz", "/readyz"):
        answer = browser.get(f"{site.base_url}{probe}", timeout=10)
        assert answer.status_code == 200, (probe, answer.text)
    assert browser.get(f"{site.base_url}/metrics", timeout=10).status_code == 404

    # Behind nginx the client is the address nginx saw (TRUSTED_PROXY_COUNT=1), not the
    # address nginx connects from, nor what the client claims further left.
    other = requests.Session()
    other.trust_env = False
    other.verify = str(site.certificate)
    other.mount("https://", SourceAddressAdapter("127.0.0.2"))
    login = other.get(f"{site.base_url}/login/", timeout=30)
    other.post(
        f"{site.base_url}/login/",
        data={"csrfmiddlewaretoken": csrf(login.text), "username": "nobody", "password": "x"},
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "Origin": site.base_url,
            "Referer": f"{site.base_url}/login/",
        },
        timeout=30,
    )
    addresses = db.execute("SELECT DISTINCT host(ip_address) FROM axes_accessattempt").fetchall()
    assert addresses == [("127.0.0.2",)]

    # Each app server counts for all its gunicorn workers; together, the one booking.
    bookings = 0.0
    for port in site.app_ports:
        scraped = requests.get(
            f"http://127.0.0.1:{port}/metrics",
            headers={"Authorization": f"Bearer {site.secrets()['METRICS_TOKEN']}"},
            timeout=10,
        )
        assert scraped.status_code == 200
        bookings += float(re.search(r"^slotlink_bookings_total (\S+)$", scraped.text, re.M)[1])
        assert token not in scraped.text
    assert bookings == 1

    # Logs: JSON lines, the request id shared between nginx and the app, no token anywhere.
    app_lines = [
        json.loads(line)
        for n in range(1, site.instances + 1)
        for line in site.log(f"app{n}").read_text().splitlines()
        if line.startswith("{")
    ]
    requests_logged = [line for line in app_lines if line["logger"] == "slotlink.request"]
    confirm = next(line for line in requests_logged if line["route"] == "book:confirm")
    assert confirm["status"] == 302 and confirm["service_id"] == service_id
    nginx_lines = [json.loads(line) for line in site.log("nginx-access").read_text().splitlines()]
    assert confirm["request_id"] in {line["request_id"] for line in nginx_lines}
    assert any(line["path"] == "/b/[redacted]" for line in nginx_lines)
    for log in site.logs.glob("*.log"):
        assert token not in log.read_text(), log.name

    # Workers stopped: no heartbeat, so not ready; back, and ready again.
    site.stop_workers()
    wait_for(
        lambda: browser.get(f"{site.base_url}/readyz", timeout=10).status_code == 503,
        20,
        "/readyz fails once the workers stop",
    )
    failing = browser.get(f"{site.base_url}/readyz", timeout=10).json()
    assert failing["checks"]["worker"] == "failing"
    assert failing["checks"]["database"] == "ok"
    site.start_workers()
    wait_for(
        lambda: browser.get(f"{site.base_url}/readyz", timeout=10).status_code == 200,
        30,
        "/readyz passes once a worker is back",
    )

    # Stopping leaves nothing running.
    groups = [json.loads(p.read_text())["pid"] for p in (site.state / "pids").glob("*.pid")]
    assert len(groups) == 1 + site.instances + site.workers
    assert sorted(site.stop()) == sorted(
        ["nginx"] + [f"app{n}" for n in (1, 2)] + [f"worker{n}" for n in (1, 2)]
    )
    assert not any(group_alive(pgid) for pgid in groups)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{site.app_ports[0]}/healthz", timeout=5)


def test_the_app_servers_take_gunicorns_sizing_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make bench-scale compares processes against threads through these.
    (tmp_path / "secrets.json").write_text("{}")
    monkeypatch.setenv("WEB_WORKERS", "4")
    monkeypatch.setenv("WEB_THREADS", "1")
    monkeypatch.setenv("SOMETHING_ELSE", "x")
    env = ProdLocal(state=tmp_path, database_url="postgres://u@h/d").settings_env()
    assert (env["WEB_WORKERS"], env["WEB_THREADS"]) == ("4", "1")
    assert "SOMETHING_ELSE" not in env
