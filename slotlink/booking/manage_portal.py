"""Manage your appointment: the pages behind the link in the confirmation text.

The token is swapped for a session bound to the manage link (an unknown token gets a session
too, bound to nothing, so the next page looks the same either way). Nothing is shown until
the patient has given their date of birth (and, where the service asks, a code by text);
verification lasts a short while, not a login."""

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any

import icalendar
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slotlink.booking.choosing import (
    MOVE,
    choose_time,
    chosen,
    day_page,
    forget_choice,
    share_service,
    time_just_taken,
    times_page,
)
from slotlink.booking.manage_services import (
    VERIFIED_FOR,
    Verification,
    change_rights,
    client_key,
    manage_link_find,
    manage_send_code,
    manage_verify_birth_date,
    manage_verify_code,
)
from slotlink.booking.models import BookingLink, ManageLink
from slotlink.booking.presenters import AppointmentSummary, RuleSummary
from slotlink.booking.services import (
    BookingError,
    ChangeNotAllowed,
    SlotTaken,
    appointment_cancel_by_patient,
    appointment_reschedule,
    link_appointment,
    slot_hold_of,
)
from slotlink.clientip import client_ip
from slotlink.clinic.models import TIME_HOLDING, Appointment
from slotlink.contention import retry_on_contention
from slotlink.formatting import clock, when
from slotlink.middleware import without_referrer
from slotlink.requestlog import log_service

SESSION_MANAGE = "manage_link_id"
SESSION_VERIFIED_UNTIL = "manage_verified_until"


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


def _verified(request: HttpRequest) -> bool:
    until = request.session.get(SESSION_VERIFIED_UNTIL)
    if not isinstance(until, str):
        return False
    try:
        return datetime.fromisoformat(until) > timezone.now()
    except ValueError:
        return False


def with_verified_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if SESSION_MANAGE not in request.session:
            return render(
                request, "booking/portal/session_ended.html", {"service": None}, status=403
            )
        manage = _session_manage(request)
        if manage is None or not _verified(request):
            return redirect("manage:verify")
        return view(request, manage.booking_link, **kwargs)

    return wrapper


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    manage = manage_link_find(token)
    request.session.cycle_key()
    request.session[SESSION_MANAGE] = manage.pk if manage else 0
    request.session.pop(SESSION_VERIFIED_UNTIL, None)
    return without_referrer(redirect("manage:verify"))


class BirthDateForm(forms.Form):
    day = forms.IntegerField(required=False, min_value=1, max_value=31)
    month = forms.IntegerField(required=False, min_value=1, max_value=12)
    year = forms.IntegerField(required=False, min_value=1900, max_value=2100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            raise forms.ValidationError("Date of birth must be a real date")
        parts = (data.get("year"), data.get("month"), data.get("day"))
        if not any(parts):
            raise forms.ValidationError("Enter your date of birth")
        if not all(parts):
            raise forms.ValidationError("Date of birth must include a day, month and year")
        try:
            born = date(*parts)  # type: ignore[arg-type]
        except ValueError:
            raise forms.ValidationError("Date of birth must be a real date") from None
        if born > timezone.localdate():
            raise forms.ValidationError("Date of birth must be in the past")
        data["born"] = born
        return data


def _mark_verified(request: HttpRequest) -> None:
    request.session.cycle_key()
    request.session[SESSION_VERIFIED_UNTIL] = (timezone.now() + VERIFIED_FOR).isoformat()


def _locked(request: HttpRequest, manage: ManageLink | None) -> HttpResponse:
    service = manage.booking_link.service if manage else None
    return render(request, "booking/manage/locked.html", {"service": service}, status=429)


@require_http_methods(["GET", "POST"])
@retry_on_contention
def verify(request: HttpRequest) -> HttpResponse:
    if SESSION_MANAGE not in request.session:
        return render(request, "booking/portal/session_ended.html", {"service": None}, status=403)
    manage = _session_manage(request)
    form = BirthDateForm(request.POST or None)
    wrong = False
    if request.method == "POST" and form.is_valid():
        outcome = manage_verify_birth_date(
            manage=manage, client=_client(request), born=form.cleaned_data["born"]
        )
        if outcome == Verification.LOCKED:
            return _locked(request, manage)
        if outcome == Verification.CODE_NEEDED and manage is not None:
            manage_send_code(manage=manage)
            return redirect("manage:code")
        if outcome == Verification.PASSED:
            _mark_verified(request)
            return redirect("manage:home")
        wrong = True
    errors = form.non_field_errors() if request.method == "POST" else []
    return render(
        request,
        "booking/manage/verify.html",
        {
            "service": None,
            "form": form,
            "errors": errors,
            "wrong": wrong,
        },
        status=400 if (errors or wrong) else 200,
    )


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, required=False)


