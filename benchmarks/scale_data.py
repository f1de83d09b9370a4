"""Issue 18's data at scale: staff pages on a service with a million patients and five million
booking links (made by `manage.py scale_data`), on PostgreSQL.

    python -m benchmarks.scale_data

Makes the data in a throwaway database on DATABASE_URL's server (else 127.0.0.1:5432) and
says how long that took, or, with SCALE_DATA_URL naming a database scale_data already filled,
measures that one (and leaves it). SCALE_DATA_PATIENTS (1000000) sets the size. Then, through
Django's test client as the service's admin (middleware, session, queries, template), times:

- patient search by surname, by NHS number and by date of birth (different patients each run);
- a patient's care pathway section, the admin dashboard (this week and a week a year ago) and
  a link's full history;
- one housekeeping round (expire overdue links, clear lapsed holds, recover messages, prune
  task results) and one retention run (which blanks the tokens of links long ended, in
  bounded batches, so the first run on a large database is one batch, not all of it).

One JSON line per page: {"name": "scale_data", "page", "p95_ms", "rows"}, where rows is how
many rows the table behind the page holds for the service (patients, links), plus the median
the CPU of this process and of its PostgreSQL backend (from /proc: steady on a busy machine,
where the wall clock is not) on stderr.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from benchmarks.common import (
    PYTHON,
    ROOT,
    Timings,
    database_cpu_s,
    django_env,
    emit,
    load,
    log,
    postgres_throwaway,
)

PATIENTS = int(os.environ.get("SCALE_DATA_PATIENTS", "1000000"))
RUNS = 40
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def make() -> None:
    """In the child: migrate and make the data, saying how long it took."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    call_command("scale_data", "--patients", str(PATIENTS), stdout=sys.stderr)
    print(json.dumps({"seconds": round(time.perf_counter() - began, 1)}))


def measure() -> None:
    """In the child: time each page, print one JSON object per page."""
    import django

    django.setup()
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from slotlink.booking.models import BookingLink
    from slotlink.clinic.models import Patient, Service, User
    from slotlink.ops.retention import retention_apply
    from slotlink.ops.services import housekeeping_round

    service = Service.objects.filter(name__startswith="Scale ").order_by("-pk").first()
    if service is None:
        raise SystemExit("no service made by scale_data in this database")
    admin = User.objects.filter(service=service, username__startswith="scale-admin-").get()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    device, _ = TOTPDevice.objects.get_or_create(user=admin, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    patients = Patient.objects.filter(service=service)
    links = BookingLink.objects.filter(service=service)
    patient_rows, link_rows = patients.count(), links.count()
    first = patients.order_by("pk").values_list("pk", flat=True).first()
    if first is None:
        raise SystemExit("the service has no patients: was the data made?")
    rng = random.Random(18)
    # Different patients and links every run: a page never times a warm cache of itself.
    picks = list(
        patients.filter(pk__in=[first + rng.randrange(patient_rows) for _ in range(RUNS * 2)])
    )[:RUNS]
    link_picks = list(
        links.filter(patient__in=picks).order_by("patient_id").values_list("pk", flat=True)
    )[:RUNS]

    def page(path: str) -> Callable[[], object]:
        def get() -> object:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            return response

        return get

    year_ago = (date.today() - timedelta(days=365)).isoformat()
    pages: list[tuple[str, int, list[Callable[[], object]]]] = [
        ("patient_search_name", patient_rows, [page(f"/patients/?q={p.last_name}") for p in picks]),
        (
            "patient_search_nhs_number",
            patient_rows,
            [page(f"/patients/?q={p.nhs_number}") for p in picks],
        ),
        (
            "patient_search_date_of_birth",
            patient_rows,
            [page(f"/patients/?q={p.date_of_birth:%d/%m/%Y}") for p in picks],
        ),
        ("care_pathway", link_rows, [page(f"/patients/{p.pk}/care-pathway/") for p in picks]),
        ("dashboard", link_rows, [page("/dashboard/")] * RUNS),
        ("dashboard_year_ago", link_rows, [page(f"/dashboard/?week={year_ago}")] * RUNS),
        ("link_history", link_rows, [page(f"/booking-links/{pk}/history/") for pk in link_picks]),
        ("housekeeping_round", link_rows, [housekeeping_round] * 5),
        ("retention_run", link_rows, [retention_apply] * 3),
    ]
    for name, rows, actions in pages:
        timings = Timings()
        actions[0]()  # the first of each: connections and code warmed, not timed
        database_began = database_cpu_s() or 0.0
        for action in actions:
            timings.time(action)
        database_ms = ((database_cpu_s() or 0.0) - database_began) * 1000 / len(actions)
        print(
            json.dumps(
                {
                    "page": name,
                    "rows": rows,
                    "db_cpu_ms": round(database_ms, 1),
                    **timings.summary(),
                }
            )
        )


def _child(mode: str, env: dict[str, str]) -> list[dict[str, Any]]:
    finished = subprocess.run(
        [PYTHON, "-m", "benchmarks.scale_data", mode],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    sys.stderr.write(finished.stderr)
    if finished.returncode != 0:
        raise RuntimeError(f"benchmarks.scale_data {mode} failed")
    return [json.loads(line) for line in finished.stdout.splitlines() if line.startswith("{")]


def run(database: dict[str, str]) -> None:
    env = django_env(database, ALLOWED_HOSTS="127.0.0.1")
    for result in _child("--measure", env):
        log(
            f"{result['page']}: median {result['median_ms']} ms; CPU: app {result['cpu_median_ms']}"
            f" ms (median), PostgreSQL {result['db_cpu_ms']} ms (mean)"
        )
        emit(
            {
                "name": "scale_data",
                "page": result["page"],
                "p95_ms": round(result["p95_ms"], 1),
                "rows": result["rows"],
            }
        )
    log(f"measured at {load()}")


def main() -> None:
    if sys.argv[1:] == ["--make"]:
        make()
        return
    if sys.argv[1:] == ["--measure"]:
        measure()
        return
    given = os.environ.get("SCALE_DATA_URL", "")
    if given:
        run({"DATABASE_URL": given})
        return
    url = os.environ.get("DATABASE_URL", "")
    base = url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_POSTGRES
    with postgres_throwaway(base, "data") as database:
        made = _child("--make", django_env(database))
        log(f"scale_data made {PATIENTS} patients in {made[-1]['seconds']} s")
        run(database)


if __name__ == "__main__":
    main()
