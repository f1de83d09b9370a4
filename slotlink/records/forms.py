"""Forms for the patient record's details and for making appointments from the diary."""

from typing import Any

import phonenumbers
from django import forms
from django.db.models import QuerySet

from slotlink.clinic.forms import AppointmentForm
from slotlink.clinic.models import Patient, User
from slotlink.clinic.selectors import patient_search, patients_for
from slotlink.lib.inputs import record_id


class PatientRecordForm(forms.Form):
    mobile = forms.CharField(
        required=False,
        max_length=20,
        label="Mobile",
        help_text="A UK mobile number, for example 07700 900123.",
    )
    email = forms.EmailField(required=False, label="Email")
    discharged = forms.BooleanField(
        required=False,
        label="Discharged",
        help_text="Every booking link the patient can still use expires.",
    )
    do_not_sms = forms.BooleanField(
        required=False,
        label="Do not contact by SMS",
        help_text="Every booking link the patient can still use expires, and no new ones go.",
    )

    @classmethod
    def for_patient(cls, patient: Patient, data: Any = None) -> "PatientRecordForm":
        return cls(
            data,
            initial={
                "mobile": _national(patient.mobile),
                "email": patient.email,
                "discharged": patient.discharged_at is not None,
                "do_not_sms": patient.do_not_sms,
            },
        )

    def clean_mobile(self) -> str:
        raw: str = self.cleaned_data["mobile"].strip()
        if not raw:
            return ""
        try:
            number = phonenumbers.parse(raw, "GB")
        except phonenumbers.NumberParseException:
            number = None
        # "Possible", not "valid": the drama range used in demos is not issued, so not valid.
        if (
            number is None
            or number.country_code != 44
            or not str(number.national_number).startswith("7")
            or not phonenumbers.is_possible_number(number)
        ):
            raise forms.ValidationError("Enter a UK mobile number, for example 07700 900123.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _national(e164: str) -> str:
    return "0" + e164[3:] if e164.startswith("+44") else e164


class PatientChoiceField(forms.ModelChoiceField[Patient]):
    """Offers a handful of patients found by a search, but accepts any patient of the
    service: the list on the page is a convenience, the service is the boundary."""

    def __init__(self, *, scope: QuerySet[Patient], shown: QuerySet[Patient], **kwargs: Any):
        super().__init__(queryset=shown, **kwargs)
        self.scope = scope

    def to_python(self, value: Any) -> Patient | None:
        if value in self.empty_values:
            return None
        patient = self.scope.filter(pk=record_id(str(value)) or 0).first()
        if patient is None:
            raise forms.ValidationError("Choose a patient from the list.", code="invalid_choice")
        return patient

    def label_from_instance(self, obj: Patient) -> str:
        number = obj.nhs_number
        shown = f"{number[:3]} {number[3:6]} {number[6:]}" if number else "no NHS number"
        return f"{obj.full_name} ({obj.date_of_birth:%d/%m/%Y}, {shown})"


class NewAppointmentForm(AppointmentForm):
    """A staff appointment made from the diary. The patient list holds the results of
    the "Find patient" search (by NHS number, name or date of birth), plus whoever is
    already chosen."""

    class Meta(AppointmentForm.Meta):
        # A new appointment is booked; its status changes later, on the appointment page.
        fields = ["patient", "therapist", "appointment_type", "medium", "location"]

    def __init__(self, *args: Any, user: User, patient_query: str = "", **kwargs: Any):
        super().__init__(*args, user=user, **kwargs)
        scope = patients_for(user)
        found = list(patient_search(user, patient_query).values_list("pk", flat=True)[:50])
        if len(found) == 1 and not self.is_bound:
            self.initial["patient"] = found[0]  # one match: chosen already
        chosen = record_id(self.data.get("patient")) if self.is_bound else None
        shown = scope.filter(pk__in=[*found, chosen or 0])
        self.fields["patient"] = PatientChoiceField(
            scope=scope,
            shown=shown,
            label="Patient",
            empty_label="Choose a patient…" if shown.exists() else "Find a patient first",
            error_messages={"required": "Find and choose the patient."},
        )
        self.order_fields(["patient", "therapist", "date", "start_time", "duration_minutes"])


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason for cancelling",
        error_messages={"required": "Give a reason for cancelling."},
    )
