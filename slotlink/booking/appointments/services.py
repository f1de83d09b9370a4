"""Booking, moving and cancelling the appointment a booking link stands for, and the holds
that keep a time for a patient while they review it."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from slotlink.audit.models import AuditAction
from slotlink.booking.appointments.holds import hold_insert, hold_take, holds_clear
from slotlink.booking.availability.selectors import rule_free_therapists_by_load
from slotlink.booking.links.selectors import link_appointment
from slotlink.booking.links.services import (
    PATIENT,
    Actor,
    LinkNotUsable,
    SlotTaken,
    StepRefused,
    link_audit,
    link_audit_event,
    link_claim,
    link_event_record,
    link_reread,
    step_require,
)
from slotlink.booking.links.steps import Step
from slotlink.booking.manage.services import (
    manage_link_create,
    manage_link_issue,
    manage_link_url,
)
from slotlink.booking.models import (
    LINK_ABOUT,
    ActorKind,
    BookingLink,
    SlotHold,
)
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    AppointmentStatus,
    ClinicalContact,
    Source,
)
from slotlink.domain.appointment_lifecycle import appointment_status_change
from slotlink.domain.link_lifecycle import (
    USED,
    LinkAction,
    LinkStatus,
)
from slotlink.lib.formatting import when
from slotlink.lib.inserts import row_insert
from slotlink.lib.language import language_of
from slotlink.lib.metrics import BOOKINGS
from slotlink.messaging.models import MessageKind
from slotlink.messaging.services import (
    appointment_reminders_refresh,
    internal_message_send,
    message_queue,
)


def _fairest_order(loads: list[tuple[int, int]]) -> list[int]:
    """Therapists with fewer online bookings that day first, to spread the work."""
    return [therapist_id for therapist_id, _ in sorted(loads, key=lambda load: (load[1], load[0]))]


def _current(link: BookingLink, *, read_now: bool) -> None:
    """The link as it stands, to judge the patient's step on: re-read unless the caller
    (`read_now`) read it with its patient and service in this same request, as the patient
    pages do. A re-read would be no more current: it takes no lock, and the compare-and-set
    on the link's status (link_claim) is what orders concurrent requests."""
    if not read_now:
        link_reread(link)


@transaction.atomic
def slot_hold_acquire(
    *,
    link: BookingLink,
    start: datetime,
    therapist_id: int | None = None,
    prefer: int | None = None,
    now: datetime | None = None,
    read_now: bool = False,
) -> SlotHold:
    """Reserve `start` for this link's patient while they review it, with the therapist they
    chose (where the rule lets them choose) or else the one the fairness order prefers among
    those free. Replaces the link's earlier hold. Raises SlotTaken when nobody suitable is
    free then (or the time or therapist is not one the rule offers), StepRefused when the
    patient may not book or move now. `read_now`: see _current."""
    now = now or timezone.now()
    _current(link, read_now=read_now)
    if link.status in USED:
        current = link_appointment(link)
        step_require(link, Step.MOVE, now, current.start if current else None)
    else:
        step_require(link, Step.BOOK, now)
    return _hold(link=link, start=start, therapist_id=therapist_id, prefer=prefer, now=now)


def _hold(
    *,
    link: BookingLink,
    start: datetime,
    therapist_id: int | None,
    prefer: int | None,
    now: datetime,
) -> SlotHold:
    rule = link.rule
    if therapist_id is not None and not rule.show_therapists:
        # Only a rule that shows therapists offers a choice of one: the form was edited to
        # override the fairest pick.
        raise SlotTaken("That choice is not offered.")
    # The link's own hold is left out of the diaries read here, so it can go with the lapsed
    # holds in the way (which still occupy their rows), in one statement, before the insert.
    loads = rule_free_therapists_by_load(rule, now, start, for_link=link.pk)
    if therapist_id is not None:
        loads = [load for load in loads if load[0] == therapist_id]
    ordered = _fairest_order(loads)
    end = start + timedelta(minutes=rule.duration_minutes)
    holds_clear(link_id=link.pk, therapist_ids=ordered, start=start, end=end, now=now)
    if prefer in ordered:  # e.g. the patient's own therapist, when they move an appointment
        ordered.remove(prefer)
        ordered.insert(0, prefer)
    for therapist_id in ordered:
        hold = SlotHold(
            link=link,
            therapist_id=therapist_id,
            start=start,
            end=end,
            expires_at=now + timedelta(minutes=rule.hold_minutes),
        )
        if hold_insert(hold):
            return hold
        # Otherwise another patient's hold got there first: the database said no.
    raise SlotTaken("Sorry, that time has just been taken.")


