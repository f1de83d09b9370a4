"""Manage links: proving who you are, then moving or cancelling your own appointment.

Every attempt at a date of birth or a code first claims its right to be judged, per manage
link and per client, in one atomic update that counts it and, at the limit, locks: of any
number of simultaneous attempts no more than the limit are judged, and once locked nothing
is judged, the right answer included, until the lock lapses. A made-up link is counted the
same way (by its token's hash), so it answers exactly as a real one would."""

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    PositiveIntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.booking.models import (
    BookingLink,
    ClientThrottle,
    ManageLink,
)
from slotlink.clinic.models import Patient
from slotlink.lib.crypto import decrypt, encrypt, new_token, token_hash
from slotlink.lib.inserts import row_insert
from slotlink.lib.language import language_of
from slotlink.lib.metrics import LOCKOUTS, PATIENT_VERIFICATION
from slotlink.messaging.models import MessageKind
from slotlink.messaging.services import message_queue

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
    # The service asks for a code, but this patient cannot be texted one.
    CODE_UNREACHABLE = "code_unreachable"


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
    return manage_link_create(link=link, now=now)


def manage_link_create(*, link: BookingLink, now: datetime) -> str:
    """A first booking's manage link, without looking for one: a link books only once (its
    later changes are moves), and the one-to-one constraint refuses a second."""
    token = new_token()
    row_insert(
        ManageLink(
            booking_link=link,
            token_hash=token_hash(token),
            token_encrypted=encrypt(token),
            created_at=now,
        )
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


def _claim(
    rows: "QuerySet[ManageLink] | QuerySet[ClientThrottle]",
    *,
    count: str,
    limit: int,
    carries_on: Q,
    now: datetime,
    **also: object,
) -> bool:
    """Claim one attempt's right to be judged: a single UPDATE counts it and, when the count
    reaches `limit`, locks the row in the same statement. An attempt that finds the row
    locked changes nothing and is not judged. `carries_on`: when the count goes on from where
    it is (otherwise this attempt starts it again, e.g. once a lock has lapsed)."""
    claimed = rows.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now)).update(
        **{
            count: Case(
                When(carries_on, then=F(count) + 1),
                default=Value(1),
                output_field=PositiveIntegerField(),
            )
        },
        locked_until=Case(
            When(carries_on & Q(**{f"{count}__gte": limit - 1}), then=Value(now + LOCK_FOR)),
            default=Value(None),
            output_field=DateTimeField(),
        ),
        **also,
    )
    return claimed == 1


def _give_back(rows: "QuerySet[ManageLink] | QuerySet[ClientThrottle]", count: str) -> None:
    """Return a right answer's claim. Any lock goes too: it was set by this claim or one made
    alongside it (a claim is only made while unlocked), so the count is under the limit."""
    rows.update(
        **{count: Greatest(F(count) - 1, 0, output_field=PositiveIntegerField())},
        locked_until=None,
    )


def _throttle(key: str) -> "QuerySet[ClientThrottle]":
    return ClientThrottle.objects.filter(key=key)


def _claim_throttle(key: str, *, limit: int, window: bool, now: datetime) -> bool:
    ClientThrottle.objects.bulk_create(
        [ClientThrottle(key=key, window_started_at=now)], ignore_conflicts=True
    )
    if not window:
        return _claim(
            _throttle(key),
            count="failures",
            limit=limit,
            carries_on=Q(locked_until__isnull=True),
            now=now,
        )
    # A client's count starts again after a quiet spell as well as after a lock.
    fresh = Q(locked_until__isnull=True, window_started_at__gt=now - LOCK_FOR)
    return _claim(
        _throttle(key),
        count="failures",
        limit=limit,
        carries_on=fresh,
        now=now,
        window_started_at=Case(
            When(fresh, then=F("window_started_at")),
            default=Value(now),
            output_field=DateTimeField(),
        ),
    )


def made_up_key(token: str) -> str:
    """What a token that opens no manage link is counted by (its hash, never the token)."""
    return token_hash(token)


def _link_rows(manage: ManageLink) -> "QuerySet[ManageLink]":
    return ManageLink.objects.filter(pk=manage.pk)


def _claim_attempt(manage: ManageLink | None, made_up: str, client: str, now: datetime) -> bool:
    """Claim the attempt for its link (or made-up link) and its client together, or for
    neither: an attempt refused by one does not use up the other's allowance."""
    with transaction.atomic():
        if manage is not None:
            link_claimed = _claim(
                _link_rows(manage),
                count="failed_attempts",
                limit=LINK_MAX_FAILURES,
                carries_on=Q(locked_until__isnull=True),
                now=now,
            )
        else:
            # Counted like a link: no quiet spell starts it again, only a lapsed lock.
            key = hashlib.sha256(f"made-up link {made_up}".encode()).hexdigest()
            link_claimed = _claim_throttle(key, limit=LINK_MAX_FAILURES, window=False, now=now)
        if link_claimed and _claim_throttle(
            client, limit=CLIENT_MAX_FAILURES, window=True, now=now
        ):
            _count_lockout(manage, client, now)
            return True
        transaction.set_rollback(True)
        return False


