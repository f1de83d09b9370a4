from datetime import UTC, date, datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import (
    Appointment,
    AppointmentType,
    ClinicalContact,
    Therapist,
    User,
    appointment_days,
)
from slotlink.lib.fields import ClockField, DayField, WholeNumberField
from slotlink.lib.formatting import day_month_year
from slotlink.lib.forms import one_message
from slotlink.lib.inputs import iso_day


def day_asked_for(raw: str | None, today: date) -> tuple[date, str]:
    """The day a diary or dashboard link asks for (2026-12-08); today if it asks for none, or
    for one no appointment could fall on, with the reason to show."""
    if not raw:
        return today, ""
    earliest, latest = appointment_days(today)
    day = iso_day(raw, earliest, latest)
    if day is None:
        return today, (
            f"Choose a date from {day_month_year(earliest)} to {day_month_year(latest)}. "
            "Showing today instead."
        )
    return day, ""


class AppointmentForm(forms.ModelForm[Appointment]):
    """Staff edit an appointment in the service's local time."""

    # A date input only understands ISO dates; the en-GB default (27/11/2026) shows it empty.
    date = DayField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=one_message("Enter the date of the appointment, for example 14/12/2026."),
    )
    start_time = ClockField(
        label="Start",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages=one_message("Enter the start time, for example 09:30."),
    )
    duration_minutes = WholeNumberField(
        label="Duration (minutes)",
        min_value=5,
        max_value=480,
        error_messages={"required": "Enter how long the appointment lasts, in minutes."},
    )

    class Meta:
        model = Appointment
        fields = ["therapist", "appointment_type", "medium", "location", "location_cy", "status"]
        labels = {"location_cy": "Location in Welsh"}
        widgets = {"location_cy": forms.TextInput(attrs={"lang": "cy"})}
        error_messages = {
            "therapist": one_message("Choose a therapist."),
            "appointment_type": one_message("Choose an appointment type."),
            "medium": one_message("Choose face to face, telephone or video."),
            "status": one_message("Choose the appointment's status."),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = user.service.zone if user.service else None
        therapist_field = self.fields["therapist"]
        type_field = self.fields["appointment_type"]
        assert isinstance(therapist_field, forms.ModelChoiceField)  # noqa: S101
        assert isinstance(type_field, forms.ModelChoiceField)  # noqa: S101
        therapist_field.queryset = Therapist.objects.filter(service_id=service_id_of(user))
        type_field.queryset = AppointmentType.objects.filter(service_id=service_id_of(user))
        earliest, latest = appointment_days(timezone.localdate(timezone=self.zone))
        if self.instance.pk and self.zone:
            local = self.instance.start.astimezone(self.zone)
            self.initial.update(
                date=local.date(),
                start_time=local.time(),
                duration_minutes=self.instance.duration_minutes,
            )
            # The day it already has stays allowed, however long ago it was made.
            earliest, latest = min(earliest, local.date()), max(latest, local.date())
        day_field = self.fields["date"]
        assert isinstance(day_field, DayField)  # noqa: S101 - declared above
        day_field.limit(earliest, latest)

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
