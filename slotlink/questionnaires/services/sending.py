"""Sending forms: a sweep finds each booked appointment whose forms are due, and sends them
once, in one text with one link. Also: reminders for unfinished forms, withdrawing forms of
cancelled appointments, and expiring those whose appointment has begun.

Why a sweep, not a hook in every place an appointment is made or moved: appointments are made
and moved by staff, by patients online and by imports, in apps below this one. The send time
is worked out from the appointment as it stands whenever the sweep looks, so a moved
appointment's forms simply fall due at the new time. Exactly once comes from the database: a
request is unique per appointment and form, and the appointment's row is locked while its
forms are sent, so two sweeps (or a sweep and a nudge) cannot both send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.lib.crypto import decrypt, encrypt, new_token, token_hash
from slotlink.lib.language import language_of
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import message_queue
from slotlink.questionnaires.models import (
    FORM_LINK_ABOUT,
    OPEN_STATUSES,
    FormAssignment,
    FormLink,
    FormRequest,
    FormRequestEvent,
    RequestStatus,
)
from slotlink.questionnaires.services.forms import form_current_version

# An unfinished form is recalled once, this long before the appointment, if its link went
# out at least REMIND_AFTER before then (a link sent an hour ago needs no reminder yet).
REMIND_BEFORE = timedelta(hours=24)
REMIND_AFTER = timedelta(hours=12)
SYSTEM = "system"
# Why the forms of a cancelled appointment were withdrawn, in the history.
APPOINTMENT_CANCELLED = "The appointment was cancelled"
APPOINTMENT_BEGAN = "The appointment began before the form was finished"


def form_link_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/q/{token}"


def _link_text(link: FormLink, token: str) -> str:
    # The first name only, and no date: the appointment may move while the text waits.
    with language_of(link.patient.preferred_language):
        return _(
            "Hello %(name)s, please answer a few questions before your appointment: %(link)s"
        ) % {"name": link.patient.first_name, "link": form_link_url(token)}


def _reminder_text(link: FormLink, token: str) -> str:
    with language_of(link.patient.preferred_language):
        return _(
            "Hello %(name)s, a reminder to answer the questions before your appointment: %(link)s"
        ) % {"name": link.patient.first_name, "link": form_link_url(token)}


def _due_assignments(appointment: Appointment, now: datetime) -> QuerySet[FormAssignment]:
    """The forms of the appointment's type whose send time has come and that were set up
    before it came, and that it has not been sent yet. The send time is the booking (for
    "with the booking") or that many hours before the start, but never before the booking."""
    booked = appointment.created_at
    due = Q(hours_before__isnull=True, created_at__lte=booked)
    for hours in _distinct_hours(appointment):
        send_at = max(appointment.start - timedelta(hours=hours), booked)
        if send_at <= now:
            due |= Q(hours_before=hours, created_at__lte=send_at)
    return (
        FormAssignment.objects.filter(appointment_type_id=appointment.appointment_type_id)
        .filter(due, form__active=True)
        .exclude(form__requests__appointment=appointment)
        .select_related("form")
        .order_by("hours_before", "form__name", "pk")
    )


def _distinct_hours(appointment: Appointment) -> list[int]:
    return sorted(
        set(
            hours
            for hours in FormAssignment.objects.filter(
                appointment_type_id=appointment.appointment_type_id, hours_before__isnull=False
            ).values_list("hours_before", flat=True)
            if hours is not None
        )
    )


def appointment_forms_send(*, appointment_id: int, now: datetime | None = None) -> FormLink | None:
    """Send the appointment's due forms, if any: one link, one text. Safe to call at any time
    and any number of times, concurrently too: the forms go once."""
    now = now or timezone.now()
    if not FormAssignment.objects.filter(appointment_type__appointment=appointment_id).exists():
        return None  # most types have no forms: one query, no lock
    try:
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update()
                .select_related("patient", "service")
                .filter(pk=appointment_id, status=AppointmentStatus.BOOKED, start__gt=now)
                .first()
            )
            if appointment is None:
                return None
            _carry_over(appointment)
            due = list(_due_assignments(appointment, now))
            if not due:
                return None
            return _send(appointment, due, now)
    except IntegrityError:
        return None  # another sender made these requests first: they went once, from there


def _carry_over(appointment: Appointment) -> None:
    """A patient who moves their appointment online gets a new appointment in place of the
    old one: the forms sent for the old one (and their links and texts) belong to the new one,
    so nothing is sent twice and answers already given stay."""
    if appointment.rescheduled_from_id is None:
        return
    old = appointment.rescheduled_from_id
    links = list(FormLink.objects.filter(appointment_id=old).values_list("pk", flat=True))
    if not links:
        return
    FormRequest.objects.filter(appointment_id=old).update(appointment=appointment)
    FormLink.objects.filter(pk__in=links).update(appointment=appointment)
    OutboundMessage.objects.filter(
        about_kind=FORM_LINK_ABOUT, about_id__in=links, status=MessageStatus.QUEUED
    ).update(appointment=appointment)


def _send(appointment: Appointment, due: list[FormAssignment], now: datetime) -> FormLink:
    token = new_token()
    link = FormLink.objects.create(
        service=appointment.service,
        patient=appointment.patient,
        appointment=appointment,
        token_hash=token_hash(token),
        token_encrypted=encrypt(token),
        created_at=now,
    )
    for position, assignment in enumerate(due):
        request = FormRequest.objects.create(
            link=link,
            appointment=appointment,
            patient=appointment.patient,
            form=assignment.form,
            version=form_current_version(assignment.form),
            position=position,
            created_at=now,
        )
        FormRequestEvent.objects.create(
            request=request, status=RequestStatus.SENT, at=now, by=SYSTEM
        )
    patient = appointment.patient
    if patient.mobile:
        message_queue(
            service=appointment.service,
            to=patient.mobile,
            body=_link_text(link, token),
            kind=MessageKind.FORM_LINK,
            patient=patient,
            about_kind=FORM_LINK_ABOUT,
            about_id=link.pk,
            appointment=appointment,
            now=now,
        )
    audit_record(
        action=AuditAction.FORMS_SENT,
        by=Who.SYSTEM,
        subject=link,
        patient_id=patient.pk,
        service_id=appointment.service_id,
        details={"forms": [a.form.name for a in due], "appointment": appointment.pk},
        now=now,
    )
    return link


def _candidates(now: datetime) -> QuerySet[Appointment]:
    """Booked appointments still to come whose type has a form they have not been sent. The
    exact send times are checked per appointment, under its lock; this only narrows."""
    unsent = FormAssignment.objects.filter(
        appointment_type_id=OuterRef("appointment_type_id")
    ).exclude(
        Exists(
            FormRequest.objects.filter(
                appointment_id=OuterRef(OuterRef("pk")), form=OuterRef("form")
            )
        )
    )
    longest = (
        FormAssignment.objects.filter(hours_before__isnull=False).aggregate(
            longest=Max("hours_before")
        )["longest"]
        or 0
    )
    with_booking = unsent.filter(hours_before__isnull=True, created_at__lte=OuterRef("created_at"))
    before = unsent.filter(hours_before__isnull=False, created_at__lte=OuterRef("start"))
    # A service its operator switched off sends nothing.
    return Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, start__gt=now, service__active=True
    ).filter(Exists(with_booking) | (Q(start__lte=now + timedelta(hours=longest)) & Exists(before)))


@dataclass(frozen=True)
class SweepReport:
    sent: int
    reminded: int
    withdrawn: int
    expired: int


def questionnaires_sweep(*, now: datetime | None = None) -> SweepReport:
    """One round, from housekeeping: withdraw, expire, send what is due, remind."""
    now = now or timezone.now()
    withdrawn = form_requests_withdraw_cancelled(now=now)
    expired = form_requests_expire(now=now)
    sent = 0
    for appointment_id in _candidates(now).values_list("pk", flat=True).distinct():
        if appointment_forms_send(appointment_id=appointment_id, now=now) is not None:
            sent += 1
    reminded = form_links_remind(now=now)
    return SweepReport(sent, reminded, withdrawn, expired)


def _end(requests: QuerySet[FormRequest], status: RequestStatus, reason: str, now: datetime) -> int:
    with transaction.atomic():
        ending = list(requests.filter(status__in=OPEN_STATUSES).select_for_update())
        for request in ending:
            changed = FormRequest.objects.filter(pk=request.pk, status__in=OPEN_STATUSES).update(
                status=status, ended_at=now
            )
            if changed:
                FormRequestEvent.objects.create(
                    request=request, status=status, at=now, by=SYSTEM, reason=reason
                )
    return len(ending)


def form_requests_withdraw_cancelled(*, now: datetime | None = None) -> int:
    """Unfinished forms of appointments cancelled (and not moved by the patient to a new
    one, which takes them over) are withdrawn; their unsent texts are stopped as they leave
    (messaging checks the appointment) and cancelled here."""
    now = now or timezone.now()
    moved_on = Appointment.objects.filter(
        rescheduled_from=OuterRef("appointment_id"), status=AppointmentStatus.BOOKED
    )
    cancelled = FormRequest.objects.filter(
        status__in=OPEN_STATUSES, appointment__status=AppointmentStatus.CANCELLED
    ).exclude(Exists(moved_on))
    return form_requests_withdraw(requests=cancelled, now=now)


def form_requests_withdraw(*, requests: QuerySet[FormRequest], now: datetime | None = None) -> int:
    now = now or timezone.now()
    with transaction.atomic():
        link_ids = list(requests.values_list("link_id", flat=True).distinct())
        count = _end(requests, RequestStatus.WITHDRAWN, APPOINTMENT_CANCELLED, now)
        OutboundMessage.objects.filter(
            about_kind=FORM_LINK_ABOUT, about_id__in=link_ids, status=MessageStatus.QUEUED
        ).update(status=MessageStatus.CANCELLED, error=APPOINTMENT_CANCELLED)
        for link in FormLink.objects.filter(pk__in=link_ids):
            audit_record(
                action=AuditAction.FORMS_WITHDRAWN,
                by=Who.SYSTEM,
                subject=link,
                patient_id=link.patient_id,
                service_id=link.service_id,
                now=now,
            )
    return count


def form_requests_expire(*, now: datetime | None = None) -> int:
    """Forms unfinished when their appointment begins can no longer be answered."""
    now = now or timezone.now()
    begun = FormRequest.objects.filter(
        status__in=OPEN_STATUSES,
        appointment__status=AppointmentStatus.BOOKED,
        appointment__start__lte=now,
    )
    return _end(begun, RequestStatus.EXPIRED, APPOINTMENT_BEGAN, now)


def form_links_remind(*, now: datetime | None = None) -> int:
    """One reminder per link with a form still open, REMIND_BEFORE the appointment."""
    now = now or timezone.now()
    unfinished = FormRequest.objects.filter(link=OuterRef("pk"), status__in=OPEN_STATUSES)
    due = FormLink.objects.filter(
        reminded_at__isnull=True,
        appointment__status=AppointmentStatus.BOOKED,
        appointment__start__gt=now,
        appointment__start__lte=now + REMIND_BEFORE,
    ).filter(Exists(unfinished))
    count = 0
    for link in due.select_related("patient", "service", "appointment"):
        if link.appointment.start - REMIND_BEFORE - link.created_at < REMIND_AFTER:
            continue
        with transaction.atomic():
            claimed = FormLink.objects.filter(pk=link.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            token = decrypt(link.token_encrypted)
            if not claimed or token is None or not link.patient.mobile:
                continue
            message_queue(
                service=link.service,
                to=link.patient.mobile,
                body=_reminder_text(link, token),
                kind=MessageKind.FORM_REMINDER,
                patient=link.patient,
                about_kind=FORM_LINK_ABOUT,
                about_id=link.pk,
                appointment=link.appointment,
                now=now,
            )
            count += 1
    return count
