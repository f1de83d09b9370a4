from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms

from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import Appointment, AppointmentType, ClinicalContact, Therapist, User


class AppointmentForm(forms.ModelForm[Appointment]):
    """Staff edit an appointment in the service's local time."""

    # A date input only understands ISO dates; the en-GB default (27/11/2026) shows it empty.
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(label="Start", widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=5, max_value=480)

    class Meta:
        model = Appointment
        fields = ["therapist", "appointment_type", "medium", "location", "status"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = user.service.zone if user.service else None
        therapist_field = self.fields["therapist"]
        type_field = self.fields["appointment_type"]
        assert isinstance(therapist_field, forms.ModelChoiceField)  # noqa: S101
        assert isinstance(type_field, forms.ModelChoiceField)  # noqa: S101
        therapist_field.queryset = Therapist.objects.filter(service_id=service_id_of(user))
        type_field.queryset = AppointmentType.objects.filter(service_id=service_id_of(user))
        if self.instance.pk and self.zone:
            local = self.instance.start.astimezone(self.zone)
            self.initial.update(
                date=local.date(),
                start_time=local.time(),
                duration_minutes=self.instance.duration_minutes,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, at, minutes = data.get("date"), data.get("start_time"), data.get("duration_minutes")
        if day and at and minutes and self.zone:
            local = datetime.combine(day, at, tzinfo=self.zone)
            # Round-trip through UTC: a wall time inside the March gap does not exist.
            # (astimezone to the datetime's own zone is a no-op, hence the hop through UTC.)
            round_trip = local.astimezone(UTC).astimezone(self.zone)
            if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
                self.add_error(
                    "start_time", "That time does not exist on the day the clocks go forward."
                )
            else:
                self.instance.start = local
                self.instance.end = local + timedelta(minutes=minutes)
        return data


class ClinicalContactForm(forms.ModelForm[ClinicalContact]):
    class Meta:
        model = ClinicalContact
        fields = ["outcome", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 8})}
