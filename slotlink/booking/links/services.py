"""Write-side operations on booking links. Each is atomic; every status change goes through
`_transition`, which checks the transition table and records who or what caused it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.booking.manage_services import manage_link_issue, manage_link_url
from slotlink.booking.models import (
    DISCREET_SMS_TEMPLATE,
    ActorKind,
    BookingLink,
    BookingLinkEvent,
    BroadcastRule,
    SlotHold,
)
from slotlink.booking.patient_steps import Step, step_refusal
from slotlink.booking.selectors import rule_free_therapists
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    AppointmentStatus,
    ClinicalContact,
    Patient,
    Source,
    User,
)
from slotlink.domain.link_lifecycle import (
    LIVE,
    USED,
    LinkAction,
    LinkStatus,
    next_status,
    sources_of,
)
from slotlink.lib.crypto import decrypt, encrypt, new_token, token_hash
from slotlink.lib.formatting import when
from slotlink.lib.metrics import BOOKINGS
from slotlink.lib.sms import render_sms
from slotlink.messaging.models import Channel, MessageKind
from slotlink.messaging.services import (
    appointment_reminders_refresh,
    internal_message_send,
    message_queue,
)


class BookingError(Exception):
    """A booking operation that cannot go ahead; the message is fit to show a person."""


class StepRefused(BookingError):
    """The patient may not take this step now (patient_steps.step_refusal says why)."""


class LinkNotUsable(StepRefused):
    """The link itself can no longer be used for it, whoever holds it."""


class SlotTaken(BookingError):
    pass


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user: User | None = None
    reason: str = ""

    @classmethod
    def staff(cls, user: User, reason: str = "") -> "Actor":
        return cls(ActorKind.STAFF, user, reason)


PATIENT = Actor(ActorKind.PATIENT)

# The audit log's name for each status a link moves to (opening is audited on every open, in
# booking_link_open, not only the first).
_LINK_AUDIT = {
    LinkStatus.SENT: AuditAction.LINK_SENT,
    LinkStatus.BOOKED: AuditAction.LINK_BOOKED,
    LinkStatus.RESCHEDULED: AuditAction.LINK_RESCHEDULED,
    LinkStatus.EXPIRED: AuditAction.LINK_EXPIRED,
    LinkStatus.DELETED: AuditAction.LINK_DELETED,
}


def _who(actor: Actor) -> User | Who:
    return actor.user if actor.user is not None else Who(actor.kind)


def _audit(
    action: AuditAction,
    link: BookingLink,
    actor: Actor,
    now: datetime,
    subject: Appointment | None = None,
    details: dict[str, object] | None = None,
) -> None:
    audit_record(
        action=action,
        by=_who(actor),
        subject=subject or link,
        patient_id=link.patient_id,
        service_id=link.service_id,
        details={"link": link.pk, **(details or {})} if subject is not None else details,
        now=now,
    )


def _require(link: BookingLink, step: Step, now: datetime, start: datetime | None = None) -> None:
    refusal = step_refusal(link, step, now, start)
    if refusal is not None:
        raise (LinkNotUsable if refusal.link_ended else StepRefused)(refusal.reason)


def _reread(link: BookingLink) -> None:
    """The link's status, patient and service as they are now, not as the caller loaded them:
    a service judges the patient's step on the record as it stands (a discharge or the
    service's switch may have changed since the page read them)."""
    fresh = BookingLink.objects.select_related("patient", "service").get(pk=link.pk)
    link.status, link.patient, link.service = fresh.status, fresh.patient, fresh.service


def booking_link_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/b/{token}"


def booking_link_token(link: BookingLink) -> str | None:
    return decrypt(link.token_encrypted)


def _claim(link: BookingLink, action: LinkAction) -> LinkStatus | None:
    """Compare-and-set the link's status. Returns the status it had, or None when another
    request changed the link first (then this one must do nothing)."""
    before = LinkStatus(link.status)
    target = next_status(before, action)
    changed = BookingLink.objects.filter(
        pk=link.pk, status__in=[s.value for s in sources_of(action)]
    ).update(status=target)
    if not changed:
        return None
    link.status = target
    return before


