"""Manage your appointment: the pages behind the link in the confirmation text.

The token is swapped for a session bound to the manage link. A made-up token writes no
session row: a session key that seals which made-up link it stands for does (portal/sessions.py),
set as any session cookie is, so that every page, every cookie and every answer to every
attempt is what a real link would give. Nothing is shown until the patient has given
their date of birth and then, only where the service asks for it, a code by text; each step
passed is kept for that link only, and for a short while, not a login."""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

import icalendar
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slotlink.booking.appointments.services import (
    appointment_cancel_by_patient,
    appointment_reschedule,
)
from slotlink.booking.links.selectors import link_appointment
from slotlink.booking.links.services import SlotTaken, StepRefused
from slotlink.booking.links.steps import Step, change_rights, step_refusal
from slotlink.booking.manage.services import (
    VERIFIED_FOR,
    Verification,
    client_key,
    made_up_key,
    manage_link_find,
    manage_send_code,
    manage_verify_birth_date,
    manage_verify_code,
)
from slotlink.booking.models import BookingLink, ManageLink
from slotlink.clinic.models import TIME_HOLDING, Appointment
from slotlink.lib.clientip import client_ip
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.language import HTML_LANG, current_language, django_language, localised
from slotlink.lib.middleware import without_referrer
from slotlink.lib.requestlog import log_service
from slotlink.portal.choosing import (
    MOVE,
    choose_time,
    chosen,
    day_page,
    forget_choice,
    review_page,
    share_service,
    step_refused,
    time_just_taken,
    times_page,
)
from slotlink.portal.forms import BirthDateForm, CancelForm, CodeForm
from slotlink.portal.language import has_chosen_language, remember_language
from slotlink.portal.presenters import AppointmentSummary, RuleSummary
from slotlink.portal.sessions import MADE_UP

SESSION_MANAGE = "manage_link_id"
# Each holds {"link": manage link id, "until": ISO instant}: a step passed for that link only,
# for a while, so another link opened in the same browser starts again.
SESSION_VERIFIED = "manage_verified"
SESSION_BIRTH_DATE = "manage_birth_date_given"


def _client(request: HttpRequest) -> str:
    return client_key(client_ip(request))


def _session_manage(request: HttpRequest) -> ManageLink | None:
    manage_id = request.session.get(SESSION_MANAGE)
    if not isinstance(manage_id, int) or manage_id <= 0:
        return None
    links = ManageLink.objects.select_related(
        "booking_link__rule__appointment_type", "booking_link__service", "booking_link__patient"
    )
    try:
        manage = links.get(pk=manage_id)
    except ManageLink.DoesNotExist:
        return None
    share_service(manage.booking_link)
    log_service(manage.booking_link.service_id)
    return manage


def _made_up(request: HttpRequest) -> str | None:
    made_up = request.session.get(MADE_UP)
    return made_up if isinstance(made_up, str) else None


def _passed(request: HttpRequest, step: str, manage: ManageLink) -> bool:
    mark = request.session.get(step)
    if not isinstance(mark, dict) or mark.get("link") != manage.pk:
        return False
    until = mark.get("until")
    try:
        return isinstance(until, str) and datetime.fromisoformat(until) > timezone.now()
    except ValueError:
        return False


def _mark_passed(request: HttpRequest, step: str, manage: ManageLink, lasts: timedelta) -> None:
    request.session[step] = {"link": manage.pk, "until": (timezone.now() + lasts).isoformat()}