def _count_lockout(manage: ManageLink | None, client: str, now: datetime) -> None:
    """For the metrics: this claim was the one that locked its link or its client (a lock is
    set to exactly `now + LOCK_FOR` by the claim that reaches the limit)."""
    until = now + LOCK_FOR
    locked = _throttle(client).filter(locked_until=until).exists() or (
        manage is not None and _link_rows(manage).filter(locked_until=until).exists()
    )
    if locked:
        transaction.on_commit(LOCKOUTS.labels(PATIENT_VERIFICATION).inc)


def _passed(manage: ManageLink, client: str) -> None:
    """A right answer gives back its own claim, to the link and to the client, and nothing
    more: the wrong answers before it still count (until a lock lapses), so no burst gets
    more wrong answers judged than the limit, whatever right ones it holds, and a right date
    of birth cannot wipe out wrong codes."""
    _give_back(_link_rows(manage), "failed_attempts")
    _give_back(_throttle(client), "failures")


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
    *,
    manage: ManageLink | None,
    client: str,
    born: date,
    made_up: str = "",
    now: datetime | None = None,
) -> Verification:
    """Check the date of birth given for a manage link. A made-up link (`manage` None, counted
    by `made_up`) answers exactly as a real one with a wrong date would, locks included, so
    nobody can learn which links exist."""
    now = now or timezone.now()
    outcome = _check_birth_date(manage, made_up, client, born, now)
    _audit_attempt(
        AuditAction.VERIFICATION_BIRTH_DATE,
        manage,
        now,
        outcome=outcome.value,
        known_link=manage is not None,
    )
    return outcome


def code_can_be_texted(patient: Patient) -> bool:
    return bool(patient.mobile) and not patient.do_not_sms


def _check_birth_date(
    manage: ManageLink | None, made_up: str, client: str, born: date, now: datetime
) -> Verification:
    if not _claim_attempt(manage, made_up, client, now):
        return Verification.LOCKED
    if manage is None or not hmac.compare_digest(
        born.isoformat(), manage.booking_link.patient.date_of_birth.isoformat()
    ):
        return Verification.WRONG
    patient = manage.booking_link.patient
    code_needed = manage.booking_link.service.manage_requires_sms_code
    _passed(manage, client)
    if not code_needed:
        return Verification.PASSED
    if not code_can_be_texted(patient):
        return Verification.CODE_UNREACHABLE
    return Verification.CODE_NEEDED


def _code_digest(manage: ManageLink, code: str) -> str:
    key = f"{settings.SECRET_KEY}:{manage.pk}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def manage_send_code(*, manage: ManageLink, now: datetime | None = None) -> bool:
    """Text a new 6-digit code to the mobile on record, at most three an hour per link (the
    rest get the same answer and no text, so nobody can drain the service's SMS budget), and
    never to a patient who is not to be texted."""
    now = now or timezone.now()
    locked = ManageLink.objects.select_for_update().get(pk=manage.pk)
    recent = [
        sent
        for sent in locked.codes_sent
        if datetime.fromisoformat(sent) > now - timedelta(hours=1)
    ]
    patient = locked.booking_link.patient
    if len(recent) >= CODES_PER_HOUR or not code_can_be_texted(patient):
        _audit_attempt(
            AuditAction.VERIFICATION_CODE_REFUSED,
            locked,
            now,
            sent_this_hour=len(recent),
            can_be_texted=code_can_be_texted(patient),
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
        body=_code_text(code, patient.preferred_language),
        patient=patient,
        urgent=True,
        now=now,
    )
    _audit_attempt(AuditAction.VERIFICATION_CODE_SENT, locked, now)
    return True


def _code_text(code: str, language: str) -> str:
    with language_of(language):
        return _("Your code is %(code)s. It works for 10 minutes. Do not share it.") % {
            "code": code
        }


def manage_verify_code(
    *, manage: ManageLink, client: str, code: str, now: datetime | None = None
) -> Verification:
    now = now or timezone.now()
    outcome = _check_code(manage, client, code, now)
    _audit_attempt(AuditAction.VERIFICATION_CODE, manage, now, outcome=outcome.value)
    return outcome


def _check_code(manage: ManageLink, client: str, code: str, now: datetime) -> Verification:
    if not _claim_attempt(manage, "", client, now):
        return Verification.LOCKED
    digest = _code_digest(manage, code.strip()) if code.strip().isdigit() else ""
    # Single use: the code is cleared by the same update that checks it.
    used = bool(digest) and ManageLink.objects.filter(
        pk=manage.pk, code_hash=digest, code_expires_at__gt=now
    ).update(code_hash="", code_expires_at=None)
    if not used:
        return Verification.WRONG
    _passed(manage, client)
    return Verification.PASSED