def slot_hold_release(*, link: BookingLink) -> None:
    SlotHold.objects.filter(link=link).delete()


@transaction.atomic
def booking_link_book(
    *,
    link: BookingLink,
    start: datetime,
    therapist_id: int | None = None,
    now: datetime | None = None,
    read_now: bool = False,
) -> Appointment:
    """Book the appointment the patient confirmed, with the therapist held for them (a lapsed
    hold is taken again if the time is still free). Idempotent per link: a repeated confirm
    returns the appointment the link already made. Raises SlotTaken when nobody is free at
    `start` any more, LinkNotUsable when the link can no longer book, StepRefused when the
    patient may not book now. `read_now`: see _current."""
    now = now or timezone.now()
    _current(link, read_now=read_now)
    if link.status in USED:
        existing = link_appointment(link)
        if existing is not None:
            return existing
    step_require(link, Step.BOOK, now)
    # The compare-and-set on the link comes first: of any number of concurrent confirms from
    # one link exactly one gets past it; the others wait for it here and then see "booked".
    before = link_claim(link, LinkAction.BOOK, now)
    if before is None:
        existing = link_appointment(link)
        if existing is None:
            raise LinkNotUsable("This link can no longer be used to book.")
        return existing
    appointment = _book_held_time(
        link,
        before,
        start=start,
        therapist_id=therapist_id,
        moving=None,
        audit=(AuditAction.APPOINTMENT_CREATED, {"source": "online"}),
        now=now,
    )
    transaction.on_commit(BOOKINGS.inc)
    return appointment


def _book_held_time(
    link: BookingLink,
    before: LinkStatus | None,
    *,
    start: datetime,
    therapist_id: int | None,
    moving: Appointment | None,
    audit: tuple[AuditAction, dict[str, object]],
    now: datetime,
) -> Appointment:
    """What booking and moving share, once the link's step is allowed and claimed: the time
    held for the patient (taken again if the hold lapsed) becomes an appointment, or
    SlotTaken when staff or another patient got there first (raising undoes the caller's
    claim and any change too); then its history, audit, clinical contact, confirmation and
    reminders. `moving` is the appointment it replaces, already cancelled by the caller."""
    # The hold goes as its appointment comes, in this transaction.
    taken = hold_take(link_id=link.pk, now=now)
    hold = (
        taken
        if taken is not None and taken.start == start
        else _hold(
            link=link,
            start=start,
            therapist_id=therapist_id,
            prefer=moving.therapist_id if moving else None,
            now=now,
        )
    )
    kind = moving or link.rule  # a move keeps the appointment's kind; a booking takes the rule's
    # No savepoint of its own: SlotTaken leaves the caller's transaction, which rolls back.
    try:
        appointment = Appointment(
            service=link.service,
            therapist_id=hold.therapist_id,
            patient=link.patient,
            appointment_type=kind.appointment_type,
            start=hold.start,
            end=hold.end,
            medium=kind.medium,
            location=kind.location,
            location_cy=kind.location_cy,
            source=Source.ONLINE,
            booking_link=link,
            rescheduled_from=moving,
        )
        row_insert(appointment)
    except IntegrityError:
        raise SlotTaken("Sorry, that time has just been taken.") from None
    if hold is not taken:  # held again: that new hold is still in its row
        slot_hold_release(link=link)
    action, details = audit
    made = link_audit_event(action, link, PATIENT, now, appointment, details)
    link_event_record(
        link, before, actor=PATIENT, now=now, appointment=appointment, also_audit=made
    )
    row_insert(ClinicalContact(appointment=appointment))
    _send_confirmation(link, appointment, now, changed=moving is not None)
    if moving is not None:
        appointment_reminders_refresh(appointment=moving, now=now)
    appointment_reminders_refresh(appointment=appointment, now=now, new=True)
    return appointment


def _confirmation_text(appointment: Appointment, manage_token: str, *, changed: bool) -> str:
    # First name, date and time only: a text can be read by someone else.
    with language_of(appointment.patient.preferred_language):
        values = {
            "name": appointment.patient.first_name,
            "when": when(appointment.start, appointment.service.zone),
            "link": manage_link_url(manage_token),
        }
        if changed:
            return (
                _(
                    "Hello %(name)s, your appointment has been changed to %(when)s. "
                    "To see or change it: %(link)s"
                )
                % values
            )
        return (
            _(
                "Hello %(name)s, your appointment is booked for %(when)s. "
                "To see or change it: %(link)s"
            )
            % values
        )


