"""The notices: the same pages for every patient, naming the service where the page that
linked here did (a page that must not name it links to the general ones)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from slotlink.clinic.models import Service
from slotlink.portal.notices import (
    accessibility_notice,
    cookie_notice,
    cookies_set,
    privacy_notice,
)


def _service(service_id: int | None) -> Service | None:
    return None if service_id is None else get_object_or_404(Service, pk=service_id)


@require_GET
def accessibility(request: HttpRequest, service_id: int | None = None) -> HttpResponse:
    service = _service(service_id)
    return render(
        request,
        "portal/help/accessibility.html",
        {"service": service, "notice": accessibility_notice(service)},
    )


@require_GET
def privacy(request: HttpRequest, service_id: int | None = None) -> HttpResponse:
    service = _service(service_id)
    return render(
        request, "portal/help/privacy.html", {"service": service, "notice": privacy_notice(service)}
    )


@require_GET
def cookies(request: HttpRequest, service_id: int | None = None) -> HttpResponse:
    service = _service(service_id)
    return render(
        request,
        "portal/help/cookies.html",
        {"service": service, "notice": cookie_notice(service), "cookies": cookies_set()},
    )


@require_GET
def contact(request: HttpRequest, service_id: int | None = None) -> HttpResponse:
    return render(request, "portal/help/contact.html", {"service": _service(service_id)})
