"""The demo: PHQ-9 and GAD-7 go with its appointment types, and a patient has past scores
for the chart."""

import pytest

from slotlink.clinic.models import AppointmentType, Patient
from slotlink.ops.demo import seed_demo_service
from slotlink.questionnaires.models import FormAssignment, FormRequest, RequestStatus
from slotlink.questionnaires.selectors import patient_scores

pytestmark = pytest.mark.django_db


def test_the_demo_sends_phq9_and_gad7_and_one_patient_has_a_history_of_scores() -> None:
    service, created = seed_demo_service()
    assert created
    for kind in AppointmentType.objects.filter(service=service):
        names = set(
            FormAssignment.objects.filter(appointment_type=kind).values_list(
                "form__name", flat=True
            )
        )
        assert names == {"PHQ-9", "GAD-7"}
    dee = Patient.objects.get(service=service, first_name="Dee")
    scores = patient_scores(dee)
    phq9 = [r.total for r in scores if r.form.name == "PHQ-9"]
    assert phq9 == [24, 16, 16, 8, 8]  # getting better, week by week
    assert all(r.status == RequestStatus.COMPLETED and not r.risk for r in scores)
    assert FormRequest.objects.filter(patient=dee).count() == 10