def _session_ended(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/book/session_ended.html", {"service": None}, status=403)


def _not_yet(request: HttpRequest, manage: ManageLink | None) -> HttpResponse:
    """A step this browser cannot take (yet): back to the date of birth if it opened a link,
    real or made up; otherwise (never opened one, or its session ended) open the link again."""
    if manage is None and _made_up(request) is None:
        return _session_ended(request)
    return redirect("manage:verify")


def with_verified_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        manage = _session_manage(request)
        if manage is None or not _passed(request, SESSION_VERIFIED, manage):
            return _not_yet(request, manage)
        return view(request, manage.booking_link, **kwargs)

    return wrapper


def _forget_manage_link(request: HttpRequest) -> None:
    """Unbind the session from any manage link (touching no session that has none)."""
    for key in (SESSION_MANAGE, SESSION_VERIFIED, SESSION_BIRTH_DATE, MADE_UP, *MOVE.session_keys):
        request.session.pop(key, None)


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    manage = manage_link_find(token)
    _forget_manage_link(request)
    response = without_referrer(redirect("manage:verify"))
    if manage is None:
        # No row, yet the same cookie as a real link's session (portal/sessions.py).
        request.session.open_made_up(made_up_key(token))  # type: ignore[attr-defined]
        return response
    request.session.cycle_key()
    request.session[SESSION_MANAGE] = manage.pk
    return response


def _mark_verified(request: HttpRequest, manage: ManageLink) -> None:
    request.session.cycle_key()
    request.session.pop(SESSION_BIRTH_DATE, None)
    _mark_passed(request, SESSION_VERIFIED, manage, VERIFIED_FOR)


def _in_their_language(
    request: HttpRequest, response: HttpResponse, manage: ManageLink
) -> HttpResponse:
    """Once the patient has shown who they are, their record's language, unless they chose
    one on these pages (before that, a page in their language would tell a real link from a
    made-up one)."""
    if not has_chosen_language(request):
        preferred = manage.booking_link.patient.preferred_language
        remember_language(response, django_language(preferred))
    return response


def _locked(request: HttpRequest, manage: ManageLink | None = None) -> HttpResponse:
    # Before the date of birth nothing names the service: a made-up link's page is the same.
    service = manage.booking_link.service if manage else None
    return render(request, "portal/manage/locked.html", {"service": service}, status=429)


@require_http_methods(["GET", "POST"])
@retry_on_contention
def verify(request: HttpRequest) -> HttpResponse:
    manage = _session_manage(request)
    made_up = None if manage else _made_up(request)
    if manage is None and made_up is None:
        return _session_ended(request)
    return _verify(request, manage, made_up or "")


def _verify(request: HttpRequest, manage: ManageLink | None, made_up: str) -> HttpResponse:
    form = BirthDateForm(request.POST or None)
    wrong = False
    if request.method == "POST" and form.is_valid():
        outcome = manage_verify_birth_date(
            manage=manage,
            made_up=made_up,
            client=_client(request),
            born=form.cleaned_data["born"],
        )
        if outcome == Verification.LOCKED:
            return _locked(request)
        if manage is not None and outcome == Verification.PASSED:
            _mark_verified(request, manage)
            return _in_their_language(request, redirect("manage:home"), manage)
        if manage is not None and outcome == Verification.CODE_NEEDED:
            _mark_passed(request, SESSION_BIRTH_DATE, manage, VERIFIED_FOR)
            manage_send_code(manage=manage)
            return redirect("manage:code")
        if manage is not None and outcome == Verification.CODE_UNREACHABLE:
            # Nothing is texted and nothing opens: the patient is told whom to call.
            return render(
                request, "portal/manage/no_code.html", {"service": manage.booking_link.service}
            )
        wrong = True
    errors = form.non_field_errors() if request.method == "POST" else []
    return render(
        request,
        "portal/manage/verify.html",
        {
            "service": None,
            "form": form,
            "errors": errors,
            "wrong": wrong,
        },
        status=400 if (errors or wrong) else 200,
    )


@require_http_methods(["GET", "POST"])
@retry_on_contention
def code(request: HttpRequest) -> HttpResponse:
    manage = _session_manage(request)
    # Only where the service asks for codes, and only after a right date of birth for this
    # link, given lately in this session: whoever reads the patient's texts must still know
    # who the patient is.
    if (
        manage is None
        or not manage.booking_link.service.manage_requires_sms_code
        or not _passed(request, SESSION_BIRTH_DATE, manage)
    ):
        return _not_yet(request, manage)
    form = CodeForm(request.POST or None)
    wrong = False
    if request.method == "POST" and "resend" in request.POST:
        if manage_send_code(manage=manage):  # a new code: time to type it
            _mark_passed(request, SESSION_BIRTH_DATE, manage, VERIFIED_FOR)
        messages.info(request, _("If we can, we have sent you a new code."))
        return redirect("manage:code")
    if request.method == "POST" and form.is_valid():
        outcome = manage_verify_code(
            manage=manage, client=_client(request), code=form.cleaned_data["code"] or ""
        )
        if outcome == Verification.LOCKED:
            return _locked(request, manage)
        if outcome == Verification.PASSED:
            _mark_verified(request, manage)
            return _in_their_language(request, redirect("manage:home"), manage)
        wrong = True
    return render(
        request,
        "portal/manage/code.html",
        {
            "service": manage.booking_link.service,
            "form": form,
            "wrong": wrong,
        },
        status=400 if wrong else 200,
    )


def _current(link: BookingLink) -> Appointment | None:
    appointment = link_appointment(link)
    return appointment if appointment and appointment.status in TIME_HOLDING else None


def _may(step: Step) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Only when patient_steps' rule allows `step` now; otherwise say why and whom to call.
    The view is given the appointment the link stands for (None only for Step.SEE), worked
    out here once for the request."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, link: BookingLink, **kwargs: Any) -> HttpResponse:
            appointment = _current(link)
            if appointment is None and step is not Step.SEE:
                return redirect("manage:home")
            start = appointment.start if appointment else None
            refusal = step_refusal(link, step, timezone.now(), start)
            if refusal is not None:
                return step_refused(request, link.service, step, refusal.reason)
            return view(request, link, appointment, **kwargs)

        return wrapper

    return decorate


@require_GET
@with_verified_link
@_may(Step.SEE)
def home(request: HttpRequest, link: BookingLink, appointment: Appointment | None) -> HttpResponse:
    now = timezone.now()
    if appointment is None or appointment.end <= now:
        return render(
            request,
            "portal/manage/nothing_to_change.html",
            {
                "service": link.service,
                "past": appointment is not None,
            },
        )
    return render(
        request,
        "portal/manage/home.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "appointment": AppointmentSummary.of(appointment),
            "rights": change_rights(link, appointment.start, now),
        },
    )


