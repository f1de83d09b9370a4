"""Write-side operations on booking links. Each is atomic; every status change goes through
`_transition`, which checks the transition table and records who or what caused it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from slotlink.booking.models import (
    ActorKind,
    BookingLink,
    BookingLinkEvent,
    BroadcastRule,
    SlotHold,
)
from slotlink.booking.selectors import rule_free_therapists
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    ClinicalContact,
    Patient,
    Source,
    User,
)
from slotlink.crypto import decrypt, encrypt, new_token, token_hash
from slotlink.domain.link_lifecycle import (
    LIVE,
    USED,
    LinkAction,
    LinkStatus,
    next_status,
    sources_of,
)
from slotlink.messaging.models import MessageKind
from slotlink.messaging.services import message_queue
from slotlink.sms import render_sms


class BookingError(Exception):
    """A booking operation that cannot go ahead; the message is fit to show a person."""


class LinkNotUsable(BookingError):
    pass


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


def _transition(link: BookingLink, action: LinkAction, *, actor: Actor, now: datetime) -> bool:
    before = _claim(link, action)
    if before is None:
        return False
    _record(link, before, actor=actor, now=now)
    return True


@transaction.atomic
def booking_link_send(
    *, patient: Patient, rule: BroadcastRule, sent_by: User, now: datetime | None = None
) -> tuple[BookingLink, str]:
    """Create a link for `patient` to book under `rule`, and queue its SMS. Returns the link
    and its token (the only time the token exists in plain form outside an SMS)."""
    now = now or timezone.now()
    service = patient.service
    if not service.online_booking_enabled:
        raise BookingError("Online appointment booking is switched off for this service.")
    if rule.service_id != service.pk or not rule.active:
        raise BookingError("Choose one of this service's appointment types.")
    if not patient.mobile:
        raise BookingError("This patient has no mobile number, so a text cannot be sent.")
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
    body = render_sms(
        rule.sms_template,
        first_name=patient.first_name,
        service_name=service.name,
        link=booking_link_url(token),
        expiry_date=link.expires_at.astimezone(service.zone).date(),
    )
    message_queue(
        service=service,
        to=patient.mobile,
        body=body,
        kind=MessageKind.BOOKING_LINK,
        patient=patient,
        booking_link=link,
        now=now,
    )
    return link, token


def booking_link_find(token: str) -> BookingLink | None:
    if not token or len(token) > 100:
        return None
    return (
        BookingLink.objects.select_related("rule", "service", "patient")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def booking_link_open(*, link: BookingLink, now: datetime | None = None) -> None:
    """The patient's first open of a live link marks it accessed; later opens change nothing."""
    now = now or timezone.now()
    if link.status == LinkStatus.SENT and now < link.expires_at:
        _transition(link, LinkAction.OPEN, actor=PATIENT, now=now)


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
    now: datetime | None = None,
) -> SlotHold:
    """Reserve `start` for this link's patient while they review it, with the therapist they
    chose or else the one the fairness order prefers among those free. Replaces the link's
    earlier hold. Raises SlotTaken when nobody suitable is free then (or the time is not one
    the rule offers)."""
    now = now or timezone.now()
    rule = link.rule
    SlotHold.objects.filter(link=link).delete()
    candidates = rule_free_therapists(rule, now, start, for_link=link.pk)
    if therapist_id is not None:
        candidates = [tid for tid in candidates if tid == therapist_id]
    end = start + timedelta(minutes=rule.duration_minutes)
    # Lapsed holds still occupy their rows; clear the ones in the way.
    SlotHold.objects.filter(
        therapist_id__in=candidates, start__lt=end, end__gt=start, expires_at__lte=now
    ).delete()
    for therapist_id in _fairest_order(candidates, *_local_day_bounds(start, rule)):
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
    `start` any more, LinkNotUsable when the link can no longer book."""
    now = now or timezone.now()
    link.refresh_from_db(fields=["status"])
    if link.status in USED:
        existing = link_appointment(link)
        if existing is not None:
            return existing
    if link.status not in LIVE or now >= link.expires_at:
        raise LinkNotUsable("This link can no longer be used to book.")
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
        hold = slot_hold_acquire(link=link, start=start, therapist_id=therapist_id, now=now)
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
    ClinicalContact.objects.create(appointment=appointment)
    if link.rule.send_confirmation_sms and link.patient.mobile:
        message_queue(
            service=link.service,
            to=link.patient.mobile,
            kind=MessageKind.CONFIRMATION,
            body=_confirmation_text(appointment),
            patient=link.patient,
            booking_link=link,
            now=now,
        )
    return appointment


def _confirmation_text(appointment: Appointment) -> str:
    zone = appointment.service.zone
    local = appointment.start.astimezone(zone)
    return (
        f"Your appointment with {appointment.service.name} is booked for "
        f"{local:%A} {local.day} {local:%B} at {local:%H:%M}."
    )


@transaction.atomic
def booking_link_delete_for_appointment(*, link_id: int, actor: Actor, now: datetime) -> bool:
    link = BookingLink.objects.get(pk=link_id)
    return _transition(link, LinkAction.DELETE, actor=actor, now=now)
