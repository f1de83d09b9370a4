"""Sending: claim due messages with a compare-and-set, hand each to its provider outside
any transaction, retry with backoff, recover what a dead worker left."""

import logging
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from slotlink.audit.models import Who
from slotlink.clinic.models import AppointmentStatus, User
from slotlink.lib.fields import fit
from slotlink.messaging.backends import Outgoing, PermanentFailure, TemporaryFailure
from slotlink.messaging.models import (
    STATUS_RANK,
    Channel,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from slotlink.messaging.services.providers import backend_for
from slotlink.messaging.services.queueing import (
    APPOINTMENT_CHANGED,
    NOT_BY_SMS,
    NUMBER_CHANGED,
    SERVICE_SWITCHED_OFF,
    audit_not_sent,
    message_body,
)
from slotlink.messaging.services.scheduling import enqueue, ensure_sender

logger = logging.getLogger(__name__)


# How many due messages a sending task claims at a time.
BATCH_SIZE = 25
# How long one sending task drains the outbox before leaving the rest to a fresh task, so a
# long backlog never keeps a worker from its other tasks.
DRAIN_SECONDS = 10
# A message claimed this long ago and still "sending" belonged to a worker that died (a batch
# of BATCH_SIZE whose every provider call timed out takes about BATCH_SIZE × 10 seconds).
STUCK_AFTER = timedelta(minutes=15)


def _why_not_send(message: OutboundMessage) -> str:
    """Checked again as each text leaves, whatever was true when it was queued: why it must
    not go now, or "" if it may."""
    if not message.service.active:
        return SERVICE_SWITCHED_OFF
    if _about_a_changed_appointment(message):
        return APPOINTMENT_CHANGED
    patient = message.patient
    if message.channel != Channel.SMS or patient is None:
        return ""
    if patient.do_not_sms:
        return NOT_BY_SMS
    if message.to != patient.mobile:
        return NUMBER_CHANGED
    return ""


# Texts that only make sense while their appointment is booked: a questionnaire's link
# goes wherever the appointment goes, but never for one that has been cancelled.
WHILE_BOOKED = (MessageKind.FORM_LINK, MessageKind.FORM_REMINDER)


def _about_a_changed_appointment(message: OutboundMessage) -> bool:
    appointment = message.appointment
    if message.kind in WHILE_BOOKED:
        return appointment is None or appointment.status != AppointmentStatus.BOOKED
    if message.kind != MessageKind.REMINDER:
        return False
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
            ensure_sender()
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
                audit_not_sent(
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
            message.pk,
            MessageStatus.FAILED,
            error=fit(OutboundMessage, "error", failure.reason),
            provider=backend.name,
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
            error=fit(
                OutboundMessage,
                "error",
                f"Gave up after {message.attempts} attempts: {failure.reason}",
            ),
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
            error=fit(OutboundMessage, "error", failure.reason),
            **fields,
        )
        if requeued:
            message.refresh_from_db()
            enqueue(message)


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
        ensure_sender()
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
            enqueue(message)
    logger.info("Message %s queued again by user %s", message.pk, user.pk)
    return bool(retried)
