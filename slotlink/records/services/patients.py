"""Write-side operations on the patient record."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.booking.links.services import Actor, booking_link_expire
from slotlink.booking.models import BookingLink
from slotlink.clinic.models import Patient, Service, User
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


class PatientClash(Exception):
    """Another patient of the service already has this NHS number."""


@dataclass(frozen=True)
class Identity:
    first_name: str
    last_name: str
    date_of_birth: date
    nhs_number: str


@transaction.atomic
def patient_create(
    *, service: Service, identity: Identity, change: RecordChange, user: User
) -> Patient:
    """A new patient on the service's caseload (from a record system: staff add patients
    there). Raises PatientClash when the NHS number is another patient's."""
    now = timezone.now()
    patient = Patient(
        service=service,
        first_name=identity.first_name,
        last_name=identity.last_name,
        date_of_birth=identity.date_of_birth,
        nhs_number=identity.nhs_number,
        mobile=change.mobile,
        email=change.email,
        do_not_sms=change.do_not_sms,
        discharged_at=now if change.discharged else None,
    )
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        raise PatientClash("Another patient of this service has that NHS number.") from None
    audit_record(
        action=AuditAction.PATIENT_CREATED,
        by=user,
        subject=patient,
        patient_id=patient.pk,
        service_id=service.pk,
        now=now,
    )
    return patient


@transaction.atomic
def patient_identity_update(*, patient: Patient, identity: Identity, user: User) -> None:
    """Correct the patient's name, date of birth or NHS number. Raises PatientClash when the
    NHS number is another patient's."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = [
        name
        for name in ("first_name", "last_name", "date_of_birth", "nhs_number")
        if getattr(locked, name) != getattr(identity, name)
    ]
    if not changed:
        return
    for name in changed:
        setattr(locked, name, getattr(identity, name))
    try:
        with transaction.atomic():
            locked.save(update_fields=changed)
    except IntegrityError:
        raise PatientClash("Another patient of this service has that NHS number.") from None
    # Which details changed, never their values.
    audit_record(
        action=AuditAction.PATIENT_UPDATED,
        by=user,
        subject=locked,
        patient_id=locked.pk,
        service_id=locked.service_id,
        details={"fields": [name.replace("_", " ") for name in changed]},
    )
    patient.refresh_from_db()