@require_GET
@with_verified_link
@_may(Step.SEE)
def calendar(
    request: HttpRequest, link: BookingLink, appointment: Appointment | None
) -> HttpResponse:
    if appointment is None:
        return redirect("manage:home")
    event = icalendar.Event()
    event.add("uid", f"slotlink-appointment-{appointment.pk}@{request.get_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    # In the page's language, and saying so, for calendars that read it out.
    language = {"LANGUAGE": HTML_LANG[current_language()]}
    kind = localised(appointment.appointment_type.name, appointment.appointment_type.name_cy)
    summary = _("%(kind)s appointment") % {"kind": kind.text}
    event.add("summary", summary, parameters=language)
    if appointment.location:
        # Its own language: the English where the service wrote no Welsh.
        location = localised(appointment.location, appointment.location_cy)
        written = {"LANGUAGE": location.lang or HTML_LANG[current_language()]}
        event.add("location", location.text, parameters=written)
    change = _("To change it, call %(phone)s.") % {"phone": link.service.phone}
    event.add("description", change, parameters=language)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Slotlink//Appointments//EN")
    cal.add("version", "2.0")
    cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@require_GET
@with_verified_link
@_may(Step.MOVE)
def times(request: HttpRequest, link: BookingLink, current: Appointment) -> HttpResponse:
    return times_page(request, link, MOVE, exclude=current.start)


@require_GET
@with_verified_link
@_may(Step.MOVE)
def day(
    request: HttpRequest, link: BookingLink, current: Appointment, iso_day: str
) -> HttpResponse:
    return day_page(request, link, iso_day, MOVE, exclude=current.start)


@require_POST
@retry_on_contention
@with_verified_link
@_may(Step.MOVE)
def choose(request: HttpRequest, link: BookingLink, current: Appointment) -> HttpResponse:
    return choose_time(request, link, MOVE, prefer=current.therapist_id, exclude=current.start)


@require_GET
@with_verified_link
@_may(Step.MOVE)
def review(request: HttpRequest, link: BookingLink, current: Appointment) -> HttpResponse:
    return review_page(request, link, MOVE, moving=current)


# Not behind _may(Step.MOVE): a repeated confirm must reach the service, which returns the
# move already made even when that move used up the last one allowed.
@require_POST
@retry_on_contention
@with_verified_link
def confirm(request: HttpRequest, link: BookingLink) -> HttpResponse:
    start, therapist_id = chosen(request, MOVE)
    if start is None:
        return redirect("manage:home")
    try:
        appointment_reschedule(link=link, start=start, therapist_id=therapist_id)
    except SlotTaken:
        return time_just_taken(request, MOVE)
    except StepRefused as refusal:
        return step_refused(request, link.service, Step.MOVE, str(refusal))
    forget_choice(request, MOVE)
    messages.success(request, _("Your appointment has been changed. We have sent you a text."))
    return redirect("manage:home")


@require_http_methods(["GET", "POST"])
@retry_on_contention
@with_verified_link
@_may(Step.CANCEL)
def cancel(request: HttpRequest, link: BookingLink, appointment: Appointment) -> HttpResponse:
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_cancel_by_patient(link=link, reason=form.cleaned_data["reason"])
        except StepRefused as refusal:
            return step_refused(request, link.service, Step.CANCEL, str(refusal))
        return render(request, "portal/manage/cancelled.html", {"service": link.service})
    return render(
        request,
        "portal/manage/cancel.html",
        {
            "service": link.service,
            "form": form,
            "appointment": AppointmentSummary.of(appointment),
        },
        status=400 if form.errors else 200,
    )
