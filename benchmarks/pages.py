"""Server time of the patient's pages on services of benchmark size.

    python -m benchmarks.pages

For each database (SQLite in a temp file; PostgreSQL too when DATABASE_URL names a server,
in a database of its own created and dropped here) a child process migrates a fresh
database, seeds services with slotlink.ops.demo.seed_large_service (60% of therapists'
hours booked), sends booking links, and times whole requests through Django's test client
(middleware, session, queries, template): the available-times page, a day page, and the
confirm step on its own. Prints one JSON object per line, e.g.
{"name": "times_page", "database": "sqlite", "therapists": 50, "weeks": 8,
 "median_ms": ..., "p95_ms": ..., "runs": ..., "cpu_median_ms": ..., "queries": ...,
 "load1": ...}: wall-clock figures, the CPU this process spent (all of it on SQLite, the
client's side on PostgreSQL), on PostgreSQL the mean CPU of its server backend per request
("db_cpu_mean_ms", read from /proc), queries per request and the machine's load average.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from benchmarks.common import (
    PYTHON,
    ROOT,
    Timings,
    database_cpu_s,
    django_env,
    emit,
    load,
    log,
    repeat,
    sizes,
    throwaway_database,
    vendors,
)

if TYPE_CHECKING:
    from django.test import Client

    from slotlink.booking.models import BroadcastRule
    from slotlink.clinic.models import Service, User

# (therapists, weeks): every page at the two sizes the bars are set for; the times page
# alone at the ends of the scale, to show how it grows.
CONFIGS = [(50, 8), (200, 12), (10, 8), (1000, 12)]
TIMES_PAGE_ONLY = {(10, 8), (1000, 12)}
# Seeding 1000 therapists' 300,000 appointments takes about a minute per database; once, on
# SQLite, keeps `make bench` within its five minutes. BENCH_SIZES=1000x12 runs it on both.
SQLITE_ONLY = {(1000, 12)}
BOOKED = 0.6
CONFIRMS = 30  # one fresh link each
PAGE_BUDGET_S = 3.0  # per page and size, after the minimum number of runs
MIN_RUNS = 10


class Unexpected(RuntimeError):
    """A page answered something other than what a patient walking through would get."""


def _expect(response, status: int, location: str | None = None) -> None:
    got = response.get("Location") if status == 302 else None
    if response.status_code != status or (location is not None and got != location):
        raise Unexpected(
            f"{response.request['PATH_INFO']} answered {response.status_code} {got or ''}"
        )


def _queries(action: Callable[[], object]) -> int:
    """How many queries one more call of `action` makes (counted apart from the timed runs,
    since counting switches on Django's query log)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def _patient_client(token: str) -> Client:
    from django.test import Client

    client = Client()
    _expect(client.get(f"/b/{token}"), 302, "/book/")
    return client


def _seed(therapists: int, weeks: int) -> tuple[Service, BroadcastRule, User]:
    from django.db import connection

    from slotlink.clinic.models import Role, User
    from slotlink.ops.demo import seed_large_service

    service = seed_large_service(
        therapists=therapists, patients=CONFIRMS + 20, weeks=weeks, booked=BOOKED
    )
    if connection.vendor == "postgresql":
        # A live database's autovacuum keeps the planner's statistics and the map of pages
        # every transaction can see (which lets an index answer alone) current; right after
        # a bulk load it has not caught up yet.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    sender = User.objects.create(
        username=f"bench-sender-{service.pk}", role=Role.ADMIN, service=service
    )
    return service, service.broadcast_rules.get(), sender


def _time_pages(base: dict[str, object], token: str, day: date, *, only_times: bool) -> None:
    browser = _patient_client(token)
    pages = {
        "times_page": "/book/times/",
        "day_page": f"/book/times/{day.isoformat()}/",
    }
    for name, url in pages.items():
        if only_times and name != "times_page":
            continue

        def visit(url: str = url) -> None:
            _expect(browser.get(url), 200)

        visit()  # warm up: templates, URL resolver, the connection
        server_began = database_cpu_s()
        timings = repeat(visit, min_runs=MIN_RUNS, max_runs=300, budget_s=PAGE_BUDGET_S)
        server_ended = database_cpu_s()
        server = {}
        if server_began is not None and server_ended is not None:
            mean_ms = (server_ended - server_began) * 1000 / len(timings.wall_ms)
            server = {"db_cpu_mean_ms": round(mean_ms, 2)}
        summary = {**timings.summary(), **server, "queries": _queries(visit)}
        emit({"name": name, **base, **summary, **load()})


