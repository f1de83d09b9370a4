"""Write-side operations on booking links. Each is atomic; every status change goes through
`_transition`, which checks the transition table and records who or what caused it."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.audit.services import audit_event, audit_record_all
from slotlink.booking.links.reads import link_with_token_hash, session_link
from slotlink.booking.links.steps import Step, step_refusal
from slotlink.booking.models import (
    DISCREET_SMS_TEMPLATE,
    LINK_ABOUT,
    ActorKind,
    BookingLink,
    BookingLinkEvent,
    BroadcastRule,
)
from slotlink.clinic.models import (
    Appointment,
    Patient,
    User,
)
from slotlink.domain.link_lifecycle import (
    LIVE,
    LinkAction,
    LinkStatus,
    next_status,
    sources_of,
)
from slotlink.lib.crypto import decrypt, encrypt, new_token, token_hash
from slotlink.lib.inserts import row_insert
from slotlink.lib.language import language_of
from slotlink.lib.sms import render_sms
from slotlink.lib.sqlnames import quoted_names
from slotlink.messaging.models import Channel, MessageKind
from slotlink.messaging.services import (
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


def link_audit(
    action: AuditAction,
    link: BookingLink,
    actor: Actor,
    now: datetime,
    subject: Appointment | None = None,
    details: dict[str, object] | None = None,
) -> None:
    audit_record_all([link_audit_event(action, link, actor, now, subject, details)])


def link_audit_event(
    action: AuditAction,
    link: BookingLink,
    actor: Actor,
    now: datetime,
    subject: Appointment | None = None,
    details: dict[str, object] | None = None,
) -> AuditEvent:
    """What link_audit writes, not yet written (see link_event_record's `also_audit`)."""
    return audit_event(
        action=action,
        by=_who(actor),
        subject=subject or link,
        patient_id=link.patient_id,
        service_id=link.service_id,
        details={"link": link.pk, **(details or {})} if subject is not None else details,
        now=now,
    )


def step_require(
    link: BookingLink, step: Step, now: datetime, start: datetime | None = None
) -> None:
    refusal = step_refusal(link, step, now, start)
    if refusal is not None:
        raise (LinkNotUsable if refusal.link_ended else StepRefused)(refusal.reason)


def link_reread(link: BookingLink) -> None:
    """The link's status, patient and service as they are now, not as the caller loaded them:
    a service judges the patient's step on the record as it stands (a discharge or the
    service's switch may have changed since the page read them)."""
    fresh = session_link(link.pk)
    if fresh is None:
        raise BookingLink.DoesNotExist
    link.status, link.patient, link.service = fresh.status, fresh.patient, fresh.service


def booking_link_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/b/{token}"


def booking_link_token(link: BookingLink) -> str | None:
    return decrypt(link.token_encrypted)


# The statuses whose time the link keeps (see BookingLink), and where.
_STATUS_TIME = {
    LinkStatus.ACCESSED: "accessed_at",
    LinkStatus.BOOKED: "booked_at",
    LinkStatus.EXPIRED: "expired_at",
}


def link_claim(link: BookingLink, action: LinkAction, now: datetime) -> LinkStatus | None:
    """Compare-and-set the link's status, stamping when it reached a status the dashboard
    counts (`now`, which the caller also gives the event). Returns the status it had, or None
    when another request changed the link first (then this one must do nothing)."""
    before = LinkStatus(link.status)
    target = next_status(before, action)
    stamp = _STATUS_TIME.get(target)
    sources = [status.value for status in sources_of(action)]
    sql, stamp_field = _claim_sql(connection.vendor, stamp, len(sources))
    params: list[Any] = [target.value]
    if stamp_field is not None:
        params.append(stamp_field.get_db_prep_save(now, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, link.pk, *sources])
        changed = cursor.rowcount
    if not changed:
        return None
    link.status = target
    if stamp is not None:
        setattr(link, stamp, now)
    return before


@cache
def _claim_sql(
    vendor: str, stamp: str | None, sources: int
) -> tuple[str, "models.Field[Any, Any] | None"]:
    """link_claim's compare-and-set from any of that many statuses, stamping the `stamp` field
    if any, and that field (`vendor` keys the cache). Made once from the model's own names:
    every booking claims its link twice (opened, booked), and building the ORM's update each
    time cost more CPU than the database spent running it."""
    names = quoted_names(BookingLink)
    fields = {field.name: field for field in BookingLink._meta.concrete_fields}
    stamp_field = fields[stamp] if stamp else None
    stamped = f", {names.columns[stamp]} = %s" if stamp else ""
    template = "UPDATE {links} SET {status} = %s{stamped} WHERE {id} = %s AND {status} IN ({some})"
    sql = template.format(  # nosec B608
        links=names.table,
        status=names.columns["status"],
        stamped=stamped,
        id=names.columns["id"],
        some=", ".join(["%s"] * sources),
    )
    return sql, stamp_field


def link_event_record(
    link: BookingLink,
    before: LinkStatus | None,
    *,
    actor: Actor,
    now: datetime,
    appointment: Appointment | None = None,
    also_audit: AuditEvent | None = None,
) -> None:
    """The link's move to its status, in its history and the audit log. `also_audit` (from
    link_audit_event) is written with the move's own audit row, in one statement."""
    event = BookingLinkEvent(
        link=link,
        from_status=before or "",
        to_status=link.status,
        occurred_at=now,
        actor_kind=actor.kind,
        actor=actor.user,
        reason=actor.reason,
        appointment=appointment,
    )
    row_insert(event)
    events = []
    action = _LINK_AUDIT.get(LinkStatus(link.status))
    if action is not None:
        reason = {"reason": actor.reason} if actor.reason else {}
        details = {"rule": link.rule_id, **reason}
        events.append(link_audit_event(action, link, actor, now, details=details))
    if also_audit is not None:
        events.append(also_audit)
    audit_record_all(events)


def _transition(link: BookingLink, action: LinkAction, *, actor: Actor, now: datetime) -> bool:
    before = link_claim(link, action, now)
    if before is None:
        return False
    link_event_record(link, before, actor=actor, now=now)
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
    link_event_record(link, None, actor=Actor.staff(sent_by), now=now)
    message_queue(
        service=service,
        to=patient.mobile,
        body=_link_text(link, token),
        kind=MessageKind.BOOKING_LINK,
        patient=patient,
        about_kind=LINK_ABOUT,
        about_id=link.pk,
        now=now,
    )
    return LinkSent(link, token)


def _link_text(link: BookingLink, token: str) -> str:
    """The booking link's text in the patient's language: the rule's Welsh text where the
    service wrote one, else its English; the date in that text's language."""
    rule = link.rule
    language = link.patient.preferred_language
    if rule.discreet_sms:
        with language_of(language):
            template = str(DISCREET_SMS_TEMPLATE)
    else:
        template = rule.sms_template
        if language == "cy" and rule.sms_template_cy.strip():
            template = rule.sms_template_cy
        else:
            language = "en"
    with language_of(language):
        return render_sms(
            template,
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
        about_kind=LINK_ABOUT,
        about_id=link.pk,
        subject=_email_subject(link),
    )
    link_audit(
        AuditAction.LINK_SENT_AGAIN,
        link,
        Actor.staff(user),
        timezone.now(),
        details={"channel": channel},
    )


def _email_subject(link: BookingLink) -> str:
    with language_of(link.patient.preferred_language):
        return _("Book your appointment with %(service)s") % {"service": link.service.name}


def booking_link_find(token: str) -> BookingLink | None:
    # Always hash and query, whatever the token looks like: a malformed or over-long token
    # takes as long to refuse as a well-formed unknown one, and tells a guesser nothing.
    return link_with_token_hash(token_hash(token))


@transaction.atomic
def booking_link_open(*, link: BookingLink, now: datetime | None = None) -> None:
    """The patient's first open of a live link marks it accessed; later opens change nothing."""
    now = now or timezone.now()
    first = link.status == LinkStatus.SENT and now < link.expires_at
    if first:
        _transition(link, LinkAction.OPEN, actor=PATIENT, now=now)
    link_audit(
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


# Links expired a round at most: a round stays short however many fell due at once.
EXPIRE_BATCH = 500


def booking_links_expire_overdue(*, now: datetime | None = None) -> int:
    """Record the expiry of live links whose validity has ended, the longest overdue first,
    up to EXPIRE_BATCH (the next round takes the rest); returns how many."""
    now = now or timezone.now()
    expired = 0
    overdue = BookingLink.objects.filter(status__in=LIVE, expires_at__lte=now)
    # Read whole, not through iterator(): a batch is small, and a server-side cursor held
    # across each expiry's transaction breaks behind a pooler in transaction mode.
    for link in overdue.order_by("expires_at")[:EXPIRE_BATCH]:
        if booking_link_expire(
            link=link, actor=Actor(ActorKind.SYSTEM, reason="Validity ended"), now=now
        ):
            expired += 1
    return expired