def _record(
    link: BookingLink,
    before: LinkStatus | None,
    *,
    actor: Actor,
    now: datetime,
    appointment: Appointment | None = None,
) -> None:
    BookingLinkEvent.objects.create(
        link=link,
        from_status=before or "",
        to_status=link.status,
        occurred_at=now,
        actor_kind=actor.kind,
        actor=actor.user,
        reason=actor.reason,
        appointment=appointment,
    )
    action = _LINK_AUDIT.get(LinkStatus(link.status))
    if action is not None:
        reason = {"reason": actor.reason} if actor.reason else {}
        _audit(action, link, actor, now, details={"rule": link.rule_id, **reason})


def _transition(link: BookingLink, action: LinkAction, *, actor: Actor, now: datetime) -> bool:
    before = _claim(link, action)
    if before is None:
        return False
    _record(link, before, actor=actor, now=now)
    return True


# A second send of one rule to one patient this soon after the first is a double click or a
# second tab, not a decision: the live link is shown again instead of making a second link
# and text. Minutes, not longer: a deliberate fresh send a little later is never blocked, and
# meanwhile "Send again" and "Expire link" are on the page.
RESEND_GUARD = timedelta(minutes=5)


@dataclass(frozen=True)
class LinkSent:
    link: BookingLink
    token: str
    # The live link sent moments ago, returned instead of a new one: nothing was sent now.
    shown_again: bool = False


def booking_link_send(
    *, patient: Patient, rule: BroadcastRule, sent_by: User, now: datetime | None = None
) -> tuple[BookingLink, str]:
    """booking_link_send_or_show, for callers that need only the link and its token."""
    sent = booking_link_send_or_show(patient=patient, rule=rule, sent_by=sent_by, now=now)
    return sent.link, sent.token


@transaction.atomic
def booking_link_send_or_show(
    *, patient: Patient, rule: BroadcastRule, sent_by: User, now: datetime | None = None
) -> LinkSent:
    """Create a link for `patient` to book under `rule`, and queue its SMS; or, when a link
    for this rule went to this patient less than RESEND_GUARD ago and is still live, return
    that one and send nothing. The token is returned too (the only time it exists in plain
    form outside an SMS)."""
    now = now or timezone.now()
    service = patient.service
    if not service.online_booking_enabled:
        raise BookingError("Online appointment booking is switched off for this service.")
    if rule.service_id != service.pk or not rule.active:
        raise BookingError("Choose one of this service's appointment types.")
    # Sends to one patient queue up on the patient's row: the second of two simultaneous
    # sends waits here and then finds the first one's link; and the record's flags and
    # number are read as they are now, not as the page saw them.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.service = service
    if not patient.mobile:
        raise BookingError("This patient has no mobile number, so a text cannot be sent.")
    if patient.do_not_sms:
        raise BookingError("This patient's record says not to contact them by SMS.")
    if patient.discharged_at is not None:
        raise BookingError("This patient has been discharged.")
    recent = (
        BookingLink.objects.filter(
            patient=patient,
            rule=rule,
            status__in=LIVE,
            expires_at__gt=now,
            created_at__gt=now - RESEND_GUARD,
        )
        .order_by("-created_at")
        .first()
    )
    recent_token = booking_link_token(recent) if recent is not None else None
    if recent is not None and recent_token is not None:
        return LinkSent(recent, recent_token, shown_again=True)
    token = new_token()
    link = BookingLink.objects.create(
        service=service,
        patient=patient,
        rule=rule,
        token_hash=token_hash(token),
        token_encrypted=encrypt(token),
        status=LinkStatus.SENT,
        sent_by=sent_by,
        created_at=now,
        expires_at=now + timedelta(days=rule.link_valid_days),
    )
    _record(link, None, actor=Actor.staff(sent_by), now=now)
    message_queue(
        service=service,
        to=patient.mobile,
        body=_link_text(link, token),
        kind=MessageKind.BOOKING_LINK,
        patient=patient,
        booking_link=link,
        now=now,
    )
    return LinkSent(link, token)


