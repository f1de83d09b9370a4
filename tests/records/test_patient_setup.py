"""Admins and superusers add patients and correct who they are; likely duplicates are
caught (the same NHS number: refused; the same name and date of birth: a warning to confirm)."""

import html
from typing import Any

import pytest
from django.urls import reverse

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.clinic.models import Language, Patient
from slotlink.ops.demo import demo_nhs_number
from tests.conftest import Clinic, logged_in
from tests.factories import PatientFactory, patient_identity_form

NEW_NHS = demo_nhs_number(499_001)  # far past any factory-made number


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def new_patient(**changes: str) -> dict[str, str]:
    form = {
        "first_name": "Morgan",
        "last_name": "Fictional",
        "date_of_birth": "1988-02-29",
        "nhs_number": f"{NEW_NHS[:3]} {NEW_NHS[3:6]} {NEW_NHS[6:]}",
        "mobile": "07700 900321",
        "email": "morgan@example.com",
        "preferred_language": Language.WELSH,
    }
    form.update(changes)
    return form


def test_an_admin_adds_a_patient_with_checked_details(clinic: Clinic) -> None:
    response = logged_in(clinic.admin).post(reverse("records:patient_new"), new_patient())
    patient = Patient.objects.get(first_name="Morgan")
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient_detail", args=[patient.pk])
    assert (patient.service, patient.nhs_number, patient.mobile) == (
        clinic.service,
        NEW_NHS,
        "+447700900321",
    )
    assert patient.preferred_language == Language.WELSH
    assert patient.discharged_at is None and not patient.do_not_sms
    event = AuditEvent.objects.get(action=AuditAction.PATIENT_CREATED)
    assert (event.patient_id, event.actor) == (patient.pk, clinic.admin)
    assert "1988" not in str(event.details) and "07700" not in str(event.details)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"nhs_number": NEW_NHS[:-1] + str((int(NEW_NHS[-1]) + 1) % 10)},
            "Enter a valid NHS number",
        ),
        ({"nhs_number": "12345"}, "Enter a valid NHS number"),
        ({"mobile": "0113 496 0000"}, "Enter a UK mobile number"),
        ({"email": "not an address"}, "Enter an email address, like name@example.com."),
        ({"date_of_birth": "2099-01-01"}, "Enter a date from"),
        ({"first_name": ""}, "Enter the patient's first name."),
        ({"preferred_language": "fr"}, "Choose English or Welsh."),
    ],
)
def test_bad_details_are_explained_and_nothing_is_added(
    clinic: Clinic, changes: dict[str, str], error: str
) -> None:
    response = logged_in(clinic.admin).post(reverse("records:patient_new"), new_patient(**changes))
    assert response.status_code == 400
    assert error in text(response)
    assert not Patient.objects.filter(last_name="Fictional").exists()


def test_the_same_nhs_number_is_refused_naming_the_patient_who_has_it(clinic: Clinic) -> None:
    response = logged_in(clinic.admin).post(
        reverse("records:patient_new"), new_patient(nhs_number=clinic.patient.nhs_number)
    )
    assert response.status_code == 400
    assert f"{clinic.patient.full_name} (born 12/04/1990) already has this NHS number" in text(
        response
    )
    assert not Patient.objects.filter(first_name="Morgan").exists()


def test_another_services_patient_with_the_number_is_neither_named_nor_in_the_way(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    response = logged_in(clinic.admin).post(
        reverse("records:patient_new"), new_patient(nhs_number=other_clinic.patient.nhs_number)
    )
    assert response.status_code == 302
    assert other_clinic.patient.last_name not in text(response)


def test_the_same_name_and_birth_date_is_a_warning_to_confirm(clinic: Clinic) -> None:
    twin = PatientFactory(
        service=clinic.service,
        first_name="Morgan",
        last_name="Fictional",
        date_of_birth="1988-02-29",
    )
    client = logged_in(clinic.admin)
    warned = client.post(reverse("records:patient_new"), new_patient(first_name="MORGAN"))
    assert warned.status_code == 400
    assert "Perhaps the same person" in text(warned)
    assert reverse("clinic:patient_detail", args=[twin.pk]) in text(warned)
    assert Patient.objects.filter(first_name__iexact="Morgan").count() == 1
    confirmed = client.post(
        reverse("records:patient_new"), new_patient(first_name="MORGAN", confirm_alike="on")
    )
    assert confirmed.status_code == 302
    assert Patient.objects.filter(first_name__iexact="Morgan").count() == 2


def test_an_admin_corrects_who_the_patient_is(clinic: Clinic) -> None:
    patient = clinic.patient
    form = {
        **patient_identity_form(patient),
        "last_name": "Corrected",
        "preferred_language": Language.WELSH,
        "mobile": patient.mobile,
        "email": "",
    }
    response = logged_in(clinic.admin).post(
        reverse("records:patient_record_edit", args=[patient.pk]), form
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.last_name, patient.preferred_language) == ("Corrected", Language.WELSH)
    event = AuditEvent.objects.get(action=AuditAction.PATIENT_UPDATED)
    assert event.details == {"fields": ["last name", "preferred language"]}


def test_an_edit_cannot_take_another_patients_nhs_number(clinic: Clinic) -> None:
    other = PatientFactory(service=clinic.service)
    form = {
        **patient_identity_form(clinic.patient),
        "nhs_number": other.nhs_number,
        "mobile": clinic.patient.mobile,
        "email": "",
    }
    response = logged_in(clinic.admin).post(
        reverse("records:patient_record_edit", args=[clinic.patient.pk]), form
    )
    assert response.status_code == 400
    assert "already has this NHS number" in text(response)
    clinic.patient.refresh_from_db()
    assert clinic.patient.nhs_number != other.nhs_number


def test_a_therapist_edits_contact_details_but_not_who_the_patient_is(clinic: Clinic) -> None:
    client = logged_in(clinic.therapist_user)
    page = text(client.get(reverse("records:patient_record_edit", args=[clinic.patient.pk])))
    assert 'name="mobile"' in page and 'name="nhs_number"' not in page
    response = client.post(
        reverse("records:patient_record_edit", args=[clinic.patient.pk]),
        {"mobile": "07700 900888", "email": "", "last_name": "Sneaked"},
    )
    assert response.status_code == 302
    clinic.patient.refresh_from_db()
    assert (clinic.patient.mobile, clinic.patient.last_name) != ("+447700900888", "Sneaked")
    assert clinic.patient.mobile == "+447700900888"
