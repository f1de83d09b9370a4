"""The manage portal's forms: date of birth, the texted code, the reason for cancelling."""

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slotlink.clinic.models import APPOINTMENT_DAYS_AHEAD, APPOINTMENT_DAYS_BACK
from slotlink.lib.fields import WholeNumberField
from slotlink.lib.inputs import iso_instant, record_id


class BirthDateForm(forms.Form):
    day = WholeNumberField(required=False, min_value=1, max_value=31)
    month = WholeNumberField(required=False, min_value=1, max_value=12)
    year = WholeNumberField(required=False, min_value=1900, max_value=2100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            raise forms.ValidationError(_("Date of birth must be a real date"))
        parts = (data.get("year"), data.get("month"), data.get("day"))
        if not any(parts):
            raise forms.ValidationError(_("Enter your date of birth"))
        if not all(parts):
            raise forms.ValidationError(_("Date of birth must include a day, month and year"))
        try:
            born = date(*parts)  # type: ignore[arg-type]
        except ValueError:
            raise forms.ValidationError(_("Date of birth must be a real date")) from None
        if born > timezone.localdate():
            raise forms.ValidationError(_("Date of birth must be in the past"))
        data["born"] = born
        return data


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        required=True,
        error_messages={
            "required": gettext_lazy("Tell us why you are cancelling"),
        },
    )


def parse_start(raw: object) -> datetime | None:
    """A start time chosen (or kept in the session), if an appointment could start then."""
    now = timezone.now()
    return iso_instant(
        raw,
        now - timedelta(days=APPOINTMENT_DAYS_BACK),
        now + timedelta(days=APPOINTMENT_DAYS_AHEAD),
    )


class TimeChoiceForm(forms.Form):
    """The option a patient chose on a day's times page: an instant, optionally followed by "@"
    and the chosen therapist's id; and that page's day, to go back to if nothing usable came.
    Nothing here is required: an empty or forged choice is answered by the day page's own
    "choose a time" message, not by field errors."""

    start = forms.CharField(required=False, strip=False)
    day = forms.CharField(required=False, strip=False)

    def choice(self) -> tuple[datetime | None, int | None]:
        """The instant and therapist chosen, or (None, None) for anything unusable."""
        if not self.is_valid():
            return None, None
        instant, _, therapist = self.cleaned_data["start"].partition("@")
        start = parse_start(instant)
        if not therapist:
            return start, None
        therapist_id = record_id(therapist)
        return (start, therapist_id) if therapist_id else (None, None)

    def back_to(self) -> str:
        return self.cleaned_data.get("day", "") if self.is_valid() else ""