@require_http_methods(["GET", "POST"])
@retry_on_contention
def code(request: HttpRequest) -> HttpResponse:
    manage = _session_manage(request)
    if manage is None:
        return redirect("manage:verify")
    form = CodeForm(request.POST or None)
    wrong = False
    if request.method == "POST" and "resend" in request.POST:
        manage_send_code(manage=manage)
        messages.info(request, "If we can, we have sent you a new code.")
        return redirect("manage:code")
    if request.method == "POST" and form.is_valid():
        outcome = manage_verify_code(
            manage=manage, client=_client(request), code=form.cleaned_data["code"] or ""
        )
        if outcome == Verification.LOCKED:
            return _locked(request, manage)
        if outcome == Verification.PASSED:
            _mark_verified(request)
            return redirect("manage:home")
        wrong = True
    return render(
        request,
        "booking/manage/code.html",
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


def _current_start(link: BookingLink) -> datetime | None:
    current = _current(link)
    return current.start if current else None


@require_GET
@with_verified_link
def home(request: HttpRequest, link: BookingLink) -> HttpResponse:
    appointment = _current(link)
    now = timezone.now()
    if appointment is None or appointment.end <= now:
        return render(
            request,
            "booking/manage/nothing_to_change.html",
            {
                "service": link.service,
                "past": appointment is not None,
            },
        )
    return render(
        request,
        "booking/manage/home.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "appointment": AppointmentSummary.of(appointment),
            "rights": change_rights(link, appointment.start, now),
        },
    )


@require_GET
@with_verified_link
def calendar(request: HttpRequest, link: BookingLink) -> HttpResponse:
    appointment = _current(link)
    if appointment is None:
        return redirect("manage:home")
    event = icalendar.Event()
    event.add("uid", f"slotlink-appointment-{appointment.pk}@{request.get_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", f"{appointment.appointment_type.name} appointment")
    if appointment.location:
        event.add("location", appointment.location)
    event.add("description", f"To change it, call {link.service.phone}.")
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Slotlink//Appointments//EN")
    cal.add("version", "2.0")
    cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


def _may_move(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only while the rule allows it, before the cut-off and under the cap."""

    @wraps(view)
    def wrapper(request: HttpRequest, link: BookingLink, **kwargs: Any) -> HttpResponse:
        appointment = _current(link)
        if appointment is None:
            return redirect("manage:home")
        rights = change_rights(link, appointment.start, timezone.now())
        if not rights.can_reschedule:
            return render(
                request,
                "booking/manage/cannot_change.html",
                {
                    "service": link.service,
                    "reason": rights.reason,
                },
            )
        return view(request, link, **kwargs)

    return wrapper


@require_GET
@with_verified_link
@_may_move
def times(request: HttpRequest, link: BookingLink) -> HttpResponse:
    return times_page(request, link, MOVE, exclude=_current_start(link))


@require_GET
@with_verified_link
@_may_move
def day(request: HttpRequest, link: BookingLink, iso_day: str) -> HttpResponse:
    return day_page(request, link, iso_day, MOVE, exclude=_current_start(link))


@require_POST
@retry_on_contention
@with_verified_link
@_may_move
def choose(request: HttpRequest, link: BookingLink) -> HttpResponse:
    current = _current(link)
    return choose_time(
        request,
        link,
        MOVE,
        prefer=current.therapist_id if current else None,
        exclude=current.start if current else None,
    )


@require_GET
@with_verified_link
@_may_move
def review(request: HttpRequest, link: BookingLink) -> HttpResponse:
    start, therapist_id = chosen(request, MOVE)
    current = _current(link)
    if start is None or current is None:
        return redirect("manage:times")
    hold = slot_hold_of(link, timezone.now())
    zone = link.service.zone
    other_therapist = hold is not None and hold.therapist_id != current.therapist_id
    return render(
        request,
        "booking/portal/review.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "when": when(start, zone),
            "was": when(current.start, zone),
            "held_until": clock(hold.expires_at.astimezone(zone)) if hold else None,
            "therapist": hold.therapist.name
            if hold and (therapist_id or other_therapist)
            else None,
            "other_therapist": (current.therapist.name, hold.therapist.name)
            if hold and other_therapist
            else None,
            "flow": MOVE,
        },
    )


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
    except (ChangeNotAllowed, BookingError) as refusal:
        return render(
            request,
            "booking/manage/cannot_change.html",
            {
                "service": link.service,
                "reason": str(refusal),
            },
        )
    forget_choice(request, MOVE)
    messages.success(request, "Your appointment has been changed. We have sent you a text.")
    return redirect("manage:home")


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        required=True,
        error_messages={
            "required": "Tell us why you are cancelling",
        },
    )


@require_http_methods(["GET", "POST"])
@retry_on_contention
@with_verified_link
def cancel(request: HttpRequest, link: BookingLink) -> HttpResponse:
    appointment = _current(link)
    if appointment is None:
        return redirect("manage:home")
    if not change_rights(link, appointment.start, timezone.now()).can_cancel:
        return render(
            request,
            "booking/manage/cannot_change.html",
            {
                "service": link.service,
                "reason": "This appointment cannot be cancelled online.",
            },
        )
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_cancel_by_patient(link=link, reason=form.cleaned_data["reason"])
        except ChangeNotAllowed as refusal:
            return render(
                request,
                "booking/manage/cannot_change.html",
                {
                    "service": link.service,
                    "reason": str(refusal),
                },
            )
        return render(request, "booking/manage/cancelled.html", {"service": link.service})
    return render(
        request,
        "booking/manage/cancel.html",
        {
            "service": link.service,
            "form": form,
            "appointment": AppointmentSummary.of(appointment),
        },
        status=400 if form.errors else 200,
    )
