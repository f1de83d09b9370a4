"""Forms for the patient record's details and for making appointments from the diary."""

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from slotlink.clinic.forms import AppointmentForm
from slotlink.clinic.models import AppointmentType, Language, Medium, Patient, User
from slotlink.clinic.selectors import patient_search, patients_alike, patients_for
from slotlink.clinic.services.setup import PatientIdentity
from slotlink.lib.fields import DayField
from slotlink.lib.forms import one_message
from slotlink.lib.inputs import nhs_number_of, record_id, uk_mobile
from slotlink.records.services.patients import RecordChange


class PatientRecordForm(forms.Form):
    mobile = forms.CharField(
        required=False,
        max_length=20,
        label="Mobile",
        help_text="A UK mobile number, for example 07700 900123.",
    )
    email = forms.EmailField(
        required=False,
        label="Email",
        error_messages={"invalid": "Enter an email address, like name@example.com."},
    )
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
        number = uk_mobile(raw)
        if number is None:
            raise forms.ValidationError("Enter a UK mobile number, for example 07700 900123.")
        return number


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
        fields = ["patient", "therapist", "appointment_type", "medium", "location", "location_cy"]

    def __init__(self, *args: Any, user: User, patient_query: str = "", **kwargs: Any):
        super().__init__(*args, user=user, **kwargs)
        scope = patients_for(user)
        found = [patient.pk for patient in patient_search(user, patient_query)]
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
        medium = self.fields["medium"]
        assert isinstance(medium, forms.ChoiceField)  # noqa: S101 - a model field's choices
        medium.required = False
        medium.choices = [("", "The appointment type's usual medium"), *Medium.choices]
        self.initial["medium"] = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("appointment_type")
        if not data.get("medium") and isinstance(kind, AppointmentType):
            data["medium"] = kind.medium
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason for cancelling",
        error_messages={"required": "Give a reason for cancelling."},
    )


class PatientForm(PatientRecordForm):
    """Who the patient is, as well as how to reach them: for admins and superusers, who add
    patients and correct their details."""

    first_name = forms.CharField(
        max_length=100,
        label="First name",
        error_messages={"required": "Enter the patient's first name."},
    )
    last_name = forms.CharField(
        max_length=100,
        label="Last name",
        error_messages={"required": "Enter the patient's last name."},
    )
    date_of_birth = DayField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=one_message("Enter the date of birth, for example 12/04/1990."),
    )
    nhs_number = forms.CharField(
        required=False,
        max_length=14,
        label="NHS number",
        help_text="Optional. 10 digits, for example 999 001 8022.",
    )
    preferred_language = forms.ChoiceField(
        label="Preferred language",
        choices=Language.choices,
        initial=Language.ENGLISH,
        error_messages=one_message("Choose English or Welsh."),
    )
    confirm_alike = forms.BooleanField(
        required=False,
        label="This is a different person with the same name and date of birth",
    )
    field_order = [
        "first_name",
        "last_name",
        "date_of_birth",
        "nhs_number",
        "mobile",
        "email",
        "preferred_language",
        "do_not_sms",
        "discharged",
        "confirm_alike",
    ]

    def __init__(self, *args: Any, service_id: int, patient_pk: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.service_id, self.patient_pk = service_id, patient_pk
        born = self.fields["date_of_birth"]
        assert isinstance(born, DayField)  # noqa: S101 - declared above
        born.limit(date(1900, 1, 1), timezone.localdate())
        self.alike: list[Patient] = []

    @classmethod
    def for_patient(cls, patient: Patient, data: Any = None) -> "PatientForm":
        form = cls(data, service_id=patient.service_id, patient_pk=patient.pk)
        form.initial = {
            **PatientRecordForm.for_patient(patient).initial,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": patient.date_of_birth,
            "nhs_number": patient.nhs_number,
            "preferred_language": patient.preferred_language,
        }
        return form

    def clean_nhs_number(self) -> str:
        raw: str = self.cleaned_data["nhs_number"].strip()
        if not raw:
            return ""
        number = nhs_number_of(raw)
        if number is None:
            raise forms.ValidationError(
                "Enter a valid NHS number: 10 digits, the last of which must match the others. "
                "Check it against the patient's letter or GP record."
            )
        other = (
            Patient.objects.filter(service_id=self.service_id, nhs_number=number)
            .exclude(pk=self.patient_pk or 0)
            .first()
        )
        if other is not None:
            raise forms.ValidationError(
                f"{other.full_name} (born {other.date_of_birth:%d/%m/%Y}) already has this NHS "
                "number. Open their record instead of adding the patient twice."
            )
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last, born = data.get("first_name"), data.get("last_name"), data.get("date_of_birth")
        if first and last and born:
            self.alike = list(
                patients_alike(self.service_id, first, last, born, self.patient_pk)[:5]
            )
            if self.alike and not data.get("confirm_alike"):
                self.add_error(
                    "confirm_alike",
                    "A patient with this name and date of birth is already on the caseload. "
                    "Check the record below; if this is a different person, tick the box.",
                )
        return data

    def identity(self) -> PatientIdentity:
        data = self.cleaned_data
        return PatientIdentity(
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            date_of_birth=data["date_of_birth"],
            nhs_number=data["nhs_number"],
            preferred_language=data["preferred_language"],
        )

    def record_change(self) -> RecordChange:
        data = self.cleaned_data
        return RecordChange(
            mobile=data["mobile"],
            email=data["email"],
            discharged=data["discharged"],
            do_not_sms=data["do_not_sms"],
        )