def _send_confirmation(
    link: BookingLink, appointment: Appointment, now: datetime, *, changed: bool
) -> None:
    issue = manage_link_issue if changed else manage_link_create
    token = issue(link=link, now=now)
    if not (link.rule.send_confirmation_sms and link.patient.mobile):
        return
    message_queue(
        service=link.service,
        to=link.patient.mobile,
        kind=MessageKind.CONFIRMATION,
        body=_confirmation_text(appointment, token, changed=changed),
        patient=link.patient,
        about_kind=LINK_ABOUT,
        about_id=link.pk,
        appointment=appointment,
        urgent=True,
        now=now,
    )


@transaction.atomic
def appointment_reschedule(
    *,
    link: BookingLink,
    start: datetime,
    therapist_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move the booking's appointment to `start` for the patient: the old slot is freed and
    the new appointment booked in one transaction, so either both happen or neither.
    Idempotent per choice, as booking is: when the appointment is already at `start` (a
    double-submitted or repeated confirm), it is returned and nothing changes or is sent."""
    now = now or timezone.now()
    # Concurrent moves of one booking queue up here rather than interleave, so a repeat sees
    # the move the first one made.
    link = _locked_link(link)
    current = link_appointment(link)
    if current is None or current.status not in TIME_HOLDING:
        raise StepRefused(_("This appointment can no longer be changed online."))
    if current.start == start:
        return current
    step_require(link, Step.MOVE, now, current.start)
    current.status = appointment_status_change(current.status, AppointmentStatus.CANCELLED)
    current.cancellation_reason = "Rescheduled by patient"
    current.save(update_fields=["status", "cancellation_reason"])
    moved = _book_held_time(
        link,
        link_claim(link, LinkAction.RESCHEDULE, now),
        start=start,
        therapist_id=therapist_id,
        moving=current,
        audit=(AuditAction.APPOINTMENT_MOVED, {"moved_from": current.pk}),
        now=now,
    )
    if moved.therapist_id != current.therapist_id:
        patient = moved.patient.full_name
        _tell_therapist(
            moved,
            subject=f"New appointment: {patient}",
            body=(
                f"{patient} moved their {moved.appointment_type.name} appointment online and it "
                f"is now with you: {when(moved.start, moved.service.zone)}."
            ),
        )
    return moved


def _locked_link(link: BookingLink) -> BookingLink:
    return (
        BookingLink.objects.select_for_update()
        .select_related("rule", "patient", "service")
        .get(pk=link.pk)
    )


def _tell_therapist(appointment: Appointment, *, subject: str, body: str) -> None:
    """In the therapist's "Messages" inbox, if they have an account and the service uses
    Messages (internal_message_send decides the latter)."""
    user = appointment.therapist.user
    if user is None:
        return
    internal_message_send(recipient=user, subject=subject, body=body, appointment=appointment)


@transaction.atomic
def appointment_cancel_by_patient(
    *, link: BookingLink, reason: str, now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    link = _locked_link(link)
    current = link_appointment(link)
    if current is None or current.status not in TIME_HOLDING:
        raise StepRefused(_("This appointment can no longer be cancelled online."))
    step_require(link, Step.CANCEL, now, current.start)
    current.status = appointment_status_change(current.status, AppointmentStatus.CANCELLED)
    current.cancellation_reason = f"Cancelled by patient: {reason}"[:200]
    current.save(update_fields=["status", "cancellation_reason"])
    # Not the reason itself: the patient typed it, and it may say more than the log should.
    link_audit(AuditAction.APPOINTMENT_CANCELLED, link, PATIENT, now, current)
    appointment_reminders_refresh(appointment=current, now=now)
    before = link_claim(link, LinkAction.DELETE, now)
    link_event_record(
        link,
        before,
        actor=Actor(ActorKind.PATIENT, reason="Cancelled by patient"),
        now=now,
        appointment=current,
    )
    patient = current.patient.full_name
    _tell_therapist(
        current,
        subject=f"Cancelled: {patient}",
        body=(
            f"{patient} cancelled their {current.appointment_type.name} appointment online: "
            f"{when(current.start, current.service.zone)}. Their reason: {reason}"
        ),
    )
    return current


@transaction.atomic
def booking_link_delete_for_appointment(
    *, appointment: Appointment, actor: Actor, now: datetime
) -> bool:
    """The booking link that made `appointment` moves to deleted, the appointment named in its
    history. For the rule of when, see
    slotlink.records.services.appointments.appointment_taken_away."""
    if appointment.booking_link_id is None:
        return False
    link = BookingLink.objects.get(pk=appointment.booking_link_id)
    before = link_claim(link, LinkAction.DELETE, now)
    if before is None:
        return False  # deleted already: nothing more to record
    link_event_record(link, before, actor=actor, now=now, appointment=appointment)
    return True
