"""Adding patients at once: the database keeps one NHS number to one patient of a service,
whatever the concurrency, and two imports of one file never both land (nothing is ever
half-imported)."""

import threading
from datetime import date

import pytest

from slotlink.clinic.models import Patient, Therapist
from slotlink.clinic.onboarding import PATIENTS, read_csv
from slotlink.clinic.services.onboarding import onboarding_import
from slotlink.clinic.services.setup import DuplicateNhsNumber, PatientIdentity, patient_create
from slotlink.ops.demo import demo_nhs_number
from tests.concurrency import concurrently
from tests.conftest import Clinic

NHS = demo_nhs_number(499_200)
RACERS = 6


def identity(nhs_number: str = NHS) -> PatientIdentity:
    return PatientIdentity(
        first_name="Quinn",
        last_name="Fictional",
        date_of_birth=date(1991, 5, 6),
        nhs_number=nhs_number,
        preferred_language="en",
    )


@pytest.mark.django_db(transaction=True)
def test_one_nhs_number_added_by_several_admins_at_once_makes_one_patient(
    clinic: Clinic,
) -> None:
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []

    def add() -> None:
        barrier.wait()
        try:
            patient_create(
                service_id=clinic.service.pk,
                identity=identity(),
                mobile="",
                email="",
                do_not_sms=False,
                discharged=False,
                user=clinic.admin,
            )
            outcomes.append("added")
        except DuplicateNhsNumber:
            outcomes.append("duplicate")

    with concurrently(timeout=60) as threads:
        for _ in range(RACERS):
            threads.start(add)
    assert sorted(outcomes) == ["added"] + ["duplicate"] * (RACERS - 1)
    assert Patient.objects.filter(nhs_number=NHS).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_file_imported_twice_at_once_lands_once(clinic: Clinic) -> None:
    content = "".join(
        f"Racer,Number{n},01/01/1980,{demo_nhs_number(499_300 + n)}\n" for n in range(50)
    )
    data = ("First name,Last name,Date of birth,NHS number\n" + content).encode()
    barrier = threading.Barrier(2)
    problems: list[int] = []

    def run_import() -> None:
        rows = read_csv(data, PATIENTS)
        barrier.wait()
        checked = onboarding_import(
            kind=PATIENTS, rows=rows, service=clinic.service, user=clinic.admin
        )
        problems.append(checked.problems)

    with concurrently(timeout=60) as threads:
        for _ in range(2):
            threads.start(run_import)
    assert sorted(problems) == [0, 50]
    assert Patient.objects.filter(first_name="Racer").count() == 50
    assert not Therapist.objects.filter(name="Racer").exists()
