"""The "Online appointment booking" section of the patient record's Care pathway tab."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.booking.links.forms import ResendForm, RuleChoiceForm
from slotlink.booking.links.presenters import EventRow, LinkRow, LivePanel, RuleDetails
from slotlink.booking.links.selectors import (
    link_appointment,
    link_appointments,
    link_messages,
    link_texts,
    links_for,
    rules_for,
)
from slotlink.booking.links.services import (
    Actor,
    BookingError,
    booking_link_expire,
    booking_link_resend,
    booking_link_send_or_show,
    booking_link_token,
    booking_link_url,
)
from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.models import Patient, User
from slotlink.clinic.selectors import patient_details, patients_for
from slotlink.domain.link_lifecycle import LIVE
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.htmx import HtmxHttpRequest
from slotlink.messaging.models import Channel
from slotlink.messaging.selectors import MessageState


def _section_context(request: HtmxHttpRequest, patient: Patient) -> dict[str, object]:
    user = staff_user(request)
    now = timezone.now()
    links = list(links_for(service_id_of(user)).filter(patient=patient))
    appointments = link_appointments(links)
    texts = link_texts(links)
    live = []
    for link in links:
        if link.status in LIVE and link.expires_at > now:
            token = booking_link_token(link)
            url = booking_link_url(token) if token else ""
            live.append(LivePanel.of(link, url, patient.service.zone))
    return {
        "patient": patient_details(patient),
        "enabled": patient.service.online_booking_enabled,
        "rules": [RuleDetails.of(rule) for rule in rules_for(service_id_of(user))],
        "live": live,
        "history": [
            LinkRow.of(link, now, appointments.get(link.pk), texts.get(link.pk)) for link in links
        ],
        "can_send": bool(patient.mobile) and not patient.do_not_sms,
    }


def _render_section(request: HtmxHttpRequest, patient: Patient, status: int = 200) -> HttpResponse:
    template = (
        "booking/staff/_online_booking.html" if request.htmx else "booking/staff/care_pathway.html"
    )
    context = {**_section_context(request, patient), "tab": "care_pathway"}
    return render(request, template, context, status=status)


@staff_required()
def care_pathway(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), pk=pk)
    _audit_viewed(user, patient, "care pathway")
    return _render_section(request, patient)


def _audit_viewed(user: User, patient: Patient, page: str) -> None:
    audit_record(
        action=AuditAction.PATIENT_VIEWED,
        by=user,
        subject=patient,
        patient_id=patient.pk,
        service_id=patient.service_id,
        details={"page": page},
    )


@require_POST
@retry_on_contention
@staff_required()
def send_link(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), pk=pk)
    form = RuleChoiceForm(request.POST, rules=rules_for(service_id_of(user)))
    if not form.is_valid():
        messages.error(request, "Choose the type of appointment to send a link for.")
        return _after_change(request, patient, status=400)
    rule = form.cleaned_data["rule"]
    try:
        sent = booking_link_send_or_show(patient=patient, rule=rule, sent_by=user)
    except BookingError as error:
        messages.error(request, str(error))
        return _after_change(request, patient, status=400)
    if sent.shown_again:
        messages.info(
            request,
            f"{patient.first_name} was sent a booking link for {rule.title} moments ago and "
            "it can still be used, so no new text was sent: that link is shown below. To text "
            "it again, use “Send again by text”.",
        )
    else:
        messages.success(request, f"Booking link for {rule.title} sent to {patient.first_name}.")
    return _after_change(request, patient)


@require_POST
@retry_on_contention
@staff_required()
def resend_link(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    link = get_object_or_404(links_for(service_id_of(user)), pk=pk)
    form = ResendForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["channel"][0]))
        return _after_change(request, link.patient, status=400)
    channel = Channel.EMAIL if form.cleaned_data["channel"] == "email" else Channel.SMS
    try:
        booking_link_resend(link=link, channel=channel, user=user)
    except BookingError as error:
        messages.error(request, str(error))
        return _after_change(request, link.patient, status=400)
    how = "by email" if channel == Channel.EMAIL else "by text"
    messages.success(request, f"The link was sent again {how}.")
    return _after_change(request, link.patient)


@require_POST
@retry_on_contention
@staff_required()
def expire_link(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    link = get_object_or_404(links_for(service_id_of(user)), pk=pk)
    if booking_link_expire(link=link, actor=Actor.staff(user, "Expired by staff")):
        messages.success(request, "The link has expired and can no longer be used to book.")
    else:
        messages.info(request, "That link could no longer be used already.")
    return _after_change(request, link.patient)


def _after_change(request: HtmxHttpRequest, patient: Patient, status: int = 200) -> HttpResponse:
    if request.htmx:
        return _render_section(request, patient, status=status)
    return redirect(reverse("booking:care_pathway", args=[patient.pk]) + "#online-booking")


@staff_required()
def link_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    link = get_object_or_404(links_for(service_id_of(user)), pk=pk)
    _audit_viewed(user, link.patient, f"history of booking link #{link.pk}")
    zone = link.service.zone
    events = link.events.select_related("actor", "appointment").order_by("occurred_at", "pk")
    rows = [EventRow.of(event, zone) for event in events]
    now = timezone.now()
    texts = [MessageState.of(m, zone) for m in link_messages(link)]
    return render(
        request,
        "booking/staff/link_history.html",
        {
            "patient": patient_details(link.patient),
            "link": LinkRow.of(link, now, link_appointment(link)),
            "rule": RuleDetails.of(link.rule),
            "events": rows,
            "texts": texts,
            "tab": "care_pathway",
        },
    )
