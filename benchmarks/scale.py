"""`make bench-scale`: issue 18's scale-out runs. The booking walk of `make bench-load`, through
nginx with TLS to one and then two app servers (scripts/serve: gunicorn, production settings)
sharing one PostgreSQL database, as `make prod-local` runs them (deploy/prod_local.py).

    python -m benchmarks.scale

Two scenarios, each against 1 and then 2 app servers, each run on a fresh database:

- stampede: SCALE_STAMPEDE_PATIENTS (200) patients start together with no pause and want the
  first three days' first four times (today's `make bench-load`);
- steady: SCALE_STEADY_PATIENTS (500) patients arrive SCALE_STEADY_RATE (3) a second, pause
  1–3 s before each step (reading, typing) and choose across the whole window, each later day
  offered less likely than the one before.

One JSON line per run. CPU is read from /proc around the crowd phase: the app servers' processes
(every process of each gunicorn's process group, workers it has already replaced included),
PostgreSQL's backends serving this database, and this process (the load generator), so the
CPU per booking holds on any machine, however busy. `loadgen_cpu_share` is the load generator's
CPU over the run's wall time times the machine's cores: near 0 means it was not what limited
the run. Afterwards the database says whether any time or link was booked twice
(`double_bookings`), and whether any patient told "booked" has no appointment or any link that
says booked has none (`lost_bookings`). The background workers' CPU (the confirmation texts)
is printed on stderr, not counted as the app's.

Only 127.0.0.1 is contacted; SCALE_PORT (8470) is nginx's port, the app servers take the next
ones. SCALE_SCENARIOS (stampede,steady) and SCALE_INSTANCES (1,2) narrow a run down.
"""

from __future__ import annotations

import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import PYTHON, ROOT, emit, load, log, percentile, postgres_throwaway
from benchmarks.load import Choosing, Tally, crowd
from deploy.prod_local import ProdLocal

THERAPISTS = 20
WEEKS = 4
BOOKED = 0.6
PORT = int(os.environ.get("SCALE_PORT", "8470"))
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
SCENARIOS: dict[str, tuple[int, Choosing]] = {
    "stampede": (int(os.environ.get("SCALE_STAMPEDE_PATIENTS", "200")), Choosing()),
    "steady": (
        int(os.environ.get("SCALE_STEADY_PATIENTS", "500")),
        # Every day the times page offers, the first most likely: each next one 0.85 as much.
        # Patients arrive at a steady SCALE_STEADY_RATE a second, below what the app can
        # serve, so the run measures its cost at a sustained load rather than its queue.
        Choosing(
            days=10_000,
            starts=10_000,
            think_s=(1.0, 3.0),
            day_decay=0.85,
            arrive_every_s=1 / float(os.environ.get("SCALE_STEADY_RATE", "3")),
        ),
    ),
}
OUTBOX_DRAIN_S = 180.0
WARM_UP_PER_INSTANCE = 8
TICKS = os.sysconf("SC_CLK_TCK")


# The database side: run in a child process with the profile's production environment.


def seed(patients: int) -> None:
    """Print {"tokens": [...]}: one fresh booking link per patient of a benchmark service."""
    import django

    django.setup()
    from django.db import connection

    from slotlink.booking.links.services import booking_link_send
    from slotlink.clinic.models import Role, User
    from slotlink.ops.demo import seed_large_service

    service = seed_large_service(
        therapists=THERAPISTS, patients=patients, weeks=WEEKS, booked=BOOKED
    )
    # No quiet hours: the invitations must go before the clock starts whatever the hour
    # (from 21:00 the outbox would hold them until the morning).
    service.quiet_from = service.quiet_until = None
    service.save(update_fields=["quiet_from", "quiet_until"])
    rule = service.broadcast_rules.get()
    sender = User.objects.create(username="scale-sender", role=Role.ADMIN, service=service)
    tokens = [
        booking_link_send(patient=patient, rule=rule, sent_by=sender)[1]
        for patient in service.patients.order_by("pk")
    ]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have by now when live
    print(json.dumps({"tokens": tokens}))


