"""Onboarding in bulk: check a CSV file of therapists or of patients, then import all of it
in one transaction or nothing at all."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record, audit_record_each
from slotlink.clinic.models import Patient, Service, Team, Therapist, User, WorkingPattern
from slotlink.clinic.onboarding import (
    PATIENTS,
    THERAPISTS,
    NewPatient,
    Row,
    Shift,
    check_patients,
    check_therapists,
)

# Checked in chunks: a database takes only so many values in one query.
_CHUNK = 500


@dataclass
class Checked:
    rows: list[Row]
    shifts: dict[int, Shift]
    patients: dict[int, NewPatient]

    @property
    def problems(self) -> int:
        return sum(1 for row in self.rows if row.problems)

    @property
    def warnings(self) -> int:
        return sum(1 for row in self.rows if row.warnings)


def onboarding_check(*, kind: str, rows: list[Row], service: Service) -> Checked:
    today = timezone.localdate(timezone=service.zone)
    if kind == THERAPISTS:
        names = Therapist.objects.filter(service=service).values_list("name", flat=True)
        return Checked(rows, check_therapists(rows, today, names), {})
    patients = Patient.objects.filter(service=service)

    def numbers(wanted: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            found.update(patients.filter(nhs_number__in=chunk).values_list("nhs_number", flat=True))
        return found

    def people(wanted: list[tuple[str, str, date]]) -> set[tuple[str, str, date]]:
        found: set[tuple[str, str, date]] = set()
        for i in range(0, len(wanted), _CHUNK):
            births = {born for _, _, born in wanted[i : i + _CHUNK]}
            found.update(
                (first.casefold(), last.casefold(), born)
                for first, last, born in patients.filter(date_of_birth__in=births).values_list(
                    "first_name", "last_name", "date_of_birth"
                )
            )
        return found

    return Checked(rows, {}, check_patients(rows, today, numbers, people))


@transaction.atomic
def onboarding_import(*, kind: str, rows: list[Row], service: Service, user: User) -> Checked:
    """Check again (the caseload may have changed since the preview) and import every row,
    or, if any row has a problem now, nothing. Returns the check; nothing was written if it
    has problems."""
    # One import at a time per service, so two uploads of one file cannot both pass the
    # duplicate checks.
    Service.objects.select_for_update().filter(pk=service.pk).first()
    checked = onboarding_check(kind=kind, rows=rows, service=service)
    if checked.problems:
        return checked
    if kind == THERAPISTS:
        _therapists(checked, service, user)
    elif kind == PATIENTS:
        _patients(checked, service, user)
    audit_record(
        action=AuditAction.IMPORT_DONE,
        by=user,
        object_type=kind,
        service_id=service.pk,
        details={"rows": len(rows), "kind": kind},
    )
    return checked


def _therapists(checked: Checked, service: Service, user: User) -> None:
    therapists: dict[str, Therapist] = {}
    teams = {t.name.casefold(): t for t in Team.objects.filter(service=service)}
    for row in checked.rows:
        name = row.cells["name"]
        therapist = therapists.get(name.casefold())
        if therapist is None:
            therapist = therapists[name.casefold()] = Therapist.objects.create(
                service=service, name=name
            )
            audit_record(
                action=AuditAction.THERAPIST_SAVED,
                by=user,
                subject=therapist,
                service_id=service.pk,
                details={"imported": True},
            )
        team_name = row.cells.get("team", "")
        if team_name:
            team = teams.get(team_name.casefold())
            if team is None:
                team = teams[team_name.casefold()] = Team.objects.create(
                    service=service, name=team_name[:100]
                )
            team.therapists.add(therapist)
        shift = checked.shifts.get(row.number)
        if shift is not None:
            WorkingPattern.objects.create(
                therapist=therapist,
                weekday=shift.weekday,
                start_time=shift.starts,
                end_time=shift.ends,
                every_weeks=shift.every_weeks,
                effective_from=shift.effective_from,
                effective_to=shift.effective_to,
                online_bookable=shift.online_bookable,
            )


def _patients(checked: Checked, service: Service, user: User) -> None:
    made = Patient.objects.bulk_create(
        Patient(
            service=service,
            first_name=p.first_name,
            last_name=p.last_name,
            date_of_birth=p.date_of_birth,
            nhs_number=p.nhs_number,
            mobile=p.mobile,
            email=p.email,
            preferred_language=p.language,
        )
        for p in checked.patients.values()
    )
    audit_record_each(
        action=AuditAction.PATIENT_CREATED,
        by=user,
        subjects=made,
        service_id=service.pk,
        are_patients=True,
        details={"imported": True},
    )
