"""Where a booking's CPU goes: the booking walk of `make bench-scale`, in-process through
Django's test client with production settings, on a throwaway PostgreSQL database, one patient
after another (no races), so every figure is the app's own CPU time (and, apart, its database
backend's).

    python -m benchmarks.walk_profile              # CPU per page and per booking, JSON lines
    WALK_PROFILE=cumulative python -m benchmarks.walk_profile   # … and cProfile's top functions

Prints {"name": "walk_cpu", "page", "cpu_median_ms", "queries", "runs"} per page (queries:
the median number of SQL statements the page ran) and
{"name": "walk_cpu", "page": "booking", ...} for the whole walk, then {"page": "booking_db",
"db_cpu_mean_ms"}: the PostgreSQL backend's CPU per booking, read from /proc (so only for a
server on this machine). With WALK_PROFILE set (tottime or cumulative), the profile of every
walk after the warm-up goes to stderr (WALK_PROFILE_LINES lines, 45), and to the file
WALK_PROFILE_OUT names, if set, for pstats. WALK_SQL=1 prints every SQL statement, with its
page, on stderr. WALK_PATIENTS (60) sets how many patients book; the first WARM_UP are not
counted.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from http.cookies import SimpleCookie
from typing import Any

from benchmarks.common import PYTHON, ROOT, emit, load, log, postgres_throwaway

PATIENTS = int(os.environ.get("WALK_PATIENTS", "60"))
WARM_UP = 5
SHOW_SQL = bool(os.environ.get("WALK_SQL"))  # every statement of every walk, on stderr
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DAY_LINK = re.compile(r'href="(/book/times/\d{4}-\d{2}-\d{2}/)"')
START_OPTION = re.compile(r'name="start" value="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ORIGIN = "https://127.0.0.1"
RESULT = "result:"  # marks the child's result lines among whatever else it prints


def production_env(database_url: str, scratch: str) -> dict[str, str]:
    """Production settings with throwaway secrets, as deploy/prod_local.py gives its servers."""
    from secrets import token_urlsafe

    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slotlink.settings",
        "SLOTLINK_ENV": "production",
        "SECRET_KEY": token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "METRICS_TOKEN": token_urlsafe(32),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_BASE_URL": ORIGIN,
        "TRUSTED_PROXY_COUNT": "1",
        "SMS_PROVIDER": "outbox",
        "LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": scratch,
        "MEDIA_DIR": f"{scratch}/media",
        "STATIC_ROOT": f"{scratch}/static",
        "PYTHONPATH": str(ROOT),
    }


def _page(method: str, path: str) -> str:
    if path.startswith("/b/"):
        return f"{method} /b/<token>"
    if DAY_LINK.match(f'href="{path}"'):
        return f"{method} /book/times/<day>/"
    return f"{method} {path}"


def _ms(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def _csrf(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise RuntimeError("a form without a CSRF token")
    return found.group(1)


class Walker:
    """One patient booking through the test client, timing each request's CPU."""

    def __init__(self, client: Any, profiler: cProfile.Profile | None) -> None:
        self.client = client
        self.profiler = profiler
        self.spent: list[tuple[str, float, int]] = []

    def send(self, method: str, path: str, data: dict[str, str] | None = None) -> str:
        from django.db import connection

        queries = 0

        def counted(execute: Any, sql: str, *args: Any) -> Any:
            nonlocal queries
            queries += 1
            if SHOW_SQL:
                sys.stderr.write(f"{_page(method, path)}: {sql}\n")
            return execute(sql, *args)

        began = time.process_time()
        if self.profiler:
            self.profiler.enable()
        with connection.execute_wrapper(counted):
            if method == "GET":
                response = self.client.get(path, secure=True)
            else:
                response = self.client.post(path, data or {}, secure=True)
        if self.profiler:
            self.profiler.disable()
        took = (time.process_time() - began) * 1000
        self.spent.append((_page(method, path), took, queries))
        if response.status_code not in (200, 302):
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
        return str(response.content.decode())

    def book(self, n: int, token: str) -> None:
        self.send("GET", f"/b/{token}")
        self.send("GET", "/book/")
        times = self.send("GET", "/book/times/")
        day_path = DAY_LINK.findall(times)[n % 3]
        day = self.send("GET", day_path)
        starts = START_OPTION.findall(day)
        form = {"csrfmiddlewaretoken": _csrf(day), "start": starts[n % len(starts)]}
        self.send("POST", "/book/choose/", form)
        review = self.send("GET", "/book/review/")
        self.send("POST", "/book/confirm/", {"csrfmiddlewaretoken": _csrf(review)})
        if "Your appointment is booked" not in self.send("GET", "/book/booked/"):
            raise RuntimeError("the walk did not end booked")


