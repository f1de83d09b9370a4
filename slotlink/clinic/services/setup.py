"""Setting a service up: therapists, teams, working patterns, diary changes and appointment
types. Each write is audited (what changed, never a person's details). Nothing here caches:
the diary and the patients' times pages read these rows afresh, so a change shows at once."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.models import (
    AppointmentType,
    DiaryChange,
    Patient,
    Team,
    Therapist,
    User,
    WorkingPattern,
)


def _audit(
    action: AuditAction,
    record: Therapist | Team | WorkingPattern | DiaryChange | AppointmentType,
    user: User,
    details: dict[str, object],
) -> None:
    """Audit a set-up write under the record's service (a shift's or a diary change's is its
    therapist's). A removal calls this before deleting, while the record still has its id."""
    if isinstance(record, WorkingPattern | DiaryChange):
        service_id = record.therapist.service_id
    else:
        service_id = record.service_id
    audit_record(action=action, by=user, subject=record, service_id=service_id, details=details)


@transaction.atomic
def therapist_save(*, therapist: Therapist, teams: Iterable[Team], user: User) -> Therapist:
    """Add or change a therapist and the teams they belong to. Never deleted: an inactive
    therapist keeps their diary's history and is offered to no patient."""
    therapist.save()
    therapist.teams.set(list(teams))
    _audit(
        AuditAction.THERAPIST_SAVED,
        therapist,
        user,
        {"active": therapist.active, "has_account": therapist.user_id is not None},
    )
    return therapist


@transaction.atomic
def team_save(*, team: Team, members: Iterable[Therapist], user: User) -> Team:
    team.save()
    team.therapists.set(list(members))
    _audit(AuditAction.TEAM_SAVED, team, user, {"members": team.therapists.count()})
    return team


def _pattern_details(pattern: WorkingPattern) -> dict[str, object]:
    return {
        "weekday": pattern.get_weekday_display(),
        "hours": f"{pattern.start_time:%H:%M}-{pattern.end_time:%H:%M}",
        "every_weeks": pattern.every_weeks,
        "from": pattern.effective_from.isoformat(),
        "to": pattern.effective_to.isoformat() if pattern.effective_to else "",
        "online": pattern.online_bookable,
    }


@transaction.atomic
def working_pattern_add(*, pattern: WorkingPattern, user: User) -> WorkingPattern:
    pattern.save()
    _audit(AuditAction.PATTERN_ADDED, pattern, user, _pattern_details(pattern))
    return pattern


@transaction.atomic
def working_pattern_change(
    *, pattern: WorkingPattern, to: WorkingPattern, user: User
) -> WorkingPattern:
    """Change a shift in place, history and all. Appointments already booked stay exactly as
    they are: staff move those the shift no longer holds (selectors.appointments_off_shift)."""
    before = _pattern_details(pattern)
    for name in WorkingPattern.SHIFT_FIELDS:
        setattr(pattern, name, getattr(to, name))
    pattern.save(update_fields=WorkingPattern.SHIFT_FIELDS)
    after = _pattern_details(pattern)
    changed = {f"was_{k}": v for k, v in before.items() if after[k] != v}
    _audit(AuditAction.PATTERN_CHANGED, pattern, user, {**after, **changed})
    return pattern


@transaction.atomic
def working_pattern_end(*, pattern: WorkingPattern, last_day: date, user: User) -> None:
    """The shift stops after `last_day`; a shift that would then never have happened is
    removed instead (it is no part of the diary's history)."""
    if last_day < pattern.effective_from:
        _audit(AuditAction.PATTERN_REMOVED, pattern, user, _pattern_details(pattern))
        pattern.delete()
        return
    pattern.effective_to = last_day
    pattern.save(update_fields=["effective_to"])
    _audit(AuditAction.PATTERN_ENDED, pattern, user, _pattern_details(pattern))


def _change_details(change: DiaryChange) -> dict[str, object]:
    return {
        "kind": change.kind,
        "start": change.start.isoformat(),
        "end": change.end.isoformat(),
    }


@transaction.atomic
def diary_change_add(*, change: DiaryChange, user: User) -> DiaryChange:
    """Record leave or an extra session. Appointments already in the time stay exactly as
    they are: staff move them (see selectors.appointments_in_change)."""
    change.save()
    _audit(AuditAction.DIARY_CHANGE_ADDED, change, user, _change_details(change))
    return change


@transaction.atomic
def diary_change_remove(*, change: DiaryChange, user: User) -> None:
    _audit(AuditAction.DIARY_CHANGE_REMOVED, change, user, _change_details(change))
    change.delete()


@transaction.atomic
def appointment_type_save(*, appointment_type: AppointmentType, user: User) -> AppointmentType:
    appointment_type.save()
    _audit(
        AuditAction.APPOINTMENT_TYPE_SAVED,
        appointment_type,
        user,
        {"duration_minutes": appointment_type.duration_minutes, "medium": appointment_type.medium},
    )
    return appointment_type


class DuplicateNhsNumber(Exception):
    """Another patient of the service has this NHS number (the database forbids two)."""


@dataclass(frozen=True)
class PatientIdentity:
    first_name: str
    last_name: str
    date_of_birth: date
    nhs_number: str
    preferred_language: str


def _identity_fields(identity: PatientIdentity) -> list[str]:
    return list(identity.__dataclass_fields__)


def patient_identity_set(*, patient: Patient, identity: PatientIdentity) -> list[str]:
    """Set who the patient is on `patient` (not saved); the names of the fields changed."""
    changed = []
    for name in _identity_fields(identity):
        value = getattr(identity, name)
        if getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name.replace("_", " "))
    return changed


def patient_create(
    *,
    service_id: int,
    identity: PatientIdentity,
    mobile: str,
    email: str,
    do_not_sms: bool,
    discharged: bool,
    user: User,
    now: datetime | None = None,
) -> Patient:
    """Add a patient to the service's caseload. Raises DuplicateNhsNumber when another
    patient has the NHS number (checked by the database, so two at once cannot both pass)."""
    now = now or timezone.now()
    patient = Patient(
        service_id=service_id,
        mobile=mobile,
        email=email,
        do_not_sms=do_not_sms,
        discharged_at=now if discharged else None,
    )
    patient_identity_set(patient=patient, identity=identity)
    try:
        with transaction.atomic():
            patient.save()
            audit_record(
                action=AuditAction.PATIENT_CREATED,
                by=user,
                subject=patient,
                patient_id=patient.pk,
                service_id=service_id,
                now=now,
            )
    except IntegrityError as error:
        if (
            identity.nhs_number
            and Patient.objects.filter(
                service_id=service_id, nhs_number=identity.nhs_number
            ).exists()
        ):
            raise DuplicateNhsNumber from error
        raise
    return patient
