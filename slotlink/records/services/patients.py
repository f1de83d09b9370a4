"""Write-side operations on the patient record."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.booking.links.services import Actor, booking_link_expire
from slotlink.booking.models import BookingLink
from slotlink.clinic.models import Patient, User
from slotlink.clinic.services.setup import (
    DuplicateNhsNumber,
    PatientIdentity,
    patient_identity_set,
)
from slotlink.domain.link_lifecycle import LIVE
from slotlink.messaging.services import patient_texts_follow_number, patient_texts_stop

DISCHARGED = "Patient discharged"
DO_NOT_SMS = "Patient not to be contacted by SMS"
MOBILE_CHANGED = "Mobile number changed"


@dataclass(frozen=True)
class RecordChange:
    mobile: str
    email: str
    discharged: bool
    do_not_sms: bool


def patient_details_update(
    *,
    patient: Patient,
    identity: PatientIdentity,
    change: RecordChange,
    user: User,
    now: datetime | None = None,
) -> int:
    """Correct who the patient is (name, date of birth, NHS number, language) as well as
    their contact details and flags (see patient_record_update). Raises DuplicateNhsNumber
    when another patient of the service has the NHS number."""
    try:
        with transaction.atomic():
            locked = Patient.objects.select_for_update().get(pk=patient.pk)
            changed = patient_identity_set(patient=locked, identity=identity)
            if changed:
                locked.save(update_fields=[name.replace(" ", "_") for name in changed])
                audit_record(
                    action=AuditAction.PATIENT_UPDATED,
                    by=user,
                    subject=locked,
                    patient_id=locked.pk,
                    service_id=locked.service_id,
                    details={"fields": changed},
                    now=now,
                )
            return patient_record_update(patient=patient, change=change, user=user, now=now)
    except IntegrityError as error:
        if (
            Patient.objects.filter(service_id=patient.service_id, nhs_number=identity.nhs_number)
            .exclude(pk=patient.pk)
            .exists()
        ):
            raise DuplicateNhsNumber from error
        raise


@transaction.atomic
def patient_record_update(
    *, patient: Patient, change: RecordChange, user: User, now: datetime | None = None
) -> int:
    """Save the patient's contact details and flags. When the patient is newly discharged or
    newly not to be texted, or their mobile number changes (a link texted to the old number
    must not go on working for whoever has it now), every link they could still book with
    expires, the reason recorded in its history. Returns how many links expired."""
    now = now or timezone.now()
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    was = (locked.mobile, locked.email, locked.discharged_at is not None, locked.do_not_sms)
    reasons = []
    if change.discharged and locked.discharged_at is None:
        locked.discharged_at = now
        reasons.append(DISCHARGED)
    elif not change.discharged:
        locked.discharged_at = None
    if change.do_not_sms and not locked.do_not_sms:
        reasons.append(DO_NOT_SMS)
    number_changed = change.mobile != locked.mobile
    if number_changed:
        reasons.append(MOBILE_CHANGED)
    locked.do_not_sms = change.do_not_sms
    locked.mobile, locked.email = change.mobile, change.email
    locked.save(update_fields=["discharged_at", "do_not_sms", "mobile", "email"])
    now_values = (change.mobile, change.email, change.discharged, change.do_not_sms)
    changed = [
        name
        for name, old, new in zip(
            ("mobile", "email", "discharged", "do not SMS"), was, now_values, strict=True
        )
        if old != new
    ]
    if changed:
        # Which details changed, never their values.
        audit_record(
            action=AuditAction.PATIENT_UPDATED,
            by=user,
            subject=locked,
            patient_id=locked.pk,
            service_id=locked.service_id,
            details={"fields": changed},
            now=now,
        )
    if DO_NOT_SMS in reasons:
        patient_texts_stop(patient=locked, by=user, now=now)
    elif number_changed:
        patient_texts_follow_number(patient=locked, by=user, now=now)
    patient.refresh_from_db()
    if not reasons:
        return 0
    return patient_links_expire(patient=locked, user=user, reason="; ".join(reasons), now=now)


def patient_links_expire(*, patient: Patient, user: User, reason: str, now: datetime) -> int:
    """Expire every link of the patient that could still be used to book."""
    live = BookingLink.objects.filter(patient=patient, status__in=LIVE, expires_at__gt=now)
    return sum(
        booking_link_expire(link=link, actor=Actor.staff(user, reason), now=now)
        for link in live.order_by("pk")
    )
