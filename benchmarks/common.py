"""What every benchmark script shares: JSON-lines output, timing summaries and throwaway
databases, so no benchmark ever touches the developer's db.sqlite3 or the `test` database.

Figures go to stdout, one JSON object per line; everything else goes to stderr."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def emit(record: dict[str, object]) -> None:
    print(json.dumps(record), flush=True)


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, -(-int(share * 100) * len(sorted_values) // 100))
    return sorted_values[min(len(sorted_values), rank) - 1]


@dataclass
class Timings:
    """Wall-clock milliseconds of each run, and the CPU milliseconds this process spent on
    it. On a shared machine the wall clock also counts other people's work; the CPU time
    does not (but misses what a database server process did)."""

    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def time(self, action: Callable[[], object]) -> None:
        began, began_cpu = time.perf_counter(), time.process_time()
        action()
        self.wall_ms.append((time.perf_counter() - began) * 1000)
        self.cpu_ms.append((time.process_time() - began_cpu) * 1000)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.wall_ms)
        return {
            "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(percentile(ordered, 0.95), 2),
            "runs": len(ordered),
            "cpu_median_ms": round(statistics.median(self.cpu_ms), 2),
        }


def database_cpu_s() -> float | None:
    """CPU seconds the PostgreSQL backend serving this process's Django connection has used
    so far, read from /proc: the server's share of a request, which the wall clock of a busy
    machine hides. None on SQLite, or when the server is not on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> dict[str, float]:
    """The machine's one-minute load average: figures taken on a busy machine are slower,
    and this says how busy it was."""
    return {"load1": round(os.getloadavg()[0], 2)}


def repeat(
    action: Callable[[], object], *, min_runs: int, max_runs: int, budget_s: float
) -> Timings:
    """Time `action` at least `min_runs` times and then until the budget or `max_runs` runs
    are spent, whichever comes first."""
    timings = Timings()
    deadline = time.perf_counter() + budget_s
    while len(timings.wall_ms) < min_runs or (
        len(timings.wall_ms) < max_runs and time.perf_counter() < deadline
    ):
        timings.time(action)
    return timings


@contextmanager
def sqlite_throwaway() -> Iterator[dict[str, str]]:
    """Environment variables pointing Django at a fresh SQLite file, removed afterwards."""
    folder = tempfile.mkdtemp(prefix="slotlink-bench-")
    try:
        yield {"SQLITE_PATH": str(Path(folder) / "bench.sqlite3"), "DATABASE_URL": ""}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def postgres_throwaway(base_url: str, label: str) -> Iterator[dict[str, str]]:
    """A database of its own on the server `base_url` names, created for this run and dropped
    afterwards (whatever database the URL names is only used to find the server)."""
    import psycopg

    name = f"slotlink_bench_{label}_{os.getpid()}"
    admin_url = with_database(base_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": with_database(base_url, name)}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def throwaway_database(vendor: str, label: str) -> Iterator[dict[str, str]]:
    if vendor == "sqlite":
        with sqlite_throwaway() as env:
            yield env
    else:
        with postgres_throwaway(os.environ["DATABASE_URL"], label) as env:
            yield env


def vendors() -> list[str]:
    """SQLite always; PostgreSQL too when DATABASE_URL names a server."""
    url = os.environ.get("DATABASE_URL", "")
    return (
        ["sqlite", "postgresql"] if url.startswith(("postgres://", "postgresql://")) else ["sqlite"]
    )


def django_env(database: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment for a child process running Slotlink against `database`, set up as
    production runs it (no DEBUG query log) but without needing HTTPS."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "slotlink.settings",
            "SLOTLINK_ENV": "development",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(database)
    env.update(extra)
    return env


def sizes(default: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(therapists, weeks) to run: BENCH_SIZES="50x8,200x12" narrows a run down."""
    raw = os.environ.get("BENCH_SIZES", "").strip()
    if not raw:
        return default
    return [(int(t), int(w)) for t, w in (item.split("x") for item in raw.split(","))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
