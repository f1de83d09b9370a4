"""`make bench-load`: issue 4's load benchmark. Many patients booking at once through the
real pages of the app served by gunicorn, then a count, from the database, of what they got.

    python -m benchmarks.load

For PostgreSQL (a throwaway database on DATABASE_URL's server, else 127.0.0.1:5432) and for
SQLite (a temp file): seed 20 therapists and 200 patients with a booking link each, start
gunicorn (gthread) on a free 127.0.0.1 port, time a bare Django page (GET /login/) as the
yardstick, then let 200 patient threads walk /b/<token> → /book/ → /book/times/ → a day →
POST /book/choose/ → /book/review/ → POST /book/confirm/ → /book/booked/, choosing among
the first few times so that they race for them; a patient who loses a race is sent back to
the times page and tries again (at most MAX_ATTEMPTS times). Afterwards the database says
how many appointments were made, whether any therapist or link was booked twice, and
whether any patient was told "booked" without an appointment. One JSON line per database.

Only 127.0.0.1 is contacted; every loop is bounded in count and time; gunicorn is stopped
here whatever happens. Tunable through the environment: LOAD_WORKERS (3), LOAD_THREADS (4),
LOAD_PATIENTS (200), LOAD_THINK_MS (0: no pause between a patient's pages), LOAD_DATABASES
(postgresql,sqlite).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import ssl
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from benchmarks.common import (
    PYTHON,
    ROOT,
    django_env,
    emit,
    free_port,
    load,
    log,
    percentile,
    postgres_throwaway,
    sqlite_throwaway,
    with_database,
)

THERAPISTS = 20
WEEKS = 4
BOOKED = 0.6
PATIENTS = int(os.environ.get("LOAD_PATIENTS", "200"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "3"))
THREADS = int(os.environ.get("LOAD_THREADS", "4"))
THINK_S = int(os.environ.get("LOAD_THINK_MS", "0")) / 1000
MAX_ATTEMPTS = 8  # times one patient goes back to choose again after losing a race
PHASE_DEADLINE_S = 240.0  # the whole crowd of patients
REQUEST_TIMEOUT_S = 30.0
YARDSTICK_CLIENTS = 16
YARDSTICK_REQUESTS = 2400
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"

# What the pages offer, read the way a browser would: the links and form fields.
DAY_LINK = re.compile(r'href="(/book/times/(\d{4}-\d{2}-\d{2})/)"')
START_OPTION = re.compile(r'name="start" value="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TAKEN_MESSAGE = "just been taken"  # what a patient who lost a race is told


class Unexpected(RuntimeError):
    """A page answered what no patient walking through should ever get."""


# The database side: run in child processes whose environment names the throwaway database.


def _setup_django() -> None:
    import django

    django.setup()


def seed() -> None:
    """Print {"tokens": [...]}: one fresh booking link per patient."""
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from slotlink.booking.links.services import booking_link_send
    from slotlink.clinic.models import Role, User
    from slotlink.ops.demo import seed_large_service

    call_command("migrate", verbosity=0)
    service = seed_large_service(
        therapists=THERAPISTS, patients=PATIENTS, weeks=WEEKS, booked=BOOKED
    )
    rule = service.broadcast_rules.get()
    sender = User.objects.create(username="load-sender", role=Role.ADMIN, service=service)
    tokens = [
        booking_link_send(patient=patient, rule=rule, sent_by=sender)[1]
        for patient in service.patients.order_by("pk")
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would have by now when live
    print(json.dumps({"tokens": tokens}))


def count() -> None:
    """Read {"booked_tokens": [...]} (patients told their appointment was booked) on stdin;
    print what the database holds."""
    _setup_django()
    from django.db.models import Count, Exists, OuterRef

    from slotlink.booking.models import BookingLink
    from slotlink.clinic.models import TIME_HOLDING, Appointment, Source
    from slotlink.domain.link_lifecycle import USED
    from slotlink.lib.crypto import token_hash

    told_booked = json.load(sys.stdin)["booked_tokens"]
    holding = Appointment.objects.filter(status__in=TIME_HOLDING)
    overlapping = holding.filter(
        therapist_id=OuterRef("therapist_id"),
        start__lt=OuterRef("end"),
        end__gt=OuterRef("start"),
        pk__lt=OuterRef("pk"),
    )
    links = BookingLink.objects.annotate(
        has_appointment=Exists(holding.filter(booking_link_id=OuterRef("pk")))
    )
    print(
        json.dumps(
            {
                "appointments_created": holding.filter(source=Source.ONLINE).count(),
                "therapist_overlaps": holding.filter(Exists(overlapping)).count(),
                "links_booked_twice": holding.filter(booking_link__isnull=False)
                .values("booking_link_id")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
                .count(),
                "lost_bookings": links.filter(
                    token_hash__in=[token_hash(t) for t in told_booked], has_appointment=False
                ).count(),
                "used_links_without_appointment": links.filter(
                    status__in=USED, has_appointment=False
                ).count(),
            }
        )
    )


# The patients' side: plain HTTP against 127.0.0.1, a cookie jar per patient.


@dataclass
class Tally:
    """What every request did, shared by all patient threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    races_lost: int = 0
    unexplained_returns: int = 0  # sent back to choose again without being told why
    reconnects: int = 0
    booked_tokens: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, status: int, elapsed_ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(elapsed_ms)
            self.by_page.setdefault(_page_name(method, path), []).append(elapsed_ms)
            self.statuses[status] += 1

    def pages_summary(self) -> str:
        return ", ".join(
            f"{name} p50 {statistics.median(t):.0f} p95 {percentile(sorted(t), 0.95):.0f} ms"
            for name, t in self.by_page.items()
        )


