"""The outbox: persist first, send from a task, never twice.

A message row, and a task that will send it, are written in the transaction of the change
that causes them. Sending claims rows with a compare-and-set (queued -> sending), so however
many workers run sending tasks only one calls the provider for each message. A failure that
may have reached the provider is settled by asking the provider for our reference before
sending again."""

import hmac
import logging
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    InternalMessage,
    Patient,
    Service,
    SmsProvider,
    User,
)
from slotlink.lib.crypto import decrypt, encrypt, token_hash
from slotlink.lib.formatting import when
from slotlink.messaging.backends import (
    EmailBackend,
    MessageBackend,
    NotifyBackend,
    OutboxBackend,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
    TwilioBackend,
)
from slotlink.messaging.models import (
    STATUS_RANK,
    Channel,
    MessageEvent,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)

logger = logging.getLogger(__name__)

# How many due messages a sending task claims at a time.
BATCH_SIZE = 25
# How long one sending task drains the outbox before leaving the rest to a fresh task, so a
# long backlog never keeps a worker from its other tasks.
DRAIN_SECONDS = 10
# A message claimed this long ago and still "sending" belonged to a worker that died (a batch
# of BATCH_SIZE whose every provider call timed out takes about BATCH_SIZE × 10 seconds).
STUCK_AFTER = timedelta(minutes=15)


def sms_backend(service: Service | None = None) -> MessageBackend:
    """The service's own provider where a superuser has set one up, else the deployment's."""
    provider, account, secret = settings.SMS_PROVIDER, "", ""
    if service is not None and service.sms_provider:
        provider, account = service.sms_provider, service.sms_account_id
        secret = decrypt(service.sms_secret_encrypted) or ""
    if provider == "notify":
        return NotifyBackend(
            api_key=secret or settings.NOTIFY_API_KEY,
            template_id=account or settings.NOTIFY_SMS_TEMPLATE_ID,
            base_url=settings.NOTIFY_BASE_URL,
        )
    if provider == "twilio":
        return TwilioBackend(
            account_sid=account or settings.TWILIO_ACCOUNT_SID,
            auth_token=secret or settings.TWILIO_AUTH_TOKEN,
            sender=(service.sms_sender_name if service else "") or settings.TWILIO_FROM,
            base_url=settings.TWILIO_BASE_URL,
        )
    return OutboxBackend()


def twilio_auth_token(service: Service) -> str:
    """The token Twilio signs this service's status callbacks with."""
    if service.sms_provider == "twilio" and service.sms_secret_encrypted:
        return decrypt(service.sms_secret_encrypted) or ""
    return settings.TWILIO_AUTH_TOKEN


def backend_for(message: OutboundMessage) -> MessageBackend:
    return EmailBackend() if message.channel == Channel.EMAIL else sms_backend(message.service)


def quiet_hours_end(service: Service, moment: datetime) -> datetime:
    """`moment`, or the end of the service's quiet hours if it falls inside them."""
    start, end = service.quiet_from, service.quiet_until
    if start is None or end is None or start == end:
        return moment
    zone = service.zone
    local = moment.astimezone(zone)
    clock = local.time()
    overnight = start > end  # e.g. 21:00 to 08:00
    quiet = (clock >= start or clock < end) if overnight else (start <= clock < end)
    if not quiet:
        return moment
    day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=zone)


