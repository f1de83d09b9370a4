"""The patient portal: what a patient sees after tapping the link in their text message.

The token in the URL is swapped on first visit for a session bound to that one link, and the
patient is sent to token-free URLs. GETs never book or expire anything: only the patient's
own POSTs change state (link scanners and previewers fetch URLs too)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from slotlink.booking.choosing import (
    BOOK,
    choose_time,
    chosen,
    day_page,
    forget_choice,
    share_service,
    time_just_taken,
    times_page,
)
from slotlink.booking.models import BookingLink
from slotlink.booking.presenters import (
    AppointmentSummary,
    RuleSummary,
)
from slotlink.booking.services import (
    BookingError,
    SlotTaken,
    booking_link_book,
    booking_link_find,
    booking_link_open,
    link_appointment,
    slot_hold_of,
)
from slotlink.clinic.models import TIME_HOLDING, Service
from slotlink.contention import retry_on_contention
from slotlink.domain.link_lifecycle import LIVE, USED
from slotlink.formatting import clock, when
from slotlink.middleware import without_referrer
from slotlink.requestlog import log_service

SESSION_LINK = "booking_link_id"
SESSION_START = BOOK.start_key

LinkView = Callable[..., HttpResponse]


def _unusable(request: HttpRequest, service: Service | None = None) -> HttpResponse:
    """The same page, whatever the reason: it reveals nothing about any patient."""
    return without_referrer(
        render(request, "booking/portal/unusable.html", {"service": service}, status=404)
    )


def _session_ended(request: HttpRequest) -> HttpResponse:
    return render(request, "booking/portal/session_ended.html", {"service": None}, status=403)


def _session_link(request: HttpRequest) -> BookingLink | None:
    link_id = request.session.get(SESSION_LINK)
    if not isinstance(link_id, int):
        return None
    links = BookingLink.objects.select_related("rule__appointment_type", "service", "patient")
    try:
        link = links.get(pk=link_id)
    except BookingLink.DoesNotExist:
        return None
    share_service(link)
    log_service(link.service_id)
    return link


def with_live_link(view: LinkView) -> Callable[..., HttpResponse]:
    """Resolve the link bound to this session, and send the patient to the right place when
    it can no longer be used to book."""

    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        link = _session_link(request)
        if link is None:
            return _session_ended(request)
        if link.status in USED:
            return redirect("booking:booked")
        if link.status not in LIVE or timezone.now() >= link.expires_at:
            return _unusable(request, link.service)
        return view(request, link, **kwargs)

    return wrapper


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    link = booking_link_find(token)
    if link is None:
        return _unusable(request)
    log_service(link.service_id)
    bookable = link.status in LIVE and timezone.now() < link.expires_at
    if not (bookable or link.status in USED):
        return _unusable(request, link.service)
    request.session.cycle_key()
    request.session[SESSION_LINK] = link.pk
    forget_choice(request, BOOK)
    booking_link_open(link=link)
    return without_referrer(redirect("booking:welcome"))


@require_GET
@with_live_link
def welcome(request: HttpRequest, link: BookingLink) -> HttpResponse:
    return render(
        request,
        "booking/portal/welcome.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "first_name": link.patient.first_name,
        },
    )


@require_GET
@with_live_link
def times(request: HttpRequest, link: BookingLink) -> HttpResponse:
    return times_page(request, link, BOOK)


@require_GET
@with_live_link
def day(request: HttpRequest, link: BookingLink, iso_day: str) -> HttpResponse:
    return day_page(request, link, iso_day, BOOK)


@require_POST
@retry_on_contention
@with_live_link
def choose(request: HttpRequest, link: BookingLink) -> HttpResponse:
    return choose_time(request, link, BOOK)


@require_GET
@with_live_link
def review(request: HttpRequest, link: BookingLink) -> HttpResponse:
    start, therapist_id = chosen(request, BOOK)
    if start is None:
        return redirect("booking:times")
    hold = slot_hold_of(link, timezone.now())
    return render(
        request,
        "booking/portal/review.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "when": when(start, link.service.zone),
            "held_until": clock(hold.expires_at.astimezone(link.service.zone)) if hold else None,
            "therapist": hold.therapist.name if hold and therapist_id else None,
            "flow": BOOK,
        },
    )


@require_POST
@retry_on_contention
def confirm(request: HttpRequest) -> HttpResponse:
    link = _session_link(request)
    if link is None:
        return _session_ended(request)
    if link.status in USED:
        # A repeated or double-submitted confirm: show the booking already made.
        return redirect("booking:booked")
    start, therapist_id = chosen(request, BOOK)
    if start is None:
        return redirect("booking:times")
    try:
        booking_link_book(link=link, start=start, therapist_id=therapist_id)
    except SlotTaken:
        return time_just_taken(request, BOOK)
    except BookingError:
        return _unusable(request, link.service)
    forget_choice(request, BOOK)
    return redirect("booking:booked")


@require_GET
def booked(request: HttpRequest) -> HttpResponse:
    link = _session_link(request)
    if link is None:
        return _session_ended(request)
    appointment = link_appointment(link) if link.status in USED else None
    if appointment is None:
        return redirect("booking:welcome")
    if appointment.status not in TIME_HOLDING:
        return _unusable(request, link.service)
    return render(
        request,
        "booking/portal/booked.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "appointment": AppointmentSummary.of(appointment),
        },
    )