def _page_name(method: str, path: str) -> str:
    """ "GET /book/times/<day>/" and the like: one name per page, whatever the day or token."""
    if path.startswith("/b/"):
        return f"{method} /b/<token>"
    if DAY_LINK.match(f'href="{path}"'):
        return f"{method} /book/times/<day>/"
    return f"{method} {path}"


class Browser:
    """One patient's browser: a keep-alive connection and the cookies the site set."""

    def __init__(self, port: int, tally: Tally, *, tls: ssl.SSLContext | None = None) -> None:
        self.port = port
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.headers = {"Host": f"127.0.0.1:{port}"}
        self.connection: http.client.HTTPConnection
        if tls is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=REQUEST_TIMEOUT_S
            )
        else:
            # Behind nginx with production settings: CSRF wants the origin a browser sends.
            self.headers["Origin"] = f"https://127.0.0.1:{port}"
            self.connection = http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=REQUEST_TIMEOUT_S, context=tls
            )

    def close(self) -> None:
        self.connection.close()

    def send(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """(status, Location, body) of one request, not following redirects."""
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            began = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection just as we reused it.
                self.connection.close()
                with self.tally.lock:
                    self.tally.reconnects += 1
                if attempt:
                    raise
        elapsed_ms = (time.perf_counter() - began) * 1000
        self.tally.request(method, path, response.status, elapsed_ms)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.getheader("Location", ""), content

    def page(self, path: str) -> str:
        status, location, content = self.send("GET", path)
        if status != 200:
            raise Unexpected(f"GET {path} answered {status} {location}")
        return content


def _csrf(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise Unexpected("a form without a CSRF token")
    return found.group(1)


@dataclass(frozen=True)
class Choosing:
    """How a crowd of patients picks: by default (a stampede) among the first three days
    and first four times, so that they race for them, pausing THINK_S between pages."""

    days: int = 3
    starts: int = 4
    think_s: tuple[float, float] = (THINK_S, THINK_S)
    # Each later day offered is this much less likely than the one before (1: all alike).
    day_decay: float = 1.0
    # Patients arrive this far apart (0: all at once).
    arrive_every_s: float = 0.0

    def day(self, days: list[tuple[str, str]], rng: random.Random) -> tuple[str, str]:
        offered = days[: self.days]
        weights = [self.day_decay**n for n in range(len(offered))]
        return rng.choices(offered, weights)[0]

    def start(self, starts: list[str], rng: random.Random) -> str:
        return rng.choice(starts[: self.starts])

    def think(self, rng: random.Random) -> None:
        pause = rng.uniform(*self.think_s)
        if pause:
            time.sleep(pause)


STAMPEDE = Choosing()


def walk(
    browser: Browser,
    token: str,
    rng: random.Random,
    deadline: float,
    choosing: Choosing = STAMPEDE,
) -> str:
    """One patient's journey; returns how it ended."""
    status, location, _ = browser.send("GET", f"/b/{token}")
    if (status, location) != (302, "/book/"):
        raise Unexpected(f"the link answered {status} {location}")
    browser.page("/book/")
    lost_race = False
    for _ in range(MAX_ATTEMPTS):
        if time.monotonic() > deadline:
            return "out_of_time"
        choosing.think(rng)
        times_page = browser.page("/book/times/")
        if lost_race and TAKEN_MESSAGE not in times_page:
            with browser.tally.lock:
                browser.tally.unexplained_returns += 1
        lost_race = True  # until this attempt books
        days = DAY_LINK.findall(times_page)
        if not days:
            return "no_times_left"
        day_path, day = choosing.day(days, rng)
        choosing.think(rng)
        status, location, html = browser.send("GET", day_path)
        if status == 302:  # the day filled up since the times page
            lost_race = False  # this one is told on the times page too, but differently
            continue
        starts = START_OPTION.findall(html)
        if status != 200 or not starts:
            raise Unexpected(f"GET {day_path} answered {status} {location}")
        choosing.think(rng)
        start = choosing.start(starts, rng)
        form = {"csrfmiddlewaretoken": _csrf(html), "start": start, "day": day}
        status, location, _ = browser.send("POST", "/book/choose/", form)
        if location != "/book/review/":
            with browser.tally.lock:
                browser.tally.races_lost += 1
            continue
        review = browser.page("/book/review/")
        choosing.think(rng)
        form = {"csrfmiddlewaretoken": _csrf(review)}
        status, location, _ = browser.send("POST", "/book/confirm/", form)
        if location == "/book/booked/":
            with browser.tally.lock:
                browser.tally.booked_tokens.append(token)
            browser.page("/book/booked/")
            return "booked"
        with browser.tally.lock:
            browser.tally.races_lost += 1
    return "gave_up"


def _patient(
    port: int,
    token: str,
    seed: int,
    tally: Tally,
    start: threading.Barrier,
    choosing: Choosing,
    tls: ssl.SSLContext | None,
) -> None:
    browser = Browser(port, tally, tls=tls)
    rng = random.Random(seed)
    start.wait(timeout=60)
    time.sleep(seed * choosing.arrive_every_s)
    deadline = time.monotonic() + PHASE_DEADLINE_S
    try:
        outcome = walk(browser, token, rng, deadline, choosing)
    except Exception as error:  # tallied and reported, never hidden
        outcome = f"error: {type(error).__name__}: {error}"[:120]
    finally:
        browser.close()
    with tally.lock:
        tally.outcomes[outcome] += 1


def crowd(
    port: int,
    tokens: list[str],
    *,
    choosing: Choosing = STAMPEDE,
    tls: ssl.SSLContext | None = None,
) -> tuple[Tally, float]:
    """All patients at once; returns the tally and the seconds from first to last."""
    tally = Tally()
    start = threading.Barrier(len(tokens) + 1)
    threads = [
        threading.Thread(
            target=_patient,
            args=(port, token, n, tally, start, choosing, tls),
            daemon=True,
        )
        for n, token in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    start.wait(timeout=60)
    began = time.perf_counter()
    longest = len(tokens) * choosing.arrive_every_s + PHASE_DEADLINE_S + REQUEST_TIMEOUT_S
    for thread in threads:
        thread.join(timeout=max(1.0, longest - (time.perf_counter() - began)))
    elapsed = time.perf_counter() - began
    # Every patient tallies an outcome, errors included; one missing is still walking or died
    # outside the walk, and the figures would silently leave it out.
    missing = len(tokens) - sum(tally.outcomes.values())
    if missing or any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"{missing} patients never finished (stuck past the deadline, or died)")
    return tally, elapsed


def yardstick(port: int) -> float:
    """Requests a second for a bare Django page (the login form: middleware and a template,
    no query) from the same server and the same kind of client."""
    tally = Tally()
    per_client = YARDSTICK_REQUESTS // YARDSTICK_CLIENTS
    errors: list[Exception] = []

    def hammer() -> None:
        browser = Browser(port, tally)
        try:
            for _ in range(per_client):
                browser.page("/login/")
        except Exception as error:  # reported below: a failed client would skew the rate
            errors.append(error)
        finally:
            browser.close()

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(YARDSTICK_CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - began
    if errors or any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"the yardstick's clients failed or hung: {errors[:3]}")
    return len(tally.latencies_ms) / elapsed


# Running it all.


@contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[int]:
    """The app under gunicorn on a free local port, stopped on the way out."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "slotlink.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        "--worker-class=gthread",
        f"--threads={THREADS}",
        "--keep-alive=30",
        "--timeout=60",
        "--graceful-timeout=10",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        _wait_until_serving(server, port)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _wait_until_serving(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/", headers={"Host": f"127.0.0.1:{port}"})
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError("gunicorn did not start serving within a minute")


def _child(mode: str, env: dict[str, str], stdin: str = "") -> dict[str, Any]:
    finished = subprocess.run(
        [PYTHON, "-m", "benchmarks.load", mode],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    sys.stderr.write(finished.stderr)
    if finished.returncode != 0:
        raise RuntimeError(f"benchmarks.load {mode} failed")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def run_one(vendor: str, database: dict[str, str]) -> None:
    env = django_env(database, ALLOWED_HOSTS="127.0.0.1")
    began = time.perf_counter()
    tokens: list[str] = _child("--seed", env)["tokens"]
    log(f"{vendor}: seeded {len(tokens)} links in {time.perf_counter() - began:.1f}s")
    with gunicorn(env) as port:
        rps = yardstick(port)
        log(f"{vendor}: yardstick {rps:.0f} requests/s on GET /login/")
        tally, elapsed = crowd(port, tokens)
        load_now = load()
    counted = _child("--count", env, json.dumps({"booked_tokens": tally.booked_tokens}))
    log(f"{vendor}: outcomes {dict(tally.outcomes)}; statuses {dict(tally.statuses)}")
    log(f"{vendor}: {tally.pages_summary()}")
    latencies = sorted(tally.latencies_ms)
    confirms = sorted(tally.by_page.get("POST /book/confirm/", []))
    booked = tally.outcomes["booked"]
    emit(
        {
            "name": "load",
            "database": vendor,
            "patients": len(tokens),
            "workers": WORKERS,
            "threads": THREADS,
            "bookings": booked,
            "seconds": round(elapsed, 2),
            "bookings_per_second": round(booked / elapsed, 1),
            "requests": len(latencies),
            "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "confirm_p95_ms": round(percentile(confirms, 0.95), 1) if confirms else None,
            "races_lost": tally.races_lost,
            "unexplained_returns": tally.unexplained_returns,
            "not_booked": len(tokens) - booked,
            "server_errors": sum(n for status, n in tally.statuses.items() if status >= 500),
            "client_errors": sum(n for o, n in tally.outcomes.items() if o.startswith("error")),
            "double_bookings": counted["therapist_overlaps"] + counted["links_booked_twice"],
            "lost_bookings": counted["lost_bookings"],
            "used_links_without_appointment": counted["used_links_without_appointment"],
            "appointments_created": counted["appointments_created"],
            "yardstick_rps": round(rps, 1),
            **load_now,
        }
    )


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--seed":
        seed()
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--count":
        count()
        return
    url = os.environ.get("DATABASE_URL", "")
    postgres = url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_POSTGRES
    wanted = os.environ.get("LOAD_DATABASES", "postgresql,sqlite").split(",")
    if "postgresql" in wanted and _reachable(with_database(postgres, "postgres")):
        with postgres_throwaway(postgres, "load") as database:
            run_one("postgresql", database)
    if "sqlite" in wanted:
        with sqlite_throwaway() as database:
            run_one("sqlite", database)


def _reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as error:
        log(f"postgresql skipped, no server at {url}: {error}")
        return False
    return True


if __name__ == "__main__":
    main()