def _child(site: ProdLocal, *args: str, stdin: str = "") -> dict[str, Any]:
    finished = subprocess.run(
        [PYTHON, "-m", *args],
        env=site.settings_env(),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    sys.stderr.write(finished.stderr)
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


# CPU time, from /proc.


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _pids() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def _backend_of(pid: int, database: str) -> bool:
    """A PostgreSQL backend serving `database` (its process title names the database)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return title.startswith(b"postgres: ") and f" {database} ".encode() in title


@dataclass
class CpuMeter:
    """CPU seconds spent, between start() and stop(), by each of some sets of processes.

    Processes come and go (database connections, replaced gunicorn workers), so a sampler
    looks every SAMPLE_S for new ones and keeps every process's latest reading; one that
    exits between two looks loses at most SAMPLE_S of its time. Only a process's own time
    counts: a replaced gunicorn worker's whole life also lands in its master's children's
    time when it exits, which would count it twice (and its life before the run too)."""

    app_groups: list[int]
    worker_groups: list[int]
    database: str
    SAMPLE_S = 0.2
    first: dict[int, int] = field(default_factory=dict)
    last: dict[int, int] = field(default_factory=dict)
    kind: dict[int, str] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    began_ticks: int = 0

    def start(self) -> None:
        self.began_ticks = int(time.clock_gettime(time.CLOCK_BOOTTIME) * TICKS)
        self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sample()
        spent: dict[str, float] = {"app": 0.0, "workers": 0.0, "database": 0.0}
        for pid, ticks in self.last.items():
            spent[self.kind[pid]] += (ticks - self.first[pid]) / TICKS
        return spent

    def _loop(self) -> None:
        while not self._stopping.wait(self.SAMPLE_S):
            self.sample()

    def sample(self) -> None:
        for pid in _pids():
            fields = _stat(pid)
            if fields is None:
                continue
            group = int(fields[2])
            if group in self.app_groups:
                kind = "app"
            elif group in self.worker_groups:
                kind = "workers"
            elif pid in self.kind or _backend_of(pid, self.database):
                kind = "database"
            else:
                continue
            # utime and stime: its own time, not its children's (sampled themselves).
            ticks = int(fields[11]) + int(fields[12])
            if pid not in self.first:
                started = int(fields[19])
                # A process born during the run counts from zero.
                self.first[pid] = 0 if started >= self.began_ticks else ticks
                self.kind[pid] = kind
            self.last[pid] = ticks


# Running it all.


@contextmanager
def site_with(instances: int, database: dict[str, str]) -> Iterator[ProdLocal]:
    with tempfile.TemporaryDirectory(prefix="slotlink-scale-") as state:
        site = ProdLocal(
            port=PORT,
            database_url=database["DATABASE_URL"],
            state=Path(state),
            instances=instances,
            workers=1,
            ready_timeout_s=600,  # other people's work may slow the start a lot
        )
        try:
            site.start()
            yield site
        finally:
            site.stop()


def _group_of(site: ProdLocal, name: str) -> int:
    record = json.loads((site.state / "pids" / f"{name}.pid").read_text())
    return int(record["pid"])  # each was started as the leader of its own process group


def _wait_for_outbox(site: ProdLocal) -> None:
    """The invitations the seeding queued are sent before the clock starts."""
    import psycopg

    deadline = time.monotonic() + OUTBOX_DRAIN_S
    with psycopg.connect(site.database_url, autocommit=True) as db:
        while True:
            row = db.execute(
                "SELECT count(*) FROM messaging_outboundmessage"
                " WHERE status IN ('queued', 'sending')"
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the outbox still holds {row} texts after seeding")
            time.sleep(1)


def run_one(scenario: str, instances: int, base_url: str) -> None:
    patients, choosing = SCENARIOS[scenario]
    with postgres_throwaway(base_url, "scale") as database, site_with(instances, database) as site:
        began = time.perf_counter()
        warm_up = WARM_UP_PER_INSTANCE * instances
        seeded = _child(site, "benchmarks.scale", "--seed", str(patients + warm_up))
        warm_up_tokens, tokens = seeded["tokens"][:warm_up], seeded["tokens"][warm_up:]
        seconds = time.perf_counter() - began
        log(f"{scenario} x{instances}: seeded {patients + warm_up} links in {seconds:.0f}s")
        _wait_for_outbox(site)
        tls = ssl.create_default_context(cafile=str(site.certificate))
        # A few patients book first, unmeasured, so that every gunicorn worker has loaded its
        # code and templates and opened its database connection, as a live server has.
        warmed, _ = crowd(site.port, warm_up_tokens, tls=tls)
        meter = CpuMeter(
            app_groups=[_group_of(site, f"app{n}") for n in range(1, instances + 1)],
            worker_groups=[_group_of(site, f"worker{n}") for n in range(1, site.workers + 1)],
            database=database["DATABASE_URL"].rsplit("/", 1)[1],
        )
        loadgen_began = time.process_time()
        meter.start()
        tally, elapsed = crowd(site.port, tokens, choosing=choosing, tls=tls)
        spent = meter.stop()
        loadgen_s = time.process_time() - loadgen_began
        load_now = load()
        told_booked = warmed.booked_tokens + tally.booked_tokens
        counted = _child(
            site, "benchmarks.load", "--count", stdin=json.dumps({"booked_tokens": told_booked})
        )
    statuses = tally.statuses + warmed.statuses
    report(scenario, instances, tally, statuses, elapsed, spent, loadgen_s, counted, load_now)


def report(
    scenario: str,
    instances: int,
    tally: Tally,
    statuses: Counter[int],
    elapsed: float,
    spent: dict[str, float],
    loadgen_s: float,
    counted: dict[str, int],
    load_now: dict[str, float],
) -> None:
    booked = tally.outcomes["booked"]
    latencies = sorted(tally.latencies_ms)
    log(
        f"{scenario} x{instances}: outcomes {dict(tally.outcomes)}; statuses {dict(tally.statuses)}"
    )
    log(f"{scenario} x{instances}: {tally.pages_summary()}")
    log(
        f"{scenario} x{instances}: {len(latencies)} requests in {elapsed:.1f}s; CPU s: app "
        f"{spent['app']:.1f}, database {spent['database']:.1f}, workers {spent['workers']:.1f}, "
        f"load generator {loadgen_s:.1f}; races lost {tally.races_lost}; {load_now}"
    )
    per_booking = 1000 / booked if booked else float("nan")
    emit(
        {
            "name": "scale",
            "scenario": scenario,
            "instances": instances,
            "bookings_per_second": round(booked / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "app_cpu_ms_per_booking": round(spent["app"] * per_booking, 1),
            "db_cpu_ms_per_booking": round(spent["database"] * per_booking, 1),
            "loadgen_cpu_share": round(loadgen_s / (elapsed * (os.cpu_count() or 1)), 3),
            "server_errors": sum(n for status, n in statuses.items() if status >= 500),
            "double_bookings": counted["therapist_overlaps"] + counted["links_booked_twice"],
            "lost_bookings": counted["lost_bookings"] + counted["used_links_without_appointment"],
        }
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seed":
        seed(int(sys.argv[2]))
        return
    url = os.environ.get("DATABASE_URL", "")
    base_url = url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_POSTGRES
    scenarios = os.environ.get("SCALE_SCENARIOS", "stampede,steady").split(",")
    instances = [int(n) for n in os.environ.get("SCALE_INSTANCES", "1,2").split(",")]
    for scenario in scenarios:
        for count in instances:
            run_one(scenario, count, base_url)


if __name__ == "__main__":
    main()