def message_queue(
    *,
    service: Service,
    to: str,
    body: str,
    kind: MessageKind,
    patient: Patient | None = None,
    about_kind: str = "",
    about_id: int | None = None,
    appointment: Appointment | None = None,
    channel: Channel = Channel.SMS,
    subject: str = "",
    urgent: bool = False,
    not_before: datetime | None = None,
    for_start: datetime | None = None,
    reminder_hours: int | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """Store a message and enqueue its sending, in the caller's transaction: every message
    to a patient is queued here. `about_kind` and `about_id` name what it is about, as the
    caller's app names it (e.g. "booking_link", 42), for finding it from there. A text to a
    patient who is not to be contacted by SMS is recorded as not sent, with the reason, and
    goes nowhere (its text is not kept)."""
    now = now or timezone.now()
    due = max(not_before or now, now)
    refused = channel == Channel.SMS and patient is not None and patient.do_not_sms
    message = OutboundMessage.objects.create(
        service=service,
        patient=patient,
        about_kind=about_kind,
        about_id=about_id,
        appointment=appointment,
        kind=kind,
        channel=channel,
        to=to,
        subject=subject,
        body_encrypted="" if refused else encrypt(body),
        urgent=urgent,
        send_after=due if urgent else quiet_hours_end(service, due),
        for_start=for_start,
        reminder_hours=reminder_hours,
        created_at=now,
        status=MessageStatus.CANCELLED if refused else MessageStatus.QUEUED,
        error=NOT_BY_SMS if refused else "",
    )
    if refused:
        _audit_not_sent(
            message.pk,
            kind,
            message.patient_id,
            service.pk,
            reason=NOT_BY_SMS,
            by=Who.SYSTEM,
            now=now,
        )
    else:
        _enqueue(message)
    return message


def _enqueue(message: OutboundMessage) -> None:
    later = message.send_after > timezone.now()
    _ensure_sender(at=message.send_after if later else None)


def _ensure_sender(*, at: datetime | None = None) -> None:
    """Make sure a sending task is waiting to start now (or at `at`): one waiting task serves
    every message due by the time it starts, so a burst of 2,000 texts costs a handful of
    tasks, not 2,000, and so do 2,000 texts held until the end of quiet hours.

    The waiting task's row stays locked until the caller commits, and a worker's claim skips
    locked rows, so no worker can start that task before this transaction's message is visible
    to it. A task a worker is already claiming is locked too: it is skipped here and a new one
    is enqueued. (On SQLite, one writer at a time gives the same order.)"""
    from slotlink.messaging.tasks import send_due_messages

    senders = DBTaskResult.objects.filter(task_path=send_due_messages.module_path)
    waiting = (
        senders.ready()
        if at is None
        else senders.filter(status=TaskResultStatus.READY, run_after=at)
    )
    with transaction.atomic(savepoint=False):
        if not list(waiting.select_for_update(skip_locked=True).values_list("pk", flat=True)[:1]):
            (send_due_messages if at is None else send_due_messages.using(run_after=at)).enqueue()


def message_body(message: OutboundMessage) -> str:
    return decrypt(message.body_encrypted) or ""


# Why a text to a patient was not sent, as staff read it on the outbox and the link's history.
NOT_BY_SMS = "Patient asked not to be contacted by SMS"
LINK_EXPIRED_WITH_NUMBER = "The mobile number changed, so the link it carried was expired"
NO_MOBILE = "No mobile number on record"
NUMBER_CHANGED = "The patient's mobile number changed after it was queued"
# Texts carrying a booking link: they go with their link.
LINK_TEXTS = (MessageKind.BOOKING_LINK, MessageKind.AD_HOC)


def _not_sent(
    messages: QuerySet[OutboundMessage], *, reason: str, by: User | Who, now: datetime
) -> int:
    """Cancel the queued ones among `messages`, each recorded with the reason on the message
    and in the audit log. The rows are locked first, so no sender claims one meanwhile."""
    with transaction.atomic():
        held = list(
            messages.filter(status=MessageStatus.QUEUED)
            .select_for_update()
            .values_list("pk", "kind", "patient_id", "service_id")
        )
        OutboundMessage.objects.filter(pk__in=[pk for pk, *_ in held]).update(
            status=MessageStatus.CANCELLED, error=reason
        )
        for pk, kind, patient_id, service_id in held:
            _audit_not_sent(pk, kind, patient_id, service_id, reason=reason, by=by, now=now)
    return len(held)


def _audit_not_sent(
    pk: int,
    kind: str,
    patient_id: int | None,
    service_id: int,
    *,
    reason: str,
    by: User | Who,
    now: datetime,
) -> None:
    audit_record(
        action=AuditAction.MESSAGE_NOT_SENT,
        by=by,
        object_type="outbound_message",
        object_id=pk,
        patient_id=patient_id,
        service_id=service_id,
        details={"kind": kind, "reason": reason},
        now=now,
    )


def patient_texts_stop(*, patient: Patient, by: User, now: datetime) -> int:
    """The patient is not to be contacted by SMS any more: every text still queued for them
    is cancelled, with the reason. Returns how many."""
    queued = OutboundMessage.objects.filter(patient=patient, channel=Channel.SMS)
    return _not_sent(queued, reason=NOT_BY_SMS, by=by, now=now)


def patient_texts_follow_number(*, patient: Patient, by: User, now: datetime) -> None:
    """After the patient's mobile number changed: texts still queued for them go to the number
    on record now, never the old one. A booking link's text goes with its link (the change
    expired it), and with no number left nothing goes."""
    queued = OutboundMessage.objects.filter(
        patient=patient, channel=Channel.SMS, status=MessageStatus.QUEUED
    )
    _not_sent(queued.filter(kind__in=LINK_TEXTS), reason=LINK_EXPIRED_WITH_NUMBER, by=by, now=now)
    if patient.mobile:
        queued.exclude(kind__in=LINK_TEXTS).update(to=patient.mobile)
    else:
        _not_sent(queued, reason=NO_MOBILE, by=by, now=now)


def _why_not_send(message: OutboundMessage) -> str:
    """Checked again as each text leaves, whatever was true when it was queued: why it must
    not go now, or "" if it may."""
    if _is_stale_reminder(message):
        return "The appointment moved or was cancelled"
    patient = message.patient
    if message.channel != Channel.SMS or patient is None:
        return ""
    if patient.do_not_sms:
        return NOT_BY_SMS
    if message.to != patient.mobile:
        return NUMBER_CHANGED
    return ""


def _is_stale_reminder(message: OutboundMessage) -> bool:
    if message.kind != MessageKind.REMINDER:
        return False
    appointment = message.appointment
    return (
        appointment is None
        or appointment.status != AppointmentStatus.BOOKED
        or appointment.start != message.for_start
    )


def _advance(message_id: int, status: MessageStatus, **fields: object) -> bool:
    """Move a message to `status` only if that is forwards from where it is now."""
    behind = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    return bool(
        OutboundMessage.objects.filter(pk=message_id, status__in=behind).update(
            status=status, **fields
        )
    )


def messages_send_due(*, now: datetime | None = None) -> int:
    """Drain the outbox: claim and send batches of due messages until none is left (or
    DRAIN_SECONDS have gone). While batches come back full another sending task is kept
    waiting, so idle workers join in. Returns how many messages the provider took."""
    started = time.monotonic()
    handed = 0
    while True:
        batch = _claim_due(now or timezone.now())
        if len(batch) == BATCH_SIZE:
            _ensure_sender()
        handed += sum(_deliver(message, now or timezone.now()) for message in batch)
        if len(batch) < BATCH_SIZE or time.monotonic() - started > DRAIN_SECONDS:
            return handed


def _claim_due(now: datetime) -> list[OutboundMessage]:
    """Move a batch of due messages, oldest first, from queued to sending. The rows are locked
    (SKIP LOCKED: other workers take other rows) before the update, so each message is claimed
    by exactly one worker; SQLite's one writer at a time does the same."""
    due = OutboundMessage.objects.filter(status=MessageStatus.QUEUED, send_after__lte=now)
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("send_after", "pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return []
        OutboundMessage.objects.filter(pk__in=ids).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now
        )
    return list(
        OutboundMessage.objects.select_related("appointment", "service", "patient").filter(
            pk__in=ids
        )
    )


def _deliver(message: OutboundMessage, now: datetime) -> bool:
    """Hand one claimed message to its provider; returns whether the provider took it."""
    reason = _why_not_send(message)
    if reason:
        with transaction.atomic():
            if _advance(message.pk, MessageStatus.CANCELLED, error=reason) and message.patient:
                _audit_not_sent(
                    message.pk,
                    message.kind,
                    message.patient_id,
                    message.service_id,
                    reason=reason,
                    by=Who.SYSTEM,
                    now=now,
                )
        return False
    backend = backend_for(message)
    outgoing = Outgoing(
        reference=message.reference,
        to=message.to,
        body=message_body(message),
        subject=message.subject,
    )
    # The provider call happens outside any transaction: a slow provider must hold no locks.
    try:
        reference = None
        if message.uncertain:
            reference = backend.find(outgoing, since=message.created_at)
        if reference is None:
            reference = backend.send(outgoing)
    except PermanentFailure as failure:
        _advance(
            message.pk, MessageStatus.FAILED, error=failure.reason[:300], provider=backend.name
        )
        return False
    except TemporaryFailure as failure:
        _retry_later(message, failure, now)
        return False
    OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        provider=backend.name,
        provider_reference=reference,
        sent_at=now,
        error="",
        uncertain=False,
    )
    return True