def _backend_cpu() -> tuple[int, float] | None:
    """The PostgreSQL backend serving this process's connection, and the CPU it has used so far
    (ms, user + system, from /proc: so only for a server on this machine), or None."""
    from django.db import connection

    if connection.connection is None:
        return None
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # After the command name (which may hold spaces): utime and stime are fields 14, 15.
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _result(page: str, took: list[float], queries: float) -> None:
    figures = {"page": page, "cpu_median_ms": _ms(took)}
    print(RESULT + json.dumps({**figures, "queries": queries, "runs": len(took)}))


def walks() -> None:
    """In the child: seed, then walk every patient, timing each request's CPU."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from slotlink.booking.links.services import booking_link_send
    from slotlink.clinic.models import Role, User
    from slotlink.ops.demo import seed_large_service

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    service = seed_large_service(therapists=20, patients=PATIENTS, weeks=4, booked=0.6)
    rule = service.broadcast_rules.get()
    sender = User.objects.create(username="walk-sender", role=Role.ADMIN, service=service)
    tokens = [
        booking_link_send(patient=p, rule=rule, sent_by=sender)[1]
        for p in service.patients.order_by("pk")
    ]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()

    cpu: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    per_booking: list[float] = []
    # CPU time, not the wall clock: time spent waiting for PostgreSQL is not the app's.
    profiler = cProfile.Profile(time.process_time)
    mode = os.environ.get("WALK_PROFILE", "")
    # One client, as one app server process: each new one would load the middleware afresh.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ORIGIN=ORIGIN, HTTP_X_FORWARDED_FOR="10.0.0.1")
    db_before: tuple[int, float] | None = None
    for n, token in enumerate(tokens):
        if n == WARM_UP:
            db_before = _backend_cpu()
        client.cookies = SimpleCookie()  # a new patient's browser
        walker = Walker(client, profiler if mode and n >= WARM_UP else None)
        walker.book(n, token)
        if n >= WARM_UP:
            for page, took, count in walker.spent:
                cpu[page].append(took)
                queries[page].append(count)
            per_booking.append(sum(took for _, took, _ in walker.spent))
    for page, times in cpu.items():
        _result(page, times, statistics.median(queries[page]))
    _result("booking", per_booking, sum(statistics.median(q) for q in queries.values()))
    db_after = _backend_cpu()
    # PostgreSQL's CPU for the walks after the warm-up, when one backend served them all (one
    # connection, kept: CONN_MAX_AGE). A mean, as /proc counts in clock ticks (10 ms).
    if db_before and db_after and db_before[0] == db_after[0]:
        db_ms = (db_after[1] - db_before[1]) / len(per_booking)
        print(RESULT + json.dumps({"page": "booking_db", "db_cpu_mean_ms": round(db_ms, 2)}))
    if mode:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(mode).print_stats(int(os.environ.get("WALK_PROFILE_LINES", "45")))
        if os.environ.get("WALK_PROFILE_OUT"):
            stats.dump_stats(os.environ["WALK_PROFILE_OUT"])
        sys.stderr.write(out.getvalue())


def child_results(module: str, label: str) -> list[dict[str, Any]]:
    """Run `python -m <module> --child` with production settings on a throwaway PostgreSQL
    database (on DATABASE_URL's server, else the local one): what it printed after RESULT,
    one object a line. Its stderr passes on, less the app's request log lines."""
    url = os.environ.get("DATABASE_URL", "")
    base = url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_POSTGRES
    with postgres_throwaway(base, label) as database, tempfile.TemporaryDirectory() as scratch:
        finished = subprocess.run(
            [PYTHON, "-m", module, "--child"],
            env=production_env(database["DATABASE_URL"], scratch),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    # Everything but the app's own request log lines (JSON, one per request).
    sys.stderr.writelines(
        line for line in finished.stderr.splitlines(keepends=True) if '"logger": ' not in line
    )
    if finished.returncode != 0:
        raise SystemExit(f"{module} failed")
    return [
        json.loads(line.removeprefix(RESULT))
        for line in finished.stdout.splitlines()
        if line.startswith(RESULT)
    ]


def main() -> None:
    if sys.argv[1:] == ["--child"]:
        walks()
        return
    for result in child_results("benchmarks.walk_profile", "walk"):
        emit({"name": "walk_cpu", **result, **load()})
    log("cpu_median_ms: this process only; booking_db: its PostgreSQL backend's")


if __name__ == "__main__":
    main()
