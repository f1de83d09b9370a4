"""The probes a load balancer and Prometheus call. They answer before any other middleware
(see ProbeMiddleware): no session, login, CSRF or host check, and nothing about any patient,
version or host in what they say."""

import hmac
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from slotlink.ops.gauges import DatabaseGauges
from slotlink.ops.health import readiness
from slotlink.ops.services import housekeeping_schedule

_DATABASE_GAUGES = CollectorRegistry(auto_describe=False)
_DATABASE_GAUGES.register(DatabaseGauges())


def _answer(body: dict[str, object], status: int) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and answering; asks nothing of the database."""
    return _answer({"status": "ok"}, 200)


def readyz(request: HttpRequest) -> HttpResponse:
    """Whether this instance should be sent traffic: 200 or 503, with each check's name."""
    result = readiness()
    if result.checks["database"] and not result.checks["worker"]:
        # No heartbeat lately: restart the housekeeping chain if it was lost. A no-op (one
        # locked read) while a run is waiting, as it is when the workers are merely stopped.
        housekeeping_schedule()
    checks = {name: "ok" if ok else "failing" for name, ok in result.checks.items()}
    return _answer(
        {"status": "ok" if result.ok else "failing", "checks": checks}, 200 if result.ok else 503
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape, for a bearer of METRICS_TOKEN only (and not at all without one)."""
    if not settings.METRICS_TOKEN:
        return HttpResponse(status=404)
    offered = request.headers.get("Authorization", "")
    expected = f"Bearer {settings.METRICS_TOKEN}"
    if not hmac.compare_digest(offered.encode(), expected.encode()):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every gunicorn worker of this instance wrote its counts to the directory.
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    body = generate_latest(counted) + generate_latest(_DATABASE_GAUGES)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