def _link_text(link: BookingLink, token: str) -> str:
    return render_sms(
        DISCREET_SMS_TEMPLATE if link.rule.discreet_sms else link.rule.sms_template,
        first_name=link.patient.first_name,
        service_name=link.service.name,
        link=booking_link_url(token),
        expiry_date=link.expires_at.astimezone(link.service.zone).date(),
    )


@transaction.atomic
def booking_link_resend(*, link: BookingLink, channel: Channel, user: User) -> None:
    """Send a live link again, by text or by email, e.g. when the patient lost the first."""
    # The patient's row first, as a change to their record takes it: a resend racing a new
    # mobile number waits for it, then finds the link expired, and never texts the old
    # number's link to the new one.
    patient = Patient.objects.select_for_update().get(pk=link.patient_id)
    link.refresh_from_db(fields=["status"])
    if link.status not in LIVE or timezone.now() >= link.expires_at:
        why = link.events.order_by("-occurred_at", "-pk").values_list("reason", flat=True).first()
        raise BookingError(
            f"This link can no longer be used{f' ({why})' if why else ''}, so it cannot be "
            "sent again. Send a new link instead."
        )
    token = booking_link_token(link)
    if token is None:
        raise BookingError("This link cannot be read back any more; send a new one instead.")
    if channel == Channel.SMS and patient.do_not_sms:
        raise BookingError("This patient's record says not to contact them by SMS.")
    to = patient.email if channel == Channel.EMAIL else patient.mobile
    if not to:
        raise BookingError(
            "This patient has no email address."
            if channel == Channel.EMAIL
            else "This patient has no mobile number."
        )
    message_queue(
        service=link.service,
        to=to,
        body=_link_text(link, token),
        kind=MessageKind.AD_HOC,
        channel=channel,
        patient=patient,
        booking_link=link,
        subject=f"Book your appointment with {link.service.name}",
    )
    _audit(
        AuditAction.LINK_SENT_AGAIN,
        link,
        Actor.staff(user),
        timezone.now(),
        details={"channel": channel},
    )


