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

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.reads import session_link
from slotlink.booking.links.selectors import link_appointment
from slotlink.booking.links.services import (
    LinkNotUsable,
    SlotTaken,
    StepRefused,
    booking_link_find,
    booking_link_open,
)
from slotlink.booking.links.steps import Step, link_can_book, step_refusal
from slotlink.booking.models import BookingLink
from slotlink.clinic.models import TIME_HOLDING, Service
from slotlink.domain.link_lifecycle import USED
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.language import django_language
from slotlink.lib.middleware import without_referrer
from slotlink.lib.requestlog import log_service
from slotlink.portal.choosing import (
    BOOK,
    choose_time,
    chosen,
    day_page,
    forget_choice,
    review_page,
    step_refused,
    time_just_taken,
    times_page,
)
from slotlink.portal.language import remember_language
from slotlink.portal.presenters import (
    AppointmentSummary,
    RuleSummary,
)

SESSION_LINK = "booking_link_id"
SESSION_START = BOOK.start_key
# Where "Leave this page" goes: a busy, ordinary site that says nothing about the patient.
NEUTRAL_SITE = "https://www.bbc.co.uk/weather"

LinkView = Callable[..., HttpResponse]


def _unusable(request: HttpRequest, service: Service | None = None) -> HttpResponse:
    """The same page, whatever the reason: it reveals nothing about any patient."""
    return without_referrer(
        render(request, "portal/book/unusable.html", {"service": service}, status=404)
    )


def _session_ended(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/book/session_ended.html", {"service": None}, status=403)


def _session_link(request: HttpRequest) -> BookingLink | None:
    link_id = request.session.get(SESSION_LINK)
    if not isinstance(link_id, int):
        return None
    link = session_link(link_id)
    if link is None:
        return None
    log_service(link.service_id)
    return link


def with_live_link(view: LinkView) -> Callable[..., HttpResponse]:
    """Resolve the link bound to this session, and send the patient to the right place when
    they may not book through it now."""

    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        link = _session_link(request)
        if link is None:
            return _session_ended(request)
        if link.status in USED:
            return redirect("book:booked")
        refusal = step_refusal(link, Step.BOOK, timezone.now())
        if refusal is not None:
            return _refused(request, link, refusal.reason, link_ended=refusal.link_ended)
        return view(request, link, **kwargs)

    return wrapper


def _refused(
    request: HttpRequest, link: BookingLink, reason: str, *, link_ended: bool
) -> HttpResponse:
    # A link that has ended gets the page every unusable token gets (docs/security.md,
    # Enumeration); a live link the service or the patient's record stops says why.
    if link_ended:
        return _unusable(request, link.service)
    return step_refused(request, link.service, Step.BOOK, reason)


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    link = booking_link_find(token)
    if link is None:
        return _unusable(request)
    log_service(link.service_id)
    if not (link_can_book(link, timezone.now()) or link.status in USED):
        return _unusable(request, link.service)
    if request.session.session_key is not None:
        # A new key against session fixation. A browser without a session gets a fresh key
        # when the session is first saved anyway, so it skips the extra insert.
        request.session.cycle_key()
    request.session[SESSION_LINK] = link.pk
    forget_choice(request, BOOK)
    booking_link_open(link=link)
    response = without_referrer(redirect("book:welcome"))
    # A link from a text opens in the language on the patient's record.
    remember_language(response, django_language(link.patient.preferred_language))
    return response


@require_GET
@with_live_link
def welcome(request: HttpRequest, link: BookingLink) -> HttpResponse:
    return render(
        request,
        "portal/book/welcome.html",
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
    return review_page(request, link, BOOK)


@require_POST
@retry_on_contention
def confirm(request: HttpRequest) -> HttpResponse:
    link = _session_link(request)
    if link is None:
        return _session_ended(request)
    if link.status in USED:
        # A repeated or double-submitted confirm: show the booking already made.
        return redirect("book:booked")
    start, therapist_id = chosen(request, BOOK)
    if start is None:
        return redirect("book:times")
    try:
        booking_link_book(link=link, start=start, therapist_id=therapist_id, read_now=True)
    except SlotTaken:
        return time_just_taken(request, BOOK)
    except StepRefused as refusal:
        return _refused(request, link, str(refusal), link_ended=isinstance(refusal, LinkNotUsable))
    forget_choice(request, BOOK)
    return redirect("book:booked")


@require_GET
def booked(request: HttpRequest) -> HttpResponse:
    link = _session_link(request)
    if link is None:
        return _session_ended(request)
    refusal = step_refusal(link, Step.SEE, timezone.now())
    if refusal is not None:
        return step_refused(request, link.service, Step.SEE, refusal.reason)
    appointment = link_appointment(link) if link.status in USED else None
    if appointment is None:
        return redirect("book:welcome")
    if appointment.status not in TIME_HOLDING:
        return _unusable(request, link.service)
    if appointment.service_id == link.service_id:
        appointment.service = link.service  # loaded with the link: a query fewer
    return render(
        request,
        "portal/book/booked.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "appointment": AppointmentSummary.of(appointment),
        },
    )


@require_GET
def leave(request: HttpRequest) -> HttpResponse:
    """ "Leave this page": end the patient's session (booking or manage) at once and go to a
    neutral site. Pages are no-store, so Back asks us again and finds the session ended. A
    plain link, not a form: it must work without JavaScript, and a form posting here could
    not go on to another site under the CSP's form-action 'self'."""
    request.session.flush()
    return without_referrer(redirect(NEUTRAL_SITE))
