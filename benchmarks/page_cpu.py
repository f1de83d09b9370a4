"""One patient page's CPU, many times over: the page asked for again and again straight through
Django's WSGI handler (as gunicorn calls it, without the test client's own work), by one patient
whose link was opened first, with production settings on a throwaway PostgreSQL database.
Finer than `benchmarks.walk_profile` for a cut worth a tenth of a millisecond a page.

    PAGE_PATH=/book/times/ python -m benchmarks.page_cpu
    PAGE_PROFILE=tottime python -m benchmarks.page_cpu    # … and cProfile's top functions

Prints {"name": "page_cpu", "page", "cpu_ms_per_request", "requests"}: this process's CPU time
over PAGE_REQUESTS (1500) requests after 200 not counted. PAGE_PATH (/book/) is any page the
patient's session can see with a GET: /book/, /book/times/, /book/review/ (after choosing).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks.common import emit, load
from benchmarks.walk_profile import ORIGIN, RESULT, child_results

PATH = os.environ.get("PAGE_PATH", "/book/")
REQUESTS = int(os.environ.get("PAGE_REQUESTS", "1500"))
WARM_UP = 200


def _patient_cookie() -> str:
    """A benchmark service, and the Cookie header of a patient who has just opened a link."""
    from django.core.management import call_command
    from django.test import Client

    from slotlink.booking.links.services import booking_link_send
    from slotlink.clinic.models import Role, User
    from slotlink.ops.demo import seed_large_service

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    service = seed_large_service(therapists=20, patients=1, weeks=4, booked=0.6)
    sender = User.objects.create(username="page-sender", role=Role.ADMIN, service=service)
    _, token = booking_link_send(
        patient=service.patients.get(), rule=service.broadcast_rules.get(), sent_by=sender
    )
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ORIGIN=ORIGIN)
    if client.get(f"/b/{token}", secure=True).status_code != 302:
        raise RuntimeError("the link did not open")
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


def requests() -> None:
    """In the child: seed, then ask for the page, timing this process's CPU."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    from slotlink.lib.warmup import warm_up

    cookie = _patient_cookie()
    connections.close_all()
    warm_up()  # as gunicorn's master does before forking its workers
    app = WSGIHandler()
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[..., None]:
        statuses.append(status)
        return lambda data: None

    def ask(times: int) -> None:
        for _ in range(times):
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": PATH,
                "SCRIPT_NAME": "",
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "443",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1",
                "HTTP_COOKIE": cookie,
                "HTTP_X_FORWARDED_FOR": "10.0.0.1",
                "HTTP_X_FORWARDED_PROTO": "https",
                "wsgi.url_scheme": "https",
                "wsgi.input": io.BytesIO(b""),
                "wsgi.errors": sys.stderr,
            }
            body: Iterable[bytes] = app(environ, start_response)
            b"".join(body)

    ask(WARM_UP)
    if not statuses[-1].startswith("200"):
        raise RuntimeError(f"GET {PATH} answered {statuses[-1]}")
    began = time.process_time()
    ask(REQUESTS)
    spent_ms = (time.process_time() - began) * 1000
    figures = {"page": f"GET {PATH}", "cpu_ms_per_request": round(spent_ms / REQUESTS, 3)}
    print(RESULT + json.dumps({**figures, "requests": REQUESTS}))
    mode = os.environ.get("PAGE_PROFILE", "")
    if mode:
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(ask, REQUESTS)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(mode).print_stats(45)
        sys.stderr.write(out.getvalue())


def main() -> None:
    if sys.argv[1:] == ["--child"]:
        requests()
        return
    for result in child_results("benchmarks.page_cpu", "page"):
        emit({"name": "page_cpu", **result, **load()})


if __name__ == "__main__":
    main()