def booking_link_find(token: str) -> BookingLink | None:
    # Always hash and query, whatever the token looks like: a malformed or over-long token
    # takes as long to refuse as a well-formed unknown one, and tells a guesser nothing.
    return (
        BookingLink.objects.select_related(
            "rule__service", "rule__appointment_type", "service", "patient"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def booking_link_open(*, link: BookingLink, now: datetime | None = None) -> None:
    """The patient's first open of a live link marks it accessed; later opens change nothing."""
    now = now or timezone.now()
    first = link.status == LinkStatus.SENT and now < link.expires_at
    if first:
        _transition(link, LinkAction.OPEN, actor=PATIENT, now=now)
    _audit(
        AuditAction.LINK_OPENED, link, PATIENT, now, details={"first": first, "status": link.status}
    )


@transaction.atomic
def booking_link_expire(*, link: BookingLink, actor: Actor, now: datetime | None = None) -> bool:
    """Stop a live link from being used ("Expire link", booked by phone, validity ended)."""
    now = now or timezone.now()
    link.refresh_from_db(fields=["status"])
    if link.status not in LIVE:
        return False
    return _transition(link, LinkAction.EXPIRE, actor=actor, now=now)


def booking_links_expire_overdue(*, now: datetime | None = None) -> int:
    """Record the expiry of every live link whose validity has ended; returns how many."""
    now = now or timezone.now()
    expired = 0
    overdue = BookingLink.objects.filter(status__in=LIVE, expires_at__lte=now)
    for link in overdue.iterator():
        if booking_link_expire(
            link=link, actor=Actor(ActorKind.SYSTEM, reason="Validity ended"), now=now
        ):
            expired += 1
    return expired


def link_appointment(link: BookingLink) -> Appointment | None:
    """The appointment a used link currently stands for (the latest, after any reschedule)."""
    return (
        link.appointments.select_related("therapist", "appointment_type")
        .filter(status__in=TIME_HOLDING)
        .order_by("-created_at")
        .first()
    ) or link.appointments.order_by("-created_at").first()


def _fairest_order(therapist_ids: list[int], day_start: datetime, day_end: datetime) -> list[int]:
    """Therapists with fewer online bookings that day first, to spread the work."""
    counts = dict(
        Appointment.objects.filter(
            therapist_id__in=therapist_ids,
            source=Source.ONLINE,
            status__in=TIME_HOLDING,
            start__gte=day_start,
            start__lt=day_end,
        )
        .values_list("therapist_id")
        .annotate(n=Count("pk"))
        .values_list("therapist_id", "n")
    )
    return sorted(therapist_ids, key=lambda tid: (counts.get(tid, 0), tid))


def _local_day_bounds(moment: datetime, rule: BroadcastRule) -> tuple[datetime, datetime]:
    zone = rule.service.zone
    day: date = moment.astimezone(zone).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end


@transaction.atomic
def slot_hold_acquire(
    *,
    link: BookingLink,
    start: datetime,
    therapist_id: int | None = None,
    prefer: int | None = None,
    now: datetime | None = None,
) -> SlotHold:
    """Reserve `start` for this link's patient while they review it, with the therapist they
    chose (where the rule lets them choose) or else the one the fairness order prefers among
    those free. Replaces the link's earlier hold. Raises SlotTaken when nobody suitable is
    free then (or the time or therapist is not one the rule offers), StepRefused when the
    patient may not book or move now."""
    now = now or timezone.now()
    _reread(link)
    if link.status in USED:
        current = link_appointment(link)
        _require(link, Step.MOVE, now, current.start if current else None)
    else:
        _require(link, Step.BOOK, now)
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
    SlotHold.objects.filter(link=link).delete()
    candidates = rule_free_therapists(rule, now, start, for_link=link.pk)
    if therapist_id is not None:
        candidates = [tid for tid in candidates if tid == therapist_id]
    end = start + timedelta(minutes=rule.duration_minutes)
    # Lapsed holds still occupy their rows; clear the ones in the way.
    SlotHold.objects.filter(
        therapist_id__in=candidates, start__lt=end, end__gt=start, expires_at__lte=now
    ).delete()
    ordered = _fairest_order(candidates, *_local_day_bounds(start, rule))
    if prefer in ordered:  # e.g. the patient's own therapist, when they move an appointment
        ordered.remove(prefer)
        ordered.insert(0, prefer)
    for therapist_id in ordered:
        try:
            with transaction.atomic():
                return SlotHold.objects.create(
                    link=link,
                    therapist_id=therapist_id,
                    start=start,
                    end=end,
                    expires_at=now + timedelta(minutes=rule.hold_minutes),
                )
        except IntegrityError:
            continue  # another patient's hold got there first: the database said no
    raise SlotTaken("Sorry, that time has just been taken.")


def slot_hold_release(*, link: BookingLink) -> None:
    SlotHold.objects.filter(link=link).delete()


def slot_hold_of(link: BookingLink, now: datetime) -> SlotHold | None:
    return SlotHold.objects.filter(link=link, expires_at__gt=now).first()


@transaction.atomic
def booking_link_book(
    *,
    link: BookingLink,
    start: datetime,
    therapist_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book the appointment the patient confirmed, with the therapist held for them (a lapsed
    hold is taken again if the time is still free). Idempotent per link: a repeated confirm
    returns the appointment the link already made. Raises SlotTaken when nobody is free at
    `start` any more, LinkNotUsable when the link can no longer book, StepRefused when the
    patient may not book now."""
    now = now or timezone.now()
    _reread(link)
    if link.status in USED:
        existing = link_appointment(link)
        if existing is not None:
            return existing
    _require(link, Step.BOOK, now)
    # The compare-and-set on the link comes first: of any number of concurrent confirms from
    # one link exactly one gets past it; the others wait for it here and then see "booked".
    before = _claim(link, LinkAction.BOOK)
    if before is None:
        existing = link_appointment(link)
        if existing is None:
            raise LinkNotUsable("This link can no longer be used to book.")
        return existing
    hold = slot_hold_of(link, now)
    if hold is None or hold.start != start:
        hold = _hold(link=link, start=start, therapist_id=therapist_id, prefer=None, now=now)
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                service=link.service,
                therapist_id=hold.therapist_id,
                patient=link.patient,
                appointment_type=link.rule.appointment_type,
                start=hold.start,
                end=hold.end,
                medium=link.rule.medium,
                location=link.rule.location,
                source=Source.ONLINE,
                booking_link=link,
            )
    except IntegrityError:
        # Staff put an appointment there meanwhile. Raising undoes the link's claim too.
        raise SlotTaken("Sorry, that time has just been taken.") from None
    hold.delete()
    _record(link, before, actor=PATIENT, now=now, appointment=appointment)
    _audit(AuditAction.APPOINTMENT_CREATED, link, PATIENT, now, appointment, {"source": "online"})
    ClinicalContact.objects.create(appointment=appointment)
    _send_confirmation(link, appointment, now, changed=False)
    appointment_reminders_refresh(appointment=appointment, now=now)
    transaction.on_commit(BOOKINGS.inc)
    return appointment


def _confirmation_text(appointment: Appointment, manage_token: str, *, changed: bool) -> str:
    # First name, date and time only: a text can be read by someone else.
    what = "has been changed to" if changed else "is booked for"
    return (
        f"Hello {appointment.patient.first_name}, your appointment {what} "
        f"{when(appointment.start, appointment.service.zone)}. "
        f"To see or change it: {manage_link_url(manage_token)}"
    )


def _send_confirmation(
    link: BookingLink, appointment: Appointment, now: datetime, *, changed: bool
) -> None:
    token = manage_link_issue(link=link, now=now)
    if not (link.rule.send_confirmation_sms and link.patient.mobile):
        return
    message_queue(
        service=link.service,
        to=link.patient.mobile,
        kind=MessageKind.CONFIRMATION,
        body=_confirmation_text(appointment, token, changed=changed),
        patient=link.patient,
        booking_link=link,
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
        raise StepRefused("This appointment can no longer be changed online.")
    if current.start == start:
        return current
    _require(link, Step.MOVE, now, current.start)
    hold = slot_hold_of(link, now)
    if hold is None or hold.start != start:
        hold = _hold(
            link=link,
            start=start,
            therapist_id=therapist_id,
            prefer=current.therapist_id,
            now=now,
        )
    current.status = AppointmentStatus.CANCELLED
    current.cancellation_reason = "Rescheduled by patient"
    current.save(update_fields=["status", "cancellation_reason"])
    try:
        with transaction.atomic():
            moved = Appointment.objects.create(
                service=link.service,
                therapist_id=hold.therapist_id,
                patient=link.patient,
                appointment_type=current.appointment_type,
                start=hold.start,
                end=hold.end,
                medium=current.medium,
                location=current.location,
                source=Source.ONLINE,
                booking_link=link,
                rescheduled_from=current,
            )
    except IntegrityError:
        raise SlotTaken("Sorry, that time has just been taken.") from None
    hold.delete()
    before = _claim(link, LinkAction.RESCHEDULE)
    _record(link, before, actor=PATIENT, now=now, appointment=moved)
    _audit(AuditAction.APPOINTMENT_MOVED, link, PATIENT, now, moved, {"moved_from": current.pk})
    ClinicalContact.objects.create(appointment=moved)
    appointment_reminders_refresh(appointment=current, now=now)
    appointment_reminders_refresh(appointment=moved, now=now)
    _send_confirmation(link, moved, now, changed=True)
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
        raise StepRefused("This appointment can no longer be cancelled online.")
    _require(link, Step.CANCEL, now, current.start)
    current.status = AppointmentStatus.CANCELLED
    current.cancellation_reason = f"Cancelled by patient: {reason}"[:200]
    current.save(update_fields=["status", "cancellation_reason"])
    # Not the reason itself: the patient typed it, and it may say more than the log should.
    _audit(AuditAction.APPOINTMENT_CANCELLED, link, PATIENT, now, current)
    appointment_reminders_refresh(appointment=current, now=now)
    before = _claim(link, LinkAction.DELETE)
    _record(
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
    history. For the rule of when, see slotlink.clinic.services.appointment_taken_away."""
    if appointment.booking_link_id is None:
        return False
    link = BookingLink.objects.get(pk=appointment.booking_link_id)
    before = _claim(link, LinkAction.DELETE)
    if before is None:
        return False  # deleted already: nothing more to record
    _record(link, before, actor=actor, now=now, appointment=appointment)
    return True
