"""Every staff form's errors say how to fix the field ("Enter the start time, for example 09:30."),
never Django's generic defaults ("This field is required.", "Enter a valid date."), which
leave the reader to work out what is wrong where (GOV.UK and NHS error message guidance).

Each form is sent empty; with "x" in every field, which no date, time, number, email, link or
choice accepts; and with 999999 in every field, a record id that no choice offers."""

import re
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.http import QueryDict
from django.test import RequestFactory

from slotlink.accounts.forms import ChoosePasswordForm, CodeForm, StaffLoginForm
from slotlink.accounts.staff_forms import NewServiceForm, NewStaffForm, ServiceForm, StaffForm
from slotlink.api.forms import ApiClientForm
from slotlink.booking.invitations.forms import BulkSelectionForm, BulkUploadForm
from slotlink.booking.links.forms import ResendForm, RuleChoiceForm
from slotlink.booking.models import BroadcastRule
from slotlink.booking.rules.forms import BroadcastRuleForm, RuleActiveForm
from slotlink.clinic.forms import AppointmentForm, ClinicalContactForm
from slotlink.clinic.forms.setup import (
    AppointmentTypeForm,
    DiaryChangeForm,
    ImportUploadForm,
    PatternEndForm,
    PatternForm,
    TeamForm,
    TherapistForm,
)
from slotlink.clinic.settings_forms import ServiceSettingsForm
from slotlink.questionnaires.forms import (
    AssignmentForm,
    CrisisForm,
    FormContentForm,
    QuestionForm,
)
from slotlink.records.forms import CancelForm, NewAppointmentForm, PatientForm, PatientRecordForm
from tests.conftest import Clinic

# Django's own messages, which name no field and no way to fix it. (Slotlink's bounded "Enter a
# whole number from 5 to 480." and "Enter a valid NHS number: 10 digits, …" say what to enter.)
GENERIC = re.compile(
    r"This field is required\.|Enter a valid [\w /-]+\.$|Select a valid choice|"
    r"Enter a (whole )?number\.$"
)
TODAY = date(2026, 12, 7)
LONDON = ZoneInfo("Europe/London")

# Each staff form, made as its view makes it, from the posted data and the test's clinic.
FORMS: dict[str, Callable[[QueryDict, Clinic], forms.BaseForm]] = {
    "StaffLoginForm": lambda data, c: StaffLoginForm(RequestFactory().post("/"), data),
    "ChoosePasswordForm": lambda data, c: ChoosePasswordForm(c.admin, data),
    "CodeForm": lambda data, c: CodeForm(data),
    "StaffForm": lambda data, c: StaffForm(data),
    "NewStaffForm": lambda data, c: NewStaffForm(data),
    "ServiceForm": lambda data, c: ServiceForm(data),
    "NewServiceForm": lambda data, c: NewServiceForm(data),
    "ApiClientForm": lambda data, c: ApiClientForm(data),
    "RuleChoiceForm": lambda data, c: RuleChoiceForm(data, rules=BroadcastRule.objects.all()),
    "ResendForm": lambda data, c: ResendForm(data),
    "BulkUploadForm": lambda data, c: BulkUploadForm(data, {}, rules=BroadcastRule.objects.all()),
    "BulkSelectionForm": lambda data, c: BulkSelectionForm(data, rules=BroadcastRule.objects.all()),
    "BroadcastRuleForm": lambda data, c: BroadcastRuleForm(data, service=c.service),
    "RuleActiveForm": lambda data, c: RuleActiveForm(data),
    "AppointmentForm": lambda data, c: AppointmentForm(data, user=c.admin),
    "ClinicalContactForm": lambda data, c: ClinicalContactForm(data),
    "TherapistForm": lambda data, c: TherapistForm(data, service_id=c.service.pk),
    "TeamForm": lambda data, c: TeamForm(data, service_id=c.service.pk),
    "PatternForm": lambda data, c: PatternForm(data, today=TODAY),
    "PatternEndForm": lambda data, c: PatternEndForm(data),
    "DiaryChangeForm": lambda data, c: DiaryChangeForm(data, zone=LONDON, today=TODAY),
    "AppointmentTypeForm": lambda data, c: AppointmentTypeForm(data),
    "ImportUploadForm": lambda data, c: ImportUploadForm(data, {}),
    "ServiceSettingsForm": lambda data, c: ServiceSettingsForm(data, instance=c.service),
    "PatientRecordForm": lambda data, c: PatientRecordForm(data),
    "PatientForm": lambda data, c: PatientForm(data, service_id=c.service.pk),
    "NewAppointmentForm": lambda data, c: NewAppointmentForm(data, user=c.admin),
    "CancelForm": lambda data, c: CancelForm(data),
    "QuestionForm": lambda data, c: QuestionForm(data),
    "FormContentForm": lambda data, c: FormContentForm(data),
    "AssignmentForm": lambda data, c: AssignmentForm(data, type_name="Call", form_name="PHQ-9"),
    "CrisisForm": lambda data, c: CrisisForm(data),
}


# Their errors reach nobody: a hidden field whose view says only "Upload it again", a button.
NOT_SHOWN = {"ImportConfirmForm", "PreviewButtonForm"}


def subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *subclasses(direct)}}


def generic_errors(form: forms.BaseForm) -> list[str]:
    form.is_valid()
    return [
        f"{field}: {error}"
        for field, errors in form.errors.items()
        for error in errors
        if GENERIC.search(error)
    ]


def every_field(form: forms.BaseForm, value: str) -> QueryDict:
    data = QueryDict(mutable=True)
    for name in form.fields:
        data[form.add_prefix(name)] = value
    return data


def test_every_staff_form_is_checked() -> None:
    staff = {
        form.__name__
        for form in subclasses(forms.BaseForm)
        if form.__module__.startswith("slotlink.")
        and not form.__module__.startswith("slotlink.portal.")  # patients', in two languages
    }
    assert staff - NOT_SHOWN == set(FORMS)


@pytest.mark.parametrize("name", FORMS)
def test_empty_form_says_how_to_fix_each_field(name: str, clinic: Clinic) -> None:
    assert generic_errors(FORMS[name](QueryDict(), clinic)) == []


@pytest.mark.parametrize("value", ["x", "999999"])
@pytest.mark.parametrize("name", FORMS)
def test_unreadable_values_say_how_to_fix_each_field(name: str, value: str, clinic: Clinic) -> None:
    make = FORMS[name]
    assert generic_errors(make(every_field(make(QueryDict(), clinic), value), clinic)) == []
