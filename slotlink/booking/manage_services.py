"""Manage links: proving who you are, then moving or cancelling your own appointment.

Failed attempts are counted in the database with atomic updates, per manage link and per
client, so simultaneous guesses count exactly; a locked link stays locked even for the right
answer until the lock lapses."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.booking.models import (
    BookingLink,
    BookingLinkEvent,
    ClientThrottle,
    ManageLink,
)
from slotlink.crypto import decrypt, encrypt, new_token, token_hash
from slotlink.domain.link_lifecycle import USED, LinkStatus
from slotlink.metrics import LOCKOUTS, PATIENT_VERIFICATION

LINK_MAX_FAILURES = 5
CLIENT_MAX_FAILURES = 20
LOCK_FOR = timedelta(minutes=15)
CODE_VALID_FOR = timedelta(minutes=10)
CODES_PER_HOUR = 3
VERIFIED_FOR = timedelta(minutes=15)


class Verification(StrEnum):
    PASSED = "passed"
    WRONG = "wrong"
    LOCKED = "locked"
    CODE_NEEDED = "code_needed"


def manage_link_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/m/{token}"


def manage_link_issue(*, link: BookingLink, now: datetime) -> str:
    """The booking's manage link token: made on first booking, the same one afterwards."""
    existing = ManageLink.objects.filter(booking_link=link).first()
    if existing is not None:
        token = decrypt(existing.token_encrypted)
        if token is not None:
            return token
        existing.delete()
    token = new_token()
    ManageLink.objects.create(
        booking_link=link,
        token_hash=token_hash(token),
        token_encrypted=encrypt(token),
        created_at=now,
    )
    return token


def manage_link_find(token: str) -> ManageLink | None:
    # Always hash and query, whatever the token looks like, so that a malformed token takes
    # as long to refuse as a well-formed unknown one.
    return (
        ManageLink.objects.select_related("booking_link__patient", "booking_link__service")
        .filter(token_hash=token_hash(token))
        .first()
    )


