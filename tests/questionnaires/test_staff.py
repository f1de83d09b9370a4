"""What staff see and do: scores, bands and the chart on the record, completion state in the
appointment, the alert until a clinician acknowledges it (who and when), nothing editable
after submission, and what a superuser configures (own forms in versions, when forms go)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.clinic.models import Appointment, PatientAlert
from slotlink.questionnaires.models import Form, FormAssignment, FormRequest, RequestStatus
from slotlink.questionnaires.selectors import patient_scores
from slotlink.questionnaires.services import (
    FormClosed,
    form_answer_save,
    form_request_submit,
    questionnaires_sweep,
    version_definition,
)
from slotlink.records.score_chart import score_chart
from tests.conftest import MONDAY, logged_in
from tests.questionnaires.conftest import FormsClinic, book

pytestmark = pytest.mark.django_db


def _complete(request: FormRequest, value: str) -> None:
    for question in version_definition(request.version).questions:
        form_answer_save(request=request, key=question.key, raw=value)
    form_request_submit(request=request)


def _answered(fc: FormsClinic, value: str, days: int = 3) -> Appointment:
    appointment = book(fc, timezone.now() + timedelta(days=days))
    questionnaires_sweep()
    for request in FormRequest.objects.filter(appointment=appointment):
        _complete(request, value)
    return appointment


def test_the_record_shows_scores_bands_and_a_chart_with_its_numbers_in_a_table(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    _answered(forms_clinic, "2")  # PHQ-9 18 Moderately severe, GAD-7 14 Moderate
    frozen_now.move_to(MONDAY + timedelta(days=14))
    _answered(forms_clinic, "1")  # PHQ-9 9 Mild, GAD-7 7 Mild
    client = logged_in(forms_clinic.clinic.therapist_user)
    page = client.get(reverse("records:questionnaires", args=[forms_clinic.clinic.patient.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and 'role="img"' in html
    assert html.count('<circle class="point--phq9"') == 2
    assert html.count('<circle class="point--gad7"') == 2
    assert (
        "PHQ-9: 2 scores, from 18 (Moderately severe) on 07/12/2026 to 9 (Mild) on 21/12/2026"
    ) in html
    rows = re.findall(
        r"<tr><td>(\d\d/\d\d/\d{4})</td><td>([^<]+)</td><td>(\d+)</td><td>([^<]+)</td>", html
    )
    assert ("PHQ-9", "18", "Moderately severe") in [r[1:] for r in rows]
    assert ("GAD-7", "7", "Mild") in [r[1:] for r in rows]
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # the CSP's rule
    assert AuditEvent.objects.filter(action=AuditAction.FORM_VIEWED).exists()


def test_a_response_shows_every_answer_and_its_score_and_cannot_be_changed(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    _answered(forms_clinic, "3")
    request = FormRequest.objects.get(form=forms_clinic.phq9)
    client = logged_in(forms_clinic.clinic.therapist_user)
    url = reverse("records:form_response", args=[forms_clinic.clinic.patient.pk, request.pk])
    html = client.get(url).content.decode()
    assert html.count("Nearly every day") == 9 and "27 (Severe)" in html
    answers = html.split('aria-label="Patient record"', 1)[1]
    assert "<form" not in answers and "<input" not in answers  # read only
    assert client.post(url).status_code == 405
    # The patient cannot change it either, any more.
    with pytest.raises(FormClosed):
        form_answer_save(request=request, key="phq9_1", raw="0")
    request.refresh_from_db()
    assert request.total == 27 and request.answers["phq9_1"] == "3"


def test_the_appointment_shows_the_state_of_its_forms(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    _complete(FormRequest.objects.get(form=forms_clinic.gad7), "0")
    client = logged_in(forms_clinic.clinic.admin)
    html = client.get(reverse("records:appointment_edit", args=[appointment.pk])).content.decode()
    assert "Questionnaires" in html
    assert 'tag--booked">Completed' in html and 'tag--sent">Sent' in html


def test_a_risk_alert_stays_on_the_record_until_a_clinician_acknowledges_it(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    request = FormRequest.objects.get(form=forms_clinic.phq9)
    form_answer_save(request=request, key="phq9_9", raw="1")
    clinic = forms_clinic.clinic
    patient_url = reverse("clinic:patient_detail", args=[clinic.patient.pk])
    admin_page = logged_in(clinic.admin).get(patient_url).content.decode()
    assert "Urgent: PHQ-9: thoughts of self-harm" in admin_page
    assert "A clinician must acknowledge it" in admin_page  # admins are not clinicians
    alert = PatientAlert.objects.get()
    therapist = logged_in(clinic.therapist_user)
    assert "Acknowledge" in therapist.get(patient_url).content.decode()
    frozen_now.move_to(MONDAY + timedelta(minutes=5))
    response = therapist.post(reverse("records:alert_acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinic.therapist_user
    assert alert.acknowledged_at == MONDAY + timedelta(minutes=5)
    assert "Urgent:" not in therapist.get(patient_url).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.ALERT_ACKNOWLEDGED).count() == 1
    # A second acknowledgement changes nothing.
    logged_in(clinic.superuser).post(reverse("records:alert_acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinic.therapist_user


OWN_FORM = {
    "name": "Welcome questions",
    "intro": "Please tell us **a little** about you.<script>alert(1)</script>",
    "stem": "",
    "bands": "0-1 Low\n2-4 High",
    "caseness_from": "3",
    "q-TOTAL_FORMS": "4",
    "q-INITIAL_FORMS": "0",
    "q-0-text": "How is your sleep?",
    "q-0-kind": "single_choice",
    "q-0-required": "on",
    "q-0-options": "Good = 0\nPoor = 1\nVery poor = 2",
    "q-1-text": "How is your mood?",
    "q-1-kind": "single_choice",
    "q-1-required": "on",
    "q-1-options": "Good = 0\nLow = 1\nVery low = 2",
    "q-2-text": "Hours of sleep a night",
    "q-2-kind": "number",
    "q-2-required": "on",
    "q-2-minimum": "0",
    "q-2-maximum": "24",
    "q-3-text": "When did you last see your GP?",
    "q-3-kind": "date",
}


def test_a_superuser_builds_a_form_and_each_edit_is_a_new_version(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    client = logged_in(forms_clinic.clinic.superuser)
    response = client.post(reverse("questionnaires:form_new"), OWN_FORM)
    assert response.status_code == 302, response.content.decode()
    form = Form.objects.get(service=forms_clinic.clinic.service)
    [first] = form.versions.all()
    definition = version_definition(first)
    assert [q.kind for q in definition.questions] == [
        "single_choice",
        "single_choice",
        "number",
        "date",
    ]
    assert "<script>" not in definition.intro and definition.scoring.caseness_from == 3
    # A form sent with version 1 keeps it after an edit.
    FormAssignment.objects.create(
        service=forms_clinic.clinic.service,
        appointment_type=forms_clinic.kind,
        form=form,
        created_at=MONDAY - timedelta(days=1),
    )
    book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    sent = FormRequest.objects.get(form=form)
    edit = {**OWN_FORM, "q-0-text": "How have you slept?"}
    client.post(reverse("questionnaires:form_edit", args=[form.pk]), edit)
    assert form.versions.count() == 2
    sent.refresh_from_db()
    assert sent.version == first
    assert version_definition(sent.version).questions[0].text == "How is your sleep?"
    # Saving with no change of meaning (only the name) makes no version.
    client.post(reverse("questionnaires:form_edit", args=[form.pk]), {**edit, "name": "Welcome"})
    assert form.versions.count() == 2
    form.refresh_from_db()
    assert form.name == "Welcome"


def test_a_form_that_does_not_add_up_is_refused_with_how_to_fix_it(
    forms_clinic: FormsClinic,
) -> None:
    client = logged_in(forms_clinic.clinic.superuser)
    response = client.post(
        reverse("questionnaires:form_new"), {**OWN_FORM, "bands": "0-1 Low\n3-4 High"}
    )
    assert response.status_code == 400
    assert "cover every total from 0 to 4" in response.content.decode()
    response = client.post(reverse("questionnaires:form_new"), {**OWN_FORM, "q-0-options": "Only"})
    assert response.status_code == 400 and "at least two" in response.content.decode()
    assert not Form.objects.filter(service=forms_clinic.clinic.service).exists()


def test_a_superuser_says_which_forms_go_with_which_type_and_when(
    forms_clinic: FormsClinic,
) -> None:
    client = logged_in(forms_clinic.clinic.superuser)
    kind, phq9, gad7 = forms_clinic.kind, forms_clinic.phq9, forms_clinic.gad7
    page = client.get(reverse("questionnaires:assignments"))
    assert page.status_code == 200
    response = client.post(
        reverse("questionnaires:assignments"),
        {
            f"a{kind.pk}-{phq9.pk}-when": "before",
            f"a{kind.pk}-{phq9.pk}-hours": "48",
            f"a{kind.pk}-{gad7.pk}-when": "",
        },
    )
    assert response.status_code == 302
    assert dict(kind.form_assignments.values_list("form__name", "hours_before")) == {"PHQ-9": 48}
    response = client.post(
        reverse("questionnaires:assignments"), {f"a{kind.pk}-{phq9.pk}-when": "before"}
    )
    assert response.status_code == 400 and "how many hours" in response.content.decode()


def test_a_superuser_sets_the_crisis_information_sanitised(forms_clinic: FormsClinic) -> None:
    client = logged_in(forms_clinic.clinic.superuser)
    client.post(
        reverse("questionnaires:crisis"),
        {"crisis_information": "Call [our line](tel:01134960000)<script>x</script>"},
    )
    forms_clinic.clinic.service.refresh_from_db()
    assert "<script>" not in forms_clinic.clinic.service.crisis_information
    assert "our line" in forms_clinic.clinic.service.crisis_information


def test_built_in_forms_cannot_be_edited(forms_clinic: FormsClinic) -> None:
    client = logged_in(forms_clinic.clinic.superuser)
    response = client.post(
        reverse("questionnaires:form_edit", args=[forms_clinic.phq9.pk]), OWN_FORM
    )
    assert response.status_code == 404
    assert forms_clinic.phq9.versions.count() == 1
    assert FormRequest.objects.filter(status=RequestStatus.COMPLETED).count() == 0


def test_the_chart_puts_each_day_in_order_evenly_and_a_days_two_forms_one_above_the_other(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    for days, value in ((0, "3"), (25, "2"), (40, "1")):  # across a month's end
        frozen_now.move_to(MONDAY + timedelta(days=days))
        _answered(forms_clinic, value)
    chart = score_chart(
        patient_scores(forms_clinic.clinic.patient), forms_clinic.clinic.service.zone
    )
    phq9, gad7 = chart.series
    assert [p.day for p in phq9.points] == ["07/12/2026", "01/01/2027", "16/01/2027"]
    assert [p.x for p in phq9.points] == [p.x for p in gad7.points]
    xs = [p.x for p in phq9.points]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])
    assert [p.total for p in phq9.points] == [27, 18, 9]
    assert phq9.points[0].y < phq9.points[2].y  # higher scores higher up
    assert [t.label for t in chart.x_ticks] == ["07/12/2026", "01/01/2027", "16/01/2027"]
