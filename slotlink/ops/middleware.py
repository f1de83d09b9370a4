from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from slotlink.ops import views

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics,
}


class ProbeMiddleware:
    """First in MIDDLEWARE: answers the probes before anything else runs. A load balancer
    probing an instance by its address would otherwise be refused by the host check
    (ALLOWED_HOSTS) or redirected to HTTPS, and a probe every second needs no session, user,
    CSRF or request log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return probe(request)