def _retry_later(message: OutboundMessage, failure: TemporaryFailure, now: datetime) -> None:
    if message.attempts >= settings.MESSAGE_MAX_ATTEMPTS:
        _advance(
            message.pk,
            MessageStatus.FAILED,
            error=f"Gave up after {message.attempts} attempts: {failure.reason}"[:300],
        )
        return
    # Exponential backoff with full jitter, so many failed messages do not retry in step.
    ceiling = settings.MESSAGE_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1)
    delay = timedelta(seconds=min(ceiling, 3600) * (0.5 + random.random() / 2))  # noqa: S311  # nosec B311
    fields: dict[str, object] = {"uncertain": True} if failure.uncertain else {}
    with transaction.atomic():
        requeued = OutboundMessage.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING
        ).update(
            status=MessageStatus.QUEUED,
            send_after=now + delay,
            error=failure.reason[:300],
            **fields,
        )
        if requeued:
            message.refresh_from_db()
            _enqueue(message)


def messages_recover(*, now: datetime | None = None) -> int:
    """Put back in the queue what a dead worker left "sending", and enqueue again queued
    messages whose task has gone missing. Both are safe: sending claims the row first, and a
    message left "sending" is marked uncertain so the provider is asked before re-sending."""
    now = now or timezone.now()
    stuck = OutboundMessage.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=now - STUCK_AFTER
    )
    recovered = stuck.update(status=MessageStatus.QUEUED, uncertain=True, send_after=now)
    overdue = OutboundMessage.objects.filter(
        status=MessageStatus.QUEUED, send_after__lt=now - STUCK_AFTER
    )
    if recovered or overdue.exists():
        _ensure_sender()
    return recovered