def _time_confirms(base: dict[str, object], tokens: list[str], starts: list[datetime]) -> None:
    """Each confirm uses up its link, so each gets a fresh patient who has already chosen a
    time; only the confirm POST itself is timed. Distinct times keep each a clean booking."""
    chosen = random.Random(str(base)).sample(starts, k=len(tokens))
    timings = Timings()
    confirm_queries = 0
    for number, (token, start) in enumerate(zip(tokens, chosen, strict=True)):
        patient = _patient_client(token)
        _expect(patient.post("/book/choose/", {"start": start.isoformat()}), 302, "/book/review/")

        def confirm(patient: Client = patient) -> None:
            _expect(patient.post("/book/confirm/"), 302, "/book/booked/")

        if number == 0:
            confirm_queries = _queries(confirm)
        else:
            timings.time(confirm)
    emit({"name": "confirm", **base, **timings.summary(), "queries": confirm_queries, **load()})


def _time_fhir_slot_search(base: dict[str, object], service: Service, rule: BroadcastRule) -> None:
    """A record system's first page of free Slots over the rule's whole window (issue 17): the
    engine reads the window a piece at a time until the page is full; the request comes
    through the whole API door (token, scope, rate limit, audit row, R4 check of the Bundle).
    `slots` is the window's count, asked for once with _total=accurate."""
    import base64
    import json

    from django.test import Client

    from slotlink.api.models import ApiClient
    from slotlink.api.services import api_client_create

    made = api_client_create(service=service, name="Bench EPR", scopes="system/Slot.read")
    ApiClient.objects.filter(pk=made.client.pk).update(requests_per_minute=100_000)
    basic = base64.b64encode(f"{made.client_id}:{made.client_secret}".encode()).decode()
    http = Client()
    answer = http.post(
        "/oauth/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    _expect(answer, 200)
    bearer = f"Bearer {json.loads(answer.content)['access_token']}"
    url = f"/fhir/R4/Slot?service-type={rule.pk}&status=free&_count=50"

    def search() -> None:
        _expect(http.get(url, HTTP_AUTHORIZATION=bearer), 200)

    search()
    counted = http.get(f"{url}&_total=accurate", HTTP_AUTHORIZATION=bearer)
    total = json.loads(counted.content)["total"]
    timings = repeat(search, min_runs=MIN_RUNS, max_runs=300, budget_s=PAGE_BUDGET_S)
    emit(
        {
            "name": "fhir_slot_search",
            **base,
            **timings.summary(),
            "slots": total,
            "queries": _queries(search),
            **load(),
        }
    )


def _measure_size(vendor: str, therapists: int, weeks: int) -> None:
    from django.utils import timezone

    from slotlink.booking.availability.selectors import rule_available_times
    from slotlink.booking.links.services import booking_link_send

    only_times = (therapists, weeks) in TIMES_PAGE_ONLY
    began = time.perf_counter()
    service, rule, sender = _seed(therapists, weeks)
    log(f"{vendor} {therapists}x{weeks}: seeded in {time.perf_counter() - began:.1f}s")
    patients = service.patients.order_by("pk")[: 1 if only_times else CONFIRMS + 1]
    tokens = [booking_link_send(patient=p, rule=rule, sent_by=sender)[1] for p in patients]
    starts = rule_available_times(rule, timezone.now())
    days = sorted({start.astimezone(service.zone).date() for start in starts})
    if not days:
        raise Unexpected(f"{therapists}x{weeks}: the seeded service offers no times")
    base = {"database": vendor, "therapists": therapists, "weeks": weeks}
    # A day in the middle of the window: a typical day, not the first or last.
    _time_pages(base, tokens[0], days[len(days) // 2], only_times=only_times)
    if not only_times:
        _time_confirms(base, tokens[1:], starts)
        _time_fhir_slot_search(base, service, rule)


def inside(vendor: str) -> None:
    """Runs in the child process, whose environment already names the throwaway database."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    chosen = sizes(CONFIGS)
    for therapists, weeks in chosen:
        if vendor == "sqlite" or (therapists, weeks) not in SQLITE_ONLY or chosen != CONFIGS:
            _measure_size(vendor, therapists, weeks)


def run_all() -> None:
    for vendor in vendors():
        with throwaway_database(vendor, "pages") as database:
            # The test client's requests name the host "testserver".
            env = django_env(database, ALLOWED_HOSTS="testserver")
            subprocess.run(
                [PYTHON, "-m", "benchmarks.pages", "--inside", vendor],
                env=env,
                cwd=ROOT,
                check=True,
            )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        inside(sys.argv[2])
    else:
        run_all()


if __name__ == "__main__":
    main()
