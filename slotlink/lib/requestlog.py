"""One log line and one set of metrics per request, named by route, never by path.

The paths /b/<token> and /m/<token> carry secrets, so a request is described by the name of the
URL pattern it matched (``book:enter``), never by what was typed. Each request has an id:
the one the proxy sent in X-Request-ID when it looks like an id, else a fresh one; it is echoed
in the response so a person reporting a problem can quote it, and every line logged while the
request is answered carries it (slotlink.lib.logfilters.RequestContext)."""

import logging
import re
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from slotlink.lib import logfilters
from slotlink.lib.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS
from slotlink.lib.patient_pages import is_patient_page

logger = logging.getLogger("slotlink.request")

REQUEST_ID_HEADER = "X-Request-ID"
# The same header as WSGI names it: read from META, as building request.headers (every header,
# renamed) only for this one cost more than the rest of the lookup.
_REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# nginx's $request_id (32 hex digits), a UUID, and the like; nothing that could carry a line
# break, markup or a whole token-bearing URL into the logs.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
# Anything else is counted as OTHER: clients choose the method, and every distinct label
# value is a new series in Prometheus.
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def log_service(service_id: int | None) -> None:
    """Name the service this request is about, for its log line: staff requests are named from
    the user; a patient's page calls this once it knows the link."""
    logfilters.service_id.set(service_id)


def _forget_request(**kwargs: object) -> None:
    logfilters.request_id.set(None)
    logfilters.service_id.set(None)


def _request_id(request: HttpRequest) -> str:
    offered = request.META.get(_REQUEST_ID_META, "")
    # 32 random hex digits, the shape of a UUID4 without the work of making one.
    return offered if _SANE_ID.fullmatch(offered) else secrets.token_hex(16)


def _route(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is not None:
        return match.view_name
    if request.path_info.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
        return "static"
    return "unrouted"  # a 404 for a path no pattern matches, or a redirect before routing


def _staff_service(request: HttpRequest) -> int | None:
    # StaffSessionMiddleware has already read request.user for any staff request that got
    # that far. A patient page names its service itself (log_service), or has none to name:
    # its user is never loaded, which could cost a session read the page did without.
    if is_patient_page(request):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    service: int | None = getattr(user, "service_id", None)
    return service


class RequestLogMiddleware:
    """First after the probes. The request's id and service stay set until the response is
    finished, not only until this middleware returns: Django logs a failed response ("Not
    Found: …") after the whole middleware chain has run, and that line belongs to the request
    too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        request_finished.connect(_forget_request, dispatch_uid="slotlink.lib.requestlog")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        rid = _request_id(request)
        logfilters.request_id.set(rid)
        logfilters.service_id.set(None)
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        if logfilters.service_id.get() is None:
            log_service(_staff_service(request))
        method = request.method if request.method in _METHODS else "OTHER"
        route = _route(request)
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        HTTP_REQUEST_SECONDS.labels(route, method).observe(seconds)
        duration_ms = round(seconds * 1000, 1)
        logger.info(
            "%s %s %s %.1fms",
            method,
            route,
            response.status_code,
            duration_ms,
            extra={
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        response[REQUEST_ID_HEADER] = rid
        return response