def message_retry(*, message: OutboundMessage, user: User) -> bool:
    """Staff ask for a failed or stuck message to be tried again from scratch."""
    with transaction.atomic():
        retried = (
            OutboundMessage.objects.filter(
                Q(status=MessageStatus.FAILED) | Q(status=MessageStatus.SENDING),
                pk=message.pk,
            )
            .exclude(body_encrypted="")  # blanked by retention: nothing left to send
            .update(
                status=MessageStatus.QUEUED,
                attempts=0,
                send_after=timezone.now(),
                error="",
                uncertain=True,
            )
        )
        if retried:
            message.refresh_from_db()
            _enqueue(message)
    logger.info("Message %s queued again by user %s", message.pk, user.pk)
    return bool(retried)


# Provider callbacks ---------------------------------------------------------------------

NOTIFY_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "permanent-failure": MessageStatus.FAILED,
    "temporary-failure": MessageStatus.FAILED,
    "technical-failure": MessageStatus.FAILED,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "created": MessageStatus.SENT,
    "pending": MessageStatus.SENT,
}
TWILIO_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "sent": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "accepted": MessageStatus.SENT,
}


# Messages handed to a provider: only these have receipts.
HANDED_OVER = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED)


def notify_callback_scope(token: str) -> Q | None:
    """Whose messages a Notify receipt carrying this bearer token may speak of: those of the
    service whose own callback token it is; for the deployment's token, those of services
    sending through the deployment's own Notify account. None: nobody's."""
    if not token:
        return None
    own = Service.objects.filter(notify_callback_token_hash=token_hash(token)).first()
    if own is not None:
        return Q(service_id=own.pk)
    shared = settings.NOTIFY_CALLBACK_TOKEN
    if shared and hmac.compare_digest(token.encode(), shared.encode()):
        return ~Q(service__sms_provider=SmsProvider.NOTIFY)
    return None


