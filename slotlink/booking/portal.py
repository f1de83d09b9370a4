"""The patient portal: what a patient sees after tapping the link in their text message.

The token in the URL is swapped on first visit for a session bound to that one link, and the
patient is sent to token-free URLs. GETs never book or expire anything: only the patient's
own POSTs change state (link scanners and previewers fetch URLs too)."""

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from slotlink.booking.models import BookingLink
from slotlink.booking.presenters import (
    AppointmentSummary,
    DayOfTimes,
    RuleSummary,
    group_days,
    times_of_day,
    with_therapists,
)
from slotlink.booking.selectors import rule_available_times, rule_day_therapists
from slotlink.booking.services import (
    BookingError,
    SlotTaken,
    booking_link_book,
    booking_link_find,
    booking_link_open,
    link_appointment,
    slot_hold_acquire,
    slot_hold_of,
    slot_hold_release,
)
from slotlink.clinic.models import Service
from slotlink.contention import retry_on_contention
from slotlink.domain.link_lifecycle import LIVE, USED
from slotlink.formatting import clock, when

SESSION_LINK = "booking_link_id"
SESSION_START = "booking_start"
SESSION_THERAPIST = "booking_therapist"

LinkView = Callable[..., HttpResponse]


def _unusable(request: HttpRequest, service: Service | None = None) -> HttpResponse:
    """The same page, whatever the reason: it reveals nothing about any patient."""
    return render(request, "booking/portal/unusable.html", {"service": service}, status=404)


def _session_ended(request: HttpRequest) -> HttpResponse:
    return render(request, "booking/portal/session_ended.html", {"service": None}, status=403)


def _session_link(request: HttpRequest) -> BookingLink | None:
    link_id = request.session.get(SESSION_LINK)
    if not isinstance(link_id, int):
        return None
    return (
        BookingLink.objects.select_related("rule", "service", "patient").filter(pk=link_id).first()
    )


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
    bookable = link.status in LIVE and timezone.now() < link.expires_at
    if not (bookable or link.status in USED):
        return _unusable(request, link.service)
    request.session.cycle_key()
    request.session[SESSION_LINK] = link.pk
    request.session.pop(SESSION_START, None)
    booking_link_open(link=link)
    return redirect("booking:welcome")


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
    # Coming back to choose again gives up the time held for the patient.
    slot_hold_release(link=link)
    starts = rule_available_times(link.rule, timezone.now(), for_link=link.pk)
    days = group_days(starts, link.service.zone)
    return render(
        request,
        "booking/portal/times.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "first_available": days[0].first if days else None,
            "days": days,
        },
    )


@require_GET
@with_live_link
def day(request: HttpRequest, link: BookingLink, iso_day: str) -> HttpResponse:
    try:
        chosen_day = date.fromisoformat(iso_day)
    except ValueError:
        return redirect("booking:times")
    starts = rule_available_times(link.rule, timezone.now(), for_link=link.pk)
    day_times: DayOfTimes | None = next(
        (d for d in group_days(starts, link.service.zone) if d.day == chosen_day), None
    )
    if day_times is None:
        messages.info(request, "There are no free times left on that day. Choose another day.")
        return redirect("booking:times")
    if link.rule.show_therapists:
        day_times = with_therapists(
            day_times, rule_day_therapists(link.rule, timezone.now(), chosen_day, for_link=link.pk)
        )
    return render(
        request,
        "booking/portal/day.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "day": day_times,
            "parts": times_of_day(day_times),
            "error": request.GET.get("error") == "choose",
        },
    )


def _is_iso_day(raw: str) -> bool:
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


def _parse_start(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw or len(raw) > 40:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _parse_choice(raw: str | None) -> tuple[datetime | None, int | None]:
    """A chosen option: an instant, optionally followed by "@" and the chosen therapist's id."""
    instant, _, therapist = (raw or "").partition("@")
    start = _parse_start(instant)
    if not therapist:
        return start, None
    return (start, int(therapist)) if therapist.isdigit() and len(therapist) < 12 else (None, None)


@require_POST
@retry_on_contention
@with_live_link
def choose(request: HttpRequest, link: BookingLink) -> HttpResponse:
    start, therapist_id = _parse_choice(request.POST.get("start"))
    if start is None:
        back = request.POST.get("day", "")
        if _is_iso_day(back):
            return redirect(reverse("booking:day", args=[back]) + "?error=choose")
        return redirect("booking:times")
    try:
        slot_hold_acquire(link=link, start=start, therapist_id=therapist_id)
    except SlotTaken:
        messages.warning(request, "Sorry, that time has just been taken. Please choose another.")
        return redirect("booking:times")
    request.session[SESSION_START] = start.isoformat()
    request.session[SESSION_THERAPIST] = therapist_id
    return redirect("booking:review")


def _chosen_therapist(request: HttpRequest) -> int | None:
    chosen = request.session.get(SESSION_THERAPIST)
    return chosen if isinstance(chosen, int) else None


@require_GET
@with_live_link
def review(request: HttpRequest, link: BookingLink) -> HttpResponse:
    start = _parse_start(request.session.get(SESSION_START))
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
            "therapist": hold.therapist.name if hold and _chosen_therapist(request) else None,
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
    start = _parse_start(request.session.get(SESSION_START))
    if start is None:
        return redirect("booking:times")
    try:
        booking_link_book(link=link, start=start, therapist_id=_chosen_therapist(request))
    except SlotTaken:
        request.session.pop(SESSION_START, None)
        messages.warning(
            request, "Sorry, that time has just been taken by someone else. Please choose another."
        )
        return redirect("booking:times")
    except BookingError:
        return _unusable(request, link.service)
    request.session.pop(SESSION_START, None)
    return redirect("booking:booked")


@require_GET
def booked(request: HttpRequest) -> HttpResponse:
    link = _session_link(request)
    if link is None:
        return _session_ended(request)
    appointment = link_appointment(link) if link.status in USED else None
    if appointment is None:
        return redirect("booking:welcome")
    return render(
        request,
        "booking/portal/booked.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "appointment": AppointmentSummary.of(appointment),
        },
    )