def client_key(address: str) -> str:
    """Addresses are kept only as a keyed hash."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def _client_locked(key: str, now: datetime) -> bool:
    return ClientThrottle.objects.filter(key=key, locked_until__gt=now).exists()


def _client_failed(key: str, now: datetime) -> None:
    with transaction.atomic():
        ClientThrottle.objects.get_or_create(key=key, defaults={"window_started_at": now})
        # A fresh window after a quiet spell; otherwise one more failure, counted atomically.
        ClientThrottle.objects.filter(key=key, window_started_at__lte=now - LOCK_FOR).update(
            failures=0, window_started_at=now
        )
        ClientThrottle.objects.filter(key=key).update(failures=F("failures") + 1)
        if ClientThrottle.objects.filter(key=key, failures__gte=CLIENT_MAX_FAILURES).update(
            locked_until=now + LOCK_FOR, failures=0, window_started_at=now
        ):
            transaction.on_commit(LOCKOUTS.labels(PATIENT_VERIFICATION).inc)


def _link_failed(manage: ManageLink, now: datetime) -> None:
    """Count one more failure (atomically: simultaneous guesses all count). From the limit on,
    each failure locks the link again; only a success resets the count."""
    with transaction.atomic():
        ManageLink.objects.filter(pk=manage.pk).update(failed_attempts=F("failed_attempts") + 1)
        if ManageLink.objects.filter(pk=manage.pk, failed_attempts__gte=LINK_MAX_FAILURES).update(
            locked_until=now + LOCK_FOR
        ):
            transaction.on_commit(LOCKOUTS.labels(PATIENT_VERIFICATION).inc)


def _link_locked(manage: ManageLink, now: datetime) -> bool:
    return ManageLink.objects.filter(pk=manage.pk, locked_until__gt=now).exists()


def _audit_attempt(
    action: AuditAction, manage: ManageLink | None, now: datetime, **details: object
) -> None:
    """Every attempt, with its outcome, and never what was typed."""
    link = manage.booking_link if manage is not None else None
    audit_record(
        action=action,
        by=Who.PATIENT,
        object_type="manage_link",
        object_id=manage.pk if manage is not None else None,
        patient_id=link.patient_id if link else None,
        service_id=link.service_id if link else None,
        details=details,
        now=now,
    )


def manage_verify_birth_date(
    *, manage: ManageLink | None, client: str, born: date, now: datetime | None = None
) -> Verification:
    """Check the date of birth given for a manage link. An unknown link answers exactly as a
    wrong date would, so nobody can learn which links exist."""
    now = now or timezone.now()
    outcome = _check_birth_date(manage, client, born, now)
    _audit_attempt(
        AuditAction.VERIFICATION_BIRTH_DATE,
        manage,
        now,
        outcome=outcome.value,
        known_link=manage is not None,
    )
    return outcome


def _check_birth_date(
    manage: ManageLink | None, client: str, born: date, now: datetime
) -> Verification:
    if _client_locked(client, now) or (manage is not None and _link_locked(manage, now)):
        # Attempts against a lock count too, so a burst of guesses is counted in full.
        if manage is not None:
            _link_failed(manage, now)
        return Verification.LOCKED
    if manage is None or not hmac.compare_digest(
        born.isoformat(), manage.booking_link.patient.date_of_birth.isoformat()
    ):
        if manage is not None:
            _link_failed(manage, now)
        _client_failed(client, now)
        return Verification.WRONG
    ManageLink.objects.filter(pk=manage.pk).update(failed_attempts=0)
    if manage.booking_link.service.manage_requires_sms_code:
        return Verification.CODE_NEEDED
    return Verification.PASSED


def _code_digest(manage: ManageLink, code: str) -> str:
    key = f"{settings.SECRET_KEY}:{manage.pk}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def manage_send_code(*, manage: ManageLink, now: datetime | None = None) -> bool:
    """Text a new 6-digit code to the mobile on record, at most three an hour per link (the
    rest get the same answer and no text, so nobody can drain the service's SMS budget)."""
    from slotlink.messaging.models import MessageKind
    from slotlink.messaging.services import message_queue

    now = now or timezone.now()
    locked = ManageLink.objects.select_for_update().get(pk=manage.pk)
    recent = [
        sent
        for sent in locked.codes_sent
        if datetime.fromisoformat(sent) > now - timedelta(hours=1)
    ]
    patient = locked.booking_link.patient
    if len(recent) >= CODES_PER_HOUR or not patient.mobile:
        _audit_attempt(
            AuditAction.VERIFICATION_CODE_REFUSED, locked, now, sent_this_hour=len(recent)
        )
        return False
    code = f"{secrets.randbelow(1_000_000):06d}"
    locked.code_hash = _code_digest(locked, code)
    locked.code_expires_at = now + CODE_VALID_FOR
    locked.codes_sent = [*recent, now.isoformat()]
    locked.save(update_fields=["code_hash", "code_expires_at", "codes_sent"])
    message_queue(
        service=locked.booking_link.service,
        to=patient.mobile,
        kind=MessageKind.VERIFICATION,
        body=f"Your code is {code}. It works for 10 minutes. Do not share it.",
        patient=patient,
        urgent=True,
        now=now,
    )
    _audit_attempt(AuditAction.VERIFICATION_CODE_SENT, locked, now)
    return True


def manage_verify_code(
    *, manage: ManageLink, client: str, code: str, now: datetime | None = None
) -> Verification:
    now = now or timezone.now()
    outcome = _check_code(manage, client, code, now)
    _audit_attempt(AuditAction.VERIFICATION_CODE, manage, now, outcome=outcome.value)
    return outcome


def _check_code(manage: ManageLink, client: str, code: str, now: datetime) -> Verification:
    if _client_locked(client, now) or _link_locked(manage, now):
        _link_failed(manage, now)
        return Verification.LOCKED
    digest = _code_digest(manage, code.strip()) if code.strip().isdigit() else ""
    # Single use: the code is cleared by the same update that checks it.
    used = bool(digest) and ManageLink.objects.filter(
        pk=manage.pk, code_hash=digest, code_expires_at__gt=now
    ).update(code_hash="", code_expires_at=None)
    if not used:
        _link_failed(manage, now)
        _client_failed(client, now)
        return Verification.WRONG
    return Verification.PASSED


@dataclass(frozen=True)
class ChangeRights:
    """What the patient may do with their appointment now, and if not, why not."""

    can_reschedule: bool
    can_cancel: bool
    reason: str


def reschedules_so_far(link: BookingLink) -> int:
    return BookingLinkEvent.objects.filter(link=link, to_status=LinkStatus.RESCHEDULED).count()


def change_rights(link: BookingLink, start: datetime, now: datetime) -> ChangeRights:
    rule = link.rule
    if link.status not in USED:
        return ChangeRights(False, False, "This booking cannot be changed online.")
    too_late = start - now < timedelta(hours=rule.reschedule_cutoff_hours)
    if not rule.allow_reschedule:
        reason = "This kind of appointment cannot be changed online."
    elif too_late:
        reason = (
            f"Appointments can only be changed online up to {rule.reschedule_cutoff_hours} "
            "hours before they start."
        )
    elif reschedules_so_far(link) >= rule.max_reschedules:
        reason = "This appointment has already been changed as many times as we allow online."
    else:
        reason = ""
    return ChangeRights(
        can_reschedule=not reason,
        can_cancel=rule.allow_patient_cancel and start > now,
        reason=reason,
    )
