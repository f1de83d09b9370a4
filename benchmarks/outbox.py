"""The outbox under load (issue 5): 10,000 booking-link texts queued, then sent through the
outbox backend by two real `db_worker` processes. One JSON line per database:

    {"name": "outbox", "database": …, "messages": 10000, "workers": 2,
     "messages_per_second": …, "overhead_ms_per_message": …, "duplicates": 0, "unsent": 0}

`messages_per_second` is messages over the workers' whole wall-clock run (start-up included);
`overhead_ms_per_message` is the worker time each message cost (workers × seconds / messages).

    python -m benchmarks.outbox            # runs the benchmark
"""

from __future__ import annotations

import argparse
import subprocess
import time

from benchmarks.common import PYTHON, ROOT, django_env, emit, load, log, throwaway_database, vendors

MESSAGES = 10_000
WORKERS = 2


def _queue(count: int) -> None:
    """In the child process: one service, one patient, `count` texts queued as the app does."""
    import django

    django.setup()
    from django.db import transaction

    from slotlink.clinic.models import Patient, Service
    from slotlink.messaging.models import MessageKind
    from slotlink.messaging.services import message_queue

    service = Service.objects.create(
        name="Outbox benchmark", phone="0113 496 0999", quiet_from=None, quiet_until=None
    )
    patient = Patient.objects.create(
        service=service,
        first_name="Alex",
        last_name="Example",
        date_of_birth="1990-04-12",
        mobile="+447700900123",
    )
    for first in range(0, count, 500):
        with transaction.atomic():
            for n in range(first, min(count, first + 500)):
                message_queue(
                    service=service,
                    to=patient.mobile,
                    kind=MessageKind.BOOKING_LINK,
                    patient=patient,
                    urgent=True,
                    body=f"Hello Alex, you can now book your appointment online: "
                    f"https://book.example.nhs.uk/b/{n:043d} This link works until Monday.",
                )


def _report() -> None:
    """In the child process: how the run ended, as one JSON line for the parent."""
    import json

    import django

    django.setup()
    from django.db.models import Count

    from slotlink.messaging.models import MessageStatus, OutboundMessage

    sent = OutboundMessage.objects.filter(status=MessageStatus.SENT)
    duplicated = sent.values("provider_reference").annotate(n=Count("pk")).filter(n__gt=1).count()
    print(
        json.dumps(
            {
                "unsent": OutboundMessage.objects.exclude(status=MessageStatus.SENT).count(),
                "duplicates": duplicated,
            }
        )
    )


def run(vendor: str) -> dict[str, object]:
    with throwaway_database(vendor, "outbox") as database:
        env = django_env(database, SMS_PROVIDER="outbox")
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
        log(f"{vendor}: queueing {MESSAGES} texts")
        subprocess.run(
            [PYTHON, "-m", "benchmarks.outbox", "--queue", str(MESSAGES)],
            env=env,
            cwd=ROOT,
            check=True,
        )
        log(f"{vendor}: sending with {WORKERS} workers")
        began = time.perf_counter()
        workers = [
            subprocess.Popen(
                [
                    PYTHON,
                    "manage.py",
                    "db_worker",
                    "--batch",
                    "--no-startup-delay",
                    "--no-reload",
                    "--interval",
                    "0.01",
                    "-v",
                    "0",
                ],
                env=env,
                cwd=ROOT,
            )
            for _ in range(WORKERS)
        ]
        for worker in workers:
            if worker.wait(timeout=900) != 0:
                raise RuntimeError(f"a db_worker exited with {worker.returncode}")
        elapsed = time.perf_counter() - began
        outcome = subprocess.run(
            [PYTHON, "-m", "benchmarks.outbox", "--report"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    import json

    counts = json.loads(outcome.stdout.strip().splitlines()[-1])
    return {
        "name": "outbox",
        "database": vendor,
        "messages": MESSAGES,
        "workers": WORKERS,
        "messages_per_second": round(MESSAGES / elapsed, 1),
        "overhead_ms_per_message": round(WORKERS * elapsed * 1000 / MESSAGES, 2),
        **counts,
        **load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", type=int)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.queue:
        _queue(args.queue)
    elif args.report:
        _report()
    else:
        for vendor in vendors():
            emit(run(vendor))


if __name__ == "__main__":
    main()
