"""Retention: what is kept only as long as it is needed is deleted or anonymised afterwards,
each class after its own period (settings.RETENTION_DAYS, from the environment), and every
run that removed something says so in the audit log.

Audit events themselves are deleted here and nowhere else. On PostgreSQL a trigger refuses
any UPDATE and any DELETE of audit rows unless the deleting transaction has set
`slotlink.retention` (SET LOCAL, so it lapses at commit); this function sets it, deletes only
rows older than the audit period, unsets it, and records the deletion in the same
transaction. See docs/security.md for why this and not a separate database role alone."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.audit.services import audit_record
from slotlink.booking.models import BookingLink, ClientThrottle, ManageLink
from slotlink.clinic.models import TIME_HOLDING, Appointment
from slotlink.messaging.models import MessageStatus, OutboundMessage
from slotlink.questionnaires.models import FormLink

# Housekeeping runs every minute; retention need not.
RETENTION_EVERY = timedelta(hours=1)
FINISHED_MESSAGES = [
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.FAILED,
    MessageStatus.CANCELLED,
]


@dataclass(frozen=True)
class Removed:
    record: str
    count: int
    older_than: datetime


def _cutoff(record: str, now: datetime) -> datetime:
    return now - timedelta(days=settings.RETENTION_DAYS[record])


# Rows blanked per class and run: the first run on a large database rewrites this many, not
# millions in one statement; the backlog goes in later runs (hourly), far faster than a busy
# service adds to it (a million-patient service sends a few hundred links an hour).
BLANK_BATCH = 10_000


def _blank(records: QuerySet[Any], field: str) -> int:
    """Empty `field` of up to BLANK_BATCH of these records where it is not empty yet; returns
    how many."""
    batch = records.exclude(**{field: ""}).order_by().values("pk")[:BLANK_BATCH]
    return records.model.objects.filter(pk__in=batch).update(**{field: ""})


def _link_tokens(now: datetime) -> int:
    """The encrypted copy of a link's token exists so staff can copy a live link again (and a
    form link's, to remind). Once
    a booking link's validity ended, or a manage link's appointment is over, longer than the
    period ago, it is blanked. (The hash stays: it finds the link, and cannot be reversed.)"""
    cutoff = _cutoff("link_tokens", now)
    booking = _blank(BookingLink.objects.filter(expires_at__lte=cutoff), "token_encrypted")
    still_current = Appointment.objects.filter(
        booking_link_id=OuterRef("booking_link_id"), status__in=TIME_HOLDING, end__gt=cutoff
    )
    manage = _blank(
        ManageLink.objects.filter(created_at__lte=cutoff).exclude(Exists(still_current)),
        "token_encrypted",
    )
    # A form link's token is kept to text it again in a reminder: once its appointment's time
    # is past by the period, there is nothing left to remind.
    forms = _blank(FormLink.objects.filter(appointment__end__lte=cutoff), "token_encrypted")
    return booking + manage + forms


def _message_bodies(now: datetime) -> int:
    """Texts and emails hold names, times and links: blanked once finished with."""
    finished = OutboundMessage.objects.filter(
        created_at__lte=_cutoff("message_bodies", now), status__in=FINISHED_MESSAGES
    )
    return _blank(finished, "body_encrypted")


def _verification_throttles(now: datetime) -> int:
    cutoff = _cutoff("verification_throttles", now)
    throttles, _ = (
        ClientThrottle.objects.filter(window_started_at__lte=cutoff)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .delete()
    )
    spent_codes = (
        ManageLink.objects.filter(code_expires_at__lte=cutoff)
        .exclude(code_hash="")
        .update(code_hash="", code_expires_at=None)
    )
    return throttles + spent_codes


def _login_records(now: datetime) -> int:
    cutoff = _cutoff("login_records", now)
    return sum(
        model.objects.filter(attempt_time__lte=cutoff).delete()[0]
        for model in (AccessLog, AccessFailureLog, AccessAttempt)
    )


def _expired_sessions(now: datetime) -> int:
    return Session.objects.filter(expire_date__lte=now).delete()[0]


def _audit_events(now: datetime) -> int:
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL slotlink.retention = 'on'")
        # The table name is our own model's, quoted; the cut-off is a parameter.
        delete = f"DELETE FROM {table} WHERE occurred_at < %s"  # noqa: S608  # nosec B608
        cursor.execute(delete, [_cutoff("audit_events", now)])
        count = cursor.rowcount
        if postgres:
            cursor.execute("SET LOCAL slotlink.retention = 'off'")
    return max(count, 0)


STEPS: list[tuple[str, Callable[[datetime], int]]] = [
    ("link_tokens", _link_tokens),
    ("message_bodies", _message_bodies),
    ("verification_throttles", _verification_throttles),
    ("login_records", _login_records),
    ("expired_sessions", _expired_sessions),
    ("audit_events", _audit_events),
]


def retention_apply(*, now: datetime | None = None) -> list[Removed]:
    """Delete or anonymise everything past its period; returns what was removed. Each class
    is removed and audited in its own transaction, so a failure in one leaves the others."""
    now = now or timezone.now()
    removed = []
    for record, step in STEPS:
        with transaction.atomic():
            count = step(now)
            if not count:
                continue
            older_than = now if record == "expired_sessions" else _cutoff(record, now)
            audit_record(
                action=AuditAction.RETENTION_APPLIED,
                by=Who.SYSTEM,
                object_type=record,
                details={"count": count, "older_than": older_than.isoformat()},
                now=now,
            )
        removed.append(Removed(record, count, older_than))
    return removed
