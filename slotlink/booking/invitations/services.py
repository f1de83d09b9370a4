"""Bulk invitations: one rule's booking link sent to many patients.

prepare -> (preview) -> confirm -> the background task sends, one row at a time.

Nothing is sent twice: the same list for the same rule is the same invitation (its key is a
hash of the service, the rule and the sorted list), confirming is a compare-and-set from
"preview", each row is claimed with a compare-and-set before its link is sent, and a patient
who already has a live link for the rule is skipped, whichever list or person sent it."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from slotlink.booking.invitations.imports import Entry
from slotlink.booking.links.services import BookingError, booking_link_send_or_show
from slotlink.booking.models import (
    BookingLink,
    BroadcastRule,
    BulkFinding,
    BulkInvitation,
    BulkInvitationRow,
    BulkResult,
    BulkStatus,
)
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import Patient, User
from slotlink.clinic.selectors import is_valid_nhs_number
from slotlink.domain.link_lifecycle import LIVE

_CHUNK = 500  # keeps IN (...) lists well inside every database's parameter limit


@dataclass(frozen=True)
class _Facts:
    """What the preview needs to know of one patient."""

    pk: int
    nhs_number: str
    has_mobile: bool
    do_not_sms: bool
    discharged: bool


def _facts(patients: Iterable[tuple[int, str, str, bool, datetime | None]]) -> list[_Facts]:
    return [
        _Facts(pk, number, bool(mobile), do_not_sms, discharged_at is not None)
        for pk, number, mobile, do_not_sms, discharged_at in patients
    ]


_FACT_COLUMNS = ("pk", "nhs_number", "mobile", "do_not_sms", "discharged_at")


def _live_link_patients(rule: BroadcastRule, now: datetime) -> set[int]:
    return set(
        BookingLink.objects.filter(rule=rule, status__in=LIVE, expires_at__gt=now).values_list(
            "patient_id", flat=True
        )
    )


def _finding(patient: _Facts | None, live: set[int]) -> BulkFinding:
    if patient is None:
        return BulkFinding.UNKNOWN
    if patient.discharged:
        return BulkFinding.DISCHARGED
    if patient.do_not_sms:
        return BulkFinding.DO_NOT_SMS
    if not patient.has_mobile:
        return BulkFinding.NO_MOBILE
    if patient.pk in live:
        return BulkFinding.LIVE_LINK
    return BulkFinding.READY


def _key(service_id: int, rule: BroadcastRule, identifiers: Iterable[str]) -> str:
    listed = ",".join(sorted(set(identifiers)))
    return hashlib.sha256(f"{service_id}|{rule.pk}|{listed}".encode()).hexdigest()


def bulk_invitation_prepare_upload(
    *,
    user: User,
    rule: BroadcastRule,
    entries: list[Entry],
    file_name: str,
    now: datetime | None = None,
) -> tuple[BulkInvitation, bool]:
    """Check every row of an uploaded list and keep the preview. Returns the invitation and
    whether it is a fresh preview (False: this list was already confirmed for this rule)."""
    now = now or timezone.now()
    service_id = service_id_of(user)
    wanted = sorted({e.nhs_number for e in entries if is_valid_nhs_number(e.nhs_number)})
    by_number: dict[str, _Facts] = {}
    for start in range(0, len(wanted), _CHUNK):
        found = Patient.objects.filter(
            service_id=service_id, nhs_number__in=wanted[start : start + _CHUNK]
        ).values_list(*_FACT_COLUMNS)
        by_number.update((f.nhs_number, f) for f in _facts(found))
    live = _live_link_patients(rule, now)
    seen: set[str] = set()
    rows = []
    for entry in entries:
        patient = None
        if not is_valid_nhs_number(entry.nhs_number):
            finding = BulkFinding.INVALID
        elif entry.nhs_number in seen:
            finding = BulkFinding.DUPLICATE
        else:
            seen.add(entry.nhs_number)
            patient = by_number.get(entry.nhs_number)
            finding = _finding(patient, live)
        rows.append(
            BulkInvitationRow(
                number=entry.number,
                nhs_number=entry.nhs_number,
                patient_id=patient.pk if patient else None,
                finding=finding,
            )
        )
    key = _key(service_id, rule, (e.nhs_number for e in entries))
    return _keep_preview(
        user=user, rule=rule, key=key, source="upload", file_name=file_name, rows=rows, now=now
    )


def bulk_invitation_prepare_selection(
    *, user: User, rule: BroadcastRule, patient_ids: list[int], now: datetime | None = None
) -> tuple[BulkInvitation, bool]:
    """As for an upload, for patients ticked in a search. Ids of patients outside the
    user's service are ignored: they were never on the user's screen."""
    now = now or timezone.now()
    service_id = service_id_of(user)
    found = Patient.objects.filter(service_id=service_id, pk__in=patient_ids[:_CHUNK])
    patients = {f.pk: f for f in _facts(found.values_list(*_FACT_COLUMNS))}
    live = _live_link_patients(rule, now)
    ordered = [pk for pk in dict.fromkeys(patient_ids) if pk in patients]
    rows = [
        BulkInvitationRow(
            number=index,
            nhs_number=patients[pk].nhs_number,
            patient_id=pk,
            finding=_finding(patients[pk], live),
        )
        for index, pk in enumerate(ordered, start=1)
    ]
    key = _key(service_id, rule, (f"patient:{pk}" for pk in ordered))
    return _keep_preview(
        user=user, rule=rule, key=key, source="selection", file_name="", rows=rows, now=now
    )


@transaction.atomic
def _keep_preview(
    *,
    user: User,
    rule: BroadcastRule,
    key: str,
    source: str,
    file_name: str,
    rows: list[BulkInvitationRow],
    now: datetime,
) -> tuple[BulkInvitation, bool]:
    existing = BulkInvitation.objects.select_for_update().filter(key=key).first()
    if existing is not None and existing.status != BulkStatus.PREVIEW:
        return existing, False
    if existing is not None:
        # The same list again before anyone confirmed it: check it afresh.
        existing.rows.all().delete()
        existing.created_by, existing.created_at, existing.file_name = user, now, file_name
        existing.save(update_fields=["created_by", "created_at", "file_name"])
        invitation = existing
    else:
        try:
            with transaction.atomic():
                invitation = BulkInvitation.objects.create(
                    service_id=service_id_of(user),
                    rule=rule,
                    key=key,
                    source=source,
                    file_name=file_name[:200],
                    created_by=user,
                    created_at=now,
                )
        except IntegrityError:
            # The same list uploaded twice at once: the other request's invitation is it.
            return BulkInvitation.objects.get(key=key), False
    for row in rows:
        row.invitation = invitation
    BulkInvitationRow.objects.bulk_create(rows, batch_size=1000)
    return invitation, True


@transaction.atomic
def bulk_invitation_confirm(
    *, invitation: BulkInvitation, user: User, now: datetime | None = None
) -> bool:
    """Start sending. Returns False when the invitation was already confirmed (a double
    click, a second tab), in which case nothing more happens."""
    from slotlink.booking.tasks import send_bulk_invitation

    rule = BroadcastRule.objects.select_related("service").get(pk=invitation.rule_id)
    if not rule.active:
        raise BookingError("This rule has been deactivated, so no links can be sent for it.")
    if not rule.service.online_booking_enabled:
        raise BookingError("Online appointment booking is switched off for this service.")
    claimed = BulkInvitation.objects.filter(pk=invitation.pk, status=BulkStatus.PREVIEW).update(
        status=BulkStatus.QUEUED, confirmed_by=user, confirmed_at=now or timezone.now()
    )
    if not claimed:
        return False
    invitation.rows.filter(~Q(finding=BulkFinding.READY)).update(result=BulkResult.SKIPPED)
    send_bulk_invitation.enqueue(invitation_id=invitation.pk)
    return True


@transaction.atomic
def bulk_invitation_discard(*, invitation: BulkInvitation) -> bool:
    """Throw away a preview nobody confirmed. Returns False if it was confirmed meanwhile."""
    locked = BulkInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.status != BulkStatus.PREVIEW:
        return False
    locked.rows.all().delete()
    locked.delete()
    return True


class _Skip(Exception):
    pass


def bulk_invitation_process(*, invitation_id: int) -> int:
    """Send the links of a confirmed invitation; returns how many this call sent. Safe to
    run again or twice at once (a worker that died, a retried task): each row is claimed."""
    claimed = BulkInvitation.objects.filter(
        pk=invitation_id, status__in=[BulkStatus.QUEUED, BulkStatus.SENDING]
    ).update(status=BulkStatus.SENDING)
    if not claimed:
        return 0
    invitation = BulkInvitation.objects.select_related("rule", "confirmed_by", "created_by").get(
        pk=invitation_id
    )
    sender = invitation.confirmed_by or invitation.created_by
    waiting = invitation.rows.filter(result=BulkResult.PENDING, finding=BulkFinding.READY)
    sent = sum(
        _send_row(row_id, invitation.rule, sender)
        for row_id in list(waiting.order_by("number").values_list("pk", flat=True))
    )
    # Rows that were never ready were marked skipped on confirming; anything left pending
    # now belongs to a run still going elsewhere, which will finish the invitation.
    if not invitation.rows.filter(result=BulkResult.PENDING).exists():
        BulkInvitation.objects.filter(pk=invitation_id, status=BulkStatus.SENDING).update(
            status=BulkStatus.DONE, finished_at=timezone.now()
        )
    return sent


def _send_row(row_id: int, rule: BroadcastRule, sender: User | None) -> bool:
    rows = BulkInvitationRow.objects.filter(pk=row_id)
    try:
        with transaction.atomic():
            if not rows.filter(result=BulkResult.PENDING).update(result=BulkResult.SENT):
                return False  # another run has it
            row = rows.select_related("patient__service").get()
            now = timezone.now()
            if sender is None:
                raise _Skip("Nobody to send it on behalf of: the confirming account is gone.")
            if row.patient is None:
                raise _Skip(BulkFinding.UNKNOWN.label)
            live = BookingLink.objects.filter(
                patient=row.patient, rule=rule, status__in=LIVE, expires_at__gt=now
            )
            if live.exists():
                raise _Skip(BulkFinding.LIVE_LINK.label)
            sent = booking_link_send_or_show(
                patient=row.patient, rule=rule, sent_by=sender, now=now
            )
            if sent.shown_again:  # sent by someone else since the check above
                raise _Skip(BulkFinding.LIVE_LINK.label)
            rows.update(link=sent.link)
            return True
    except (BookingError, _Skip) as reason:
        rows.filter(result=BulkResult.PENDING).update(
            result=BulkResult.SKIPPED, reason=str(reason)[:200]
        )
        return False