def message_status_callback(
    *, message: OutboundMessage, provider_status: str, status: MessageStatus, detail: str = ""
) -> bool:
    """Record what the provider said. A repeated callback is recorded once; a status never
    moves backwards. A receipt for a message not handed over (still queued, e.g. to be tried
    again, or being sent) is ignored: it cannot be about an attempt we know of, and taking it
    would keep the message from ever being sent. Returns whether anything changed."""
    now = timezone.now()
    if not OutboundMessage.objects.filter(pk=message.pk, status__in=HANDED_OVER).exists():
        logger.info("Receipt for message %s ignored: it has not been sent", message.pk)
        return False
    try:
        with transaction.atomic():
            MessageEvent.objects.create(
                message=message,
                provider_status=provider_status[:40],
                detail=detail[:300],
                occurred_at=now,
            )
    except IntegrityError:
        return False
    fields: dict[str, object] = {}
    if status == MessageStatus.DELIVERED:
        fields["delivered_at"] = now
    if status == MessageStatus.FAILED:
        fields["error"] = (detail or provider_status)[:300]
    # From "sent" only, in the same compare-and-set: a message queued again since the check
    # above is left to be sent.
    return status != MessageStatus.SENT and bool(
        OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(
            status=status, **fields
        )
    )


# Reminders --------------------------------------------------------------------------------


def appointment_reminders_refresh(*, appointment: Appointment, now: datetime | None = None) -> None:
    """Bring the appointment's reminders in line with it: drop those written for another start
    (or for a cancelled appointment) and queue the service's schedule for the current one.
    Sending checks again, so a reminder that slips through this is still never sent stale."""
    now = now or timezone.now()
    OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.REMINDER, status=MessageStatus.QUEUED
    ).exclude(
        for_start=appointment.start if appointment.status == AppointmentStatus.BOOKED else None
    ).update(status=MessageStatus.CANCELLED, error="The appointment moved or was cancelled")
    patient = appointment.patient
    if appointment.status != AppointmentStatus.BOOKED or not patient.mobile:
        return
    service = appointment.service
    for hours in sorted({int(h) for h in service.reminder_hours_before if int(h) > 0}):
        due = quiet_hours_end(service, appointment.start - timedelta(hours=hours))
        if due <= now or due >= appointment.start:
            continue
        exists = OutboundMessage.objects.filter(
            appointment=appointment,
            kind=MessageKind.REMINDER,
            for_start=appointment.start,
            reminder_hours=hours,
        ).exists()
        if exists:
            continue
        message_queue(
            service=service,
            to=patient.mobile,
            body=reminder_text(appointment),
            kind=MessageKind.REMINDER,
            patient=patient,
            appointment=appointment,
            not_before=due,
            for_start=appointment.start,
            reminder_hours=hours,
            now=now,
        )


def reminder_text(appointment: Appointment) -> str:
    # First name, date and time only: the text may be read by someone else.
    return (
        f"Hello {appointment.patient.first_name}, a reminder of your appointment on "
        f"{when(appointment.start, appointment.service.zone)}. "
        f"To change it, call {appointment.service.phone}."
    )


# Staff inbox ------------------------------------------------------------------------------


def internal_message_send(
    *, recipient: User, subject: str, body: str, appointment: Appointment | None = None
) -> InternalMessage | None:
    """A message in a colleague's "Messages" inbox, if their service uses Messages."""
    service = recipient.service
    if service is None or not service.uses_messages:
        return None
    return InternalMessage.objects.create(
        service=service,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        appointment=appointment,
        created_at=timezone.now(),
    )


def internal_message_read(*, message: InternalMessage) -> None:
    InternalMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
